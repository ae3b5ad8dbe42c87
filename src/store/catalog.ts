/**
 * The store catalog: one entry per captured file with its Windows path, owner, timestamps, attributes and
 * digests, plus the store's metadata (kind, computer, users). The same structure is used by all three
 * store kinds; where it lives differs (inside USMT.MIG for compressed stores, USMT/Catalog.json for the
 * hard-link and mirror stores). Every path read from a catalog is checked before use: a path that escapes
 * its root (`..`, an absolute store path, a device name, a character Windows forbids) rejects the store.
 *
 * File stores write their catalog as it goes (version 2, `FileCatalogWriter`): JSON Lines, one compact
 * array per file, so a capture of many files never holds the catalog in memory:
 *
 *   {"format":"usmt-steps-catalog","version":2,"kind":"hardlink"}
 *   ["C:\\Data\\a.txt",-1,0,14,1700000000000.5,1700000000000.5,1700000000000,0]      ← one line per file
 *   {"end":true,"count":1,"strings":["Shared Data"],"meta":{…}}
 *   seal:hmac-sha256:<hex>                                          ← only in a sealed catalog
 *   sha256:<hex SHA-256 of every byte above, without the line break before "sha256:">
 *
 * The digest line catches damage, not a rewrite: anyone who can write the store can recompute it. A sealed
 * catalog (capture with a seal key, src/store/seal.ts) also carries an HMAC-SHA256 of every byte before the seal
 * line under a secret per-store key that is not in the store; read with that key, a catalog whose seal is
 * missing or does not match is USM0222 before any line of it is parsed.
 *
 * A file line is [Windows path, user, component, size, mtimeMs, atimeMs, birthtimeMs, attributes, sha256?]:
 * user and component are indexes into `strings` (user -1: system context), attributes a bit set (1 read-only,
 * 2 hidden, 4 system), sha256 only in mirror stores. The store path (below USMT/File) is derived from the
 * Windows path (`storePathOf`). Version 1 (one JSON document, still written inside USMT.MIG) is read too.
 */
import { writeAllSync } from '../runtime/write-all.js'
import { createHash, type Hash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { invalidComponentReason, invalidFilePathReason, parseWinPath } from '../windows/path.js'
import { UsmtStepsError } from '../runtime/errors.js'
import type { CatalogKind } from './kind.js'
import { SEAL_PREFIX, sealHmac, sealMatches, sealOf, type CatalogSeal, type SealHmac } from './seal.js'


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
  /** Last use of the profile on the source (ISO time: NTUSER.DAT modification time, or --users lastUse); for /uel at restore. */
  lastUse?: string
}

export interface StoreMeta {
  kind: CatalogKind
  encrypted: boolean
  created: string
  computer: string
  tool: string
  users: CatalogUser[]
  ruleFiles: string[]
  ignoredErrors: number
  /** Captured registry values (src/store/registry.ts); absent when the rules captured none. */
  registry?: unknown[]
}

export interface Catalog {
  format: 'usmt-steps-catalog'
  /** 1: one JSON document (USMT.MIG, older file stores); 2: the streamed file-store catalog. */
  version: 1 | 2
  meta: StoreMeta
  files: CatalogEntry[]
  /** File stores: how the catalog's seal was checked when it was read (never written). */
  seal?: CatalogSeal
}

/** Why a path stored in a catalog is unsafe, or null: the one table of Windows path rules (WINDOWS_PATH_RULES). */
export function unsafeWindowsPath(p: string): string | null {
  return invalidFilePathReason(p)
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

/**
 * The store folder (`C/Users/ann`) of a Windows folder path (`C:\\Users\\ann`), checked like a file path.
 * File stores resolve each folder once and then only check the file names in it.
 */
export function storeDirOf(winDir: string): string {
  const parsed = parseWinPath(winDir)
  const bad = parsed.kind !== 'drive' ? 'not a drive-absolute Windows path' : parsed.segments.map((s) => invalidComponentReason(s)).find((w) => w !== null)
  if (bad) throw new UsmtStepsError('USM0217', `cannot store ${winDir}: ${bad}`)
  return [parsed.root[0].toUpperCase(), ...parsed.segments].join('/')
}

/** Why a single file name cannot be stored, or null. */
export function unsafeFileName(name: string): string | null {
  if (name === '.' || name === '..') return `is "${name}"`
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) return 'contains a path separator or NUL'
  return invalidComponentReason(name)
}

/** Check a catalog read from a store: shape and every path. Throws USM0211 (shape) or USM0217 (escape). */
export function checkCatalog(c: unknown, where: string): Catalog {
  const cat = c as Catalog
  if (!cat || cat.format !== 'usmt-steps-catalog' || (cat.version !== 1 && cat.version !== 2) || !cat.meta || !Array.isArray(cat.files)) {
    throw new UsmtStepsError('USM0211', `${where}: the catalog is not a usmt-steps catalog (version 1 or 2)`)
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

/**
 * Serialise a whole file-store catalog at once (tests, tools): version 1 is the JSON document plus
 * `sha256:<hex>`; version 2 is the streamed form `FileCatalogWriter` writes. With `sealKey` the catalog is sealed.
 */
export function encodeFileCatalog(c: Catalog, version: 1 | 2 = 1, sealKey?: string): Buffer {
  let body: string
  if (version === 1) {
    body = JSON.stringify({ ...c, version: 1, seal: undefined })
  } else {
    const lines = new CatalogLines(c.meta.kind as 'hardlink' | 'mirror')
    for (const e of c.files) lines.entry(e)
    body = lines.head + lines.rows.join('') + lines.end(c.meta)
  }
  if (sealKey !== undefined) body += `\n${SEAL_PREFIX}${sealOf(sealKey, body)}`
  return Buffer.from(`${body}\nsha256:${createHash('sha256').update(body).digest('hex')}\n`, 'utf8')
}

/**
 * Decode a file-store catalog (version 2 streamed lines, or a version 1 document) and check it. With `sealKey`
 * the seal is checked first: a catalog without a seal, or whose seal does not match, is USM0222 (nothing of it
 * is parsed). The result's `seal` says what was checked.
 */
export function decodeFileCatalog(buf: Buffer, where: string, sealKey?: string): Catalog {
  const marker = buf.lastIndexOf('\nsha256:')
  const tail = marker < 0 ? '' : buf.subarray(marker).toString('latin1')
  const m = /^\nsha256:([0-9a-f]{64})\n?$/.exec(tail)
  if (!m) throw new UsmtStepsError('USM0212', `${where}: the catalog is truncated (no digest line)`)
  const signed = buf.subarray(0, marker)
  if (createHash('sha256').update(signed).digest('hex') !== m[1]) throw new UsmtStepsError('USM0212', `${where}: the catalog digest does not match its content`)
  const { body, seal } = splitSeal(signed, where)
  if (sealKey !== undefined) {
    if (seal === undefined) {
      throw new UsmtStepsError('USM0222', `${where}: the catalog is not sealed, but a seal key was given: it was rewritten without its seal, or captured without this key`, { data: { catalog: where } })
    }
    if (!sealMatches(sealKey, body, seal)) {
      throw new UsmtStepsError('USM0222', `${where}: the catalog's seal does not match: the catalog was changed after the capture (or the seal key is another store's)`, { data: { catalog: where } })
    }
  }
  const state: CatalogSeal = sealKey !== undefined ? 'verified' : seal !== undefined ? 'unchecked' : 'unsealed'
  const firstBreak = body.indexOf(0x0a)
  const first = firstBreak < 0 ? body : body.subarray(0, firstBreak)
  let head: unknown
  try {
    head = JSON.parse(first.toString('utf8'))
  } catch {
    throw new UsmtStepsError('USM0212', `${where}: the catalog is not valid JSON`)
  }
  if ((head as { version?: unknown })?.version === 2) return { ...checkCatalog(decodeV2(body, head as CatalogHeaderV2, where), where), seal: state }
  if (firstBreak >= 0) throw new UsmtStepsError('USM0212', `${where}: the catalog is not valid JSON`)
  return { ...checkCatalog(head, where), seal: state }
}

/** The body of a catalog and its seal (hex), when its last line before the digest is a seal line. */
function splitSeal(signed: Buffer, where: string): { body: Buffer; seal?: string } {
  const cut = signed.lastIndexOf(0x0a)
  if (cut < 0 || signed.toString('latin1', cut + 1, cut + 1 + 5) !== 'seal:') return { body: signed }
  const line = /^seal:hmac-sha256:([0-9a-f]{64})$/.exec(signed.toString('latin1', cut + 1))
  if (!line) throw new UsmtStepsError('USM0212', `${where}: the catalog's seal line is malformed`)
  return { body: signed.subarray(0, cut), seal: line[1] }
}

interface CatalogHeaderV2 {
  format: string
  version: 2
  kind: CatalogKind
}

const ATTR_READONLY = 1
const ATTR_HIDDEN = 2
const ATTR_SYSTEM = 4

function decodeV2(body: Buffer, head: CatalogHeaderV2, where: string): Catalog {
  const bad = (why: string): never => { throw new UsmtStepsError('USM0211', `${where}: ${why}`) }
  if (head.format !== 'usmt-steps-catalog') bad('the catalog is not a usmt-steps catalog')
  const rows: unknown[][] = []
  type EndRecord = { end?: unknown; count?: unknown; strings?: unknown; meta?: unknown }
  let end = null as EndRecord | null
  let pos = body.indexOf(0x0a) + 1
  while (pos > 0 && pos <= body.length) {
    const next = body.indexOf(0x0a, pos)
    const stop = next < 0 ? body.length : next
    if (end !== null) bad('the catalog has lines after its end record')
    let v: unknown
    try {
      v = JSON.parse(body.toString('utf8', pos, stop))
    } catch {
      throw new UsmtStepsError('USM0212', `${where}: catalog line ${rows.length + 2} is not valid JSON`)
    }
    if (Array.isArray(v)) rows.push(v)
    else end = v as EndRecord
    pos = stop + 1
  }
  if (!end || end.end !== true) throw new UsmtStepsError('USM0212', `${where}: the catalog has no end record (truncated)`)
  if (end.count !== rows.length) throw new UsmtStepsError('USM0212', `${where}: the catalog lists ${rows.length} files, its end record says ${String(end.count)}`)
  const strings = end.strings
  if (!Array.isArray(strings) || strings.some((x) => typeof x !== 'string')) bad('the catalog string table is malformed')
  const table = strings as string[]
  const str = (i: unknown, what: string, row: number): string => {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= table.length) bad(`catalog line ${row + 2}: ${what} index ${String(i)} is out of range`)
    return table[i as number]
  }
  const files: CatalogEntry[] = rows.map((r, n) => {
    const [path, user, component, size, mtimeMs, atimeMs, birthtimeMs, attrs, sha256] = r
    if (typeof path !== 'string' || typeof attrs !== 'number' || (sha256 !== undefined && typeof sha256 !== 'string')) bad(`catalog line ${n + 2} is malformed`)
    const e: CatalogEntry = {
      path: path as string,
      user: user === -1 ? null : str(user, 'user', n),
      component: str(component, 'component', n),
      size: size as number, mtimeMs: mtimeMs as number, atimeMs: atimeMs as number, birthtimeMs: birthtimeMs as number,
      attributes: { readOnly: ((attrs as number) & ATTR_READONLY) !== 0, hidden: ((attrs as number) & ATTR_HIDDEN) !== 0, system: ((attrs as number) & ATTR_SYSTEM) !== 0 },
    }
    const unsafe = unsafeWindowsPath(e.path)
    if (unsafe) throw new UsmtStepsError('USM0217', `${where}: catalog path ${JSON.stringify(e.path)} is rejected (${unsafe})`, { data: { path: e.path } })
    e.storePath = storePathOf(e.path)
    if (sha256 !== undefined) e.sha256 = sha256 as string
    return e
  })
  return { format: 'usmt-steps-catalog', version: 2, meta: { ...(end.meta as StoreMeta), kind: head.kind }, files }
}

/** The fields of a catalog entry a file store records (its store path is derived from `path`). */
export type FileCatalogEntry = Pick<CatalogEntry, 'path' | 'user' | 'component' | 'size' | 'mtimeMs' | 'atimeMs' | 'birthtimeMs' | 'attributes' | 'sha256'>

/** The text of a version 2 catalog, line by line (user and component names interned in `strings`). */
class CatalogLines {
  readonly head: string
  readonly rows: string[] = []
  private readonly refs = new Map<string, number>()
  private readonly table: string[] = []
  count = 0

  constructor(kind: 'hardlink' | 'mirror') {
    this.head = JSON.stringify({ format: 'usmt-steps-catalog', version: 2, kind })
  }

  private ref(s: string): number {
    let r = this.refs.get(s)
    if (r === undefined) {
      r = this.table.length
      this.table.push(s)
      this.refs.set(s, r)
    }
    return r
  }

  /**
   * One file line, without its leading line break: one JSON.stringify of the row (a fraction of the time and
   * garbage of joining its fields as text, which counts at hundreds of thousands of files).
   */
  row(e: FileCatalogEntry): string {
    this.count++
    return this.text(e)
  }

  /** A row's text, not counted (a row that is kept for later: `counted` adds it). */
  text(e: FileCatalogEntry): string {
    const a = e.attributes
    const attrs = (a.readOnly ? ATTR_READONLY : 0) | (a.hidden ? ATTR_HIDDEN : 0) | (a.system ? ATTR_SYSTEM : 0)
    const row: Array<string | number> = [
      e.path, e.user === null ? -1 : this.ref(e.user), this.ref(e.component), num(e.size) ? e.size : 0, num(e.mtimeMs) ? e.mtimeMs : 0,
      num(e.atimeMs) ? e.atimeMs : 0, num(e.birthtimeMs) ? e.birthtimeMs : 0, attrs,
    ]
    if (e.sha256 !== undefined) row.push(e.sha256)
    return JSON.stringify(row)
  }

  /** Count `n` rows made by `text`. */
  counted(n: number): void {
    this.count += n
  }

  /** The path, user and size a row made by `text` names. */
  describe(text: string): { path: string; user: string | null; size: number } {
    const row = JSON.parse(text) as [string, number, number, number]
    return { path: row[0], user: row[1] === -1 ? null : this.table[row[1]], size: row[3] }
  }

  entry(e: FileCatalogEntry): void {
    this.rows.push(`\n${this.row(e)}`)
  }

  /** The end record, with its leading line break. */
  end(meta: StoreMeta): string {
    return `\n${JSON.stringify({ end: true, count: this.count, strings: this.table, meta })}`
  }
}

/**
 * Streams a version 2 catalog to a new file (see the top of this module): entries are serialised as they
 * come and written in blocks of about 1 MiB with a running SHA-256 (and, with a seal key, a running HMAC), so
 * memory does not grow with the number of files. `finish()` writes the end record, the seal line (sealed
 * catalogs) and the digest line and fsyncs the file.
 */
export class FileCatalogWriter {
  private fd: number | null
  private readonly hash: Hash = createHash('sha256')
  private readonly seal: SealHmac | null
  private readonly lines: CatalogLines
  /** Lines are encoded straight into this block (no per-file strings are kept). */
  private readonly block = Buffer.allocUnsafe(1 << 20)
  private used = 0

  constructor(readonly file: string, readonly kind: 'hardlink' | 'mirror', sealKey?: string) {
    this.seal = sealKey === undefined ? null : sealHmac(sealKey)
    this.fd = openSync(file, 'wx')
    this.lines = new CatalogLines(kind)
    this.push(this.lines.head)
  }

  get count(): number {
    return this.lines.count
  }

  private push(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.used + text.length * 3 > this.block.length) {
      this.flush()
      if (text.length * 3 > this.block.length) {
        this.writeOut(Buffer.from(text, 'utf8'))
        return
      }
    }
    this.used += this.block.write(text, this.used, 'utf8')
  }

  private writeOut(chunk: Buffer): void {
    if (this.fd === null) return
    this.hash.update(chunk)
    this.seal?.update(chunk)
    writeAllSync(this.fd, chunk)
  }

  private flush(): void {
    if (this.used === 0) return
    this.writeOut(this.block.subarray(0, this.used))
    this.used = 0
  }

  add(e: FileCatalogEntry): void {
    const row = this.lines.row(e)
    // The line break and the row go into the block separately: no joined copy of the line.
    if (this.used + 1 + row.length * 3 > this.block.length) this.push('\n')
    else this.block[this.used++] = 0x0a
    this.push(row)
  }

  /**
   * A row's text, to be added later with `addRows` (a hard-link store keeps it while the file's link is made).
   * The user and component are interned now, so a file that is not added leaves its names in the string table.
   */
  rowText(e: FileCatalogEntry): string {
    return this.lines.text(e)
  }

  /** The path, user and size of a row made by `rowText`. */
  describeRow(text: string): { path: string; user: string | null; size: number } {
    return this.lines.describe(text)
  }

  /** Add `n` rows made by `rowText`, each after a line break, as UTF-8. */
  addRowBytes(bytes: Uint8Array, n: number): void {
    if (this.used + bytes.length > this.block.length) {
      this.flush()
      if (bytes.length > this.block.length) {
        this.writeOut(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        this.lines.counted(n)
        return
      }
    }
    this.block.set(bytes, this.used)
    this.used += bytes.length
    this.lines.counted(n)
  }

  /** Write the end record, the seal (sealed catalogs) and the digest, fsync and close. */
  finish(meta: StoreMeta): void {
    this.push(this.lines.end(meta))
    this.flush()
    const fd = this.fd as number
    if (this.seal) {
      const line = Buffer.from(`\n${SEAL_PREFIX}${this.seal.digest()}`, 'latin1')
      this.hash.update(line)
      writeAllSync(fd, line)
    }
    writeSync(fd, Buffer.from(`\nsha256:${this.hash.digest('hex')}\n`, 'latin1'))
    fsyncSync(fd)
    closeSync(fd)
    this.fd = null
  }

  /** Close without finishing (an aborted capture; the partial folder is removed by the caller). */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}
