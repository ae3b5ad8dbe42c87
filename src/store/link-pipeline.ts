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
 * isolate and Node's bootstrap: 50–100 ms of CPU here) is not waited for: the store starts the thread before the
 * scan, and the batches completed before the thread is ready are linked on the calling thread.
 */
import { linkSync, mkdirSync } from 'node:fs'
import { BatchThread } from '../runtime/batch-thread.js'
import type { SourceFile } from './types.js'

/**
 * The link work of one batch, as source text: for each [folder to create or '', source, destination] make the
 * folder, then link; returns the failures. The link thread runs it, and so does the calling thread for the
 * batches it links itself while the thread starts (one text, so both do exactly the same).
 */
const LINK_OPS = `(linkSync, mkdirSync) => (ops) => {
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
  return failures
}`

/**
 * The worker: a batch comes as one string, the triples' fields separated by NUL (no path holds one): copying one
 * string to the thread costs a fraction of cloning an array of thousands.
 */
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads')
const { linkSync, mkdirSync } = require('node:fs')
const linkOps = (${LINK_OPS})(linkSync, mkdirSync)
parentPort.on('message', (text) => parentPort.postMessage(linkOps(text.split('\\0'))))
`

type Failure = [index: number, code: string, message: string, syscall: string, path: string]

/** LINK_OPS on this thread. */
const linkHere = (new Function(`return ${LINK_OPS}`) as () => (l: typeof linkSync, m: typeof mkdirSync) => (ops: readonly string[]) => Failure[])()(linkSync, mkdirSync)

interface Batch {
  files: SourceFile[]
  /** Errors known before linking (a path that cannot be stored), by index in `files`; null when none. */
  early: Map<number, unknown> | null
  /** Flat [folder, source, destination] triples, and the index in `files` of each triple. */
  ops: string[]
  opFile: number[]
  result?: Promise<Failure[]>
  done: boolean
}

/**
 * The outcome of one batch of queued files, in the order queued: every file in `files` was linked except those
 * in `errors` (index in `files` → its error). No object per file: a capture of many files reads them as they come.
 */
export interface LinkBatch {
  files: readonly SourceFile[]
  errors: ReadonlyMap<number, unknown>
}

const NO_ERRORS: ReadonlyMap<number, unknown> = new Map()

const newBatch = (): Batch => ({ files: [], early: null, ops: [], opFile: [], done: false })

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
    const b = this.current
    ;(b.early ??= new Map()).set(b.files.length, error)
    b.files.push(file)
    if (b.files.length >= this.batchSize) this.flush()
  }

  /** Send the current batch to the worker. */
  flush(): void {
    const b = this.current
    if (b.files.length === 0) return
    this.current = newBatch()
    // Until the thread has started (its start-up takes tens of milliseconds) the links are made here, so the scan's
    // first batches do not wait for it; from then on every batch goes to the thread, so they stay in order.
    const here = this.thread.failed === null && (b.ops.length === 0 || !this.thread.ready)
    b.result = here ? Promise.resolve(linkHere(b.ops)) : this.thread.send(b.ops.join('\0'))
    b.result.catch(() => undefined)
    this.unsettled++
    void b.result.then(() => undefined, () => undefined).then(() => {
      b.done = true
      this.unsettled--
    })
    b.ops = []
    this.sent.push(b)
  }

  /** Whether the link thread has started: batches completed from then on are linked there. */
  get threadReady(): boolean {
    return this.thread.ready
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
  async *outcomes(keep = 0): AsyncGenerator<LinkBatch> {
    if (keep === 0) this.flush()
    while (this.sent.length > keep) {
      const b = this.sent.shift() as Batch
      const failures = await (b.result as Promise<Failure[]>)
      let errors = b.early ?? NO_ERRORS
      if (failures.length > 0) {
        const all = new Map(errors)
        for (const [k, code, message, syscall, path] of failures) all.set(b.opFile[k], Object.assign(new Error(message), { code, syscall, path }))
        errors = all
      }
      yield { files: b.files, errors }
    }
  }

  /** Stop the worker (after the outcomes were read, or to abandon the capture). */
  async close(): Promise<void> {
    await this.thread.close()
  }
}
