/**
 * A store's container file, written front to back and complete only once `finish()` has made it durable.
 *
 * Where the platform has O_DIRECT (Linux) and the file system takes it, the bytes go to the disk without the page
 * cache: they are copied into one of two aligned staging buffers, and each full buffer is written with one direct
 * write while the other fills. A capture never reads its container back, and it has to be on the disk before the
 * store is complete anyway; through the page cache every byte was first copied into newly allocated cache pages and
 * then written back by the final fsync (bench/capture, issue #15: on the 2-core VM 1.8 GiB took 2.6–4.9 s through the
 * cache with its fsync, 0.66–0.70 s with 4 MiB direct writes), and it pushed the user's own files out of the cache.
 *
 * Direct I/O needs the memory, the file offset and the length aligned to the device's block. JavaScript cannot see
 * an address, so the staging memory is a WebAssembly memory, which V8 maps from whole pages (a Buffer's memory comes
 * from malloc and is not aligned). Every write is a whole staging buffer at an offset that is a multiple of its size;
 * the last one is padded to ALIGN and the file is cut back to its length before the fsync. Where any of this is not
 * available — no O_DIRECT (Windows, macOS), a file system that refuses it, no WebAssembly (`--jitless`), or a direct
 * write refused with EINVAL — the file is written through the page cache as before (`mode` says which), with a
 * flush to the disk started in the background every SYNC_BYTES so that the final fsync finds only the last part.
 *
 * With `digest`, the file's SHA-256 is computed from the bytes as they are written, so nothing has to read the file
 * back to learn it (the upload of a staged store records it in the share's manifest, src/share-store/transfer.ts).
 * In direct mode the staging memory is shared and a thread of its own hashes each full staging buffer while it is
 * written (src/store/digest-thread.ts); a buffer is filled again only once both are done. Through the page cache
 * the calling thread hashes each part before it is written.
 */
import { createHash, type Hash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { writeAll, writevAll } from '../runtime/write-all.js'
import { DigestThread } from './digest-thread.js'

/** Bytes per direct write (the size of each of the two staging buffers; a multiple of ALIGN). */
export const STAGE_BYTES = 4 << 20
/** Alignment of the staging memory, of every direct write's offset and of its length (covers 512 and 4096-byte blocks). */
const ALIGN = 4096
/**
 * Written bytes after which the data written through the page cache so far is flushed to the disk in the background
 * (fdatasync on libuv's pool). With gigabytes of RAM the kernel starts writing back only at a tenth of it or after
 * 30 s: one fsync at the end then waited for the whole container (1.2 s of a 2 GiB capture here).
 */
const SYNC_BYTES = 64 << 20

export interface OutputFileOptions {
  /** Write without the page cache where the platform allows it (default true). */
  direct?: boolean
  /** Page-cache mode: bytes written between two background flushes to the disk (default SYNC_BYTES). */
  syncEvery?: number
  /** Tests only: stage in memory that is not aligned, as a direct write that the device refuses (EINVAL). */
  misalign?: boolean
  /** Compute the SHA-256 of the file's bytes as they are written; `finish()` returns it. */
  digest?: boolean
}

interface Stages {
  /** The whole staging memory (shared when it is hashed on a thread) and its two buffers. */
  all: Buffer
  bufs: [Buffer, Buffer]
}

/** Two aligned staging buffers, or null where direct I/O cannot be staged (no WebAssembly). */
function alignedStages(misalign: boolean, shared: boolean): Stages | null {
  if (typeof WebAssembly === 'undefined') return null
  try {
    const extra = misalign ? 1 : 0
    const pages = Math.ceil((2 * STAGE_BYTES + extra * ALIGN) / 65536)
    const mem = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages })
    const all = Buffer.from(mem.buffer, extra * 16)
    return { all, bufs: [all.subarray(0, STAGE_BYTES), all.subarray(STAGE_BYTES, 2 * STAGE_BYTES)] }
  } catch {
    return null
  }
}

export class OutputFile {
  /** Logical bytes appended so far (the file's length once finished). */
  private length = 0
  /** Direct mode: the staging buffers, the one filling, its fill, and where in the file it goes. */
  private readonly stages: [Buffer, Buffer] | null
  /** The digest: a thread over the shared staging memory (direct mode), a hash on this thread (page cache), or none. */
  private readonly digestThread: DigestThread | null
  private readonly hash: Hash | null
  private filling = 0
  private used = 0
  private stageAt = 0
  /** The write in flight (one at a time) and the first error of any write or background flush. */
  private inFlight: Promise<void> = Promise.resolve()
  private failed: unknown = null
  private syncing: Promise<void> = Promise.resolve()
  private syncBusy = false
  private syncedTo = 0
  /** The digest, once the thread has hashed the last stage. */
  private hex: string | null = null

  private constructor(
    private readonly fh: FileHandle,
    /** The same file opened with O_DIRECT, or null (page cache). */
    private direct: FileHandle | null,
    stages: Stages | null,
    private readonly syncEvery: number,
    digest: boolean,
  ) {
    this.stages = direct === null || stages === null ? null : stages.bufs
    this.digestThread = digest && this.stages !== null ? new DigestThread((stages as Stages).all) : null
    this.hash = digest && this.digestThread === null ? createHash('sha256') : null
  }

  /** Create `path` (it must not exist). */
  static async create(path: string, opts: OutputFileOptions = {}): Promise<OutputFile> {
    const fh = await open(path, 'wx')
    let direct: FileHandle | null = null
    let stages: Stages | null = null
    const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT
    if (opts.direct !== false && O_DIRECT !== undefined) {
      stages = alignedStages(opts.misalign === true, opts.digest === true)
      if (stages !== null) {
        // A file system without direct I/O refuses the open (EINVAL): the page cache it is.
        direct = await open(path, constants.O_WRONLY | O_DIRECT).catch(() => null)
      }
    }
    return new OutputFile(fh, direct, stages, opts.syncEvery ?? SYNC_BYTES, opts.digest === true)
  }

  /** How the bytes reach the disk: 'direct' (O_DIRECT, no page cache) or 'cache'. */
  get mode(): 'direct' | 'cache' {
    return this.direct !== null ? 'direct' : 'cache'
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.length
  }

  /**
   * Append `bufs`. Resolves once the caller may reuse them: copied into a staging buffer (direct mode) or written
   * (page cache). Rejects with the error of an earlier write or flush that failed.
   */
  async append(bufs: readonly Buffer[]): Promise<void> {
    if (this.failed !== null) throw this.failed
    if (this.stages === null) {
      const at = this.length
      for (const b of bufs) {
        this.hash?.update(b)
        this.length += b.length
      }
      const end = this.length
      await this.inFlight
      this.inFlight = writevAll(this.fh, bufs, at).then(() => this.syncBehind(end))
      this.watch(this.inFlight)
      return this.inFlight
    }
    for (const b of bufs) {
      let from = 0
      while (from < b.length) {
        const stage = this.stages[this.filling]
        const n = b.copy(stage, this.used, from)
        from += n
        this.used += n
        this.length += n
        if (this.used === STAGE_BYTES) await this.writeStage(STAGE_BYTES)
      }
    }
    if (this.failed !== null) throw this.failed
  }

  /**
   * Send the filling stage (its first `len` bytes, aligned; the first `used` of them are the file's) to the disk and
   * to the digest thread, and go on filling the other one.
   */
  private async writeStage(len: number, used = len, last = false): Promise<void> {
    // The other stage is free once its write (and its hashing) is done.
    await this.inFlight
    const stage = (this.stages as [Buffer, Buffer])[this.filling]
    const at = this.stageAt
    const write = this.writeAligned(stage.subarray(0, len), at)
    const hashed = this.digestThread?.update(0, stage.subarray(0, used), last).then((hex) => {
      if (last) this.hex = hex
    })
    this.inFlight = hashed === undefined ? write : Promise.all([write, hashed]).then(() => undefined)
    this.watch(this.inFlight)
    this.stageAt += STAGE_BYTES
    this.filling ^= 1
    this.used = 0
  }

  /** One aligned write; a direct write refused with EINVAL is made through the page cache, as is every later one. */
  private async writeAligned(buf: Buffer, at: number): Promise<void> {
    if (this.direct !== null) {
      try {
        await writeAll(this.direct, buf, at)
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
        await this.direct.close().catch(() => undefined)
        this.direct = null
      }
    }
    await writeAll(this.fh, buf, at)
    this.syncBehind(at + buf.length)
  }

  private watch(p: Promise<void>): void {
    p.catch((err: unknown) => {
      this.failed ??= err
    })
  }

  /**
   * Page cache: start flushing what is written to the disk once `syncEvery` more bytes were written since the last
   * flush started, unless one is still running. A failed flush fails the file (the kernel reports a write-back error
   * once: the final fsync would not see it again).
   */
  private syncBehind(written: number): void {
    if (this.syncBusy || written - this.syncedTo < this.syncEvery) return
    this.syncBusy = true
    this.syncedTo = written
    this.syncing = this.fh.datasync().then(() => { this.syncBusy = false }, (err: unknown) => { this.failed ??= err })
  }

  /**
   * Write what is staged, cut the file to its length, fsync and close. The file is complete only once this resolves,
   * with its SHA-256 in hex (null without `digest`).
   */
  async finish(): Promise<string | null> {
    try {
      if (this.stages !== null && (this.used > 0 || this.digestThread !== null)) {
        // With a digest, the last stage goes even when empty: it carries the end of the hashed stream.
        const stage = this.stages[this.filling]
        const len = Math.ceil(this.used / ALIGN) * ALIGN
        stage.fill(0, this.used, len)
        await this.writeStage(len, this.used, true)
      }
      await this.inFlight
      await this.syncing
      if (this.failed !== null) throw this.failed
      if (this.stages !== null) await this.fh.truncate(this.length)
      await this.fh.sync()
      return this.hash !== null ? this.hash.digest('hex') : this.hex
    } finally {
      await this.close()
    }
  }

  /** Stop without completing (the caller removes the file). */
  async abort(): Promise<void> {
    await this.inFlight.catch(() => undefined)
    await this.syncing
    await this.close()
  }

  private async close(): Promise<void> {
    await this.digestThread?.close().catch(() => undefined)
    await this.direct?.close().catch(() => undefined)
    this.direct = null
    await this.fh.close().catch(() => undefined)
  }
}
