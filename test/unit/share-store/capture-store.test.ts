import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { openStoreKey, STORE_KEY_FILE, type StoreKeyDoc } from '../../../src/store/store-key.js'
import { fsShare } from './fs-share.js'

/**
 * The capture side of a share store (capture-store.ts with placement, claiming and store-keys) over the fs
 * transport on a local folder standing for the mounted share: the same transport a mounted share uses.
 */
describe('share-store/capture-store: request and release after capture (fs transport)', () => {
  const share = fsShare()
  const service = (computer = 'PC1') => share.service(computer, { shares: [{ path: share.unc, maxClients: 2 }] }, { claimWaitMs: 1000 })

  it('an encrypted store gets its own key (escrow-wrapped, bound to the store id), which a restore copies 0600; a store without one has none', async () => {
    const s = service()
    const rec = await s.requestCapture({ encrypted: true, key: { escrowKey: 'escrow-key-material-1' } })
    const doc = JSON.parse(readFileSync(nodePath.join(share.mount, rec.id, STORE_KEY_FILE), 'utf8')) as StoreKeyDoc
    expect((await openStoreKey(doc, { storeId: rec.id, escrowKey: 'escrow-key-material-1' })).dataKey).to.be.a('string').with.length.above(20)
    expect(await s.copyStoreKey(rec.path, share.local)).to.equal(true)
    expect(statSync(nodePath.join(share.local, STORE_KEY_FILE)).mode & 0o777).to.equal(0o600)
    const plain = await service('PC2').requestCapture({ encrypted: false, key: { escrowKey: 'escrow-key-material-1' } })
    expect(existsSync(nodePath.join(share.mount, plain.id, STORE_KEY_FILE))).to.equal(false)
    expect(await s.storeKeyText(plain.path)).to.equal(null)
    await s.close()
  })

  it('a repeated request of the same computer gets the same store and slot (its claim); release after capture seals it and frees the claim', async () => {
    const s = service()
    const first = await s.requestCapture({ encrypted: false })
    const again = await s.requestCapture({ encrypted: false })
    expect(again).to.include({ id: first.id, slot: first.slot, reused: true })
    mkdirSync(nodePath.join(share.mount, first.id, 'USMT'), { recursive: true })
    writeFileSync(nodePath.join(share.mount, first.id, 'USMT', 'USMT.MIG'), 'captured bytes')
    const done = await s.releaseCapture(first.path)
    expect(done).to.deep.include({ state: 'captured', manifest: { files: 1, bytes: 14 } })
    const next = await s.requestCapture({ encrypted: false })
    expect(next.id).not.to.equal(first.id)
    expect(next.reused).to.equal(undefined)
    await s.close()
  })
})
