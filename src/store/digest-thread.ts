/**
 * SHA-256 of restored content on a thread of its own, so the thread that reads the container and writes the
 * destination files does not also hash every byte (bench/capture, issue #15: hashing 2 GiB is ~1.2 s of CPU, and
 * on the restore's main thread it ran in series with the reads and writes).
 *
 * The bytes stay where the frame workers decoded them, in the FramePool's shared memory (frame-workers.ts): a
 * message names a stream (one file's content), where its next part lies in that memory, and whether it is the last
 * part. The thread answers every message in order (a BatchThread, src/runtime/batch-thread.ts): null once the part
 * is hashed (its slot may be reused), the stream's hex digest after its last part. A thread that dies rejects every
 * outstanding and later part, so a file is never reported restored without its digest.
 */
import { BatchThread } from '../runtime/batch-thread.js'

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const mem = Buffer.from(workerData.sab)
const open = new Map()
parentPort.on('message', ([stream, start, length, last]) => {
  let h = open.get(stream)
  if (h === undefined) { h = createHash('sha256'); open.set(stream, h) }
  if (length > 0) h.update(mem.subarray(start, start + length))
  if (!last) return parentPort.postMessage(null)
  open.delete(stream)
  parentPort.postMessage(h.digest('hex'))
})
`

type Part = [stream: number, start: number, length: number, last: boolean]

/** One digest thread over one block of shared memory. */
export class DigestThread {
  private readonly thread: BatchThread<string | null, Part>

  constructor(private readonly mem: Buffer) {
    if (!(mem.buffer instanceof SharedArrayBuffer)) throw new Error('the digest thread reads shared memory only')
    this.thread = new BatchThread<string | null, Part>(WORKER_CODE, 'content digest', { workerData: { sab: mem.buffer } })
  }

  /**
   * Add `part` (a view of the shared memory) to `stream`; resolves once it is hashed — with the stream's SHA-256 in
   * hex when `last` (the stream is then forgotten), else null. A stream given up half-way is ended with `last` too.
   */
  update(stream: number, part: Buffer, last: boolean): Promise<string | null> {
    // The thread sees the whole shared buffer: `start` is where the part lies in it, not in `mem` (which may begin later).
    const start = part.byteOffset
    if (part.buffer !== this.mem.buffer || start < this.mem.byteOffset || start + part.length > this.mem.byteOffset + this.mem.length) {
      throw new Error('the part is not in the digest thread\'s memory')
    }
    return this.thread.send([stream, start, part.length, last])
  }

  async close(): Promise<void> {
    await this.thread.close()
  }
}
