import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { checkFollowed, hashWhileWritten } from '../../../src/share-store/follow-hash.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const tick = (ms = 3): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Writes each file as a download does: created when its turn comes, then filled in chunks with pauses between. */
async function writeInPlace(files: Array<{ local: string; data: Buffer }>, chunk = 64 * 1024): Promise<void> {
  for (const f of files) {
    await tick(5)
    const fh = await fsp.open(f.local, 'w')
    for (let off = 0; off < f.data.length; off += chunk) {
      await fh.write(f.data, off, Math.min(chunk, f.data.length - off), off)
      await tick(1)
    }
    await fh.close()
  }
}

describe('hashing downloaded files while they arrive (follow-hash)', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-follow-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('hashes each file in order as it appears and is written, and the check keeps those hashes', async () => {
    const files = [randomBytes(700_000), Buffer.alloc(0), randomBytes(3 * 1024 * 1024 + 17)].map((data, i) => ({ local: path.join(dir, `f${i}`), size: data.length, data }))
    const download = writeInPlace(files)
    const followed = await hashWhileWritten(files, download, 1)
    await download
    expect(followed.map((f) => f.sha256)).to.deep.equal(files.map((f) => sha(f.data)))
    expect(followed.map((f) => f.bytes)).to.deep.equal(files.map((f) => f.size))
    expect(await checkFollowed(files, followed)).to.deep.equal(files.map((f) => sha(f.data)))
  })

  it('a file longer than the manifest says: the reading stops at the expected size, the check hashes the whole file again', async () => {
    const data = randomBytes(200_000)
    const f = { local: path.join(dir, 'long'), size: 100_000 }
    const download = writeInPlace([{ local: f.local, data }])
    const followed = await hashWhileWritten([f], download, 1)
    await download
    expect(followed[0]).to.include({ sha256: sha(data.subarray(0, 100_000)), bytes: 100_000 })
    expect(await checkFollowed([f], followed)).to.deep.equal([sha(data)])
  })

  it('a download that fails part-way ends the reading with what arrived (the caller reports the failure)', async () => {
    const data = randomBytes(300_000)
    const f = { local: path.join(dir, 'cut'), size: 1_000_000 }
    const download = (async () => {
      await writeInPlace([{ local: f.local, data }])
      throw new Error('connection reset')
    })()
    const followed = await hashWhileWritten([f], download, 1)
    expect(followed[0]).to.include({ sha256: sha(data), bytes: 300_000 })
    await download.catch(() => undefined)
  })

  it('a file the failed download never created is read as empty, and the check calls it missing', async () => {
    const f = { local: path.join(dir, 'never'), size: 10 }
    const followed = await hashWhileWritten([f], (async () => { await tick(10); throw new Error('logon failure') })(), 1)
    expect(followed[0]).to.include({ sha256: sha(Buffer.alloc(0)), bytes: 0 })
    expect(await checkFollowed([f], followed)).to.deep.equal(['missing'])
  })

  it('a file the writer replaced (another inode) or changed after it was read is hashed again from its path', async () => {
    const files = [0, 1].map((i) => ({ local: path.join(dir, `r${i}`), size: 50_000, data: randomBytes(50_000) }))
    const download = writeInPlace(files)
    const followed = await hashWhileWritten(files, download, 1)
    await download
    // file 0: replaced by a rename (the followed inode is gone); file 1: appended to after the reading ended
    const other = randomBytes(50_000)
    writeFileSync(path.join(dir, 'new'), other)
    renameSync(path.join(dir, 'new'), files[0].local)
    await fsp.appendFile(files[1].local, 'x')
    expect(await checkFollowed(files, followed)).to.deep.equal([sha(other), sha(Buffer.concat([files[1].data, Buffer.from('x')]))])
  })
})
