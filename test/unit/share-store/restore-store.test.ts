import { expect } from 'chai'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { policyFromObject } from '../../../src/plan/policy.js'
import { StoreService } from '../../../src/share-store/service.js'
import { STORE_KEY_FILE } from '../../../src/store/store-key.js'
import { codeOfAsync } from '../../helpers/errors.js'

/** The restore side of a share store (restore-store.ts) over the fs transport on a local folder standing for the mounted share. */
describe('share-store/restore-store: request and release after restore (fs transport)', () => {
  const UNC = '\\\\srv\\mig'
  let mount: string
  let local: string
  beforeEach(() => {
    mount = mkdtempSync(nodePath.join(os.tmpdir(), 'h12d-share-'))
    local = mkdtempSync(nodePath.join(os.tmpdir(), 'h12d-local-'))
  })
  afterEach(() => {
    rmSync(mount, { recursive: true, force: true })
    rmSync(local, { recursive: true, force: true })
  })
  const service = (computer: string) => new StoreService({
    policy: policyFromObject({ shares: [{ path: UNC, maxClients: 5 }], retention: { restoredDays: 3 } }, 'test'), transport: 'fs', mounts: { [UNC.toLowerCase()]: mount },
    computer: { computerName: computer, smbiosGuid: null, macAddresses: [] }, platform: 'linux', retryCount: 0,
  })

  it('the associated destination downloads the captured store (with its own key), checks it, notes the read; release starts retention and frees the slot', async () => {
    const old = service('OLDPC')
    expect(await codeOfAsync(service('NEWPC').requestRestore())).to.equal('USM0413')
    const rec = await old.requestCapture({ encrypted: true, key: { escrowKey: 'escrow-key-material-2' } })
    expect(await codeOfAsync(old.requestRestore()), 'requested, never captured').to.equal('USM0414')
    mkdirSync(nodePath.join(mount, rec.id, 'USMT'), { recursive: true })
    writeFileSync(nodePath.join(mount, rec.id, 'USMT', 'USMT.MIG'), 'the store')
    await old.releaseCapture(rec.path)
    await old.associate('OLDPC', 'NEWPC', 'CaptureAndRestoreAll', [])
    const fresh = service('NEWPC')
    const got = await fresh.requestRestore({ localPath: (id) => nodePath.join(local, id) })
    expect(got.record.id).to.equal(rec.id)
    expect(got.association?.source).to.equal('OLDPC')
    expect(readFileSync(nodePath.join(local, rec.id, 'USMT', 'USMT.MIG'), 'utf8')).to.equal('the store')
    expect(existsSync(nodePath.join(local, rec.id, STORE_KEY_FILE)), 'the store key comes along').to.equal(true)
    expect(got.record.history.map((e) => e.event)).to.include('restore-requested')
    const slots = () => readdirSync(nodePath.join(mount, '.usmt-steps', 'slots'))
    expect(slots()).to.have.length(1)
    const done = await fresh.releaseRestore(rec.path)
    expect(done.state).to.equal('restored')
    expect(Date.parse(done.retainUntil as string) - Date.parse(done.restoredAt as string)).to.equal(3 * 86_400_000)
    expect(slots()).to.have.length(0)
    expect((await fresh.verify(rec.path, true)).problems, 'the store verifies (its key is no extra file)').to.deep.equal([])
    await old.close()
    await fresh.close()
  })
})
