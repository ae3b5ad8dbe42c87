/**
 * USMT.MIG — the compressed store container of usmt-steps. This is usmt-steps' own format, documented in
 * the README ("Portable USMT"); it is NOT Microsoft's .MIG format and Microsoft's tools cannot read it.
 *
 *   header (128 bytes)  magic "USMTSMIG", version (1: DEFLATE frames; 2: the codec is named at byte 104;
 *                       3: as 2, encrypted, no digest of the stored frames), flags (bit 0: encrypted), KDF id
 *                       and parameters, 16-byte store id, 32-byte salt, 32-byte key check, frame size, codec
 *                       (versions 2 and 3: 0 DEFLATE, 1 zstd)
 *   frames              per file, one or more frames: u32 LE payload length, u8 flags
 *                       (bit 0 compressed with the container's codec, bit 1 last frame of the file), payload
 *                       (raw DEFLATE, a zstd frame or stored bytes; when encrypted AES-256-GCM ciphertext
 *                       followed by the 16-byte tag)
 *   catalog block       u32 LE length, u8 flags, payload: the catalog JSON, raw DEFLATE, encrypted as above
 *   trailer (64 bytes)  magic "USMTSEND", u64 catalog offset, u64 catalog block length, u64 file count,
 *                       32-byte digest of header + catalog block + the first 32 trailer bytes:
 *                       HMAC-SHA256 with the store's MAC key when encrypted, SHA-256 otherwise
 *
 * Frame nonces are 4 zero bytes + the u64 BE index of the frame in the container (the catalog uses the
 * prefix FF FF FF FF); keys are unique per store (random salt), so nonces never repeat under one key. The
 * frame's AAD binds it to the store id, its file's first frame index, its position in the file and its
 * flags, so frames cannot be reordered, moved between files or truncated unnoticed. The catalog records
 * for each file the SHA-256 of its content and, in versions 1 and 2, of its stored frames. Version 3 (what an
 * encrypted zstd capture writes) leaves the stored-frames digest out (empty in the catalog): there every frame
 * is authenticated by its GCM tag under that nonce and AAD, and the authenticated catalog fixes each file's
 * first frame and frame count, so the digest checked nothing the tags do not — and cost a SHA-256 pass over
 * the whole store on each side. The content SHA-256 stays in every version (the restore's proof needs it).
 *
 * The codec is zstd (level 3) where the runtime has it (node:zlib from Node 22.15; the Windows package ships
 * such a Node) and DEFLATE otherwise; a zstd container is version 2 or 3, so an older usmt-steps refuses it as
 * a store of another version (USM0211) instead of misreading it, and a runtime without zstd refuses it with
 * USM0221. DEFLATE containers (version 1, every store written before zstd, encrypted or not) stay readable
 * everywhere; versions 1 and 2 are still read, with their stored-frames digests checked.
 *
 * Frame work runs on worker threads (src/store/frame-workers.ts): the main thread reads each frame into a
 * reused shared-memory slot, hashes the content and writes the workers' output from the same slot; workers
 * compress with one reused zstd context and encrypt. A restore reads the container once: every frame is
 * authenticated (encrypted stores) and decompressed on the workers, and every file's content (and, versions 1
 * and 2, its stored bytes) checked against the catalog while it is decoded.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, type Hash } from 'node:crypto'
import { readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import * as zlib from 'node:zlib'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { UsmtStepsError } from '../runtime/errors.js'
import { checkCatalog, unsafeWindowsPath, type Catalog, type CatalogEntry, type StoreMeta } from './catalog.js'
import { deriveKeys, equalDigest, keyCheck, newKdfParams, type KdfName, type KdfParams, type StoreKeys } from './crypto.js'
import { FrameError, FramePool, type FrameResult } from './frame-workers.js'
import type { SourceFile } from './types.js'

/** A store codec: DEFLATE everywhere, zstd where node:zlib has it (Node >= 22.15, 23.8). */
export type StoreCodec = 'deflate' | 'zstd'
const CODEC_IDS: Record<StoreCodec, number> = { deflate: 0, zstd: 1 }
export const ZSTD_DEFAULT_LEVEL = 3

type ZlibCallback = (err: Error | null, out: Buffer) => void
interface ZstdZlib {
  zstdCompress?: (buf: Buffer, opts: { chunkSize?: number; params: Record<number, number> }, cb: ZlibCallback) => void
  zstdDecompress?: (buf: Buffer, opts: { chunkSize?: number }, cb: ZlibCallback) => void
  constants: Record<string, number>
}
const z = zlib as unknown as ZstdZlib

/** Whether this runtime can write and read zstd stores (tests override it to act as a runtime without zstd). */
export function zstdAvailable(): boolean {
  return !zstdDisabledForTests && typeof z.zstdCompress === 'function' && typeof z.zstdDecompress === 'function'
}
let zstdDisabledForTests = false
/** Tests only: behave as a runtime without zstd (Node 20). */
export function simulateNoZstd(off: boolean): void {
  zstdDisabledForTests = off
}

/** The codec a new store gets: `auto` is zstd where the runtime has it, else DEFLATE. */
export function resolveCodec(wanted: StoreCodec | 'auto' | undefined): StoreCodec {
  if (wanted === 'zstd') {
    if (!zstdAvailable()) throw noZstd('a new store', 'write')
    return 'zstd'
  }
  if (wanted === 'deflate') return 'deflate'
  return zstdAvailable() ? 'zstd' : 'deflate'
}

function noZstd(what: string, verb: 'read' | 'write'): UsmtStepsError {
  return new UsmtStepsError('USM0221', `${what}: this Node.js ${process.version} cannot ${verb} zstd-compressed stores (node:zlib has zstd from Node 22.15)`, {
    data: { node: process.version },
  })
}

export const MIG_MAGIC = Buffer.from('USMTSMIG', 'ascii')
export const MIG_END = Buffer.from('USMTSEND', 'ascii')
export const HEADER_SIZE = 128
export const TRAILER_SIZE = 64
const FRAME_HEADER = 5
const TAG = 16
const F_DEFLATED = 1
const F_LAST = 2
const CATALOG_PREFIX = 0xffffffff
const DEFAULT_FRAME = 1 << 20
/** The largest frame size a container may declare (its slots are allocated from it). */
const MAX_FRAME = 64 << 20

export interface MigEntry extends CatalogEntry {
  offset: number
  storedLength: number
  storedSha256: string
  frames: number
  /** Index of the file's first frame in the container (nonce and AAD). */
  firstFrame: number
  sha256: string
}

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
}

/** Frames in flight by default: enough to keep every worker busy while the main thread reads and writes. */
function defaultWindow(workers?: number): number {
  return Math.max(4, 2 * (workers ?? Math.min(availableParallelism(), 4)) + 2)
}

function nonce(prefix: number, counter: number): Buffer {
  const n = Buffer.alloc(12)
  n.writeUInt32BE(prefix, 0)
  n.writeBigUInt64BE(BigInt(counter), 4)
  return n
}

/** A frame's nonce, written into a slot's meta area. */
function writeNonce(n: Buffer, prefix: number, counter: number): void {
  n.writeUInt32BE(prefix, 0)
  n.writeBigUInt64BE(BigInt(counter), 4)
}

/** A frame's AAD (store id, its file's first frame, its index in the file, its flags), written into a slot. */
function writeFrameAad(a: Buffer, storeId: Buffer, firstFrame: number, index: number, flags: number): void {
  storeId.copy(a, 0)
  a.writeBigUInt64BE(BigInt(firstFrame), 16)
  a.writeUInt32BE(index, 24)
  a.writeUInt8(flags, 28)
}

const CATALOG_AAD = Buffer.from('usmt-steps catalog v1', 'utf8')

/**
 * Version 1 is DEFLATE (readable by every usmt-steps); version 2 names its codec at byte 104; version 3 (zstd,
 * encrypted) drops the per-file digest of the stored frames: every frame is authenticated by AES-256-GCM.
 */
function containerVersion(codec: StoreCodec, encrypted: boolean): number {
  if (codec === 'deflate') return 1
  return encrypted ? 3 : 2
}

function encodeHeader(encrypted: boolean, kdf: KdfParams | null, storeId: Buffer, check: Buffer | null, frameSize: number, codec: StoreCodec): Buffer {
  const h = Buffer.alloc(HEADER_SIZE)
  MIG_MAGIC.copy(h, 0)
  h.writeUInt16LE(containerVersion(codec, encrypted), 8)
  h.writeUInt8(CODEC_IDS[codec], 104)
  h.writeUInt16LE(encrypted ? 1 : 0, 10)
  h.writeUInt8(kdf ? (kdf.kdf === 'scrypt' ? 1 : 2) : 0, 12)
  if (kdf) {
    h.writeUInt8(kdf.scryptLogN, 13)
    h.writeUInt8(kdf.scryptR, 14)
    h.writeUInt8(kdf.scryptP, 15)
    h.writeUInt32LE(kdf.pbkdf2Iterations, 16)
    kdf.salt.copy(h, 36)
  }
  storeId.copy(h, 20)
  if (check) check.copy(h, 68)
  h.writeUInt32LE(frameSize, 100)
  return h
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
    private readonly fh: FileHandle,
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
    this.window = opts.window ?? (process.env.HZ_WIN ? Number(process.env.HZ_WIN) : defaultWindow(opts.workers))
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
    const fh = await open(path, 'wx')
    await fh.write(header, 0, header.length, 0)
    return new ContainerWriter(fh, path, header, storeId, keys, codec, opts)
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
   * Write what is done (one writev) and give its slots back once written. The write goes on while the main thread
   * reads and hashes on: flush() waits only for the write before it, so one write at a time is in flight.
   */
  private async flush(): Promise<void> {
    if (this.outBytes === 0 && this.outSlots.length === 0) return
    const bufs = this.out.splice(0)
    const slots = this.outSlots.splice(0)
    const at = this.offset
    this.offset += this.outBytes
    this.outBytes = 0
    const before = this.writing
    this.writing = (async () => {
      await before
      await writevAll(this.fh, bufs, at)
      for (const s of slots) this.framePool?.release(s)
    })()
    this.writing.catch(() => undefined)
    await before
  }

  /** Drain, write the catalog and trailer, fsync. The container is complete only after this resolves. */
  async finish(meta: StoreMeta): Promise<{ files: number; bytesIn: number; bytesStored: number }> {
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
    await this.fh.writev([block, trailer], catalogOffset)
    this.offset += block.length + trailer.length
    await this.fh.sync()
    await this.fh.close()
    return { files: this.entries.length, bytesIn: this.bytesIn, bytesStored: this.offset }
  }

  /** Stop without completing (the caller removes the partial store). */
  async abort(): Promise<void> {
    this.queue.length = 0
    await this.writing.catch(() => undefined)
    await this.framePool?.close().catch(() => undefined)
    this.framePool = null
    await this.fh.close().catch(() => undefined)
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

/** writev until every byte is written (a short write continues where it stopped). */
async function writevAll(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let pos = position
  let rest = bufs
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, pos)
    pos += bytesWritten
    let skip = bytesWritten
    let i = 0
    while (i < rest.length && skip >= rest[i].length) skip -= rest[i++].length
    rest = rest.slice(i)
    if (skip > 0) rest[0] = rest[0].subarray(skip)
    if (bytesWritten === 0 && rest.length > 0) throw Object.assign(new Error(`${fh.fd}: no progress writing the container`), { code: 'EIO' })
  }
}

function containerDigest(keys: StoreKeys | null, header: Buffer, block: Buffer, trailerHead: Buffer): Buffer {
  const h = keys ? createHmac('sha256', keys.macKey) : createHash('sha256')
  return h.update(header).update(block).update(trailerHead).digest()
}

const corrupt = (path: string, why: string): UsmtStepsError => new UsmtStepsError('USM0212', `${path}: ${why}`, { data: { store: path } })

/**
 * Buffered sequential reads from a file handle, into one block buffer allocated once (no fresh pages per read).
 * `read` returns a view that is valid until the next call; `readInto` copies (or reads large parts directly) into
 * the caller's buffer.
 */
class BlockReader {
  private readonly buf: Buffer
  private start = 0
  private end = 0
  /** The file position of buf[end]. */
  private filePos = 0
  constructor(private readonly fh: FileHandle, private readonly limit: number, block = 8 << 20, private readonly ahead = 128 << 10) {
    this.buf = Buffer.allocUnsafe(block)
  }

  seek(pos: number): void {
    const bufStart = this.filePos - this.end
    if (pos >= bufStart && pos <= this.filePos) {
      this.start = pos - bufStart
      return
    }
    this.start = this.end = 0
    this.filePos = pos
  }

  /** Make `need` bytes (at most the block size) available from `start`, reading ahead a little. */
  private async fill(need: number): Promise<void> {
    if (need > this.buf.length) throw new Error('read larger than the block')
    if (this.buf.length - this.start < need) {
      this.buf.copy(this.buf, 0, this.start, this.end)
      this.end -= this.start
      this.start = 0
    }
    while (this.end - this.start < need) {
      const want = Math.min(this.buf.length - this.end, this.limit - this.filePos, Math.max(need - (this.end - this.start), this.ahead))
      if (want <= 0) throw new Error('read past end')
      const { bytesRead } = await this.fh.read(this.buf, this.end, want, this.filePos)
      if (bytesRead === 0) throw new Error('unexpected end of file')
      this.end += bytesRead
      this.filePos += bytesRead
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.fill(n)
    const out = this.buf.subarray(this.start, this.start + n)
    this.start += n
    return out
  }

  async readInto(dst: Buffer): Promise<void> {
    let done = Math.min(dst.length, this.end - this.start)
    this.buf.copy(dst, 0, this.start, this.start + done)
    this.start += done
    const rest = dst.length - done
    if (rest === 0) return
    if (rest < this.ahead) {
      await this.fill(rest)
      this.buf.copy(dst, done, this.start, this.start + rest)
      this.start += rest
      return
    }
    // A large remainder goes straight into dst; the block is empty afterwards.
    if (this.filePos + rest > this.limit) throw new Error('read past end')
    while (done < dst.length) {
      const { bytesRead } = await this.fh.read(dst, done, dst.length - done, this.filePos)
      if (bytesRead === 0) throw new Error('unexpected end of file')
      done += bytesRead
      this.filePos += bytesRead
    }
    this.start = this.end = 0
  }
}

export interface VerifyFileResult {
  entry: MigEntry
  ok: boolean
}

/** Opens a USMT.MIG: checks header, trailer, key and catalog digest before exposing the catalog. */
export class ContainerReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly size: number,
    readonly encrypted: boolean,
    private readonly storeId: Buffer,
    private readonly keys: StoreKeys | null,
    readonly catalog: Catalog & { files: MigEntry[] },
    private readonly catalogOffset: number,
    /** The frame codec recorded in the header (version 1 containers: DEFLATE). */
    readonly codec: StoreCodec,
    /** The frame size recorded in the header: no frame holds more data. */
    private readonly frameSize: number,
    /** Version 3: no digest of the stored frames; every frame is authenticated (GCM) instead. */
    private readonly framesAuthenticated: boolean,
  ) {}

  get entries(): MigEntry[] {
    return this.catalog.files
  }

  static async open(path: string, secret?: string): Promise<ContainerReader> {
    let fh: FileHandle
    try {
      fh = await open(path, 'r')
    } catch (err) {
      throw new UsmtStepsError('USM0210', `${path}: cannot open the store file (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err })
    }
    try {
      return await ContainerReader.load(fh, path, secret)
    } catch (err) {
      await fh.close().catch(() => undefined)
      throw err
    }
  }

  private static async load(fh: FileHandle, path: string, secret?: string): Promise<ContainerReader> {
    const size = (await fh.stat()).size
    const header = Buffer.alloc(HEADER_SIZE)
    await fh.read(header, 0, HEADER_SIZE, 0)
    // The return codes the README promises (issue #20 item 11): a file that is not a container (other magic) or
    // a container of another version is 27 (USM0211, "not recognized"); a container cut anywhere — even inside
    // its 128-byte header, down to an empty file — is truncated: corrupted, 42 (USM0212).
    const seen = Math.min(size, MIG_MAGIC.length)
    if (!header.subarray(0, seen).equals(MIG_MAGIC.subarray(0, seen))) {
      throw new UsmtStepsError('USM0211', `${path}: not a usmt-steps USMT.MIG container (bad magic)`)
    }
    if (size < HEADER_SIZE) throw corrupt(path, `the container is truncated (${size} of the ${HEADER_SIZE} header bytes)`)
    const version = header.readUInt16LE(8)
    if (version !== 1 && version !== 2 && version !== 3) throw new UsmtStepsError('USM0211', `${path}: container version ${version} is not supported (a store of another usmt-steps version)`)
    const codecId = version === 1 ? 0 : header.readUInt8(104)
    const codec = (Object.keys(CODEC_IDS) as StoreCodec[]).find((c) => CODEC_IDS[c] === codecId)
    if (!codec) throw new UsmtStepsError('USM0211', `${path}: codec ${codecId} is not supported (a store of another usmt-steps version)`)
    if (codec === 'zstd' && !zstdAvailable()) throw noZstd(path, 'read')
    // Version 3 relies on the frames' authentication: only an encrypted zstd container can be one.
    if (version === 3 && ((header.readUInt16LE(10) & 1) !== 1 || codec !== 'zstd')) throw corrupt(path, 'a version 3 container must be encrypted and zstd-compressed')
    if (size < HEADER_SIZE + TRAILER_SIZE) throw corrupt(path, 'the container is truncated (no trailer)')
    const trailer = Buffer.alloc(TRAILER_SIZE)
    await fh.read(trailer, 0, TRAILER_SIZE, size - TRAILER_SIZE)
    if (!trailer.subarray(0, 8).equals(MIG_END)) throw corrupt(path, 'the container is truncated or incomplete (no trailer)')
    const encrypted = (header.readUInt16LE(10) & 1) === 1
    const storeId = header.subarray(20, 36)
    let keys: StoreKeys | null = null
    if (encrypted) {
      if (secret === undefined) throw new UsmtStepsError('USM0213', `${path}: the store is encrypted and no key was given`)
      const kdfId = header.readUInt8(12)
      const params: KdfParams = {
        kdf: kdfId === 1 ? 'scrypt' : 'pbkdf2', scryptLogN: header.readUInt8(13), scryptR: header.readUInt8(14),
        scryptP: header.readUInt8(15), pbkdf2Iterations: header.readUInt32LE(16), salt: Buffer.from(header.subarray(36, 68)),
      }
      if ((kdfId !== 1 && kdfId !== 2) || params.scryptLogN > 22 || params.scryptR > 32 || params.scryptP > 16 || params.pbkdf2Iterations > 10_000_000) {
        throw corrupt(path, 'the key-derivation parameters are invalid')
      }
      keys = await deriveKeys(secret, params)
      if (!equalDigest(keyCheck(keys, storeId), header.subarray(68, 100))) {
        throw new UsmtStepsError('USM0213', `${path}: the key does not match the one used at capture`)
      }
    } else if (secret !== undefined) {
      throw new UsmtStepsError('USM0214', `${path}: the store is not encrypted, but a key was given`)
    }
    const catalogOffset = Number(trailer.readBigUInt64LE(8))
    const blockLen = Number(trailer.readBigUInt64LE(16))
    if (catalogOffset < HEADER_SIZE || catalogOffset + blockLen !== size - TRAILER_SIZE || blockLen < FRAME_HEADER) {
      throw corrupt(path, 'the trailer points outside the container')
    }
    const block = Buffer.alloc(blockLen)
    await fh.read(block, 0, blockLen, catalogOffset)
    if (!equalDigest(containerDigest(keys, header, block, trailer.subarray(0, 32)), trailer.subarray(32, 64))) {
      throw corrupt(path, 'the catalog digest does not match (the catalog or header was modified or damaged)')
    }
    let payload = block.subarray(FRAME_HEADER)
    if (block.readUInt32LE(0) !== payload.length) throw corrupt(path, 'the catalog block length is inconsistent')
    if (keys) {
      try {
        const d = createDecipheriv('aes-256-gcm', keys.encKey, nonce(CATALOG_PREFIX, 0))
        d.setAAD(Buffer.concat([storeId, CATALOG_AAD]))
        d.setAuthTag(payload.subarray(payload.length - TAG))
        payload = Buffer.concat([d.update(payload.subarray(0, payload.length - TAG)), d.final()])
      } catch {
        throw corrupt(path, 'the catalog failed authentication')
      }
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(inflateRawSync(payload).toString('utf8'))
    } catch {
      throw corrupt(path, 'the catalog cannot be decoded')
    }
    const catalog = checkCatalog(parsed, path) as Catalog & { files: MigEntry[] }
    for (const e of catalog.files) {
      const ok = [e.offset, e.storedLength, e.frames, e.firstFrame].every((x) => Number.isInteger(x) && x >= 0)
        && e.offset >= HEADER_SIZE && e.offset + e.storedLength <= catalogOffset && typeof e.sha256 === 'string' && typeof e.storedSha256 === 'string'
      if (!ok) throw corrupt(path, `catalog entry ${e.path} points outside the file data`)
    }
    const frameSize = header.readUInt32LE(100)
    if (frameSize < 1 || frameSize > MAX_FRAME) throw corrupt(path, `the frame size ${frameSize} is invalid`)
    return new ContainerReader(fh, path, size, encrypted, Buffer.from(storeId), keys, catalog, catalogOffset, codec, frameSize, version === 3)
  }

  /**
   * Check every file's stored frames against the catalog. Versions 1 and 2 hash them against the catalog's digest
   * (no decryption or decompression needed); version 3 has no such digest, so each file is decoded: every frame
   * authenticated, decompressed and the content checked against its SHA-256.
   */
  async verifyStored(entries: readonly MigEntry[] = this.entries, onFile?: (r: VerifyFileResult) => void): Promise<VerifyFileResult[]> {
    const results: VerifyFileResult[] = []
    const report = (r: VerifyFileResult): void => {
      results.push(r)
      onFile?.(r)
    }
    if (this.framesAuthenticated) {
      await this.decode(entries, {
        begin: async () => undefined,
        data: async () => undefined,
        end: async (e) => report({ entry: e, ok: true }),
      }, undefined, (e) => report({ entry: e, ok: false }))
      return results
    }
    const sorted = [...entries].sort((a, b) => a.offset - b.offset)
    const reader = new BlockReader(this.fh, this.catalogOffset)
    for (const e of sorted) {
      reader.seek(e.offset)
      const h = createHash('sha256')
      let left = e.storedLength
      try {
        while (left > 0) {
          const n = Math.min(left, 4 << 20)
          h.update(await reader.read(n))
          left -= n
        }
      } catch {
        report({ entry: e, ok: false })
        continue
      }
      report({ entry: e, ok: h.digest('hex') === e.storedSha256 })
    }
    return results
  }

  /** The reader's worker threads and slots (started by the first decode, stopped by close()). */
  private framePool: FramePool | null = null
  private readonly poolWindow = defaultWindow()

  private get pool(): FramePool {
    this.framePool ??= new FramePool({
      frameSize: this.frameSize, codec: this.codec, level: 0, key: this.keys?.encKey ?? null, slots: this.poolWindow + 1, deflatedFlag: F_DEFLATED,
    })
    return this.framePool
  }

  /**
   * Decode files and hand their content to `sink` in order, reading the container once. Each frame is read into
   * a reused shared-memory slot and decrypted (and so authenticated) and decompressed on worker threads
   * (src/store/frame-workers.ts), several in flight. Every frame's flags and count, the SHA-256 of the file's
   * stored frames (versions 1 and 2; what `verifyStored` checks) and of its content are checked against the
   * catalog; a mismatch throws USM0212 before the file's `end` — or, with `onCorrupt`, reports the file there
   * (no `end` for it) and goes on with the next. A chunk given to `data` is valid only until that call resolves.
   */
  async decode(
    entries: readonly MigEntry[],
    sink: {
      begin(entry: MigEntry): Promise<unknown>
      data(entry: MigEntry, chunk: Buffer): Promise<void>
      end(entry: MigEntry): Promise<void>
    },
    window = this.poolWindow,
    onCorrupt?: (entry: MigEntry, err: UsmtStepsError) => void,
  ): Promise<void> {
    const sorted = [...entries].sort((a, b) => a.offset - b.offset)
    const reader = new BlockReader(this.fh, this.catalogOffset)
    const pool = this.pool
    window = Math.max(1, Math.min(window, this.poolWindow))
    interface FileRun { entry: MigEntry; hash: Hash; storedHash: Hash | null; total: number; failed: boolean }
    type Job = { file: FileRun; index: number; slot: number; last: boolean; result: Promise<FrameResult> }
    const queue: Job[] = []
    /** A corrupt file: thrown, or reported to onCorrupt (its remaining frames are skipped). */
    const bad = (file: FileRun, why: string): void => {
      const err = corrupt(this.path, `${file.entry.path}: ${why}`)
      if (!onCorrupt) throw err
      if (!file.failed) onCorrupt(file.entry, err)
      file.failed = true
    }
    const drain = async (): Promise<void> => {
      const j = queue.shift() as Job
      const f = j.file
      const e = f.entry
      let r: FrameResult
      try {
        r = await j.result
      } catch (err) {
        pool.release(j.slot)
        if (!(err instanceof FrameError)) throw err
        return bad(f, err.kind === 'auth' ? `frame ${j.index} failed authentication` : `frame ${j.index} cannot be decompressed (${err.message})`)
      }
      try {
        if (f.failed) return
        const buf = pool.view(j.slot, r.region, r.length)
        // A file begins (its destination is created) only once its first frame was read, authenticated and decoded.
        if (j.index === 0) await sink.begin(e)
        f.hash.update(buf)
        f.total += buf.length
        await sink.data(e, buf)
      } finally {
        pool.release(j.slot)
      }
      if (j.last) {
        if (f.storedHash && f.storedHash.digest('hex') !== e.storedSha256) return bad(f, 'stored data does not match its catalog digest')
        if (f.total !== e.size || f.hash.digest('hex') !== e.sha256) return bad(f, 'content does not match its catalog digest')
        await sink.end(e)
      }
    }
    try {
      for (const e of sorted) {
        reader.seek(e.offset)
        const file: FileRun = { entry: e, hash: createHash('sha256'), storedHash: this.framesAuthenticated ? null : createHash('sha256'), total: 0, failed: false }
        if (e.frames === 0) {
          // Only a damaged catalog has a file without frames (every file has at least one, an empty file an empty one).
          bad(file, 'the catalog lists no frames for it')
          continue
        }
        for (let i = 0; i < e.frames && !file.failed; i++) {
          while (!pool.hasFree || queue.length >= window) await drain()
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
          if (this.keys) {
            writeNonce(pool.nonce(slot), 0, e.firstFrame + i)
            writeFrameAad(pool.aad(slot), this.storeId, e.firstFrame, i, flags)
          }
          const result: Promise<FrameResult> = this.keys || deflated ? pool.run(slot, 1, len, deflated) : Promise.resolve({ region: 0, length: len, flags: 0 })
          result.catch(() => undefined)
          queue.push({ file, index: i, slot, last, result })
        }
      }
      while (queue.length > 0) await drain()
    } finally {
      // Stopped by an error: the frames still in flight give their slots back (the reader's pool is reused).
      for (const j of queue.splice(0)) {
        await j.result.catch(() => undefined)
        pool.release(j.slot)
      }
    }
  }

  async close(): Promise<void> {
    await this.framePool?.close().catch(() => undefined)
    this.framePool = null
    await this.fh.close().catch(() => undefined)
  }
}
