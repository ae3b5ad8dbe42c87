/**
 * The `filter` attribute of `<include>`/`<exclude>` (usmt.md §6.2, "Filter helpers"): a helper called for
 * each object the rule enumerates; the rule applies to the object only when it returns TRUE.
 *
 *   NeverRestore()             TRUE on ScanState, FALSE on LoadState: captured, never written back
 *   AnswerNo()                 always FALSE
 *   FileProperties(p, op, v)   p ∈ filesize, dateCreated, dateModified, dateAccessed; op ∈ range, neq, lte,
 *                              lt, eq, gte, gt; v e.g. "1KB", "1KB-1MB" (B, KB, MB, GB), "2023/05/15",
 *                              "2023/05/15-2020/05/17" (a date is a whole local day; a range is inclusive,
 *                              in either order)
 *   IgnoreIrrelevantLinks()    TRUE on ScanState ("all .lnk files are saved to the store"); the screening on
 *                              the destination needs the shell and is not evaluated (every link is restored)
 *
 * CompareStringContent and SameRegContent compare registry content, and helpers of other libraries cannot
 * run here: they are reported as not evaluated and count as TRUE (nothing is dropped on a guess).
 */
import type { Stats } from 'node:fs'
import type { ScriptCall } from './model.js'

export function filterName(call: ScriptCall): string {
  return `${call.name.split('.').pop()}(${call.args.map((a) => (a === null ? 'NULL' : JSON.stringify(a.trim()))).join(', ')})`
}

function fnOf(call: ScriptCall): { prefix: string; fn: string } {
  const parts = call.name.split('.')
  return { prefix: parts.length > 1 ? parts[0].toLowerCase() : '', fn: (parts.pop() ?? '').toLowerCase() }
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 }

function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(text)
  if (!m) return null
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()])
}

/** A date `yyyy/mm/dd` (also `-` or `.` inside a date is not accepted: `-` separates a range) → [start, end) of that local day. */
function parseDay(text: string): [number, number] | null {
  const m = /^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\s*$/.exec(text)
  if (!m) return null
  const y = Number(m[1])
  const mo = Number(m[2]) - 1
  const d = Number(m[3])
  const start = new Date(y, mo, d)
  if (start.getFullYear() !== y || start.getMonth() !== mo || start.getDate() !== d) return null
  return [start.getTime(), new Date(y, mo, d + 1).getTime()]
}

export interface FilePropertiesTest {
  property: 'filesize' | 'datecreated' | 'datemodified' | 'dateaccessed'
  test: (st: Pick<Stats, 'size' | 'birthtimeMs' | 'mtimeMs' | 'atimeMs'>) => boolean
}

/** Compile FileProperties(property, operator, value), or explain why it cannot be. */
export function compileFileProperties(args: ReadonlyArray<string | null>): FilePropertiesTest | { error: string } {
  const property = (args[0] ?? '').trim().toLowerCase()
  const op = (args[1] ?? '').trim().toLowerCase()
  const value = (args[2] ?? '').trim()
  if (!['filesize', 'datecreated', 'datemodified', 'dateaccessed'].includes(property)) return { error: `property "${args[0] ?? ''}" is not filesize, dateCreated, dateModified or dateAccessed` }
  if (!['range', 'neq', 'lte', 'lt', 'eq', 'gte', 'gt'].includes(op)) return { error: `operator "${args[1] ?? ''}" is not range, neq, lte, lt, eq, gte or gt` }
  const isSize = property === 'filesize'
  // Each value is an interval [lo, hi): a size is one byte count, a date a whole day.
  const one = (t: string): [number, number] | null => {
    if (isSize) {
      const n = parseSize(t)
      return n === null ? null : [n, n + 1]
    }
    return parseDay(t)
  }
  let lo: number
  let hi: number
  if (op === 'range') {
    const parts = value.split('-')
    if (parts.length !== 2) return { error: `range "${value}" is not two values separated by "-"` }
    const a = one(parts[0])
    const b = one(parts[1])
    if (!a || !b) return { error: `range "${value}" is not ${isSize ? 'two sizes such as 1KB-1MB' : 'two dates such as 2020/05/17-2023/05/15'}` }
    lo = Math.min(a[0], b[0])
    hi = Math.max(a[1], b[1])
  } else {
    const a = one(value)
    if (!a) return { error: `value "${value}" is not ${isSize ? 'a size such as 5GB' : 'a date such as 2023/05/15'}` }
    ;[lo, hi] = a
  }
  const read = (st: Pick<Stats, 'size' | 'birthtimeMs' | 'mtimeMs' | 'atimeMs'>): number =>
    property === 'filesize' ? st.size : property === 'datecreated' ? st.birthtimeMs : property === 'datemodified' ? st.mtimeMs : st.atimeMs
  const cmp: Record<string, (x: number) => boolean> = {
    range: (x) => x >= lo && x < hi, eq: (x) => x >= lo && x < hi, neq: (x) => x < lo || x >= hi,
    lt: (x) => x < lo, lte: (x) => x < hi, gt: (x) => x >= hi, gte: (x) => x >= lo,
  }
  const f = cmp[op]
  return { property: property as FilePropertiesTest['property'], test: (st) => f(read(st)) }
}

/** How a filter is decided on ScanState: a constant, a test of the file's properties, or not evaluated (counts as TRUE). */
export type CaptureFilter =
  | { kind: 'const'; value: boolean }
  | { kind: 'stat'; test: FilePropertiesTest['test'] }
  | { kind: 'notEvaluated'; why: string }

export function captureFilter(call: ScriptCall): CaptureFilter {
  const { prefix, fn } = fnOf(call)
  if (prefix !== 'migxmlhelper') return { kind: 'notEvaluated', why: `${call.name} comes from a helper library the portable engine cannot run; the rule applies as if it returned TRUE` }
  switch (fn) {
    case 'neverrestore': return { kind: 'const', value: true }
    case 'answerno': return { kind: 'const', value: false }
    case 'ignoreirrelevantlinks': return { kind: 'const', value: true }
    case 'fileproperties': {
      const c = compileFileProperties(call.args)
      return 'error' in c ? { kind: 'notEvaluated', why: `${filterName(call)}: ${c.error}; the rule applies as if it returned TRUE` } : { kind: 'stat', test: c.test }
    }
    case 'comparestringcontent':
    case 'sameregcontent':
      return { kind: 'notEvaluated', why: `${filterName(call)} compares registry content, which is not evaluated; the rule applies as if it returned TRUE` }
    default:
      return { kind: 'notEvaluated', why: `${filterName(call)} is not a filter the portable engine evaluates; the rule applies as if it returned TRUE` }
  }
}

/**
 * The LoadState side: false for NeverRestore() and AnswerNo() (the file is not written), null when the
 * filter says nothing more on restore (it was decided at capture).
 */
export function restoreFilterVerdict(call: ScriptCall): boolean | null {
  const { prefix, fn } = fnOf(call)
  if (prefix !== 'migxmlhelper') return null
  if (fn === 'neverrestore' || fn === 'answerno') return false
  return null
}
