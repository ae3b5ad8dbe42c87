/**
 * `scan` (src/engine/evaluate.ts) with the captured files' stats made on a worker thread. A preview of 200k files
 * spends about as long in `lstat` (kernel time, one call per captured file) as in its own JavaScript; on the main
 * thread they add up, with the stats on a second thread they overlap: the walk reads and decides the next folders
 * while the thread stats the previous ones. One thread calling `lstat` in a loop, batches of about 1,000 paths as
 * one NUL-separated string, results as one Float64Array: libuv's thread pool (`fs.lstat` per file) was measured
 * here at ~10 µs of CPU per call, more than the call itself (the same finding as the hard-link thread,
 * src/store/link-pipeline.ts).
 *
 * The sink receives what `scan` gives it, in the same order: each folder's warnings of the walk, then its files in
 * name order, then the registry decisions; a file's stat carries the fields of `FileStat` with the values `lstat`
 * (a link to a file: `stat` of its target) gave. test/unit/engine/scan-ahead.test.ts compares both scans.
 */
import { BatchThread } from '../runtime/batch-thread.js'
import type { EngineWarning } from './contract.js'
import type { Decision } from './decide.js'
import { captureFilters, decideFile, deliverFile, scanFolders, type FileStat, type Prepared, type ScanSink, type ScanWork } from './evaluate.js'
import { scanRegistry } from './registry.js'

/**
 * A batch is one string of NUL-separated items: `\u0002FOLDER/` sets the folder of the names that follow (each
 * name is stat'ed with lstat as FOLDER/name), `\u0001PATH` is a link's target (stat'ed with stat). Per stat'ed
 * item the answer holds the fields of FileStat in this order; a failed stat is listed in `errors` (its index among
 * the stat'ed items, code, message). Sending each folder once keeps the string (copied to the thread) short.
 */
const FIELDS = 7
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads')
const { lstatSync, statSync } = require('node:fs')
parentPort.on('message', (text) => {
  const items = text.split('\\0')
  const out = new Float64Array(items.length * ${FIELDS})
  const errors = []
  let prefix = ''
  for (let k = 0, i = 0; k < items.length; k++) {
    const p = items[k]
    const kind = p.charCodeAt(0)
    if (kind === 2) {
      prefix = p.slice(1)
      continue
    }
    try {
      const st = kind === 1 ? statSync(p.slice(1)) : lstatSync(prefix + p)
      const o = i * ${FIELDS}
      out[o] = st.size; out[o + 1] = st.mode; out[o + 2] = st.uid; out[o + 3] = st.gid
      out[o + 4] = st.mtimeMs; out[o + 5] = st.atimeMs; out[o + 6] = st.birthtimeMs
    } catch (e) {
      errors.push([i, String(e.code || ''), String(e.message)])
    }
    i++
  }
  parentPort.postMessage({ out, errors }, [out.buffer])
})
`

interface StatAnswer { out: Float64Array; errors: Array<[number, string, string]> }

/** Paths sent together (at folder ends, so a folder's files are in one batch). */
const BATCH = 1024
/** Decisions held for one batch at most (a walk through excluded files only stats nothing, but must not run ahead without bound). */
const HELD = 4 * BATCH
/** Batches sent and not delivered yet: the walk runs at most this far ahead. */
const AHEAD = 2

/** The thread (exported for its test). */
export class StatThread {
  private readonly thread = new BatchThread<StatAnswer>(WORKER_CODE, 'stat')

  /** Stat the items of a batch (see WORKER_CODE). */
  stat(items: readonly string[]): Promise<StatAnswer> {
    if (items.length === 0) return Promise.resolve({ out: new Float64Array(0), errors: [] })
    return this.thread.send(items.join('\0'))
  }

  close(): void {
    void this.thread.close()
  }
}

/** A folder decided: the walk's warnings before it, its files' decisions, where its captured files' stats will be. */
interface FolderJob {
  warnings: EngineWarning[]
  work: ScanWork | null
  names: string[]
  decisions: Decision[]
  /** Per decision, the index of its stat in the batch (-1: not captured, no stat). */
  slots: number[]
  batch: Batch
}

interface Batch {
  /** The items of the batch string. */
  items: string[]
  /** How many of them are stat'ed (the index of the next one's answer). */
  stats: number
  /** The folder the names pushed last belong to. */
  prefix: string
  answer?: Promise<StatAnswer>
}

const newBatch = (): Batch => ({ items: [], stats: 0, prefix: '' })

function statOf(a: StatAnswer, errors: Map<number, [string, string]>, slot: number): FileStat | Error {
  const e = errors.get(slot)
  if (e !== undefined) return Object.assign(new Error(e[1]), { code: e[0] || undefined })
  const o = slot * FIELDS
  const out = a.out
  return { size: out[o], mode: out[o + 1], uid: out[o + 2], gid: out[o + 3], mtimeMs: out[o + 4], atimeMs: out[o + 5], birthtimeMs: out[o + 6] }
}

/**
 * Scan to the end, as `scanAll(p, sink)` does, with the stats on a thread. `afterFolder` runs after each folder is
 * delivered (a consumer waits there for its output to drain).
 */
export async function scanAhead(p: Prepared, sink: ScanSink, afterFolder?: () => Promise<void> | void): Promise<void> {
  const thread = new StatThread()
  const filters = captureFilters()
  const queue: FolderJob[] = []
  let batch: Batch = newBatch()
  let sent = 0
  let decidedSince = 0
  let held: EngineWarning[] = []
  const send = (): void => {
    batch.answer = thread.stat(batch.items)
    batch.answer.catch(() => undefined) // awaited when its folders are delivered
    batch = newBatch()
    sent++
  }
  /** Deliver the folders of the oldest sent batch. */
  const deliverOldest = async (): Promise<void> => {
    const b = queue[0].batch
    const a = await (b.answer as Promise<StatAnswer>)
    const errors = new Map(a.errors.map(([i, code, message]) => [i, [code, message] as [string, string]]))
    while (queue.length > 0 && queue[0].batch === b) {
      const job = queue.shift() as FolderJob
      for (const w of job.warnings) sink.warning(w)
      const work = job.work
      if (work !== null) {
        for (let i = 0; i < job.names.length; i++) {
          const slot = job.slots[i]
          deliverFile(p, work, job.names[i], job.decisions[i], slot < 0 ? undefined : statOf(a, errors, slot), sink)
        }
      }
      await afterFolder?.()
    }
    sent--
  }
  try {
    for (const work of scanFolders(p, (w) => held.push(w))) {
      const job: FolderJob = { warnings: held, work, names: [], decisions: [], slots: [], batch }
      held = []
      if (work !== null) {
        for (const name of work.f.files) {
          const d = decideFile(p, work, name, filters)
          if (d === null) continue
          job.names.push(name)
          job.decisions.push(d)
          if (!d.included) {
            job.slots.push(-1)
            continue
          }
          job.slots.push(batch.stats++)
          const target = work.f.linkTargets?.get(name)
          if (target !== undefined) {
            batch.items.push(`\u0001${target}`)
            continue
          }
          if (batch.prefix !== work.f.localPrefix) batch.items.push(`\u0002${(batch.prefix = work.f.localPrefix)}`)
          batch.items.push(name)
        }
      }
      queue.push(job)
      decidedSince += job.names.length
      // send at a folder's end once enough is waiting: paths to stat, or decisions held (exclusions need no stat)
      if (batch.stats >= BATCH || decidedSince >= HELD) {
        decidedSince = 0
        send()
        while (sent > AHEAD) await deliverOldest()
      }
    }
    // the folders decided since the last batch was sent (with or without files to stat) wait for this one
    if (queue.length > 0 && queue[queue.length - 1].batch === batch) send()
    while (queue.length > 0) await deliverOldest()
  } finally {
    thread.close()
  }
  for (const w of held) sink.warning(w)
  if (sink.registry) scanRegistry(p.units, p.contexts, p.registry, sink.registry)
}
