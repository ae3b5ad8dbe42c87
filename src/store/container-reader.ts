/**
 * Reads a USMT.MIG (container.ts has the layout): header, trailer, key and catalog digest are checked before the
 * catalog is exposed; files are decoded in one read, every frame authenticated (encrypted stores) and decompressed
 * on worker threads (frame-workers.ts), each file's content checked against the catalog as it is decoded.
 */
import { createDecipheriv, createHash, type Hash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { inflateRawSync } from 'node:zlib'
import { UsmtStepsError } from '../runtime/errors.js'
import { checkCatalog, type Catalog } from './catalog.js'
import { deriveKeys, equalDigest, keyCheck, type KdfParams, type StoreKeys } from './crypto.js'
import {
  CATALOG_AAD, CATALOG_PREFIX, CODEC_IDS, containerDigest, corrupt, defaultWindow, F_DEFLATED, F_LAST, FRAME_HEADER, HEADER_SIZE, MAX_FRAME, MIG_END, MIG_MAGIC,
  nonce, noZstd, TAG, TRAILER_SIZE, writeFrameAad, writeNonce, zstdAvailable, type MigEntry, type StoreCodec,
} from './container-format.js'
import { FrameError, FramePool, type FrameResult } from './frame-workers.js'

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
