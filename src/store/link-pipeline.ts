/**
 * Hard links made on a background thread while the capture's scan goes on. Linking 200,000 files is almost
 * all kernel time in link(2); the rule engine's walk is almost all CPU on the main thread. Run one after the
 * other they add up; with the links on a worker thread they overlap (bench/capture: `scanstate /hardlink`).
 *
 * One worker, synchronous link(2) calls in order, batches of about 1,000 files: libuv's thread pool
 * (`fs.link` with several calls in flight) measured two to three times slower on ext4 than one thread
 * calling link(2) in a loop, so the pool is not used. Outcomes come back per batch, in order; a file's
 * failure carries its errno error (ENOENT, EACCES, EXDEV…) for the caller's /c and ErrorControl decision.
 * The worker is a BatchThread (src/runtime/batch-thread.ts) started from inline code. Its start-up (a new V8
 * isolate and Node's bootstrap: 50–100 ms of CPU here) is not waited for: the CLI's entry starts the thread before
 * the command's modules load (`startLinkThread`, src/cli/warm-up.ts), or the store starts it before the scan, and the
 * batches completed before the thread is ready are linked on the calling thread.
 *
 * Nothing of a queued file stays on the JavaScript heap while its link is in flight: its store folder, source and
 * destination are written as UTF-8 into the batch's message (bytes, sent to the thread), and the line the caller
 * wants back once the link is made (the store's catalog row) into the batch's lines (bytes too). What is alive
 * on the heap at a garbage collection is copied, and V8 doubles its young generation when that adds up: a pipeline
 * that held each file's object for the length of its batch's round trip made the peak memory of a capture grow
 * with the number of files (bench/scale). The buffers are reused from batch to batch.
 */
import { linkSync, mkdirSync } from 'node:fs'
import { BatchThread } from '../runtime/batch-thread.js'

/**
 * The link work of one batch, as source text: for each [folder to create or '', source, destination] make the
 * folder, then link; returns the failures. The link thread runs it, and so does the calling thread for the
 * batches it links itself while the thread starts (one text, so both do exactly the same).
 */
const LINK_OPS = `(linkSync, mkdirSync) => (ops) => {
  const failures = []
  for (let i = 0, k = 0; i + 2 < ops.length; i += 3, k++) {
    try {
      const dir = ops[i]
      if (dir !== '') {
        try { mkdirSync(dir) } catch (e) {
          if (e.code === 'ENOENT') mkdirSync(dir, { recursive: true })
          else if (e.code !== 'EEXIST') throw e
        }
      }
      linkSync(ops[i + 1], ops[i + 2])
    } catch (e) {
      failures.push([k, String(e.code || ''), String(e.message), String(e.syscall || ''), String(e.path || '')])
    }
  }
  return failures
}`

/** A batch's message as the triples' fields: UTF-8, each field followed by a NUL (no path holds one). */
const OPS_OF = `(bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').split('\\0')`

/** The worker: a batch comes as bytes (cloning them costs a memory copy; an array of thousands of strings, much more). */
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads')
const { linkSync, mkdirSync } = require('node:fs')
const linkOps = (${LINK_OPS})(linkSync, mkdirSync)
const opsOf = ${OPS_OF}
parentPort.on('message', (bytes) => parentPort.postMessage(linkOps(opsOf(bytes))))
`

type Failure = [index: number, code: string, message: string, syscall: string, path: string]

/** LINK_OPS and OPS_OF on this thread. */
const linkHere = (new Function(`return ${LINK_OPS}`) as () => (l: typeof linkSync, m: typeof mkdirSync) => (ops: readonly string[]) => Failure[])()(linkSync, mkdirSync)
const opsOf = (new Function(`return ${OPS_OF}`) as () => (bytes: Uint8Array) => string[])()

/** Text written as UTF-8 into a buffer that grows as needed (native memory: not on the JavaScript heap). */
class Bytes {
  buf: Buffer
  used = 0

  constructor(size = 64 << 10) {
    this.buf = Buffer.allocUnsafeSlow(size)
  }

  write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const need = this.used + text.length * 3
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2))
      this.buf.copy(bigger, 0, 0, this.used)
      this.buf = bigger
    }
    this.used += this.buf.write(text, this.used, 'utf8')
  }

  get bytes(): Buffer {
    return this.buf.subarray(0, this.used)
  }
}

/** A file that was not linked: its position in the batch, and why. */
export interface LinkFailure {
  index: number
  error: unknown
}

interface Batch {
  /** Files queued in the batch (linked or not), and their bytes. */
  count: number
  bytes: number
  /** Files that failed before linking (a path that cannot be stored), in order. */
  early: LinkFailure[]
  /** The message: [folder, source, destination] per file to link, and the position in the batch of each. */
  ops: Bytes
  opFile: number[]
  /** Every file's line, each after a line break, in order. */
  lines: Bytes
  result?: Promise<Failure[]>
  done: boolean
}

/**
 * The outcome of one batch of queued files, in the order queued: `count` files, of which all but `failed` were
 * linked; `lines` holds every file's line (UTF-8, each after a line break: a catalog appends it as it is), valid
 * until the next batch is read. `bytes` counts every file of the batch, as queued.
 */
export interface LinkBatch {
  count: number
  bytes: number
  lines: Buffer
  failed: readonly LinkFailure[]
}

/** A new link thread (its code: WORKER_CODE). */
const newLinkThread = (): BatchThread<Failure[], Uint8Array> => new BatchThread<Failure[], Uint8Array>(WORKER_CODE, 'hard-link')

/** A link thread started before the capture's modules were loaded (`startLinkThread`), for the next LinkPipeline. */
let early: BatchThread<Failure[], Uint8Array> | null = null

/**
 * Start the link thread now, for the LinkPipeline a capture makes later: the CLI's entry calls it for a
 * `scanstate /hardlink` before it loads the command's modules (src/cli/warm-up.ts), so the thread's start-up
 * (a V8 isolate and Node's bootstrap) runs on the other core while the rule engine loads, and the scan's first
 * batches go to a thread that is ready. Unused, it costs its start-up and does not keep the process alive.
 * Returns the thread's `ready` (true once it has started).
 */
export function startLinkThread(): { readonly ready: boolean } {
  early ??= newLinkThread()
  return early
}

export class LinkPipeline {
  private readonly thread: BatchThread<Failure[], Uint8Array>
  private readonly spareOps: Bytes[] = []
  private readonly spareLines: Bytes[] = []
  private current: Batch
  private readonly sent: Batch[] = []
  private unsettled = 0

  constructor(private readonly batchSize = 256) {
    this.thread = early !== null && early.failed === null ? early : newLinkThread()
    early = null
    this.current = this.newBatch()
  }

  private newBatch(): Batch {
    return { count: 0, bytes: 0, early: [], ops: this.spareOps.pop() ?? new Bytes(), opFile: [], lines: this.spareLines.pop() ?? new Bytes(), done: false }
  }

  /**
   * Queue a link; `dir` is a store folder to create first ('' when it exists already), `line` the text to have
   * back once the link is made (no line break in it), `bytes` the file's size (summed per batch).
   */
  push(dir: string, src: string, dest: string, line: string, bytes: number): void {
    const b = this.current
    b.opFile.push(b.count++)
    b.bytes += bytes
    b.ops.write(`${dir}\0${src}\0${dest}\0`)
    b.lines.write(`\n${line}`)
    if (b.count >= this.batchSize) this.flush()
  }

  /** Queue a file that already failed (its outcome keeps its place in the order). */
  pushFailed(line: string, bytes: number, error: unknown): void {
    const b = this.current
    b.early.push({ index: b.count++, error })
    b.bytes += bytes
    b.lines.write(`\n${line}`)
    if (b.count >= this.batchSize) this.flush()
  }

  /** Send the current batch to the worker. */
  flush(): void {
    const b = this.current
    if (b.count === 0) return
    this.current = this.newBatch()
    // Until the thread has started (its start-up takes tens of milliseconds) the links are made here, so the scan's
    // first batches do not wait for it; from then on every batch goes to the thread, so they stay in order.
    const here = this.thread.failed === null && (b.ops.used === 0 || !this.thread.ready)
    // postMessage copies the bytes: the buffer is free again as soon as the batch is sent.
    b.result = here ? Promise.resolve(linkHere(opsOf(b.ops.bytes))) : this.thread.send(b.ops.bytes)
    b.ops.used = 0
    this.spareOps.push(b.ops)
    b.result.catch(() => undefined)
    this.unsettled++
    void b.result.then(() => undefined, () => undefined).then(() => {
      b.done = true
      this.unsettled--
    })
    this.sent.push(b)
  }

  /** Whether the link thread has started: batches completed from then on are linked there. */
  get threadReady(): boolean {
    return this.thread.ready
  }

  /** Files queued and not sent, or batches sent and not read by outcomes(). */
  get pending(): boolean {
    return this.current.count > 0 || this.sent.length > 0
  }

  /** Batches sent and not answered yet. */
  get backlog(): number {
    return this.unsettled
  }

  /** Wait until at most `max` batches are unanswered (bounds the memory of a scan that runs ahead). */
  async drain(max: number): Promise<void> {
    while (this.unsettled > max) {
      const oldest = this.sent.find((b) => !b.done)
      if (!oldest) return
      await oldest.result?.catch(() => undefined)
      await Promise.resolve()
    }
  }

  /** Batches sent to the worker whose outcomes were not read yet. */
  get unread(): number {
    return this.sent.length
  }

  /**
   * The outcomes of the queued files, in the order queued, a batch (up to `batchSize` files) at a time. `keep` = 0
   * (the end of a scan) sends what is still queued and reads everything; `keep` > 0 (during a scan) reads the
   * oldest batches until `keep` remain, so a scan holds a bounded number of files however many it finds.
   */
  async *outcomes(keep = 0): AsyncGenerator<LinkBatch> {
    if (keep === 0) this.flush()
    while (this.sent.length > keep) {
      const b = this.sent.shift() as Batch
      const failures = await (b.result as Promise<Failure[]>)
      let failed = b.early
      if (failures.length > 0) {
        const late = failures.map(([k, code, message, syscall, path]): LinkFailure => ({ index: b.opFile[k], error: Object.assign(new Error(message), { code, syscall, path }) }))
        failed = failed.length === 0 ? late : [...failed, ...late].sort((x, y) => x.index - y.index)
      }
      yield { count: b.count, bytes: b.bytes, lines: b.lines.bytes, failed }
      b.lines.used = 0
      this.spareLines.push(b.lines)
    }
  }

  /** Stop the worker (after the outcomes were read, or to abandon the capture). */
  async close(): Promise<void> {
    await this.thread.close()
  }
}
