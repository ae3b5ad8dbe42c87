/**
 * One worker thread that answers messages in the order they are sent: the hard-link thread of a capture
 * (src/store/link-pipeline.ts), the stat thread of a preview (src/engine/scan-ahead.ts) and the content-digest
 * thread of a store's restore (src/store/digest-thread.ts). The stat thread gets a batch as one string and the
 * link thread as UTF-8 bytes (copying either costs a fraction of cloning an array of thousands); the digest
 * thread small arrays that point into shared memory (`workerData`). The thread runs `code` (CommonJS, evaluated:
 * no separate file, so a bundled build needs nothing extra), which must answer every message with exactly one
 * `parentPort.postMessage`. A thread that fails or ends with messages outstanding (killed, out of memory) rejects
 * them all, and every later one, with that error, so no caller is left waiting. An idle thread does not keep the
 * process alive; one with a message outstanding does (its caller awaits the answer).
 */
import { Worker } from 'node:worker_threads'

export class BatchThread<A, M = string> {
  private readonly worker: Worker
  private readonly waiting: Array<{ resolve: (a: A) => void; reject: (e: unknown) => void }> = []
  private failedWith: unknown = null
  /** Set to 1 by the thread once it has run `code` (shared memory: readable without a turn of the event loop). */
  private readonly started = new Int32Array(new SharedArrayBuffer(4))

  /**
   * `name` says which thread stopped in the error of an unexpected exit; `code` finds `opts.workerData`'s fields in
   * its `workerData` (beside `started`, this class's own).
   */
  constructor(code: string, name: string, opts: { workerData?: Record<string, unknown> } = {}) {
    // execArgv: [] — the inline code is a CommonJS script whatever flags started the process (--input-type=module…).
    this.worker = new Worker(`${code}\n;Atomics.store(require('node:worker_threads').workerData.started, 0, 1)\n`, {
      eval: true, workerData: { ...opts.workerData, started: this.started }, execArgv: [],
    })
    this.worker.on('message', (a: A) => {
      this.waiting.shift()?.resolve(a)
      if (this.waiting.length === 0) this.worker.unref()
    })
    const stop = (err: unknown): void => {
      this.failedWith ??= err
      for (const w of this.waiting.splice(0)) w.reject(this.failedWith)
    }
    this.worker.on('error', stop)
    this.worker.on('exit', (exitCode) => stop(new Error(`the ${name} thread stopped (exit code ${exitCode})`)))
    // After the listeners: adding a 'message' listener refs the worker again (it kept an idle thread's process alive).
    this.worker.unref()
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

  /** Send one message; resolves with the thread's answer to it. */
  send(message: M): Promise<A> {
    if (this.failedWith !== null) return Promise.reject(this.failedWith)
    const answer = new Promise<A>((resolve, reject) => this.waiting.push({ resolve, reject }))
    if (this.waiting.length === 1) this.worker.ref()
    this.worker.postMessage(message)
    return answer
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}
