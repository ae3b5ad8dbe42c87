/**
 * The container's frame work (compress + encrypt on capture, decrypt + decompress on restore) on worker threads,
 * with every frame's bytes in shared memory slots that are reused for the whole run.
 *
 * Why (bench/capture, issue #15): node:zlib's one-shot zstd functions build a new zstd context for every call —
 * for a 1 MiB frame that costs more than compressing it (measured on Node 22: 166 MB/s on log text and 356 MB/s on
 * random data per call, 395 MB/s and 3.6 GB/s with one context reused) — and every frame's fresh output buffers
 * cost page faults (system time) and garbage collection. Here each worker keeps one zstd context per direction
 * and reuses it frame after frame, and the main thread reads file data straight into a slot and writes the
 * worker's output from the same slot (the content is hashed from the slot too: by the capture's main thread, by a
 * restore's digest thread, digest-thread.ts): no buffer is allocated per frame.
 *
 * A slot is [meta: 12-byte nonce, 29-byte AAD][region A][region B], each region frameSize + a margin (zstd's
 * worst-case expansion, the GCM tag). Encode: plain data in A → compressed into B when that is smaller (below
 * 97 %) → encrypted into the other region, AAD flags completed with the compressed bit. Decode: payload in A →
 * decrypted (and so authenticated: GCM's final() checks the tag before the frame is answered) into B →
 * decompressed into A. The answer names the region that holds the result. Encryption goes in 16 KiB slices
 * through a private buffer (node:crypto copies input that lives in shared memory): node:crypto allocates (and
 * zeroes) a new output buffer per update(); small ones, freed at once with transfer(0), come from memory the
 * thread's heap already has, where a 1 MiB one — or a backlog waiting for the garbage collector — is fresh pages
 * (by hand on a 512 MiB capture, 64 KiB slices cost ~0.4 s more CPU than 16 KiB, whole frames ~0.6 s more,
 * nearly all page faults).
 *
 * Reusing a zstd context goes through the zlib stream's native handle (`_handle.writeSync`, as node:zlib's own
 * synchronous functions do); where a runtime has no such handle the worker falls back to the one-shot functions
 * (slower, same bytes). A context that reported an error is replaced (node:zlib closes it). The worker is started
 * from inline code (no separate file, so the bundle needs nothing extra), as the hard-link pipeline's is.
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'

export type FrameCodec = 'deflate' | 'zstd'

/** Bytes of a slot's meta area: nonce (12) + AAD (29) rounded up. */
export const SLOT_META = 64
export const NONCE_BYTES = 12
export const AAD_BYTES = 29
const SLICE = 16 << 10

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads')
const zlib = require('node:zlib')
const { createCipheriv, createDecipheriv } = require('node:crypto')
const { sab, slotBytes, region, meta, codec, level, key, deflatedFlag, slice } = workerData
const mem = Buffer.from(sab)
const encKey = key ? Buffer.from(key) : null
const C = zlib.constants
const engines = {}
// One reused zstd context per direction (null: this runtime has no native handle to drive; use the one-shot API).
function engine(compress) {
  const k = compress ? 'c' : 'd'
  const old = engines[k]
  if (old !== undefined && (old === null || !old.s.destroyed)) return old
  let e = null
  try {
    const s = compress ? new zlib.ZstdCompress({ params: { [C.ZSTD_c_compressionLevel]: level } }) : new zlib.ZstdDecompress()
    s.on('error', () => {})
    if (s._handle && typeof s._handle.writeSync === 'function' && s._writeState instanceof Uint32Array) e = { s, h: s._handle, st: s._writeState }
    else s.close()
  } catch { e = null }
  engines[k] = e
  return e
}
// Compress src[0,n) into dst (room: cap). Returns the compressed length, or -1 when it does not fit.
function compress(src, n, dst, cap) {
  if (codec === 'zstd') {
    const e = engine(true)
    if (e) {
      e.h.writeSync(C.ZSTD_e_end, src, 0, n, dst, 0, cap)
      if (e.s.destroyed) throw new Error('zstd compression failed')
      if (e.st[1] !== 0 || e.st[0] === 0) { e.s.close(); engines.c = undefined; return -1 }
      return cap - e.st[0]
    }
    const out = zlib.zstdCompressSync(src.subarray(0, n), { chunkSize: cap, params: { [C.ZSTD_c_compressionLevel]: level } })
    if (out.length > cap) return -1
    out.copy(dst)
    return out.length
  }
  const out = zlib.deflateRawSync(src.subarray(0, n), { level, chunkSize: cap })
  if (out.length > cap) return -1
  out.copy(dst)
  return out.length
}
function decompress(src, n, dst, cap) {
  if (codec === 'zstd') {
    const e = engine(false)
    if (e) {
      e.h.reset()
      e.h.writeSync(C.ZSTD_e_end, src, 0, n, dst, 0, cap)
      if (e.s.destroyed) throw new Error('zstd: the frame is not valid zstd data')
      if (e.st[1] !== 0 || e.st[0] === 0) throw new Error('the frame decodes to more than the frame size')
      return cap - e.st[0]
    }
    const out = zlib.zstdDecompressSync(src.subarray(0, n), { maxOutputLength: cap })
    out.copy(dst)
    return out.length
  }
  const out = zlib.inflateRawSync(src.subarray(0, n), { maxOutputLength: cap })
  out.copy(dst)
  return out.length
}
// node:crypto copies input that lives in shared memory before using it: a slice goes through this private buffer.
const scratch = Buffer.allocUnsafeSlow(slice)
// Each update() returns a new buffer; handing its memory back at once (transfer(0) detaches and frees it) keeps
// the thread's heap warm instead of waiting for the garbage collector and faulting fresh pages in.
const canFree = typeof ArrayBuffer.prototype.transfer === 'function'
function crypt(c, src, n, dst) {
  let o = 0
  for (let i = 0; i < n; i += slice) {
    const k = src.copy(scratch, 0, i, Math.min(n, i + slice))
    const out = c.update(scratch.subarray(0, k))
    o += out.copy(dst, o)
    if (canFree && out.byteOffset === 0 && out.buffer.byteLength === out.length) out.buffer.transfer(0)
  }
  return o + c.final().copy(dst, o)
}
parentPort.on('message', ([id, slot, op, len, tryCompress]) => {
  const base = slot * slotBytes
  const nonce = mem.subarray(base, base + 12)
  const aad = mem.subarray(base + 12, base + 41)
  const A = mem.subarray(base + meta, base + meta + region)
  const B = mem.subarray(base + meta + region, base + meta + 2 * region)
  try {
    if (op === 0) {
      let src = A, other = B, n = len, flags = 0
      if (tryCompress) {
        const c = compress(A, len, B, region)
        if (c >= 0 && c < len * 0.97) { src = B; other = A; n = c; flags = deflatedFlag }
      }
      if (!encKey) return parentPort.postMessage([id, src === A ? 0 : 1, n, flags, null])
      aad[28] |= flags
      const c = createCipheriv('aes-256-gcm', encKey, nonce)
      c.setAAD(aad)
      const m = crypt(c, src, n, other)
      c.getAuthTag().copy(other, m)
      return parentPort.postMessage([id, other === A ? 0 : 1, m + 16, flags, null])
    }
    let src = A, other = B, n = len
    if (encKey) {
      if (len < 16) throw Object.assign(new Error('the frame is shorter than its tag'), { auth: true })
      const d = createDecipheriv('aes-256-gcm', encKey, nonce)
      d.setAAD(aad)
      d.setAuthTag(A.subarray(len - 16, len))
      try { n = crypt(d, A, len - 16, B) } catch (e) { throw Object.assign(e, { auth: true }) }
      src = B; other = A
    }
    if (tryCompress) {
      n = decompress(src, n, other, region)
      src = other
    }
    parentPort.postMessage([id, src === A ? 0 : 1, n, 0, null])
  } catch (e) {
    parentPort.postMessage([id, 0, 0, 0, [e && e.auth ? 'auth' : 'codec', String(e && e.message || e)]])
  }
})
`

/** A frame job's answer: the slot's region that holds the result and its length. */
export interface FrameResult {
  region: 0 | 1
  length: number
  /** Encode: the frame flags the worker added (the compressed bit). */
  flags: number
}

/** A job that failed: `auth` (GCM tag mismatch: tampered or damaged) or `codec` (cannot decompress). */
export class FrameError extends Error {
  constructor(readonly kind: 'auth' | 'codec', message: string) {
    super(message)
  }
}

type Reply = [id: number, region: 0 | 1, length: number, flags: number, error: [string, string] | null]

export interface FramePoolOptions {
  frameSize: number
  codec: FrameCodec
  level: number
  /** AES-256-GCM key (encrypted stores), copied to the workers. */
  key: Buffer | null
  /** Frames in flight at once (slots = window + spare for output waiting to be written). */
  slots: number
  workers?: number
  /** The compressed bit of the frame flags. */
  deflatedFlag: number
}

/** Slots of shared memory and the workers that encode or decode frames in them. */
export class FramePool {
  readonly region: number
  readonly slotBytes: number
  readonly mem: Buffer
  private readonly workers: Worker[] = []
  private readonly busy: number[] = []
  private readonly waiting = new Map<number, { worker: number; resolve: (r: FrameResult) => void; reject: (e: unknown) => void }>()
  private readonly free: number[] = []
  private readonly freeWaiters: Array<(slot: number) => void> = []
  private nextId = 0
  private crashed: unknown = null

  constructor(opts: FramePoolOptions) {
    // zstd's worst case is ~frameSize/256 + a few hundred bytes over the input; DEFLATE's ~frameSize/1000.
    this.region = opts.frameSize + (opts.frameSize >> 7) + (64 << 10)
    this.slotBytes = SLOT_META + 2 * this.region
    this.mem = Buffer.from(new SharedArrayBuffer(this.slotBytes * opts.slots))
    for (let i = 0; i < opts.slots; i++) this.free.push(i)
    const n = Math.max(1, opts.workers ?? Math.min(availableParallelism(), 4))
    const workerData = {
      sab: this.mem.buffer, slotBytes: this.slotBytes, region: this.region, meta: SLOT_META, codec: opts.codec, level: opts.level,
      key: opts.key ? new Uint8Array(opts.key) : null, deflatedFlag: opts.deflatedFlag, slice: SLICE,
    }
    for (let w = 0; w < n; w++) {
      // execArgv: [] — the inline code is a CommonJS script whatever flags started the process (--input-type=module…).
      const worker = new Worker(WORKER_CODE, { eval: true, workerData, execArgv: [] })
      worker.unref()
      worker.on('message', ([id, region, length, flags, error]: Reply) => {
        const job = this.waiting.get(id)
        if (!job) return
        this.waiting.delete(id)
        // An idle worker does not keep the process alive; one with a job does (the caller awaits its answer).
        if (--this.busy[job.worker] === 0) worker.unref()
        if (error) job.reject(new FrameError(error[0] === 'auth' ? 'auth' : 'codec', error[1]))
        else job.resolve({ region, length, flags })
      })
      const stop = (err: unknown): void => {
        this.crashed ??= err
        for (const [id, job] of this.waiting) {
          if (job.worker !== w) continue
          this.waiting.delete(id)
          job.reject(this.crashed)
        }
      }
      worker.on('error', stop)
      worker.on('exit', (code) => stop(new Error(`a store frame thread stopped (exit code ${code})`)))
      this.workers.push(worker)
      this.busy.push(0)
    }
  }

  /** A free slot (waits for one to be released). */
  acquire(): Promise<number> | number {
    const s = this.free.pop()
    if (s !== undefined) return s
    return new Promise((resolve) => this.freeWaiters.push(resolve))
  }

  /** Whether a slot is free right now. */
  get hasFree(): boolean {
    return this.free.length > 0
  }

  release(slot: number): void {
    const w = this.freeWaiters.shift()
    if (w) w(slot)
    else this.free.push(slot)
  }

  /** The slot's meta (nonce, AAD) and its two regions. */
  nonce(slot: number): Buffer {
    const b = slot * this.slotBytes
    return this.mem.subarray(b, b + NONCE_BYTES)
  }

  aad(slot: number): Buffer {
    const b = slot * this.slotBytes + NONCE_BYTES
    return this.mem.subarray(b, b + AAD_BYTES)
  }

  view(slot: number, region: 0 | 1, length = this.region): Buffer {
    const b = slot * this.slotBytes + SLOT_META + region * this.region
    return this.mem.subarray(b, b + length)
  }

  /**
   * Encode (op 0: `len` plain bytes in region A; `flag` = try compressing) or decode (op 1: `len` payload bytes
   * in region A; `flag` = the frame is compressed) on the least busy worker.
   */
  run(slot: number, op: 0 | 1, len: number, flag: boolean): Promise<FrameResult> {
    if (this.crashed !== null) return Promise.reject(this.crashed)
    let w = 0
    for (let i = 1; i < this.workers.length; i++) if (this.busy[i] < this.busy[w]) w = i
    const id = this.nextId++
    if (this.busy[w]++ === 0) this.workers[w].ref()
    const p = new Promise<FrameResult>((resolve, reject) => this.waiting.set(id, { worker: w, resolve, reject }))
    this.workers[w].postMessage([id, slot, op, len, flag])
    return p
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
