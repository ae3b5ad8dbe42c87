import { expect } from 'chai'
import { execa } from 'execa'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { requireAclSamba, startAclSamba, type AclSambaServer } from '../../helpers/samba.js'
import { policyFromObject } from '../../../src/plan/policy.js'
import { StoreService } from '../../../src/share-store/service.js'
import { SmbcaclsTool } from '../../../src/share-store/acl-tool.js'
import { parseSddlAces } from '../../../src/share-store/access.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import type { StoreRecord } from '../../../src/share-store/records.js'
import { openStoreKey, parseStoreKeyDoc, unwrapEscrow, type DpapiNg } from '../../../src/store/store-key.js'
import { dpapiNgBridge } from '../../../src/windows/dpapi-ng.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'

const DPAPI_DOUBLE = path.join(PROJECT_ROOT, 'test', 'doubles', 'dpapi-ng.double.ts')
const ESCROW = 'escrow key of the store admins'

/**
 * Per-store access (issue #19) against the project's Samba with NT ACLs: accounts standing for computers A, B
 * and C, and an admin in the admins' group. A captures, B is associated with A (restores A's store), C is not.
 */
describe('per-store access on a real Samba with NT ACLs (computers A, B, C and an admin)', function () {
  this.timeout(600000)
  let smb: AclSambaServer
  let dir: string
  let store: StoreRecord
  const computer = { A: 'PCA', B: 'PCB', C: 'PCC' } as const
  type Role = 'A' | 'B' | 'C' | 'admin'

  const policyDoc = () => ({
    shares: [{ path: smb.unc(), port: smb.port }], retention: { restoredDays: 0 },
    access: {
      admins: `Unix Group\\${smb.adminGroup}`,
      accounts: { PCA: `${smb.domain}\\${smb.accounts.A}`, PCB: `${smb.domain}\\${smb.accounts.B}`, PCC: `${smb.domain}\\${smb.accounts.C}` },
    },
  })
  const creds = (role: Role) => ({ username: smb.accounts[role], password: smb.password, domain: smb.domain, source: 'test' })
  const service = (role: Role, name: string = role === 'admin' ? 'ADMINPC' : computer[role]) => new StoreService({
    policy: policyFromObject(policyDoc(), 'test'), transport: 'smbclient', computer: { computerName: name, smbiosGuid: null, macAddresses: [] },
    credentials: creds(role), smbRunner: smb.runner, retryCount: 0,
  })
  const authFile = (role: Role): string => {
    const f = path.join(dir, `auth-${role}`)
    writeFileSync(f, `username = ${smb.accounts[role]}\npassword = ${smb.password}\ndomain = ${smb.domain}\n`, { mode: 0o600 })
    return f
  }
  /** Raw smbclient as `role`: the NT status of every command that failed. */
  const as = async (role: Role, commands: string[]): Promise<{ out: string; statuses: string[] }> => {
    const r = await smb.runner('smbclient', [`//127.0.0.1/${smb.shares[0]}`, '--configfile=/dev/null', '--client-protection=sign', '-A', authFile(role)], {
      input: `${commands.join('\n')}\nexit\n`, reject: false, env: { LC_ALL: 'C' },
    })
    const out = `${String(r.stdout)}\n${String(r.stderr)}`
    return { out, statuses: [...out.matchAll(/NT_STATUS_[A-Z_]+/g)].map((m) => m[0]) }
  }
  /** Everything on the share as the server stores it: files, sizes, contents' hashes and the NT ACL xattrs. */
  const snapshot = async (): Promise<string> => {
    const lines: string[] = []
    const walk = (d: string, rel: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name)
        const r = `${rel}/${e.name}`
        if (e.isDirectory()) { lines.push(`${r}/`); walk(p, r) } else lines.push(`${r} ${statSync(p).size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`)
      }
    }
    walk(smb.shareDir(), '')
    const acls = await execa('getfattr', ['-R', '-d', '-m', 'security.NTACL', '-e', 'hex', smb.shareDir()], { reject: false })
    return `${lines.sort().join('\n')}\n${String(acls.stdout)}`
  }
  const expectDenied = async (what: string, fn: () => Promise<unknown>): Promise<UsmtStepsError> => {
    try {
      await fn()
    } catch (err) {
      expect(err, `${what}: ${(err as Error).message}`).to.be.instanceOf(UsmtStepsError)
      expect((err as UsmtStepsError).code, `${what}: ${(err as Error).message}`).to.equal('USM0423')
      expect((err as Error).message, what).to.include(store.id)
      return err as UsmtStepsError
    }
    return expect.fail(`${what}: expected USM0423`)
  }
  const rootAcl = async (): Promise<void> => {
    // The share root as the README recommends it: admins full control everywhere; computers may list the root
    // and create folders in it (this folder only); CREATOR OWNER gets full control of what it creates; the
    // .usmt-steps folder (slots, claims, associations, journal) is modify for computers.
    const tool = new SmbcaclsTool({ unc: smb.unc(), credentials: { username: smb.user, password: smb.password, source: 'test' }, runner: smb.runner })
    const sids = await tool.resolve([`Unix Group\\${smb.adminGroup}`])
    const admins = sids.get(`Unix Group\\${smb.adminGroup}`) as string
    await tool.setSddl('', `D:P(A;OICI;0x001f01ff;;;${admins})(A;;0x001200ad;;;WD)(A;OICIIO;0x001f01ff;;;S-1-3-0)`)
    mkdirSync(path.join(smb.shareDir(), '.usmt-steps'), { recursive: true })
    chmodSync(path.join(smb.shareDir(), '.usmt-steps'), 0o777)
    await execa('chown', [smb.user, path.join(smb.shareDir(), '.usmt-steps')])
    await tool.setSddl('.usmt-steps', `D:P(A;OICI;0x001f01ff;;;${admins})(A;OICI;0x001301bf;;;WD)`)
    await tool.close()
  }

  before(async function () {
    requireAclSamba(this)
    smb = await startAclSamba(['A', 'B', 'C', 'admin'])
    dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-access-'))
    await rootAcl()
  })
  after(async () => {
    await smb?.dispose()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('request (capture): the store folder is protected — admins full control, the capturing computer write, nobody else; its own key opens for A and B (DPAPI-NG stand-in) and the escrow key', async () => {
    const admin = service('admin')
    await admin.associate(computer.A, computer.B, 'CaptureAndRestoreAll', [])
    await admin.close()
    // An encrypted store with its own key: wrapped by the escrow key and, through DPAPI-NG (the strict stand-in
    // as powershell.exe, with the server's real SIDs of A and B as the domain's accounts), for A and B.
    const lookup = new SmbcaclsTool({ unc: smb.unc(), credentials: creds('admin'), runner: smb.runner })
    const names = (['A', 'B', 'C'] as const).map((r) => `${smb.domain}\\${smb.accounts[r]}`)
    const sids = await lookup.resolve(names)
    await lookup.close()
    Object.assign(process.env, { USMT_STEPS_DOUBLE_ACCOUNTS: JSON.stringify(Object.fromEntries(sids)) })
    const dpapi = dpapiNgBridge({ platform: 'linux', env: { USMT_STEPS_POWERSHELL: DPAPI_DOUBLE } }) as DpapiNg
    const a = service('A')
    store = await a.requestCapture({ encrypted: true, key: { escrowKey: ESCROW, dpapi } })
    await a.close()
    const keyDoc = parseStoreKeyDoc(readFileSync(path.join(smb.shareDir(), store.id, 'store-key.json'), 'utf8'), 'store-key.json')
    expect(keyDoc.dpapiNg?.computers).to.deep.equal(['PCA', 'PCB'])
    expect(keyDoc.dpapiNg?.descriptor).to.equal(`SID=${sids.get(names[0])} OR SID=${sids.get(names[1])}`)
    process.env.USMT_STEPS_DOUBLE_TOKEN = JSON.stringify([sids.get(names[1])])
    const forB = await openStoreKey(keyDoc, { storeId: store.id, dpapi })
    expect(forB.how).to.equal('DPAPI-NG (PCA, PCB)')
    expect(forB.dataKey).to.equal(await unwrapEscrow(keyDoc, ESCROW, store.id))
    process.env.USMT_STEPS_DOUBLE_TOKEN = JSON.stringify([sids.get(names[2])])
    expect(await openStoreKey(keyDoc, { storeId: store.id, dpapi }).then(() => 'opened', (err: UsmtStepsError) => err.code), 'C cannot open it').to.equal('USM0425')
    delete process.env.USMT_STEPS_DOUBLE_TOKEN
    delete process.env.USMT_STEPS_DOUBLE_ACCOUNTS
    expect(readFileSync(path.join(smb.shareDir(), store.id, 'store-key.json'), 'utf8')).to.not.include(forB.dataKey)
    expect(store.access?.phase).to.equal('requested')
    expect(store.access?.grants.map((g) => `${g.role}:${g.computer ?? ''}:${g.rights}`)).to.deep.equal(['admins::full control', 'capturing computer:PCA:write'])
    expect(store.history.map((h) => `${h.event}@${h.computer}`)).to.deep.equal(['requested@PCA', 'access@PCA'])
    const tool = new SmbcaclsTool({ unc: smb.unc(), credentials: creds('admin'), runner: smb.runner })
    const sddl = await tool.getSddl(store.id)
    await tool.close()
    expect(sddl).to.match(/D:P\(/)
    expect(parseSddlAces(sddl).map((x) => x.mask)).to.deep.equal([0x001f01ff, 0x001301bf])
    // the capture writes into the store (as the fs transport does on Windows)
    const put = await as('A', [`mkdir ${store.id}\\USMT`, `put /etc/hostname ${store.id}\\USMT\\early.txt`])
    expect(put.statuses.filter((s) => s !== 'NT_STATUS_OK'), put.out).to.deep.equal([])
  })

  it('before release: B and C can neither list nor read A\'s store (coded USM0423 naming it, nothing changed); the admin can', async () => {
    const before = await snapshot()
    for (const role of ['B', 'C'] as const) {
      const ls = await as(role, [`ls ${store.id}\\*`])
      expect(ls.statuses, `${role} ls`).to.include('NT_STATUS_ACCESS_DENIED')
      const get = await as(role, [`get ${store.id}\\store.json ${path.join(dir, `x-${role}`)}`, `get ${store.id}\\USMT\\early.txt ${path.join(dir, `y-${role}`)}`])
      expect(get.statuses.filter((s) => s === 'NT_STATUS_ACCESS_DENIED'), `${role} get`).to.have.length(2)
      const s = service(role)
      await expectDenied(`${role} verify`, () => s.verify(store.path, false))
      await s.close()
    }
    const b = service('B')
    const err = await expectDenied('B restore request', () => b.requestRestore({ localPath: path.join(dir, 'early-restore') }))
    expect(err.message).to.match(/not released to it/)
    await b.close()
    expect(await snapshot()).to.equal(before)
    const admin = await as('admin', [`ls ${store.id}\\*`, `get ${store.id}\\store.json ${path.join(dir, 'admin-store.json')}`])
    expect(admin.statuses.filter((s) => s !== 'NT_STATUS_OK'), admin.out).to.deep.equal([])
  })

  it('release (capture): B reads but cannot write, delete or change; A keeps no write and cannot take it back; C still nothing', async () => {
    const staged = path.join(dir, 'staged')
    mkdirSync(path.join(staged, 'USMT'), { recursive: true })
    writeFileSync(path.join(staged, 'USMT', 'USMT.MIG'), randomBytes(64 * 1024))
    writeFileSync(path.join(staged, 'USMT', 'early.txt'), readFileSync('/etc/hostname'))
    const a = service('A')
    store = await a.releaseCapture(store.path, { localPath: staged })
    await a.close()
    expect(store.state).to.equal('captured')
    expect(store.access?.grants.map((g) => `${g.role}:${g.computer ?? ''}:${g.rights}`)).to.deep.equal(['admins::full control', 'restoring computer:PCB:read'])

    const before = await snapshot()
    const readB = await as('B', [`ls ${store.id}\\*`, `get ${store.id}\\USMT\\USMT.MIG ${path.join(dir, 'b.mig')}`, `get ${store.id}\\store.json ${path.join(dir, 'b.json')}`])
    expect(readB.statuses.filter((s) => s !== 'NT_STATUS_OK'), readB.out).to.deep.equal([])
    expect(readFileSync(path.join(dir, 'b.mig'))).to.deep.equal(readFileSync(path.join(staged, 'USMT', 'USMT.MIG')))
    const writeB = await as('B', [
      `put /etc/hostname ${store.id}\\USMT\\USMT.MIG`, `put /etc/hostname ${store.id}\\new.txt`, `del ${store.id}\\store.json`,
      `mkdir ${store.id}\\x`, `rename ${store.id}\\manifest.json ${store.id}\\m.json`, `deltree ${store.id}`,
    ])
    expect(writeB.statuses.filter((s) => s === 'NT_STATUS_ACCESS_DENIED'), writeB.out).to.have.length(6)
    const writeA = await as('A', [`get ${store.id}\\USMT\\USMT.MIG ${path.join(dir, 'a.mig')}`, `put /etc/hostname ${store.id}\\USMT\\USMT.MIG`, `del ${store.id}\\store.json`])
    expect(writeA.statuses.filter((s) => s === 'NT_STATUS_ACCESS_DENIED'), writeA.out).to.have.length(3)
    const toolA = new SmbcaclsTool({ unc: smb.unc(), credentials: creds('A'), runner: smb.runner })
    const sidA = (await toolA.resolve([`${smb.domain}\\${smb.accounts.A}`])).get(`${smb.domain}\\${smb.accounts.A}`) as string
    let regrant: Error | null = null
    try {
      await toolA.setSddl(store.id, `D:P(A;OICI;0x001f01ff;;;${sidA})`)
    } catch (err) {
      regrant = err as Error
    }
    await toolA.close()
    expect(regrant?.message, 'A re-granting itself').to.match(/ACCESS_DENIED/)
    const c = await as('C', [`ls ${store.id}\\*`, `get ${store.id}\\USMT\\USMT.MIG ${path.join(dir, 'c.mig')}`])
    expect(c.statuses.filter((s) => s === 'NT_STATUS_ACCESS_DENIED')).to.have.length(2)
    const sc = service('C')
    await expectDenied('C verify', () => sc.verify(store.path, true))
    await sc.close()
    expect(await snapshot()).to.equal(before)
  })

  it('B restores (read recorded in the journal), releases, and can no longer read; the admin always can; the record shows who had access', async () => {
    const b = service('B')
    const { record, localPath } = await b.requestRestore({ localPath: path.join(dir, 'restore') })
    expect(record.id).to.equal(store.id)
    expect(parseStoreKeyDoc(readFileSync(path.join(localPath as string, 'store-key.json'), 'utf8'), 'copy').storeId, 'the key document came with the store').to.equal(store.id)
    expect(readFileSync(path.join(localPath as string, 'USMT', 'USMT.MIG'))).to.deep.equal(readFileSync(path.join(dir, 'staged', 'USMT', 'USMT.MIG')))
    const released = await b.releaseRestore(store.path)
    expect(released.state).to.equal('restored')
    expect(released.access?.grants.map((g) => g.role)).to.deep.equal(['admins'])
    const after = await as('B', [`ls ${store.id}\\*`, `get ${store.id}\\USMT\\USMT.MIG ${path.join(dir, 'b2.mig')}`, `get ${store.id}\\store.json ${path.join(dir, 'b2.json')}`])
    expect(after.statuses.filter((s) => s === 'NT_STATUS_ACCESS_DENIED'), after.out).to.have.length(3)
    const before = await snapshot()
    await expectDenied('B verify after its release', () => b.verify(store.path, false))
    await expectDenied('B release again', () => b.releaseCapture(store.path))
    await b.close()
    expect(await snapshot()).to.equal(before)

    const admin = service('admin')
    const seen = await admin.verify(store.path, true)
    expect(seen.ok, seen.problems.join('; ')).to.equal(true)
    const [listing] = await admin.list()
    const rec = listing.stores.find((s) => s.id === store.id) as StoreRecord
    expect(rec.state).to.equal('restored')
    const audit = (await admin.readRecord(admin.transportFor(admin.shares[0]), store.id)) as StoreRecord
    expect(audit.history.map((h) => `${h.event}@${h.computer}`)).to.deep.equal([
      'requested@PCA', 'access@PCA', 'captured@PCA', 'access@PCA', 'restore-requested@PCB', 'restored@PCB', 'access@PCB',
    ])
    expect(audit.history.every((h) => !Number.isNaN(Date.parse(h.at)))).to.equal(true)
    const details = audit.history.filter((h) => h.event === 'access').map((h) => h.detail ?? '')
    expect(details[0]).to.match(/^requested: admins .*full control; capturing computer PCA .*: write/)
    expect(details[1]).to.match(/^captured: admins .*full control; restoring computer PCB .*: read; owner rights/)
    expect(details[2]).to.match(/^restored: admins .*full control; owner rights/)
    const pruned = await admin.prune(false)
    expect(pruned.deleted.map((d) => d.store)).to.include(store.path)
    await admin.close()
  })
})
