/**
 * All Windows path logic lives here, as pure functions over strings, so it behaves the same on Linux
 * (tests, the portable engine) as on Windows. Windows paths are case-insensitive, use `\`, start with a
 * drive letter (`C:\`), a UNC prefix (`\\server\share\`) or a device prefix (`\\?\`), and are limited to
 * MAX_PATH (260) characters unless written in the `\\?\` long form.
 */

export const MAX_PATH = 260

export type WinPathKind = 'drive' | 'unc' | 'device' | 'drive-relative' | 'rooted' | 'relative'

export interface ParsedWinPath {
  kind: WinPathKind
  /** `C:` for drive paths, `\\server\share` for UNC, `\\?\` for device paths, '' otherwise. */
  root: string
  /** Path segments after the root, without empty segments. */
  segments: string[]
}

/**
 * Device names Windows reserves in every folder, with or without an extension: CON, PRN, AUX, NUL, CONIN$,
 * CONOUT$, COM0–COM9 and LPT0–LPT9, and COM/LPT followed by a superscript digit ¹ ² ³ (Windows treats those as
 * COM1–COM3 / LPT1–LPT3, so `COM¹` is reserved too).
 */
const RESERVED = new Set(['CON', 'PRN', 'AUX', 'NUL', 'CONIN$', 'CONOUT$',
  ...['COM', 'LPT'].flatMap((d) => [...'0123456789\u00b9\u00b2\u00b3'].map((n) => `${d}${n}`))])

/** Turn `/` into `\`. */
export function toBackslashes(p: string): string {
  return p.replace(/\//g, '\\')
}

export function parseWinPath(input: string): ParsedWinPath {
  const p = toBackslashes(input.trim())
  const split = (rest: string): string[] => rest.split('\\').filter((s) => s.length > 0)
  let m = /^\\\\[?.]\\UNC\\([^\\]+)\\([^\\]+)(.*)$/i.exec(p)
  if (m) return { kind: 'unc', root: `\\\\${m[1]}\\${m[2]}`, segments: split(m[3]) }
  m = /^\\\\[?.]\\([A-Za-z]:)(.*)$/.exec(p)
  if (m) return { kind: 'drive', root: m[1].toUpperCase(), segments: split(m[2]) }
  m = /^\\\\[?.]\\(.*)$/.exec(p)
  if (m) return { kind: 'device', root: '\\\\?\\', segments: split(m[1]) }
  m = /^\\\\([^\\]+)\\([^\\]+)(.*)$/.exec(p)
  if (m) return { kind: 'unc', root: `\\\\${m[1]}\\${m[2]}`, segments: split(m[3]) }
  m = /^([A-Za-z]:)\\(.*)$/.exec(p)
  if (m) return { kind: 'drive', root: m[1].toUpperCase(), segments: split(m[2]) }
  m = /^([A-Za-z]:)$/.exec(p)
  if (m) return { kind: 'drive', root: m[1].toUpperCase(), segments: [] }
  m = /^([A-Za-z]:)(.+)$/.exec(p)
  if (m) return { kind: 'drive-relative', root: m[1].toUpperCase(), segments: split(m[2]) }
  if (p.startsWith('\\')) return { kind: 'rooted', root: '', segments: split(p) }
  return { kind: 'relative', root: '', segments: split(p) }
}

/** Resolve `.` and `..` without ever climbing above the root. Returns null when `..` would escape. */
export function resolveDots(segments: readonly string[]): string[] | null {
  const out: string[] = []
  for (const s of segments) {
    if (s === '.') continue
    if (s === '..') {
      if (out.length === 0) return null
      out.pop()
      continue
    }
    out.push(s)
  }
  return out
}

function format(parsed: ParsedWinPath, segments: readonly string[]): string {
  const tail = segments.join('\\')
  switch (parsed.kind) {
    case 'drive': return `${parsed.root}\\${tail}`
    case 'unc': return tail ? `${parsed.root}\\${tail}` : parsed.root
    case 'device': return `\\\\?\\${tail}`
    case 'drive-relative': return `${parsed.root}${tail}`
    case 'rooted': return `\\${tail}`
    case 'relative': return tail
  }
}

/**
 * Canonical form: backslashes, single separators, `.`/`..` resolved (clamped at the root), upper-case
 * drive letter, no trailing backslash except on a drive root (`C:\`). `\\?\C:\x` becomes `C:\x`.
 */
export function normalize(p: string): string {
  const parsed = parseWinPath(p)
  const segs: string[] = []
  for (const s of parsed.segments) {
    if (s === '.') continue
    if (s === '..') segs.pop() // Windows clamps at the root: C:\..\x is C:\x
    else segs.push(s)
  }
  return format(parsed, segs)
}

export function isAbsolute(p: string): boolean {
  const k = parseWinPath(p).kind
  return k === 'drive' || k === 'unc' || k === 'device'
}

export function isUnc(p: string): boolean {
  return parseWinPath(p).kind === 'unc'
}

/**
 * A path written the Windows way (`C:\x`, `C:x`, `\\server\share\x`, `\\?\C:\x`) rather than a path of this
 * machine; forward slashes do not count (`//tmp/x` is a local path on Linux).
 */
export function isWindowsPath(p: string): boolean {
  if (p.startsWith('/')) return false
  const k = parseWinPath(p).kind
  return k === 'drive' || k === 'drive-relative' || k === 'unc' || k === 'device'
}

/** `C:` (upper case) for drive paths, null otherwise. */
export function driveOf(p: string): string | null {
  const parsed = parseWinPath(p)
  return parsed.kind === 'drive' || parsed.kind === 'drive-relative' ? parsed.root : null
}

/** `\\server\share` for UNC paths, null otherwise. */
export function uncRoot(p: string): string | null {
  const parsed = parseWinPath(p)
  return parsed.kind === 'unc' ? parsed.root : null
}

/** Join Windows path parts; an absolute part restarts the path. */
export function join(...parts: string[]): string {
  let acc = ''
  for (const raw of parts) {
    if (!raw) continue
    const part = toBackslashes(raw)
    if (!acc || isAbsolute(part)) {
      acc = part
    } else {
      acc = `${acc.replace(/\\+$/, '')}\\${part.replace(/^\\+/, '')}`
    }
  }
  return normalize(acc)
}

export function basename(p: string): string {
  const segs = parseWinPath(p).segments
  return segs.length ? segs[segs.length - 1] : ''
}

export function dirname(p: string): string {
  const parsed = parseWinPath(p)
  return format(parsed, parsed.segments.slice(0, -1))
}

export function extname(p: string): string {
  const b = basename(p)
  const i = b.lastIndexOf('.')
  return i > 0 ? b.slice(i) : ''
}

/** Case-insensitive comparison of two Windows paths after normalisation. */
export function equalsPath(a: string, b: string): boolean {
  return normalize(a).toLowerCase() === normalize(b).toLowerCase()
}

/** True when `child` is `parent` or lies below it (case-insensitive, normalised). */
export function isUnder(child: string, parent: string): boolean {
  const c = normalize(child).toLowerCase()
  const p = normalize(parent).toLowerCase().replace(/\\$/, '')
  return c === p || c.startsWith(`${p}\\`)
}

/** The path of `child` relative to `parent`, or null when it is not below it. */
export function relativeTo(child: string, parent: string): string | null {
  if (!isUnder(child, parent)) return null
  const c = normalize(child)
  const p = normalize(parent).replace(/\\$/, '')
  return c.length === p.length ? '' : c.slice(p.length + 1)
}

/** A device name (CON, NUL, COM1, COM¹, LPT1 …) with or without an extension (`nul.txt`, `CON .log`). */
export function isReservedName(segment: string): boolean {
  // Every reserved stem starts with A, C, L, N or P: a name starting with another ASCII letter or a digit is not
  // one (checked for every file a capture stores, so it must not allocate).
  const c = segment.charCodeAt(0) | 0x20
  if ((c >= 0x61 && c <= 0x7a && c !== 0x61 && c !== 0x63 && c !== 0x6c && c !== 0x6e && c !== 0x70) || (c >= 0x30 && c <= 0x39)) return false
  const stem = segment.split('.')[0].trim().toUpperCase()
  return RESERVED.has(stem)
}

/** The longest Windows path (the `\\?\` long form); a name is at most 255 UTF-16 units. */
export const MAX_LONG_PATH = 32767
export const MAX_NAME = 255

/**
 * The one table of Windows path rules (issue #20 item 9). A *name* is one folder or file name; a *file path*
 * is what a store catalog records and what capture and restore write: drive-absolute, naming a file. The
 * same table decides on capture (a source file whose name Windows cannot hold is skipped and listed under
 * /c, named in the error without it), when a catalog is read (a path breaking a rule makes the store
 * corrupt: 42) and on restore. Nothing is trimmed or repaired: `a ` and `a.` are refused alike.
 */
export const WINDOWS_PATH_RULES: ReadonlyArray<{ rule: string; applies: 'name' | 'path'; refused: string; example: string }> = [
  { rule: 'empty-name', applies: 'name', refused: 'an empty name (a doubled `\\`)', example: 'C:\\Users\\\\ann' },
  { rule: 'dot-name', applies: 'name', refused: '`.` or `..` as a name', example: 'C:\\Users\\..\\x' },
  { rule: 'forbidden-character', applies: 'name', refused: 'a character Windows forbids in names: < > : " / \\ | ? * or a control character (U+0000–U+001F, e.g. a newline)', example: 'a:b, q?, line\\nbreak' },
  { rule: 'trailing-dot-or-space', applies: 'name', refused: 'a name that ends with a dot or a space (Windows would strip it; both are refused, never trimmed)', example: 'notes., notes ' },
  { rule: 'reserved-device-name', applies: 'name', refused: 'CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0–9, LPT0–9, COM¹²³, LPT¹²³, with or without an extension', example: 'CON, nul.txt, COM¹' },
  { rule: 'name-too-long', applies: 'name', refused: `a name longer than ${MAX_NAME} UTF-16 units`, example: '256 × a' },
  { rule: 'not-drive-absolute', applies: 'path', refused: 'a path that does not start with a drive letter, a colon and a backslash (UNC, device, relative, drive-relative)', example: '\\\\srv\\share\\a, C:a, a\\b' },
  { rule: 'no-file-name', applies: 'path', refused: 'the drive root itself, which names no file', example: 'C:\\' },
  { rule: 'trailing-separator', applies: 'path', refused: 'a path ending in `\\` (a folder, not a file)', example: 'C:\\Users\\ann\\Desktop\\' },
  { rule: 'path-too-long', applies: 'path', refused: `a path longer than ${MAX_LONG_PATH} characters (the \\\\?\\ limit); longer than MAX_PATH (260) is fine`, example: '40,000 characters' },
]

/** Why a single name (folder or file) is invalid on Windows, or null when it is fine. See WINDOWS_PATH_RULES. */
export function invalidComponentReason(segment: string): string | null {
  if (segment.length === 0) return 'empty name'
  if (segment === '.' || segment === '..') return `"${segment}" is not a name`
  // eslint-disable-next-line no-control-regex -- control characters are forbidden in Windows names
  if (/[<>:"/\\|?*\x00-\x1f]/.test(segment)) return 'contains a character Windows forbids (<>:"/\\|?* or a control character)'
  if (/[. ]$/.test(segment)) return 'ends with a dot or a space'
  if (isReservedName(segment)) return `"${segment}" is a reserved device name`
  if (segment.length > MAX_NAME) return `name longer than ${MAX_NAME} characters`
  return null
}

/**
 * Why a Windows file path (as a catalog records it, as capture and restore write it) breaks a rule of
 * WINDOWS_PATH_RULES, or null. The text is checked as it is: never trimmed.
 */
export function invalidFilePathReason(p: string): string | null {
  if (typeof p !== 'string' || p.length === 0) return 'empty path'
  if (!/^[A-Za-z]:\\/.test(p)) return 'not a drive-absolute Windows path (C:\\…)'
  if (p.length > MAX_LONG_PATH) return `longer than ${MAX_LONG_PATH} characters`
  const rest = p.slice(3)
  if (rest.length === 0) return 'names the drive root, not a file'
  if (rest.endsWith('\\')) return 'ends with a backslash (a folder, not a file)'
  for (const name of rest.split('\\')) {
    const why = invalidComponentReason(name)
    // eslint-disable-next-line no-control-regex -- control characters are shown as \xNN
    if (why) return name.length && !why.startsWith('"') ? `${why}: "${name.replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"` : why
  }
  return null
}

/** True when the path needs the `\\?\` long form (MAX_PATH counts the terminating NUL). */
export function exceedsMaxPath(p: string): boolean {
  return normalize(p).length >= MAX_PATH
}

/** `\\?\C:\…` or `\\?\UNC\server\share\…` for paths longer than MAX_PATH; other paths unchanged. */
export function toLongPath(p: string): string {
  const n = normalize(p)
  if (!exceedsMaxPath(n)) return n
  const parsed = parseWinPath(n)
  if (parsed.kind === 'drive') return `\\\\?\\${n}`
  if (parsed.kind === 'unc') return `\\\\?\\UNC\\${n.slice(2)}`
  return n
}

/**
 * Quote one argument the way CommandLineToArgvW / the MS C runtime read it back: wrap in quotes when it
 * has spaces, tabs or quotes (or is empty); double the backslashes that precede a quote or the closing
 * quote, so `C:\Store\` stays `C:\Store\` instead of swallowing the quote (a classic USMT trap).
 */
export function quoteArg(arg: string): string {
  if (arg.length > 0 && !/[\s"]/.test(arg)) return arg
  let out = '"'
  let backslashes = 0
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++
      continue
    }
    if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"'
    } else {
      out += '\\'.repeat(backslashes) + ch
    }
    backslashes = 0
  }
  out += '\\'.repeat(backslashes * 2) + '"'
  return out
}

/** Build a command line from argv with `quoteArg`. */
export function joinCommandLine(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ')
}

/** Split a Windows command line into argv with the MS C runtime rules (inverse of `joinCommandLine`). */
export function splitCommandLine(line: string): string[] {
  const args: string[] = []
  let cur = ''
  let inArg = false
  let inQuotes = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (ch === '\\') {
      let n = 0
      while (line[i] === '\\') {
        n++
        i++
      }
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2))
        if (n % 2 === 1) {
          cur += '"'
        } else {
          inQuotes = !inQuotes
        }
        inArg = true
      } else {
        cur += '\\'.repeat(n)
        i--
        inArg = true
      }
      continue
    }
    if (ch === '"') {
      if (inQuotes && line[i + 1] === '"') {
        cur += '"'
        i++
      } else {
        inQuotes = !inQuotes
      }
      inArg = true
      continue
    }
    if (!inQuotes && (ch === ' ' || ch === '\t')) {
      if (inArg) {
        args.push(cur)
        cur = ''
        inArg = false
      }
      continue
    }
    cur += ch
    inArg = true
  }
  if (inArg) args.push(cur)
  return args
}

/**
 * Expand `%NAME%` references case-insensitively with `lookup`; unknown names are left as they are (as
 * cmd.exe does) and reported through `unresolved`.
 */
export function expandEnv(text: string, lookup: (name: string) => string | undefined, unresolved?: Set<string>): string {
  return text.replace(/%([^%\s]+)%/g, (whole, name: string) => {
    const v = lookup(name)
    if (v === undefined) {
      unresolved?.add(name)
      return whole
    }
    return v
  })
}

/** A case-insensitive lookup function over a record. */
export function caseInsensitiveLookup(vars: Record<string, string | undefined>): (name: string) => string | undefined {
  const map = new Map<string, string>()
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) map.set(k.toLowerCase(), v)
  return (name) => map.get(name.toLowerCase())
}
