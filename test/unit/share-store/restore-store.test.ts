import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { STORE_KEY_FILE } from '../../../src/store/store-key.js'
import { codeOfAsync } from '../../helpers/errors.js'
import { fsShare } from './fs-share.js'

/** The restore side of a share store (restore-store.ts) over the fs transport on a local folder standing for the mounted share. */
describe('share-store/restore-store: request and release after restore (fs transport)', () => {
  const share = fsShare()
  const service = (computer: string) => share.service(computer, { shares: [{ path: share.unc, maxClients: 5 }], retention: { restoredDays: 3 } })

  it('the associated destination downloads the captured store (with its own key), checks it, notes the read; release starts retention and frees the slot', async () => {
    const old = service('OLDPC')
    expect(await codeOfAsync(service('NEWPC').requestRestore())).to.equal('USM0413')
    const rec = await old.requestCapture({ encrypted: true, key: { escrowKey: 'escrow-key-material-2' } })
    expect(await codeOfAsync(old.requestRestore()), 'requested, never captured').to.equal('USM0414')
    mkdirSync(nodePath.join(share.mount, rec.id, 'USMT'), { recursive: true })
    writeFileSync(nodePath.join(share.mount, rec.id, 'USMT', 'USMT.MIG'), 'the store')
    await old.releaseCapture(rec.path)
    await old.associate('OLDPC', 'NEWPC', 'CaptureAndRestoreAll', [])
    const fresh = service('NEWPC')
    const got = await fresh.requestRestore({ localPath: (id) => nodePath.join(share.local, id) })
    expect(got.record.id).to.equal(rec.id)
    expect(got.association?.source).to.equal('OLDPC')
    expect(readFileSync(nodePath.join(share.local, rec.id, 'USMT', 'USMT.MIG'), 'utf8')).to.equal('the store')
    expect(existsSync(nodePath.join(share.local, rec.id, STORE_KEY_FILE)), 'the store key comes along').to.equal(true)
    expect(got.record.history.map((e) => e.event)).to.include('restore-requested')
    const slots = () => readdirSync(nodePath.join(share.mount, '.usmt-steps', 'slots'))
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
