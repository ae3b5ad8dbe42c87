import { expect } from 'chai'
import { accountOf, describeAces, MASK, OWNER_RIGHTS_SID, parseSddlAces, storeAces, toSddl } from '../../../src/share-store/access.js'
import { policyFromObject } from '../../../src/plan/policy.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import type { StoreAccessPolicy } from '../../../src/plan/types.js'

describe('per-store access model (src/share-store/access.ts)', () => {
  const policy: StoreAccessPolicy = { admins: 'CONTOSO\\Store Admins', computerAccount: '{domain}\\{computer}$', accounts: { LAB1: 'LAB\\svc-lab1' } }

  it('names a computer by its computer account, or by the policy\'s explicit account', () => {
    expect(accountOf(policy, 'pc042', 'CONTOSO')).to.equal('CONTOSO\\PC042$')
    expect(accountOf(policy, 'lab1', 'CONTOSO')).to.equal('LAB\\svc-lab1')
    expect(accountOf({ ...policy, domain: 'FABRIKAM' }, 'pc1', 'CONTOSO')).to.equal('FABRIKAM\\PC1$')
    expect(accountOf(policy, 'pc1')).to.equal('PC1$')
  })

  it('gives each phase its DACL: requested → capturer writes; captured → restorer reads, owner keeps nothing; restored → admins only', () => {
    const req = storeAces(policy, 'requested', { source: 'PCA', readers: ['PCB'], domain: 'CONTOSO' })
    expect(req.map((a) => [a.principal, a.mask])).to.deep.equal([['CONTOSO\\Store Admins', MASK.full], ['CONTOSO\\PCA$', MASK.modify]])
    const cap = storeAces(policy, 'captured', { source: 'PCA', readers: ['PCB', 'pcb'], domain: 'CONTOSO' })
    expect(cap.map((a) => [a.principal, a.mask])).to.deep.equal([['CONTOSO\\Store Admins', MASK.full], ['CONTOSO\\PCB$', MASK.read | MASK.writeDac], [OWNER_RIGHTS_SID, MASK.readControl]])
    expect(cap.every((a) => (a.mask & 0x2) === 0 || a.role === 'admins'), 'nobody but the admins may write data').to.equal(true)
    const res = storeAces(policy, 'restored', { source: 'PCA', readers: ['PCB'], domain: 'CONTOSO' })
    expect(res.map((a) => a.role)).to.deep.equal(['admins', 'owner rights'])
    expect(describeAces(cap)).to.match(/restoring computer PCB \(CONTOSO\\PCB\$\): read; owner rights/)
  })

  it('writes a protected SDDL for the store folder and inherited entries for its content, and reads SDDL back', () => {
    const aces = [{ sid: 'S-1-5-21-1-2-3-1000', mask: MASK.full }, { sid: 'S-1-3-4', mask: MASK.readControl }]
    expect(toSddl(aces, 'root')).to.equal('D:P(A;OICI;0x001f01ff;;;S-1-5-21-1-2-3-1000)(A;OICI;0x00020000;;;S-1-3-4)')
    expect(toSddl(aces, 'dir')).to.equal('D:(A;OICIID;0x001f01ff;;;S-1-5-21-1-2-3-1000)(A;OICIID;0x00020000;;;S-1-3-4)')
    expect(toSddl(aces, 'file')).to.equal('D:(A;ID;0x001f01ff;;;S-1-5-21-1-2-3-1000)(A;ID;0x00020000;;;S-1-3-4)')
    expect(parseSddlAces('O:S-1-5-21-9G:S-1-22-2-1D:P(A;OICI;0x001f01ff;;;S-1-22-2-1006)(A;OICI;0x001301bf;;;S-1-5-21-9-1001)')).to.deep.equal([
      { type: 'A', sid: 'S-1-22-2-1006', mask: 0x001f01ff }, { type: 'A', sid: 'S-1-5-21-9-1001', mask: 0x001301bf },
    ])
  })

  it('the policy\'s access: section is validated (admins required, no , : " in names, {computer} in the template)', () => {
    const p = policyFromObject({ access: { admins: 'CONTOSO\\Admins', accounts: { pc1: 'LAB\\a' } } }, 'p.yaml')
    expect(p.access).to.deep.equal({ admins: 'CONTOSO\\Admins', computerAccount: '{domain}\\{computer}$', domain: undefined, accounts: { PC1: 'LAB\\a' } })
    for (const bad of [{}, { admins: 'a,b' }, { admins: 'A', computerAccount: 'X\\pc' }, { admins: 'A', extra: 1 }, { admins: 'A', accounts: { pc: 'x:y' } }]) {
      expect(() => policyFromObject({ access: bad }, 'p.yaml'), JSON.stringify(bad)).to.throw(UsmtStepsError, /access/)
    }
  })
})
