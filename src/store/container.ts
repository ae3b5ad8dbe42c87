/**
 * USMT.MIG — the compressed store container of usmt-steps. This is usmt-steps' own format, documented in
 * the README ("Portable USMT"); it is NOT Microsoft's .MIG format and Microsoft's tools cannot read it.
 *
 *   header (128 bytes)  magic "USMTSMIG", version (1: DEFLATE frames; 2: the codec is named at byte 104),
 *                       flags (bit 0: encrypted), KDF id and parameters, 16-byte store id, 32-byte salt,
 *                       32-byte key check, frame size, codec (version 2: 0 DEFLATE, 1 zstd)
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
 * for each file the SHA-256 of its content and of its stored frames: verification checks every stored
 * byte against the authenticated catalog before a single file is written.
 *
 * The codec is zstd (level 3) where the runtime has it (node:zlib from Node 22.15; the Windows package ships
 * such a Node) and DEFLATE otherwise; a zstd container is version 2, so an older usmt-steps refuses it as a
 * store of another version (USM0211) instead of misreading it, and a runtime without zstd refuses it with
 * USM0221. DEFLATE containers (version 1, every store written before zstd) stay readable everywhere.
 *
 * Compression runs on libuv's thread pool (zlib's asynchronous API) with several frames in flight, so it
 * uses every core while the main thread reads, hashes, encrypts and writes. A restore reads the container
 * once: every frame is authenticated (encrypted stores) and every file's stored bytes and content are
 * checked against the catalog while it is decoded.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, type Hash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib'
import { UsmtStepsError } from '../runtime/errors.js'
import { checkCatalog, unsafeWindowsPath, type Catalog, type CatalogEntry, type StoreMeta } from './catalog.js'
import { deriveKeys, equalDigest, keyCheck, newKdfParams, type KdfName, type KdfParams, type StoreKeys } from './crypto.js'
import type { SourceFile } from './types.js'

const deflateAsync = promisify(deflateRaw)
const inflateAsync = promisify(inflateRaw)

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

// zlib's one-shot functions produce their output in chunkSize pieces (16 KiB by default), each a round trip
// between the thread pool and the main thread: a frame's output comes in one piece instead.
const chunkFor = (bytes: number): number => Math.max(64 << 10, bytes + (4 << 10))

function compressAsync(codec: StoreCodec, buf: Buffer, level: number): Promise<Buffer> {
  const chunkSize = chunkFor(buf.length)
  if (codec === 'deflate') return deflateAsync(buf, { level, chunkSize })
  return new Promise((resolve, reject) => {
    (z.zstdCompress as NonNullable<ZstdZlib['zstdCompress']>)(buf, { chunkSize, params: { [z.constants.ZSTD_c_compressionLevel]: level } }, (err, out) => (err ? reject(err) : resolve(out)))
  })
}

function decompressAsync(codec: StoreCodec, buf: Buffer): Promise<Buffer> {
  const chunkSize = chunkFor(DEFAULT_FRAME)
  if (codec === 'deflate') return inflateAsync(buf, { chunkSize })
  return new Promise((resolve, reject) => {
    (z.zstdDecompress as NonNullable<ZstdZlib['zstdDecompress']>)(buf, { chunkSize }, (err, out) => (err ? reject(err) : resolve(out)))
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
  /** Frames in flight (default: 2 × cores + 2). */
  window?: number
}

function nonce(prefix: number, counter: number): Buffer {
  const n = Buffer.alloc(12)
  n.writeUInt32BE(prefix, 0)
  n.writeBigUInt64BE(BigInt(counter), 4)
  return n
}

function frameAad(storeId: Buffer, firstFrame: number, index: number, flags: number): Buffer {
  const a = Buffer.alloc(16 + 8 + 4 + 1)
  storeId.copy(a, 0)
  a.writeBigUInt64BE(BigInt(firstFrame), 16)
  a.writeUInt32BE(index, 24)
  a.writeUInt8(flags, 28)
  return a
}

const CATALOG_AAD = Buffer.from('usmt-steps catalog v1', 'utf8')

function encodeHeader(encrypted: boolean, kdf: KdfParams | null, storeId: Buffer, check: Buffer | null, frameSize: number, codec: StoreCodec): Buffer {
  const h = Buffer.alloc(HEADER_SIZE)
  MIG_MAGIC.copy(h, 0)
  // Version 1 is DEFLATE (readable by every usmt-steps); version 2 names its codec at byte 104.
  h.writeUInt16LE(codec === 'deflate' ? 1 : 2, 8)
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
  storedHash: Hash
  raw: boolean
  failed: boolean
  framesQueued: number
}

interface Pending {
  state: FileState
  index: number
  last: boolean
  data: Promise<{ buf: Buffer; deflated: boolean }>
}

/** Streams files into a new USMT.MIG. `finish()` writes the catalog and trailer and syncs the file. */
export class ContainerWriter {
  private readonly queue: Pending[] = []
  private readonly out: Buffer[] = []
  private outBytes = 0
  private offset = HEADER_SIZE
  private frameCounter = 0
  private readonly entries: MigEntry[] = []
  private readonly window: number
  private readonly frameSize: number
  private readonly level: number
  private readonly codecLevel: number
  bytesIn = 0

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    private readonly header: Buffer,
    private readonly storeId: Buffer,
    private readonly keys: StoreKeys | null,
    readonly codec: StoreCodec,
    opts: ContainerWriterOptions,
  ) {
    this.frameSize = opts.frameSize ?? DEFAULT_FRAME
    this.level = opts.level ?? 6
    this.codecLevel = codec === 'zstd' ? (opts.zstdLevel ?? ZSTD_DEFAULT_LEVEL) : this.level
    this.window = opts.window ?? Math.max(4, availableParallelism() * 2 + 2)
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
    const header = encodeHeader(keys !== null, kdf, storeId, check, opts.frameSize ?? DEFAULT_FRAME, codec)
    const fh = await open(path, 'wx')
    await fh.write(header, 0, header.length, 0)
    return new ContainerWriter(fh, path, header, storeId, keys, codec, opts)
  }

  get storedBytes(): number {
    return this.offset + this.outBytes
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
      storedHash: createHash('sha256'), raw: this.level === 0, failed: false, framesQueued: 0,
    }
    const hash = createHash('sha256')
    try {
      let want = Math.min(this.frameSize, Math.max(src.bytes, 0) + 1)
      let buf: Buffer = Buffer.allocUnsafe(want)
      let { bytesRead } = await fh.read(buf, 0, want, null)
      for (;;) {
        const chunk = buf.subarray(0, bytesRead)
        let eof = bytesRead < want
        let next: Buffer | null = null
        let nextRead = 0
        if (!eof) {
          want = this.frameSize
          next = Buffer.allocUnsafe(want)
          nextRead = (await fh.read(next, 0, want, null)).bytesRead
          if (nextRead === 0) eof = true
        }
        hash.update(chunk)
        state.entry.size += chunk.length
        this.bytesIn += chunk.length
        await this.enqueue(state, chunk, eof)
        if (eof) break
        buf = next as Buffer
        bytesRead = nextRead
      }
      state.entry.sha256 = hash.digest('hex')
    } catch (err) {
      state.failed = true
      throw err
    } finally {
      await fh.close()
    }
  }

  private async enqueue(state: FileState, chunk: Buffer, last: boolean): Promise<void> {
    const index = state.framesQueued++
    const data = state.raw || chunk.length < 64
      ? Promise.resolve({ buf: chunk, deflated: false })
      : compressAsync(this.codec, chunk, this.codecLevel).then((d) => {
        if (d.length >= chunk.length * 0.97) {
          if (index === 0) state.raw = true
          return { buf: chunk, deflated: false }
        }
        return { buf: d, deflated: true }
      })
    this.queue.push({ state, index, last, data })
    while (this.queue.length >= this.window) await this.drainOne()
  }

  private async drainOne(): Promise<void> {
    const p = this.queue.shift()
    if (!p) return
    const { buf, deflated } = await p.data
    const st = p.state
    const e = st.entry
    if (p.index === 0) {
      e.offset = this.offset + this.outBytes
      e.firstFrame = this.frameCounter
    }
    const flags = (deflated ? F_DEFLATED : 0) | (p.last ? F_LAST : 0)
    let payload: Buffer[]
    let len: number
    if (this.keys) {
      const c = createCipheriv('aes-256-gcm', this.keys.encKey, nonce(0, this.frameCounter))
      c.setAAD(frameAad(this.storeId, e.firstFrame, p.index, flags))
      const ct = c.update(buf)
      const fin = c.final()
      payload = [ct, fin, c.getAuthTag()]
      len = ct.length + fin.length + TAG
    } else {
      payload = [buf]
      len = buf.length
    }
    const head = Buffer.allocUnsafe(FRAME_HEADER)
    head.writeUInt32LE(len, 0)
    head.writeUInt8(flags, 4)
    st.storedHash.update(head)
    for (const b of payload) st.storedHash.update(b)
    this.push(head)
    for (const b of payload) this.push(b)
    this.frameCounter++
    e.frames++
    e.storedLength += FRAME_HEADER + len
    if (p.last) {
      e.storedSha256 = st.storedHash.digest('hex')
      if (!st.failed) this.entries.push(e)
    }
    if (this.outBytes >= 8 << 20) await this.flush()
  }

  private push(b: Buffer): void {
    this.out.push(b)
    this.outBytes += b.length
  }

  private async flush(): Promise<void> {
    if (this.outBytes === 0) return
    const bufs = this.out.splice(0)
    const n = this.outBytes
    this.outBytes = 0
    await this.fh.writev(bufs, this.offset)
    this.offset += n
  }

  /** Drain, write the catalog and trailer, fsync. The container is complete only after this resolves. */
  async finish(meta: StoreMeta): Promise<{ files: number; bytesIn: number; bytesStored: number }> {
    while (this.queue.length > 0) await this.drainOne()
    await this.flush()
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
    await this.fh.close().catch(() => undefined)
  }
}

function containerDigest(keys: StoreKeys | null, header: Buffer, block: Buffer, trailerHead: Buffer): Buffer {
  const h = keys ? createHmac('sha256', keys.macKey) : createHash('sha256')
  return h.update(header).update(block).update(trailerHead).digest()
}

const corrupt = (path: string, why: string): UsmtStepsError => new UsmtStepsError('USM0212', `${path}: ${why}`, { data: { store: path } })

/** Buffered sequential reads from a file handle. */
class BlockReader {
  private buf = Buffer.alloc(0)
  private bufPos = 0
  private filePos = 0
  constructor(private readonly fh: FileHandle, private readonly limit: number, private readonly block = 8 << 20) {}

  seek(pos: number): void {
    const start = this.filePos - this.buf.length
    if (pos >= start && pos <= this.filePos) {
      this.bufPos = pos - start
      return
    }
    this.buf = Buffer.alloc(0)
    this.bufPos = 0
    this.filePos = pos
  }

  async read(n: number): Promise<Buffer> {
    if (this.bufPos + n <= this.buf.length) {
      const out = this.buf.subarray(this.bufPos, this.bufPos + n)
      this.bufPos += n
      return out
    }
    const have = this.buf.subarray(this.bufPos)
    const need = n - have.length
    const size = Math.min(Math.max(need, this.block), this.limit - this.filePos)
    if (size < need) throw new Error('read past end')
    const fresh = Buffer.allocUnsafe(size)
    let got = 0
    while (got < size) {
      const { bytesRead } = await this.fh.read(fresh, got, size - got, this.filePos + got)
      if (bytesRead === 0) throw new Error('unexpected end of file')
      got += bytesRead
    }
    this.filePos += size
    const out = have.length ? Buffer.concat([have, fresh.subarray(0, need)]) : fresh.subarray(0, need)
    this.buf = fresh
    this.bufPos = need
    return out
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
    if (version !== 1 && version !== 2) throw new UsmtStepsError('USM0211', `${path}: container version ${version} is not supported (a store of another usmt-steps version)`)
    const codecId = version === 1 ? 0 : header.readUInt8(104)
    const codec = (Object.keys(CODEC_IDS) as StoreCodec[]).find((c) => CODEC_IDS[c] === codecId)
    if (!codec) throw new UsmtStepsError('USM0211', `${path}: codec ${codecId} is not supported (a store of another usmt-steps version)`)
    if (codec === 'zstd' && !zstdAvailable()) throw noZstd(path, 'read')
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
    return new ContainerReader(fh, path, size, encrypted, Buffer.from(storeId), keys, catalog, catalogOffset, codec)
  }

  /** Hash every file's stored frames against the catalog (no decryption or decompression needed). */
  async verifyStored(entries: readonly MigEntry[] = this.entries, onFile?: (r: VerifyFileResult) => void): Promise<VerifyFileResult[]> {
    const sorted = [...entries].sort((a, b) => a.offset - b.offset)
    const reader = new BlockReader(this.fh, this.catalogOffset)
    const results: VerifyFileResult[] = []
    for (const e of sorted) {
      reader.seek(e.offset)
      const h = createHash('sha256')
      let left = e.storedLength
      while (left > 0) {
        const n = Math.min(left, 4 << 20)
        h.update(await reader.read(n))
        left -= n
      }
      const r = { entry: e, ok: h.digest('hex') === e.storedSha256 }
      results.push(r)
      onFile?.(r)
    }
    return results
  }

  /**
   * Decode files and hand their content to `sink` in order, reading the container once. Frames are decrypted
   * (and so authenticated) on the main thread and decompressed on the thread pool with several in flight.
   * Every frame's flags and count, the SHA-256 of the file's stored frames (what `verifyStored` checks) and of
   * its content are checked against the catalog; a mismatch throws USM0212 before the file's `end`.
   */
  async decode(
    entries: readonly MigEntry[],
    sink: {
      begin(entry: MigEntry): Promise<unknown>
      data(entry: MigEntry, chunk: Buffer): Promise<void>
      end(entry: MigEntry): Promise<void>
    },
    window = Math.max(4, availableParallelism() * 2 + 2),
  ): Promise<void> {
    const sorted = [...entries].sort((a, b) => a.offset - b.offset)
    const reader = new BlockReader(this.fh, this.catalogOffset)
    type Job = { entry: MigEntry; first: boolean; last: boolean; data: Promise<Buffer>; hash: Hash; total: { n: number }; stored: string }
    const queue: Job[] = []
    const drain = async (): Promise<void> => {
      const j = queue.shift() as Job
      const buf = await j.data
      // A file begins (its destination is created) only once its first frame was read, authenticated and decoded.
      if (j.first) await sink.begin(j.entry)
      j.hash.update(buf)
      j.total.n += buf.length
      await sink.data(j.entry, buf)
      if (j.last) {
        if (j.stored !== j.entry.storedSha256) throw corrupt(this.path, `${j.entry.path}: stored data does not match its catalog digest`)
        if (j.total.n !== j.entry.size || j.hash.digest('hex') !== j.entry.sha256) throw corrupt(this.path, `${j.entry.path}: content does not match its catalog digest`)
        await sink.end(j.entry)
      }
    }
    for (const e of sorted) {
      reader.seek(e.offset)
      if (e.frames === 0) await sink.begin(e)
      const hash = createHash('sha256')
      const storedHash = createHash('sha256')
      const total = { n: 0 }
      for (let i = 0; i < e.frames; i++) {
        let head: Buffer
        let payload: Buffer
        try {
          head = await reader.read(FRAME_HEADER)
          payload = await reader.read(head.readUInt32LE(0))
        } catch {
          throw corrupt(this.path, `${e.path}: frame ${i} is truncated`)
        }
        storedHash.update(head)
        storedHash.update(payload)
        const flags = head.readUInt8(4)
        const last = (flags & F_LAST) !== 0
        if (last !== (i === e.frames - 1)) throw corrupt(this.path, `${e.path}: frame ${i} has the wrong end marker`)
        let plain = payload
        if (this.keys) {
          try {
            const d = createDecipheriv('aes-256-gcm', this.keys.encKey, nonce(0, e.firstFrame + i))
            d.setAAD(frameAad(this.storeId, e.firstFrame, i, flags))
            d.setAuthTag(payload.subarray(payload.length - TAG))
            plain = Buffer.concat([d.update(payload.subarray(0, payload.length - TAG)), d.final()])
          } catch {
            throw corrupt(this.path, `${e.path}: frame ${i} failed authentication`)
          }
        } else {
          plain = Buffer.from(payload)
        }
        const data = (flags & F_DEFLATED) ? decompressAsync(this.codec, plain).catch((err: unknown) => { throw corrupt(this.path, `${e.path}: frame ${i} cannot be decompressed (${(err as Error).message})`) }) : Promise.resolve(plain)
        data.catch(() => undefined)
        queue.push({ entry: e, first: i === 0, last, data, hash, total, stored: last ? storedHash.digest('hex') : '' })
        while (queue.length >= window) await drain()
      }
    }
    while (queue.length > 0) await drain()
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined)
  }
}
