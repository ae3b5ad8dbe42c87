/**
 * Reads a USMT.MIG (container.ts has the layout): header, trailer, key and catalog digest are checked before the
 * catalog is exposed; files are decoded in one read (container-decode.ts), every frame authenticated (encrypted stores)
 * and decompressed on worker threads (frame-workers.ts), each file's content hashed on the digest thread
 * (digest-thread.ts) and checked against the catalog as it is decoded.
 */
import { createDecipheriv, createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { inflateRawSync } from 'node:zlib'
import { UsmtStepsError } from '../runtime/errors.js'
import { checkCatalog, type Catalog } from './catalog.js'
import { deriveKeys, equalDigest, keyCheck, type KdfParams, type StoreKeys } from './crypto.js'
import {
  CATALOG_AAD, CATALOG_PREFIX, CODEC_IDS, containerDigest, corrupt, defaultWindow, F_DEFLATED, FRAME_HEADER, HEADER_SIZE, MAX_FRAME, MIG_END, MIG_MAGIC,
  nonce, noZstd, STORE_ID_AT, STORE_ID_BYTES, TAG, TRAILER_SIZE, zstdAvailable, type MigEntry, type StoreCodec,
} from './container-format.js'
import { BlockReader } from './block-reader.js'
import { decodeFiles, type DecodeSink } from './container-decode.js'
import { DigestThread } from './digest-thread.js'
import { FramePool } from './frame-workers.js'

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
    const storeId = header.subarray(STORE_ID_AT, STORE_ID_AT + STORE_ID_BYTES)
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

  /** The reader's worker threads and slots, and its digest thread (started by the first decode, stopped by close()). */
  private framePool: FramePool | null = null
  private digestThread: DigestThread | null = null
  private readonly poolWindow = defaultWindow()

  private get pool(): FramePool {
    this.framePool ??= new FramePool({
      frameSize: this.frameSize, codec: this.codec, level: 0, key: this.keys?.encKey ?? null, slots: this.poolWindow + 1, deflatedFlag: F_DEFLATED,
    })
    return this.framePool
  }

  /**
   * Decode files and hand their content to `sink` in order, reading the container once (container-decode.ts):
   * every frame authenticated (encrypted stores) and decompressed on the frame workers, each file's content hashed
   * on the digest thread and checked against the catalog before its `end`; a corrupt file throws USM0212 — or,
   * with `onCorrupt`, is reported there (no `end` for it) and the next one goes on.
   */
  async decode(entries: readonly MigEntry[], sink: DecodeSink, window = this.poolWindow, onCorrupt?: (entry: MigEntry, err: UsmtStepsError) => void): Promise<void> {
    const pool = this.pool
    this.digestThread ??= new DigestThread(pool.mem)
    await decodeFiles({
      fh: this.fh, path: this.path, limit: this.catalogOffset, storeId: this.storeId, encrypted: this.keys !== null,
      framesAuthenticated: this.framesAuthenticated, pool, digests: this.digestThread,
    }, entries, sink, Math.max(1, Math.min(window, this.poolWindow)), onCorrupt)
  }

  async close(): Promise<void> {
    await this.framePool?.close().catch(() => undefined)
    this.framePool = null
    await this.digestThread?.close().catch(() => undefined)
    this.digestThread = null
    await this.fh.close().catch(() => undefined)
  }
}
