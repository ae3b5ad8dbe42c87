/**
 * The USMT.MIG container's format (see container.ts for the layout): codecs, header, frame nonces and AAD, the
 * trailer's digest and the constants the writer (container-writer.ts) and the reader (container-reader.ts) share.
 */
import { createHash, createHmac } from 'node:crypto'
import { availableParallelism } from 'node:os'
import * as zlib from 'node:zlib'
import { UsmtStepsError } from '../runtime/errors.js'
import type { CatalogEntry } from './catalog.js'
import type { KdfParams, StoreKeys } from './crypto.js'

/** A store codec: DEFLATE everywhere, zstd where node:zlib has it (Node >= 22.15, 23.8). */
export type StoreCodec = 'deflate' | 'zstd'
export const CODEC_IDS: Record<StoreCodec, number> = { deflate: 0, zstd: 1 }
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

export function noZstd(what: string, verb: 'read' | 'write'): UsmtStepsError {
  return new UsmtStepsError('USM0221', `${what}: this Node.js ${process.version} cannot ${verb} zstd-compressed stores (node:zlib has zstd from Node 22.15)`, {
    data: { node: process.version },
  })
}

export const MIG_MAGIC = Buffer.from('USMTSMIG', 'ascii')
/** Whether a file's first bytes (`head`) begin with the container's magic: a portable USMT.MIG, not Microsoft's. */
export function hasMigMagic(head: Buffer): boolean {
  return head.length >= MIG_MAGIC.length && head.subarray(0, MIG_MAGIC.length).equals(MIG_MAGIC)
}
export const MIG_END = Buffer.from('USMTSEND', 'ascii')
export const HEADER_SIZE = 128
/** Where the header holds the container's store id (16 random bytes: frame AAD, key check) and its length. */
export const STORE_ID_AT = 20
export const STORE_ID_BYTES = 16
export const TRAILER_SIZE = 64
export const FRAME_HEADER = 5
export const TAG = 16
export const F_DEFLATED = 1
export const F_LAST = 2
export const CATALOG_PREFIX = 0xffffffff
export const DEFAULT_FRAME = 1 << 20
/** The largest frame size a container may declare (its slots are allocated from it). */
export const MAX_FRAME = 64 << 20

export interface MigEntry extends CatalogEntry {
  offset: number
  storedLength: number
  storedSha256: string
  frames: number
  /** Index of the file's first frame in the container (nonce and AAD). */
  firstFrame: number
  sha256: string
}

export function nonce(prefix: number, counter: number): Buffer {
  const n = Buffer.alloc(12)
  n.writeUInt32BE(prefix, 0)
  n.writeBigUInt64BE(BigInt(counter), 4)
  return n
}

/** A frame's nonce, written into a slot's meta area. */
export function writeNonce(n: Buffer, prefix: number, counter: number): void {
  n.writeUInt32BE(prefix, 0)
  n.writeBigUInt64BE(BigInt(counter), 4)
}

/** A frame's AAD (store id, its file's first frame, its index in the file, its flags), written into a slot. */
export function writeFrameAad(a: Buffer, storeId: Buffer, firstFrame: number, index: number, flags: number): void {
  storeId.copy(a, 0)
  a.writeBigUInt64BE(BigInt(firstFrame), 16)
  a.writeUInt32BE(index, 24)
  a.writeUInt8(flags, 28)
}

export const CATALOG_AAD = Buffer.from('usmt-steps catalog v1', 'utf8')

/**
 * Version 1 is DEFLATE (readable by every usmt-steps); version 2 names its codec at byte 104; version 3 (zstd,
 * encrypted) drops the per-file digest of the stored frames: every frame is authenticated by AES-256-GCM.
 */
export function containerVersion(codec: StoreCodec, encrypted: boolean): number {
  if (codec === 'deflate') return 1
  return encrypted ? 3 : 2
}

export function encodeHeader(encrypted: boolean, kdf: KdfParams | null, storeId: Buffer, check: Buffer | null, frameSize: number, codec: StoreCodec): Buffer {
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
  storeId.copy(h, STORE_ID_AT)
  if (check) check.copy(h, 68)
  h.writeUInt32LE(frameSize, 100)
  return h
}

export function containerDigest(keys: StoreKeys | null, header: Buffer, block: Buffer, trailerHead: Buffer): Buffer {
  const h = keys ? createHmac('sha256', keys.macKey) : createHash('sha256')
  return h.update(header).update(block).update(trailerHead).digest()
}

export const corrupt = (path: string, why: string): UsmtStepsError => new UsmtStepsError('USM0212', `${path}: ${why}`, { data: { store: path } })

/** Frames in flight by default: enough to keep every worker busy while the main thread reads and writes. */
export function defaultWindow(workers?: number): number {
  return Math.max(4, 2 * (workers ?? Math.min(availableParallelism(), 4)) + 2)
}
