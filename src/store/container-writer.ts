/**
 * Writes a USMT.MIG (container.ts has the layout): file data read into reused shared-memory slots, compressed and
 * encrypted on worker threads (frame-workers.ts), written in order with the catalog and trailer at the end.
 */
import { createCipheriv, createHash, randomBytes, type Hash } from 'node:crypto'
import { readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { deflateRawSync } from 'node:zlib'
import { UsmtStepsError } from '../runtime/errors.js'
import { unsafeWindowsPath, type Catalog, type StoreMeta } from './catalog.js'
import { deriveKeys, keyCheck, newKdfParams, type KdfName, type KdfParams, type StoreKeys } from './crypto.js'
import {
  CATALOG_AAD, CATALOG_PREFIX, containerDigest, DEFAULT_FRAME, defaultWindow, encodeHeader, F_DEFLATED, F_LAST, FRAME_HEADER, HEADER_SIZE, MAX_FRAME, MIG_END,
  nonce, resolveCodec, TRAILER_SIZE, writeFrameAad, writeNonce, ZSTD_DEFAULT_LEVEL, type MigEntry, type StoreCodec,
} from './container-format.js'
import { FramePool, type FrameResult } from './frame-workers.js'
import { OutputFile, type OutputFileOptions } from './output-file.js'
import type { SourceFile } from './types.js'

export interface ContainerWriterOptions {
  secret?: string
  kdf?: KdfName
  /** Frame codec (default `auto`: zstd where the runtime has it, else DEFLATE). */
  codec?: StoreCodec | 'auto'
  /** DEFLATE level 0–9 (default 6); 0 stores frames without compressing them, whatever the codec. */
  level?: number
  /** zstd level 1–19 (default 3). */
  zstdLevel?: number
  frameSize?: number
  /** Frames in flight (default: 2 × worker threads + 2). */
  window?: number
  /** Worker threads that compress and encrypt (default: the cores, at most 4). */
  workers?: number
  /** How the container reaches the disk (output-file.ts): without the page cache where possible (default), or through it. */
  output?: OutputFileOptions
  /** Compute the container's SHA-256 as it is written (output-file.ts); `finish()` returns it. */
  digest?: boolean
}


interface FileState {
  entry: MigEntry
  /** The digest of the file's stored frames (null in version 3: GCM authenticates every frame). */
  storedHash: Hash | null
  raw: boolean
  failed: boolean
  framesQueued: number
}

interface Pending {
  state: FileState
  index: number
  last: boolean
  slot: number
  result: Promise<FrameResult>
}

/** Frames written together (one writev); their slots are released after the write. */
const FLUSH_BYTES = 4 << 20
const FLUSH_FRAMES = 8

/**
 * Streams files into a new USMT.MIG. `finish()` writes the catalog and trailer and syncs the file. File data is
 * read into reused shared-memory slots and compressed and encrypted on worker threads (src/store/frame-workers.ts).
 */
export class ContainerWriter {
  private readonly queue: Pending[] = []
  private readonly out: Buffer[] = []
  private readonly outSlots: number[] = []
  private outBytes = 0
  private offset = HEADER_SIZE
  private frameCounter = 0
  private readonly entries: MigEntry[] = []
  private readonly window: number
  private readonly frameSize: number
  private readonly level: number
  private readonly codecLevel: number
  private framePool: FramePool | null = null
  /** The write in flight (flush). */
  private writing: Promise<void> = Promise.resolve()
  bytesIn = 0

  private constructor(
    private readonly file: OutputFile,
    readonly path: string,
    private readonly header: Buffer,
    private readonly storeId: Buffer,
    private readonly keys: StoreKeys | null,
    readonly codec: StoreCodec,
    private readonly opts: ContainerWriterOptions,
  ) {
    this.frameSize = opts.frameSize ?? DEFAULT_FRAME
    this.level = opts.level ?? 6
    this.codecLevel = codec === 'zstd' ? (opts.zstdLevel ?? ZSTD_DEFAULT_LEVEL) : this.level
    this.window = opts.window ?? defaultWindow(opts.workers)
  }

  static async create(path: string, opts: ContainerWriterOptions = {}): Promise<ContainerWriter> {
    const codec = resolveCodec(opts.codec)
    const storeId = randomBytes(16)
    let keys: StoreKeys | null = null
    let kdf: KdfParams | null = null
    let check: Buffer | null = null
    if (opts.secret !== undefined) {
      kdf = newKdfParams(opts.kdf ?? 'scrypt')
      keys = await deriveKeys(opts.secret, kdf)
      check = keyCheck(keys, storeId)
    }
    const frameSize = opts.frameSize ?? DEFAULT_FRAME
    if (!Number.isInteger(frameSize) || frameSize < 1 || frameSize > MAX_FRAME) throw new RangeError(`frame size ${frameSize} is outside 1..${MAX_FRAME}`)
    const header = encodeHeader(keys !== null, kdf, storeId, check, frameSize, codec)
    const file = await OutputFile.create(path, { ...opts.output, digest: opts.digest === true })
    try {
      await file.append([header])
    } catch (err) {
      await file.abort()
      throw err
    }
    return new ContainerWriter(file, path, header, storeId, keys, codec, opts)
  }

  get storedBytes(): number {
    return this.offset + this.outBytes
  }

  /** The worker threads and their slots, started with the first file. */
  private get pool(): FramePool {
    this.framePool ??= new FramePool({
      frameSize: this.frameSize, codec: this.codec, level: this.codecLevel, key: this.keys?.encKey ?? null,
      slots: this.window + FLUSH_FRAMES + 2, workers: this.opts.workers, deflatedFlag: F_DEFLATED,
    })
    return this.framePool
  }

  /** A free slot: writes what is done, or waits for the oldest frame, until one is free. */
  private async slot(): Promise<number> {
    const pool = this.pool
    while (!pool.hasFree) {
      if (this.outSlots.length > 0) await this.flush()
      else if (this.queue.length > 0) await this.drainOne()
      else break
    }
    return pool.acquire()
  }

  /**
   * Read one source file into the container. Resolves once the file has been read (its frames may still
   * be compressing). Errors opening or reading the source (ENOENT, EACCES, EIO…) are thrown as they are,
   * and the file is left out of the catalog.
   */
  async addFile(src: SourceFile): Promise<void> {
    const bad = unsafeWindowsPath(src.path)
    if (bad) throw new UsmtStepsError('USM0217', `cannot store ${src.path}: ${bad}`)
    const fh = await open(src.localPath, 'r')
    const state: FileState = {
      entry: {
        path: src.path, user: src.user, component: src.component, size: 0, mtimeMs: src.mtimeMs, atimeMs: src.atimeMs,
        birthtimeMs: src.birthtimeMs, attributes: src.attributes, sha256: '', offset: -1, storedLength: 0, storedSha256: '',
        frames: 0, firstFrame: -1,
      },
      storedHash: this.keys && this.codec === 'zstd' ? null : createHash('sha256'), raw: this.level === 0, failed: false, framesQueued: 0,
    }
    const hash = createHash('sha256')
    const pool = this.pool
    let slot = -1
    let next = -1
    try {
      let want = Math.min(this.frameSize, Math.max(src.bytes, 0) + 1)
      slot = await this.slot()
      let bytesRead = readFull(fh, pool.view(slot, 0, want))
      for (;;) {
        const chunk = pool.view(slot, 0, bytesRead)
        let eof = bytesRead < want
        let nextRead = 0
        hash.update(chunk)
        state.entry.size += chunk.length
        this.bytesIn += chunk.length
        if (!eof) {
          want = this.frameSize
          next = await this.slot()
          nextRead = readFull(fh, pool.view(next, 0, want))
          if (nextRead === 0) {
            eof = true
            pool.release(next)
            next = -1
          }
        }
        const s = slot
        slot = -1
        await this.enqueue(state, s, chunk.length, eof)
        if (eof) break
        slot = next
        next = -1
        bytesRead = nextRead
      }
      state.entry.sha256 = hash.digest('hex')
    } catch (err) {
      state.failed = true
      if (slot >= 0) pool.release(slot)
      if (next >= 0) pool.release(next)
      throw err
    } finally {
      await fh.close()
    }
  }

  private async enqueue(state: FileState, slot: number, len: number, last: boolean): Promise<void> {
    const pool = this.pool
    const index = state.framesQueued++
    const frameNo = this.frameCounter++
    const e = state.entry
    if (index === 0) e.firstFrame = frameNo
    const tryCompress = !state.raw && len >= 64
    let result: Promise<FrameResult>
    if (this.keys) {
      writeNonce(pool.nonce(slot), 0, frameNo)
      writeFrameAad(pool.aad(slot), this.storeId, e.firstFrame, index, last ? F_LAST : 0)
    }
    if (this.keys || tryCompress) {
      result = pool.run(slot, 0, len, tryCompress)
      // A file whose first frame does not compress is stored as it is (media, archives): no more tries.
      if (index === 0 && tryCompress) result.then((r) => { if (!(r.flags & F_DEFLATED)) state.raw = true }, () => undefined)
    } else {
      result = Promise.resolve({ region: 0, length: len, flags: 0 })
    }
    result.catch(() => undefined)
    this.queue.push({ state, index, last, slot, result })
    while (this.queue.length >= this.window) await this.drainOne()
  }

  private async drainOne(): Promise<void> {
    const p = this.queue.shift()
    if (!p) return
    const pool = this.pool
    let r: FrameResult
    try {
      r = await p.result
    } catch (err) {
      pool.release(p.slot)
      throw err
    }
    const st = p.state
    const e = st.entry
    if (p.index === 0) e.offset = this.offset + this.outBytes
    const flags = r.flags | (p.last ? F_LAST : 0)
    const payload = pool.view(p.slot, r.region, r.length)
    const head = Buffer.allocUnsafe(FRAME_HEADER)
    head.writeUInt32LE(r.length, 0)
    head.writeUInt8(flags, 4)
    st.storedHash?.update(head)
    st.storedHash?.update(payload)
    this.push(head)
    this.push(payload)
    this.outSlots.push(p.slot)
    e.frames++
    e.storedLength += FRAME_HEADER + r.length
    if (p.last) {
      e.storedSha256 = st.storedHash?.digest('hex') ?? ''
      if (!st.failed) this.entries.push(e)
    }
    if (this.outBytes >= FLUSH_BYTES || this.outSlots.length >= FLUSH_FRAMES) await this.flush()
  }

  private push(b: Buffer): void {
    this.out.push(b)
    this.outBytes += b.length
  }

  /**
   * Hand what is done to the file (output-file.ts) and give its slots back once the file has it (copied to its
   * staging memory, or written). The main thread reads and hashes on meanwhile: flush() waits only for the hand-over
   * before it, so one is in flight.
   */
  private async flush(): Promise<void> {
    if (this.outBytes === 0 && this.outSlots.length === 0) return
    const bufs = this.out.splice(0)
    const slots = this.outSlots.splice(0)
    this.offset += this.outBytes
    this.outBytes = 0
    const before = this.writing
    this.writing = (async () => {
      await before
      await this.file.append(bufs)
      for (const s of slots) this.framePool?.release(s)
    })()
    this.writing.catch(() => undefined)
    await before
  }

  /** How the container reaches the disk: 'direct' (no page cache) or 'cache'. */
  get outputMode(): 'direct' | 'cache' {
    return this.file.mode
  }

  /** Drain, write the catalog and trailer, fsync. The container is complete only after this resolves. */
  async finish(meta: StoreMeta): Promise<{ files: number; bytesIn: number; bytesStored: number; storeId: Buffer; sha256?: string }> {
    while (this.queue.length > 0) await this.drainOne()
    await this.flush()
    await this.writing
    await this.framePool?.close()
    this.framePool = null
    const catalog: Catalog = { format: 'usmt-steps-catalog', version: 1, meta, files: this.entries }
    let payload = deflateRawSync(Buffer.from(JSON.stringify(catalog), 'utf8'), { level: 6 })
    const flags = F_DEFLATED
    if (this.keys) {
      const c = createCipheriv('aes-256-gcm', this.keys.encKey, nonce(CATALOG_PREFIX, 0))
      c.setAAD(Buffer.concat([this.storeId, CATALOG_AAD]))
      payload = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()])
    }
    const head = Buffer.alloc(FRAME_HEADER)
    head.writeUInt32LE(payload.length, 0)
    head.writeUInt8(flags, 4)
    const block = Buffer.concat([head, payload])
    const catalogOffset = this.offset
    const trailer = Buffer.alloc(TRAILER_SIZE)
    MIG_END.copy(trailer, 0)
    trailer.writeBigUInt64LE(BigInt(catalogOffset), 8)
    trailer.writeBigUInt64LE(BigInt(block.length), 16)
    trailer.writeBigUInt64LE(BigInt(this.entries.length), 24)
    containerDigest(this.keys, this.header, block, trailer.subarray(0, 32)).copy(trailer, 32)
    if (this.file.size !== catalogOffset) throw new Error(`container: the catalog goes at ${catalogOffset}, the file holds ${this.file.size} bytes`)
    await this.file.append([block, trailer])
    this.offset += block.length + trailer.length
    const sha256 = await this.file.finish()
    return { files: this.entries.length, bytesIn: this.bytesIn, bytesStored: this.offset, storeId: this.storeId, ...(sha256 !== null ? { sha256 } : {}) }
  }

  /** Stop without completing (the caller removes the partial store). */
  async abort(): Promise<void> {
    this.queue.length = 0
    await this.writing.catch(() => undefined)
    await this.framePool?.close().catch(() => undefined)
    this.framePool = null
    await this.file.abort()
  }
}

/**
 * Read until `buf` is full or the file ends; returns the bytes read. Synchronous: a frame's copy from the page
 * cache costs the main thread less than handing it to libuv's pool and waiting for a thread of a busy machine.
 */
function readFull(fh: FileHandle, buf: Buffer): number {
  let got = 0
  while (got < buf.length) {
    const bytesRead = readSync(fh.fd, buf, got, buf.length - got, null)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got
}
