import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { MIG_DIGEST_FILE } from '../../../src/store/layout.js'
import { openStoreKey, STORE_KEY_FILE, type StoreKeyDoc } from '../../../src/store/store-key.js'
import { MANIFEST_FILE, type Manifest } from '../../../src/share-store/records.js'
import { captureCompressed, sha } from '../store/helpers.js'
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

  it('the upload of a staged portable store takes the container\'s SHA-256 from its capture\'s record (not read again); without a usable record it hashes; a container changed after the capture fails verify --deep', async () => {
    const lines: string[] = []
    const s = share.service('PC1', { shares: [{ path: share.unc, maxClients: 5 }] }, { log: (l) => lines.push(l) })
    const manifestOf = (id: string) => JSON.parse(readFileSync(nodePath.join(share.mount, id, MANIFEST_FILE), 'utf8')) as Manifest
    const migOf = (m: Manifest) => m.files.find((f) => f.path === 'USMT/USMT.MIG')

    // As captured: the recorded digest is the container's, and the upload says where it came from.
    const a = await s.requestCapture({ encrypted: false })
    const stageA = nodePath.join(share.local, 'a')
    const migA = await captureCompressed(stageA, nodePath.join(share.local, 'src-a'))
    await s.releaseCapture(a.path, { localPath: stageA })
    expect(migOf(manifestOf(a.id))?.sha256).to.equal(sha(migA))
    expect(manifestOf(a.id).files.map((f) => f.path), 'the record travels with the store').to.include(`USMT/${MIG_DIGEST_FILE}`)
    expect(lines.some((l) => l.startsWith(`manifest: the SHA-256 of USMT/USMT.MIG is the one its capture recorded in ${MIG_DIGEST_FILE}`))).to.equal(true)
    expect((await s.verify(a.path, true)).problems).to.deep.equal([])

    // A record made for another container: not used, the container is hashed, and the log says why.
    const b = await s.requestCapture({ encrypted: false })
    const stageB = nodePath.join(share.local, 'b')
    const migB = await captureCompressed(stageB, nodePath.join(share.local, 'src-b'))
    writeFileSync(nodePath.join(stageB, 'USMT', MIG_DIGEST_FILE), readFileSync(nodePath.join(stageA, 'USMT', MIG_DIGEST_FILE)))
    lines.length = 0
    await s.releaseCapture(b.path, { localPath: stageB })
    expect(migOf(manifestOf(b.id))?.sha256).to.equal(sha(migB))
    expect(lines.some((l) => /^USMT\/USMT\.MIG: hashed for the manifest \(USMT\.MIG\.sha256\.json is for (another container|a container of \d+ bytes)/.test(l))).to.equal(true)

    // Changed on the local disk after the capture (a flipped byte): the manifest names what the capture made, so
    // the store on the share does not verify.
    const c = await s.requestCapture({ encrypted: false })
    const stageC = nodePath.join(share.local, 'c')
    const migC = await captureCompressed(stageC, nodePath.join(share.local, 'src-c'))
    const captured = sha(migC)
    const bytes = readFileSync(migC)
    bytes[bytes.length >> 1] ^= 1
    writeFileSync(migC, bytes)
    await s.releaseCapture(c.path, { localPath: stageC })
    expect(migOf(manifestOf(c.id))?.sha256).to.equal(captured)
    expect((await s.verify(c.path, true)).problems).to.deep.equal([`USMT/USMT.MIG content differs (sha256 ${sha(migC)}, expected ${captured})`])
    await s.close()
  })

  it('a store written on the share directly: release takes the container\'s SHA-256 from its record there (not read back), unless the record is for another container', async () => {
    const lines: string[] = []
    const s = share.service('PC1', { shares: [{ path: share.unc, maxClients: 5 }] }, { log: (l) => lines.push(l) })
    const manifestOf = (id: string) => JSON.parse(readFileSync(nodePath.join(share.mount, id, MANIFEST_FILE), 'utf8')) as Manifest
    const a = await s.requestCapture({ encrypted: false })
    const migA = await captureCompressed(nodePath.join(share.mount, a.id), nodePath.join(share.local, 'src-a'))
    await s.releaseCapture(a.path)
    expect(manifestOf(a.id).files.find((f) => f.path === 'USMT/USMT.MIG')?.sha256).to.equal(sha(migA))
    expect(lines).to.include(`manifest: the SHA-256 of USMT/USMT.MIG is the one its capture recorded in ${MIG_DIGEST_FILE} (not read back from the share)`)
    expect((await s.verify(a.path, true)).problems).to.deep.equal([])

    // Same size, another store id (the mounted share reads the container's first bytes): hashed on the share.
    const b = await s.requestCapture({ encrypted: false })
    const migB = await captureCompressed(nodePath.join(share.mount, b.id), nodePath.join(share.local, 'src-b'))
    const bytes = readFileSync(migB)
    bytes.fill(0xab, 20, 36)
    writeFileSync(migB, bytes)
    lines.length = 0
    await s.releaseCapture(b.path)
    expect(manifestOf(b.id).files.find((f) => f.path === 'USMT/USMT.MIG')?.sha256).to.equal(sha(migB))
    expect(lines.some((l) => /^USMT\/USMT\.MIG: hashed on the share for the manifest \(USMT\.MIG\.sha256\.json is for another container/.test(l))).to.equal(true)
    await s.close()
  })
})
