/**
 * What a state store folder holds: USMT writes into STORE\USMT\ — USMT.MIG for a compressed store, a File\
 * tree with a catalog for uncompressed and hard-link stores (Microsoft: catalog.mig, hardlink.main; the
 * portable tools: Catalog.json). The capture step also leaves usmt-steps-store.json beside USMT\ (kind,
 * encryption, algorithm, engine, users), so a restore on another computer knows how to read the store.
 */
import { findChildCaseInsensitive } from '../windows/volume-map.js'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { StoreKind } from './kind.js'

/** The folder USMT writes into, inside a store folder. */
export const USMT_DIR = 'USMT'
/** A compressed store's one file, inside USMT_DIR. */
export const MIG_FILE = 'USMT.MIG'
/**
 * Beside a portable USMT.MIG: the container's SHA-256 as the capture wrote it, bound to its size and store id
 * (src/store/mig-digest.ts), so an upload records it without reading the container again.
 */
export const MIG_DIGEST_FILE = 'USMT.MIG.sha256.json'
export const STORE_META_FILE = 'usmt-steps-store.json'
export const STORE_LOGS_DIR = 'Logs'

export interface StoreMeta {
  schema: 1
  kind: StoreKind
  encrypted: boolean
  algorithm?: string
  engine: 'microsoft' | 'portable'
  computer?: string
  capturedAt: string
  usmtReturnCode: number
  users: string[]
  /** /mu:OLD:NEW mappings from usmt-steps users, applied by restore on the destination (a replace has no shared variables). */
  userMap?: string[]
}

export interface StoreInspection {
  /** The store folder exists. */
  exists: boolean
  /** STORE\USMT exists. */
  hasUsmtFolder: boolean
  /** The layout found, when recognisable. */
  kind?: StoreKind
  /** A compressed store's file (STORE\USMT\USMT.MIG). */
  migFile?: string
  /** The files that mark the store as complete were found. */
  complete: boolean
  /** A portable hard-link or uncompressed store (its catalog is USMT\\Catalog.json): whether that catalog is sealed. */
  catalogSealed?: boolean
  meta?: StoreMeta
  /** Why the store is not usable, when it is not. */
  problem?: string
}


export function readStoreMeta(store: string): StoreMeta | undefined {
  const file = findChildCaseInsensitive(store, STORE_META_FILE)
  if (!file) return undefined
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as StoreMeta
    return m && m.schema === 1 && typeof m.kind === 'string' ? m : undefined
  } catch {
    return undefined
  }
}

export function writeStoreMeta(store: string, meta: StoreMeta): string {
  const file = nodePath.join(store, STORE_META_FILE)
  writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`)
  return file
}

/** Inspect a store folder (local path) without reading its content. */
export function inspectStore(store: string): StoreInspection {
  let exists = false
  try {
    exists = statSync(store).isDirectory()
  } catch {
    exists = false
  }
  if (!exists) return { exists, hasUsmtFolder: false, complete: false, problem: `the store folder ${store} does not exist` }
  const meta = readStoreMeta(store)
  const usmt = findChildCaseInsensitive(store, USMT_DIR)
  if (!usmt || !statSync(usmt).isDirectory()) {
    return { exists, hasUsmtFolder: false, complete: false, meta, problem: `${store} has no USMT folder: no capture was written there` }
  }
  const mig = findChildCaseInsensitive(usmt, MIG_FILE)
  if (mig) {
    const size = statSync(mig).size
    if (size === 0) return { exists, hasUsmtFolder: true, kind: 'compressed', migFile: mig, complete: false, meta, problem: `${mig} is empty: the capture did not finish` }
    return { exists, hasUsmtFolder: true, kind: 'compressed', migFile: mig, complete: true, meta }
  }
  const catalog = findChildCaseInsensitive(usmt, 'Catalog.json') ?? findChildCaseInsensitive(usmt, 'catalog.mig')
  const hardlinkMain = findChildCaseInsensitive(usmt, 'hardlink.main')
  if (catalog || hardlinkMain) {
    // Classified by content (issue #20 item 7): Microsoft's hardlink.main, or the kind on the first line of the
    // portable Catalog.json; usmt-steps-store.json (absent when portable scanstate made the store) only when the
    // content cannot tell.
    const portable = catalog && !hardlinkMain ? portableCatalogKind(catalog) : undefined
    const content: StoreKind | undefined = hardlinkMain ? 'hardlink' : portable
    const kind: StoreKind = content ?? (meta?.kind === 'hardlink' ? 'hardlink' : 'uncompressed')
    const sealed = catalog && portable ? { catalogSealed: portableCatalogSealed(catalog) } : {}
    return { exists, hasUsmtFolder: true, kind, complete: true, meta, ...sealed }
  }
  return { exists, hasUsmtFolder: true, complete: false, meta, problem: `${usmt} holds no USMT.MIG and no catalog: the capture did not finish (an interrupted capture is never complete)` }
}

/** The kind named on the first line of a portable Catalog.json (`{"format":"usmt-steps-catalog",…,"kind":…}`). */
function portableCatalogKind(file: string): StoreKind | undefined {
  if (nodePath.basename(file).toLowerCase() !== 'catalog.json') return undefined
  let head: string
  try {
    const fd = openSync(file, 'r')
    try {
      const buf = Buffer.alloc(512)
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8').split('\n')[0]
    } finally {
      closeSync(fd)
    }
    const first = JSON.parse(head) as { format?: string; kind?: string }
    if (first.format !== 'usmt-steps-catalog') return undefined
    return first.kind === 'hardlink' ? 'hardlink' : first.kind === 'mirror' ? 'uncompressed' : undefined
  } catch {
    return undefined
  }
}

/** Whether a portable Catalog.json ends with a seal line before its digest (src/store/seal.ts); its last bytes only. */
function portableCatalogSealed(file: string): boolean {
  try {
    const fd = openSync(file, 'r')
    try {
      const size = statSync(file).size
      const buf = Buffer.alloc(Math.min(size, 256))
      const tail = buf.subarray(0, readSync(fd, buf, 0, buf.length, size - buf.length)).toString('latin1')
      return /\nseal:hmac-sha256:[0-9a-f]{64}\nsha256:[0-9a-f]{64}\n?$/.test(tail)
    } finally {
      closeSync(fd)
    }
  } catch {
    return false
  }
}

export function storeHasData(store: string): boolean {
  return existsSync(store) && readdirSync(store).length > 0
}
