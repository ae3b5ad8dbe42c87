import { expect } from 'chai'
import { ENTRA_REASON, isEntraProfile, isEntraUserName } from '../../../src/directory/entra.js'
import { DEFAULT_POLICY, selectProfiles } from '../../../src/directory/policy.js'
import type { ResolvedProfile } from '../../../src/directory/resolve.js'
import { profilesAtRisk } from '../../../src/steps/safety.js'
import { emptyProgressState } from '../../../src/usmt/index.js'

const KIM_SID = 'S-1-12-1-3570199785-1124432829-2316173448-2213195540'
const USED = '2026-11-01T08:00:00.000Z'

describe('directory/entra: Entra ID (Azure AD) profiles', () => {
  it('recognises the Entra ID SID authority (S-1-12-1-…) and the AzureAD\\ domain, nothing else', () => {
    expect(isEntraProfile({ sid: KIM_SID })).to.equal(true)
    expect(isEntraProfile({ account: 'AzureAD\\KimAkers' })).to.equal(true)
    expect(isEntraProfile({ account: 'azuread\\kim' })).to.equal(true)
    expect(isEntraProfile({ sid: 'S-1-5-21-1-2-3-1001', account: 'CONTOSO\\jdoe' })).to.equal(false)
    expect(isEntraProfile({ sid: 'S-1-12-2-1' })).to.equal(false)
    expect(isEntraUserName(KIM_SID)).to.equal(true)
    expect(isEntraUserName(`PC\\${KIM_SID}`)).to.equal(true)
    expect(isEntraUserName('PC\\ann')).to.equal(false)
  })

  it('users: an Entra ID profile blocks the step like an orphan (orphans=fail) or is left out knowingly (orphans=exclude), with the reason', () => {
    const kim: ResolvedProfile = { profile: 'C:\\Users\\KimAkers', account: 'AzureAD\\KimAkers', sid: KIM_SID, source: 'users-file', lastUse: USED, kind: 'foreign', status: 'not-checked' }
    const blocked = selectProfiles([kim], DEFAULT_POLICY, new Date()).decisions[0]
    expect(blocked).to.include({ decision: 'blocked', rule: 'entra-blocked' })
    expect(blocked.reason).to.contain(ENTRA_REASON)
    const sel = selectProfiles([kim], { ...DEFAULT_POLICY, orphans: 'exclude' }, new Date())
    expect(sel.decisions[0]).to.include({ decision: 'skip', rule: 'entra-excluded' })
    expect(sel.warnings.join('\n')).to.contain('C:\\Users\\KimAkers is NOT captured')
  })

  it('capture: at risk whether scanstate included it or not, from the profile list or from the progress log', () => {
    const st = emptyProgressState()
    st.detectedUsers.push({ user: 'AzureAD\\KimAkers', included: true }, { user: 'PC\\ann', included: true }, { user: 'S-1-12-1-1-2-3-4', included: false })
    const r = profilesAtRisk(st, () => false, [{ account: 'AzureAD\\KimAkers', sid: KIM_SID, profile: 'C:\\Users\\KimAkers' }])
    expect(r.map((x) => [x.kind, x.user])).to.deep.equal([['entra-profile', 'AzureAD\\KimAkers'], ['entra-profile', 'S-1-12-1-1-2-3-4']])
    expect(r[0].what).to.equal(`AzureAD\\KimAkers (C:\\Users\\KimAkers): ${ENTRA_REASON}`)
  })
})
