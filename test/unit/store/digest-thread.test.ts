import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import { DigestThread } from '../../../src/store/digest-thread.js'

describe('store/digest-thread: content SHA-256 on a thread of its own', () => {
  it('hashes interleaved streams part by part, from the shared memory, as createHash would', async () => {
    const mem = Buffer.from(new SharedArrayBuffer(1 << 16))
    const d = new DigestThread(mem)
    try {
      const a = randomBytes(5000)
      const b = Buffer.from('text '.repeat(900))
      // Each part is copied into the shared memory, hashed, and its room reused for the next one.
      const part = async (stream: number, bytes: Buffer, at: number, last: boolean): Promise<string | null> => {
        bytes.copy(mem, at)
        return d.update(stream, mem.subarray(at, at + bytes.length), last)
      }
      expect(await part(1, a.subarray(0, 1000), 0, false)).to.equal(null)
      expect(await part(2, b.subarray(0, 3000), 100, false)).to.equal(null)
      expect(await part(1, a.subarray(1000, 4999), 0, false)).to.equal(null)
      expect(await part(3, Buffer.alloc(0), 0, true), 'an empty file').to.equal(createHash('sha256').digest('hex'))
      expect(await part(1, a.subarray(4999), 7, true)).to.equal(createHash('sha256').update(a).digest('hex'))
      expect(await part(2, b.subarray(3000), 60_000, true)).to.equal(createHash('sha256').update(b).digest('hex'))
      // A stream is forgotten after its last part: the same number starts a new one.
      expect(await part(1, b, 0, true)).to.equal(createHash('sha256').update(b).digest('hex'))
      expect(() => d.update(4, Buffer.from(new SharedArrayBuffer(16)), true)).to.throw('not in the digest thread\'s memory')
      expect(() => new DigestThread(Buffer.alloc(16))).to.throw('shared memory only')
    } finally {
      await d.close()
    }
  })

  it('a stopped thread rejects every part sent to it, naming the thread', async () => {
    const mem = Buffer.from(new SharedArrayBuffer(64))
    const d = new DigestThread(mem)
    expect(await d.update(1, mem.subarray(0, 10), true)).to.equal(createHash('sha256').update(Buffer.alloc(10)).digest('hex'))
    await d.close()
    const err = await d.update(2, mem.subarray(0, 10), true).then(() => null, (e: unknown) => e)
    expect((err as Error).message).to.match(/^the content digest thread stopped \(exit code \d+\)$/)
  })
})
