/**
 * Config.xml policies the portable tools apply themselves (usmt.md §5.1, §5.2): `<ErrorControl>` decides
 * whether a file error is fatal or ignored; `<HardLinkStoreControl>` is read for completeness (Linux has
 * no locked files in the Windows sense, so its rules never change the outcome and are only logged).
 *
 * Decision for a file error (documented order: the first matching rule wins):
 *   a matching `<fatal>` rule      → abort, even with /c;
 *   a matching `<nonFatal>` rule   → ignore (counted; return code 3);
 *   no rule                        → ignore with /c, abort without it.
 */
import { readFileSync } from 'node:fs'
import { XMLParser } from 'fast-xml-parser'
import { UsmtFailure } from '../usmt/return-codes.js'
import { decodeText } from '../engine/loader.js'
import { compileWildcard } from '../engine/pattern.js'
import { UsmtStepsError } from '../runtime/errors.js'

export interface ErrorRule {
  kind: 'fatal' | 'nonFatal'
  /** 'any' or a Win32 error number. */
  errorCode: 'any' | number
  pattern: string
  matcher: ObjectPatternMatcher
}

export interface ConfigPolicy {
  fileErrors: ErrorRule[]
  registryErrors: ErrorRule[]
  createHardLink: string[]
  errorHardLink: string[]
}

export const EMPTY_POLICY: ConfigPolicy = { fileErrors: [], registryErrors: [], createHardLink: [], errorHardLink: [] }

/** A compiled `<ErrorControl>` object pattern: `test(fullWindowsPath)`. */
export interface ObjectPatternMatcher {
  test(path: string): boolean
}

/**
 * `C:\Users\* [*]` → a matcher over a full Windows file path (case-insensitive, `*` and `?`). The node is
 * matched against the folder, the leaf against the file name (a leaf `*` never crosses `\`); both with the
 * linear wildcard matcher of the engine (never a backtracking regular expression).
 */
export function compileObjectPattern(pattern: string): ObjectPatternMatcher {
  const m = /^(.*?)\s*\[(.*)\]\s*$/.exec(pattern.trim())
  const node = (m ? m[1] : pattern).trim().replace(/\\+$/, '')
  const leaf = m ? m[2].trim() : '*'
  const opts = { question: true, caseInsensitive: true }
  const anyNode = node === '*' || node === ''
  const exactNode = compileWildcard(node.endsWith('\\*') ? node.slice(0, -2) : node, opts)
  const belowNode = node.endsWith('\\*') ? compileWildcard(node, opts) : null
  const leafMatch = compileWildcard(leaf === '' ? '*' : leaf, opts)
  return {
    test(path: string): boolean {
      const cut = path.lastIndexOf('\\')
      if (cut < 0) return false
      const dir = path.slice(0, cut)
      const name = path.slice(cut + 1)
      if (!leafMatch(name)) return false
      return anyNode || exactNode(dir) || (belowNode !== null && belowNode(dir))
    },
  }
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function text(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v)
  if (v && typeof v === 'object' && '#text' in (v as Record<string, unknown>)) return String((v as Record<string, unknown>)['#text'])
  return ''
}

function rules(section: Record<string, unknown> | undefined): ErrorRule[] {
  if (!section) return []
  // preserveOrder output: an array of single-key objects in document order.
  const out: ErrorRule[] = []
  for (const item of asArray(section as unknown as Array<Record<string, unknown>>)) {
    for (const [tag, value] of Object.entries(item)) {
      const lower = tag.toLowerCase()
      if (lower !== 'fatal' && lower !== 'nonfatal') continue
      const attrs = (item[':@'] ?? {}) as Record<string, string>
      const pattern = asArray(value as unknown[]).map(text).join('').trim()
      const codeAttr = (attrs['@_errorCode'] ?? attrs['@_errorcode'] ?? 'any').trim().toLowerCase()
      out.push({
        kind: lower === 'fatal' ? 'fatal' : 'nonFatal',
        errorCode: codeAttr === 'any' || codeAttr === '' ? 'any' : Number(codeAttr),
        pattern,
        matcher: compileObjectPattern(pattern),
      })
    }
  }
  return out
}

type Ordered = Array<Record<string, unknown>>

function child(nodes: Ordered | undefined, name: string): Ordered | undefined {
  for (const n of nodes ?? []) {
    const key = Object.keys(n).find((k) => k.toLowerCase() === name.toLowerCase())
    if (key) return n[key] as Ordered
  }
  return undefined
}

/** Read `<Policies>` from a Config.xml. Unreadable or malformed files end with return code 39. */
export function readConfigPolicy(path: string | undefined): ConfigPolicy {
  if (!path) return EMPTY_POLICY
  let xml: string
  try {
    xml = decodeText(readFileSync(path), 'Config.xml', path)
  } catch (err) {
    if (err instanceof UsmtStepsError) throw UsmtFailure.of('configRead', { detail: err.message, cause: err })
    throw UsmtFailure.of('configFile', { detail: `${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, cause: err })
  }
  let doc: Ordered
  try {
    doc = new XMLParser({ preserveOrder: true, ignoreAttributes: false, processEntities: false }).parse(xml) as Ordered
  } catch (err) {
    throw UsmtFailure.of('configRead', { detail: `${path}: ${(err as Error).message}`, cause: err })
  }
  const root = child(doc, 'Configuration')
  if (!root) throw UsmtFailure.of('configRead', { detail: `${path}: the root element is not <Configuration>` })
  const policies = child(root, 'Policies') ?? child(root, 'Policy')
  const ec = child(policies, 'ErrorControl')
  const hl = child(child(policies, 'HardLinkStoreControl'), 'fileLocked')
  const patterns = (name: string): string[] => (hl ?? []).flatMap((n) => Object.entries(n).filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => asArray(v as unknown[]).map(text).join('').trim()))
  return {
    fileErrors: rules(child(ec, 'fileError') as unknown as Record<string, unknown>),
    registryErrors: rules(child(ec, 'registryError') as unknown as Record<string, unknown>),
    createHardLink: patterns('createHardLink'),
    errorHardLink: patterns('errorHardLink'),
  }
}

/** Win32 error number for a Node error code (what USMT would log). */
export function win32Code(err: unknown): number {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'ENOENT': return 2
    case 'ENOTDIR': return 3
    case 'EACCES': case 'EPERM': return 5
    case 'EBUSY': return 32
    case 'ETXTBSY': return 33
    case 'ENOSPC': return 112
    case 'EIO': return 1117
    case 'ENAMETOOLONG': return 206
    case 'EISDIR': return 5
    case 'EEXIST': return 183
    case 'EROFS': return 19
    default: return 1
  }
}

export function decideFileError(policy: ConfigPolicy, path: string, code: number, continueOnError: boolean): { ignore: boolean; rule: ErrorRule | null } {
  for (const r of policy.fileErrors) {
    if ((r.errorCode === 'any' || r.errorCode === code) && r.matcher.test(path)) return { ignore: r.kind === 'nonFatal', rule: r }
  }
  return { ignore: continueOnError, rule: null }
}
