/**
 * The store catalog: one entry per captured file with its Windows path, owner, timestamps, attributes and
 * digests, plus the store's metadata (kind, computer, users). The same structure is used by all three
 * store kinds; where it lives differs (inside USMT.MIG for compressed stores, USMT/Catalog.json for the
 * hard-link and mirror stores). Every path read from a catalog is checked before use: a path that escapes
 * its root (`..`, an absolute store path, a device name, a character Windows forbids) rejects the store.
 */
import { createHash } from 'node:crypto'
import { invalidComponentReason, parseWinPath } from '../windows/path.js'
import { UsmtStepsError } from '../runtime/errors.js'

export type StoreKind = 'hardlink' | 'mirror' | 'compressed'

export interface CatalogAttributes {
  readOnly: boolean
  hidden: boolean
  system: boolean
}

export interface CatalogEntry {
  /** Windows path on the source, e.g. C:\Users\ann\Documents\a.docx */
  path: string
  /** DOMAIN\name for user data, null for system context. */
  user: string | null
  component: string
  size: number
  mtimeMs: number
  atimeMs: number
  birthtimeMs: number
  attributes: CatalogAttributes
  /** SHA-256 (hex) of the content: mirror and compressed stores. */
  sha256?: string
  /** Hard-link and mirror stores: the file's path below USMT/File, with `/` separators. */
  storePath?: string
  /** Compressed stores: position and digest of the file's frames in USMT.MIG. */
  offset?: number
  storedLength?: number
  storedSha256?: string
  frames?: number
}

export interface CatalogUser {
  account: string
  profile: string
  sid?: string
}

export interface StoreMeta {
  kind: StoreKind
  encrypted: boolean
  created: string
  computer: string
  tool: string
  users: CatalogUser[]
  ruleFiles: string[]
  ignoredErrors: number
}

export interface Catalog {
  format: 'usmt-steps-catalog'
  version: 1
  meta: StoreMeta
  files: CatalogEntry[]
}

/** Why a path stored in a catalog is unsafe, or null. */
export function unsafeWindowsPath(p: string): string | null {
  if (typeof p !== 'string' || p.length === 0) return 'empty path'
  if (p.includes('\0')) return 'contains NUL'
  const parsed = parseWinPath(p)
  if (parsed.kind !== 'drive') return 'not a drive-absolute Windows path'
  for (const s of parsed.segments) {
    if (s === '..' || s === '.') return `contains "${s}"`
    const why = invalidComponentReason(s)
    if (why) return why
  }
  return null
}

/** Why a relative store path (USMT/File/…) is unsafe, or null. */
export function unsafeStorePath(p: string): string | null {
  if (typeof p !== 'string' || p.length === 0) return 'empty path'
  if (p.includes('\0') || p.includes('\\')) return 'contains NUL or a backslash'
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'absolute path'
  for (const s of p.split('/')) {
    if (s === '' || s === '.' || s === '..') return `contains "${s || '//'}"`
    const why = invalidComponentReason(s)
    if (why) return why
  }
  return null
}

/** The relative store path of a Windows path: `C:\Users\ann\a.txt` → `C/Users/ann/a.txt`. */
export function storePathOf(winPath: string): string {
  const bad = unsafeWindowsPath(winPath)
  if (bad) throw new UsmtStepsError('USM0217', `cannot store ${winPath}: ${bad}`)
  const parsed = parseWinPath(winPath)
  return [parsed.root[0].toUpperCase(), ...parsed.segments].join('/')
}

function num(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** Check a catalog read from a store: shape and every path. Throws USM0211 (shape) or USM0217 (escape). */
export function checkCatalog(c: unknown, where: string): Catalog {
  const cat = c as Catalog
  if (!cat || cat.format !== 'usmt-steps-catalog' || cat.version !== 1 || !cat.meta || !Array.isArray(cat.files)) {
    throw new UsmtStepsError('USM0211', `${where}: the catalog is not a usmt-steps catalog (version 1)`)
  }
  for (const f of cat.files) {
    const bad = unsafeWindowsPath(f.path)
    if (bad) throw new UsmtStepsError('USM0217', `${where}: catalog path ${JSON.stringify(f.path)} is rejected (${bad})`, { data: { path: f.path } })
    if (f.storePath !== undefined) {
      const b2 = unsafeStorePath(f.storePath)
      if (b2) throw new UsmtStepsError('USM0217', `${where}: store path ${JSON.stringify(f.storePath)} is rejected (${b2})`, { data: { path: f.storePath } })
    }
    if (!num(f.size) || f.size < 0 || !num(f.mtimeMs) || !num(f.atimeMs) || !f.attributes) {
      throw new UsmtStepsError('USM0211', `${where}: catalog entry ${JSON.stringify(f.path)} is malformed`)
    }
  }
  return cat
}

/** Serialise a file-store catalog: the JSON body, a line break, and `sha256:<hex of the body>`. */
export function encodeFileCatalog(c: Catalog): Buffer {
  const body = JSON.stringify(c)
  const digest = createHash('sha256').update(body).digest('hex')
  return Buffer.from(`${body}\nsha256:${digest}\n`, 'utf8')
}

export function decodeFileCatalog(buf: Buffer, where: string): Catalog {
  const text = buf.toString('utf8')
  const m = /\nsha256:([0-9a-f]{64})\n?$/.exec(text)
  if (!m) throw new UsmtStepsError('USM0212', `${where}: the catalog is truncated (no digest line)`)
  const body = text.slice(0, m.index)
  if (createHash('sha256').update(body).digest('hex') !== m[1]) throw new UsmtStepsError('USM0212', `${where}: the catalog digest does not match its content`)
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new UsmtStepsError('USM0212', `${where}: the catalog is not valid JSON`)
  }
  return checkCatalog(parsed, where)
}
