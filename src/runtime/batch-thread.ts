/**
 * One worker thread that answers batches in the order they are sent: the hard-link thread of a capture
 * (src/store/link-pipeline.ts) and the stat thread of a preview (src/engine/scan-ahead.ts). A batch goes to the
 * thread as one string (copying one string costs a fraction of cloning an array of thousands); the thread runs
 * `code` (CommonJS, evaluated: no separate file, so a bundled build needs nothing extra), which must answer every
 * message with exactly one `parentPort.postMessage`. A thread that fails or ends with batches outstanding (killed,
 * out of memory) rejects them all, and every later one, with that error, so no caller is left waiting.
 */
import { Worker } from 'node:worker_threads'

export class BatchThread<A> {
  private readonly worker: Worker
  private readonly waiting: Array<{ resolve: (a: A) => void; reject: (e: unknown) => void }> = []
  private failedWith: unknown = null
  /** Set to 1 by the thread once it has run `code` (shared memory: readable without a turn of the event loop). */
  private readonly started = new Int32Array(new SharedArrayBuffer(4))

  /** `name` says which thread stopped in the error of an unexpected exit. */
  constructor(code: string, name: string) {
    this.worker = new Worker(`${code}\n;Atomics.store(require('node:worker_threads').workerData, 0, 1)\n`, { eval: true, workerData: this.started })
    this.worker.unref()
    this.worker.on('message', (a: A) => this.waiting.shift()?.resolve(a))
    const stop = (err: unknown): void => {
      this.failedWith ??= err
      for (const w of this.waiting.splice(0)) w.reject(this.failedWith)
    }
    this.worker.on('error', stop)
    this.worker.on('exit', (exitCode) => stop(new Error(`the ${name} thread stopped (exit code ${exitCode})`)))
  }

  /**
   * True once the thread has started and run its code: a batch sent now is answered without waiting for the
   * thread's start-up (tens of milliseconds), so a caller may do its first batches itself until then.
   */
  get ready(): boolean {
    return Atomics.load(this.started, 0) === 1
  }

  /** The error the thread stopped with, or null while it runs. */
  get failed(): unknown {
    return this.failedWith
  }

  /** Send one batch; resolves with the thread's answer to it. */
  send(text: string): Promise<A> {
    if (this.failedWith !== null) return Promise.reject(this.failedWith)
    const answer = new Promise<A>((resolve, reject) => this.waiting.push({ resolve, reject }))
    this.worker.postMessage(text)
    return answer
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}
