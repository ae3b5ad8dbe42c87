/**
 * A container's files decoded in one read (ContainerReader.decode): the pipeline between the store file, the frame
 * workers, the digest thread and the caller's sink.
 *
 * Two loops run at once on the calling thread. The reading loop reads each frame into a free shared-memory slot
 * and hands it to the frame workers (frame-workers.ts: decrypted — so authenticated — and decompressed), up to
 * `window` frames ahead. Each frame goes to the digest thread (digest-thread.ts: the file's content SHA-256) as
 * soon as it is decoded, in order, and the delivering loop gives the frames in order to the sink; a slot is reused
 * once both are done with it. So reading, decoding, hashing and writing overlap: measured on a 2 GiB restore
 * (bench/capture, issue #15), the one loop that read, hashed and wrote in turn left a core idle, and hashing each
 * frame only with its write (both awaited before the next) cost ~0.3–0.7 s more CPU and wall than hashing ahead.
 *
 * The checks are those of a decode in series: every frame's flags and count, the SHA-256 of a file's stored frames
 * (versions 1 and 2, hashed as they are read) and of its content are checked against the catalog, and a file's
 * `end` comes only after its content digest matched. A mismatch throws USM0212 — or, with `onCorrupt`, reports the
 * file there (no `end` for it) and goes on with the next. The first error (a corrupt file without `onCorrupt`, the
 * sink's, a thread that died) stops both loops; frames still in flight give their slots back.
 */
import { createHash, type Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import type { UsmtStepsError } from '../runtime/errors.js'
import { BlockReader } from './block-reader.js'
import { corrupt, F_DEFLATED, F_LAST, FRAME_HEADER, writeFrameAad, writeNonce, type MigEntry } from './container-format.js'
import type { DigestThread } from './digest-thread.js'
import { FrameError, type FramePool, type FrameResult } from './frame-workers.js'

/** Where decoded files go. A chunk given to `data` is valid only until that call resolves. */
export interface DecodeSink {
  /** A file's first frame was read, authenticated and decoded. */
  begin(entry: MigEntry): Promise<unknown>
  data(entry: MigEntry, chunk: Buffer): Promise<void>
  /** All of the file was given to `data` and its content matched the catalog. */
  end(entry: MigEntry): Promise<void>
}

/** The open container a decode reads from. */
export interface DecodeSource {
  fh: FileHandle
  path: string
  /** Where the frames end (the catalog's offset). */
  limit: number
  storeId: Buffer
  encrypted: boolean
  /** Version 3: no stored-frames digest (every frame is authenticated instead). */
  framesAuthenticated: boolean
  pool: FramePool
  digests: DigestThread
}

/** One waiting loop, woken when the other changed something it waits for. */
class Signal {
  private waiter: (() => void) | null = null
  wait(): Promise<void> {
    return new Promise((resolve) => { this.waiter = resolve })
  }

  notify(): void {
    const w = this.waiter
    this.waiter = null
    w?.()
  }
}

/** Streams of the digest thread: one per file decoded, never reused. */
let nextStream = 0

export async function decodeFiles(
  src: DecodeSource,
  entries: readonly MigEntry[],
  sink: DecodeSink,
  window: number,
  onCorrupt?: (entry: MigEntry, err: UsmtStepsError) => void,
): Promise<void> {
  const sorted = [...entries].sort((a, b) => a.offset - b.offset)
  const reader = new BlockReader(src.fh, src.limit)
  const { pool, digests } = src
  interface FileRun { entry: MigEntry; stream: number; storedHash: Hash | null; total: number; failed: boolean }
  interface Job {
    file: FileRun; index: number; slot: number; last: boolean; result: Promise<FrameResult>
    /** The digest thread's answer for this frame (null for a frame that failed to decode: it is not hashed). */
    hashed: Promise<string | null>
  }
  /** Frames read and sent to the workers, not yet taken by the delivering loop. */
  const queue: Job[] = []
  /** Files whose digest stream is open (some content hashed, the last part not yet). */
  const hashing = new Set<FileRun>()
  const space = new Signal()
  const jobs = new Signal()
  let reading = true
  /** Settles once the last frame read so far was handed to the digest thread (or failed to decode). */
  let posted: Promise<void> = Promise.resolve()
  let stopped: { err: unknown } | null = null

  /** A corrupt file: thrown, or reported to onCorrupt (its remaining frames are skipped). */
  const bad = (file: FileRun, why: string): void => {
    const err = corrupt(src.path, `${file.entry.path}: ${why}`)
    if (!onCorrupt) throw err
    if (!file.failed) onCorrupt(file.entry, err)
    file.failed = true
  }

  const read = async (): Promise<void> => {
    for (const e of sorted) {
      reader.seek(e.offset)
      const file: FileRun = { entry: e, stream: nextStream++, storedHash: src.framesAuthenticated ? null : createHash('sha256'), total: 0, failed: false }
      if (e.frames === 0) {
        // Only a damaged catalog has a file without frames (every file has at least one, an empty file an empty one).
        bad(file, 'the catalog lists no frames for it')
        continue
      }
      for (let i = 0; i < e.frames && !file.failed; i++) {
        while (stopped === null && (!pool.hasFree || queue.length >= window)) await space.wait()
        if (stopped !== null) return
        if (file.failed) break
        const slot = await pool.acquire()
        let len = 0
        let flags = 0
        let why: string | null = null
        try {
          const head = await reader.read(FRAME_HEADER)
          file.storedHash?.update(head)
          len = head.readUInt32LE(0)
          flags = head.readUInt8(4)
          if (len > pool.region) why = `frame ${i} is larger than the container's frame size`
          else await reader.readInto(pool.view(slot, 0, len))
        } catch {
          why = `frame ${i} is truncated`
        }
        const last = (flags & F_LAST) !== 0
        if (why === null && last !== (i === e.frames - 1)) why = `frame ${i} has the wrong end marker`
        if (why !== null) {
          pool.release(slot)
          bad(file, why)
          break
        }
        file.storedHash?.update(pool.view(slot, 0, len))
        const deflated = (flags & F_DEFLATED) !== 0
        if (src.encrypted) {
          writeNonce(pool.nonce(slot), 0, e.firstFrame + i)
          writeFrameAad(pool.aad(slot), src.storeId, e.firstFrame, i, flags)
        }
        const result: Promise<FrameResult> = src.encrypted || deflated ? pool.run(slot, 1, len, deflated) : Promise.resolve({ region: 0, length: len, flags: 0 })
        result.catch(() => undefined)
        // To the digest thread as soon as it is decoded and the frames before it were sent (the thread hashes in
        // the order it is sent), whether or not they were written yet.
        const hashed = new Promise<string | null>((resolve, reject) => {
          posted = posted.then(() => result).then((r) => {
            hashing.add(file)
            try {
              digests.update(file.stream, pool.view(slot, r.region, r.length), last).then(resolve, reject)
            } catch (err) {
              reject(err)
            }
          }, () => resolve(null))
        })
        hashed.catch(() => undefined)
        queue.push({ file, index: i, slot, last, result, hashed })
        jobs.notify()
      }
    }
  }

  /** One frame, in order: to the digest thread and the sink at once; the file's end once its digest matched. */
  const deliver = async (j: Job): Promise<void> => {
    const f = j.file
    const e = f.entry
    let r: FrameResult
    try {
      r = await j.result
    } catch (err) {
      if (!(err instanceof FrameError)) throw err
      return bad(f, err.kind === 'auth' ? `frame ${j.index} failed authentication` : `frame ${j.index} cannot be decompressed (${err.message})`)
    }
    if (f.failed) return
    const buf = pool.view(j.slot, r.region, r.length)
    // A file begins (its destination is created) only once its first frame was read, authenticated and decoded.
    if (j.index === 0) await sink.begin(e)
    f.total += buf.length
    const [hashed, written] = await Promise.allSettled([j.hashed, sink.data(e, buf)])
    if (hashed.status === 'rejected') throw hashed.reason
    if (j.last) hashing.delete(f)
    if (written.status === 'rejected') throw written.reason
    if (!j.last) return
    if (f.storedHash && f.storedHash.digest('hex') !== e.storedSha256) return bad(f, 'stored data does not match its catalog digest')
    if (f.total !== e.size || hashed.value !== e.sha256) return bad(f, 'content does not match its catalog digest')
    await sink.end(e)
  }

  const deliverAll = async (): Promise<void> => {
    for (;;) {
      while (stopped === null && queue.length === 0 && reading) await jobs.wait()
      if (stopped !== null) return
      const j = queue.shift()
      if (j === undefined) return
      space.notify()
      try {
        await deliver(j)
      } finally {
        // The digest thread and the sink both read the slot: it is reused only after both are done with it.
        await j.hashed.catch(() => undefined)
        pool.release(j.slot)
        space.notify()
      }
    }
  }

  const stop = (err: unknown): void => {
    stopped ??= { err }
    space.notify()
    jobs.notify()
  }
  try {
    await Promise.all([
      read().catch(stop).finally(() => {
        reading = false
        jobs.notify()
      }),
      deliverAll().catch(stop).finally(() => space.notify()),
    ])
  } finally {
    // Stopped by an error: the frames still in flight give their slots back (the reader's pool is reused), and the
    // digest thread forgets the files it was hashing.
    for (const j of queue.splice(0)) {
      await j.result.catch(() => undefined)
      await j.hashed.catch(() => undefined)
      pool.release(j.slot)
    }
    for (const f of hashing) digests.update(f.stream, pool.mem.subarray(0, 0), true).catch(() => undefined)
  }
  if (stopped !== null) throw (stopped as { err: unknown }).err
}
