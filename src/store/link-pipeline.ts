/**
 * Hard links made on a background thread while the capture's scan goes on. Linking 200,000 files is almost
 * all kernel time in link(2); the rule engine's walk is almost all CPU on the main thread. Run one after the
 * other they add up; with the links on a worker thread they overlap (bench/capture: `scanstate /hardlink`).
 *
 * One worker, synchronous link(2) calls in order, batches of about 1,000 files: libuv's thread pool
 * (`fs.link` with several calls in flight) measured two to three times slower on ext4 than one thread
 * calling link(2) in a loop, so the pool is not used. Outcomes come back per batch, in order; a file's
 * failure carries its errno error (ENOENT, EACCES, EXDEV…) for the caller's /c and ErrorControl decision.
 * The worker is a BatchThread (src/runtime/batch-thread.ts) started from inline code.
 */
import { BatchThread } from '../runtime/batch-thread.js'
import type { SourceFile } from './types.js'

/**
 * The worker: for each [folder to create or '', source, destination] make the folder, then link. A batch comes
 * as one string, the triples' fields separated by NUL (no path holds one): copying one string to the thread
 * costs a fraction of cloning an array of thousands.
 */
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads')
const { linkSync, mkdirSync } = require('node:fs')
parentPort.on('message', (text) => {
  const ops = text.split('\\0')
  const failures = []
  for (let i = 0, k = 0; i < ops.length; i += 3, k++) {
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
  parentPort.postMessage(failures)
})
`

type Failure = [index: number, code: string, message: string, syscall: string, path: string]

interface Batch {
  files: SourceFile[]
  /** Errors known before linking (a path that cannot be stored), by index in `files`. */
  early: Map<number, unknown>
  /** Flat [folder, source, destination] triples, and the index in `files` of each triple. */
  ops: string[]
  opFile: number[]
  result?: Promise<Failure[]>
  done: boolean
}

export interface LinkOutcome {
  file: SourceFile
  /** null when the link was made. */
  error: unknown
}

const newBatch = (): Batch => ({ files: [], early: new Map(), ops: [], opFile: [], done: false })

export class LinkPipeline {
  private readonly thread = new BatchThread<Failure[]>(WORKER_CODE, 'hard-link')
  private current: Batch = newBatch()
  private readonly sent: Batch[] = []
  private unsettled = 0

  constructor(private readonly batchSize = 256) {}

  /** Queue a link; `dir` is a store folder to create first ('' when it exists already). */
  push(file: SourceFile, dir: string, dest: string): void {
    const b = this.current
    b.opFile.push(b.files.length)
    b.files.push(file)
    b.ops.push(dir, file.localPath, dest)
    if (b.files.length >= this.batchSize) this.flush()
  }

  /** Queue a file that already failed (its outcome keeps its place in the order). */
  pushFailed(file: SourceFile, error: unknown): void {
    this.current.early.set(this.current.files.length, error)
    this.current.files.push(file)
    if (this.current.files.length >= this.batchSize) this.flush()
  }

  /** Send the current batch to the worker. */
  flush(): void {
    const b = this.current
    if (b.files.length === 0) return
    this.current = newBatch()
    b.result = b.ops.length === 0 && this.thread.failed === null ? Promise.resolve([]) : this.thread.send(b.ops.join('\0'))
    b.result.catch(() => undefined)
    this.unsettled++
    void b.result.then(() => undefined, () => undefined).then(() => {
      b.done = true
      this.unsettled--
    })
    b.ops = []
    this.sent.push(b)
  }

  /** Files queued and not sent, or batches sent and not read by outcomes(). */
  get pending(): boolean {
    return this.current.files.length > 0 || this.sent.length > 0
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
   * Queued files with their outcomes, in the order queued, a batch (up to `batchSize` files) at a time. `keep` = 0
   * (the end of a scan) sends what is still queued and reads everything; `keep` > 0 (during a scan) reads the
   * oldest batches until `keep` remain, so a scan holds a bounded number of files however many it finds.
   */
  async *outcomes(keep = 0): AsyncGenerator<LinkOutcome[]> {
    if (keep === 0) this.flush()
    while (this.sent.length > keep) {
      const b = this.sent.shift() as Batch
      const failures = await (b.result as Promise<Failure[]>)
      const byFile = new Map<number, unknown>(b.early)
      for (const [k, code, message, syscall, path] of failures) {
        byFile.set(b.opFile[k], Object.assign(new Error(message), { code, syscall, path }))
      }
      const out: LinkOutcome[] = new Array(b.files.length)
      for (let i = 0; i < b.files.length; i++) out[i] = { file: b.files[i], error: byFile.size ? byFile.get(i) ?? null : null }
      yield out
    }
  }

  /** Stop the worker (after the outcomes were read, or to abandon the capture). */
  async close(): Promise<void> {
    await this.thread.close()
  }
}
