/**
 * What the report takes from USMT's own logs (formats in usmt.md §3; parsers in src/usmt/): the line that
 * explains a failure, the errors and ignored files with their reasons, grouped warnings and the phases of the
 * progress log. Pure functions over parsed logs.
 */
import { isGenericFailureLine, type ParsedUsmtLog, type UsmtLogRecord } from '../usmt/main-log.js'
import { applyProgressRecord, emptyProgressState, parseProgressLog, progressValue, type ProgressState } from '../usmt/progress-log.js'
import type { PhaseRow, ProblemRow, WarningRow } from './types.js'

/** Error lines real USMT writes on successful runs too (e.g. every /genconfig run); never a cause. */
const BENIGN_ERRORS: readonly RegExp[] = [/^Unreleased mig unit navigator interface/i]

/** Generic closing lines of a failed run (usmt.md §3.3); never a cause. */
export const isGenericError = isGenericFailureLine

export function isBenignError(message: string): boolean {
  const first = message.split('\n')[0].trim()
  return BENIGN_ERRORS.some((r) => r.test(first))
}

/** Error records that say something specific (not the generic closing lines, not known noise). */
export function realErrors(log: ParsedUsmtLog): UsmtLogRecord[] {
  return log.errors.filter((r) => !isGenericError(r.message) && !isBenignError(r.message))
}

export interface LogCause {
  line: number
  text: string
  context: string[]
}

/**
 * The line of a failed run's main log that explains the failure: the first specific Error line (one that
 * says it aborts wins over earlier ones), else the detail lines of `Failed.` (command-line errors put the
 * documented message there, with `##ERROR## -->` before the offending argument).
 */
export function failureCauseFromLog(log: ParsedUsmtLog): LogCause | undefined {
  const real = realErrors(log)
  const pick = real.find((r) => /\babort/i.test(r.message)) ?? real[0]
  if (pick) {
    const after = real.filter((r) => r.line > pick.line).slice(0, 2).map((r) => r.message.split('\n')[0])
    const lines = pick.message.split('\n')
    return { line: pick.line, text: lines[0], context: [...lines.slice(1), ...after] }
  }
  const at = log.records.findIndex((r) => r.message.startsWith('Failed.'))
  const outcome = log.outcome
  if (at >= 0 && outcome?.kind === 'failed' && outcome.cause !== undefined) {
    const context = outcome.details.filter((d) => d !== outcome.cause && !isGenericError(d))
    return { line: log.records[at].line, text: outcome.cause, context }
  }
  return undefined
}

/** Documented meanings of the progress log's error types (usmt.md §3.2). */
export const PROGRESS_ERROR_MEANINGS: Readonly<Record<string, string>> = {
  UnableToCopy: 'could not be copied (is the store disk full?)',
  UnableToOpen: 'could not be opened (another program had it open in non-shared mode)',
  UnableToCopyCatalog: 'the store catalog could not be copied (the store may be corrupted)',
  UnableToAccessDevice: 'the device could not be accessed',
  UnableToApply: 'the setting could not be applied on this computer',
}

/** Windows error codes that USMT reports for files, with Windows' own text. */
export const WIN32_ERRORS: Readonly<Record<number, string>> = {
  2: 'The system cannot find the file specified.',
  3: 'The system cannot find the path specified.',
  5: 'Access is denied.',
  32: 'The process cannot access the file because it is being used by another process.',
  33: 'The process cannot access the file because another process has locked a portion of the file.',
  112: 'There is not enough space on the disk.',
  123: 'The filename, directory name, or volume label syntax is incorrect.',
  206: 'The filename or extension is too long.',
  362: 'The cloud file provider is not running.',
  395: 'Access to the cloud file is denied.',
  1920: 'The file cannot be accessed by the system.',
}

export function reasonFor(type: string, errorCode: number | undefined): string {
  const meaning = PROGRESS_ERROR_MEANINGS[type] ?? type
  const win = errorCode !== undefined && errorCode !== 0 ? WIN32_ERRORS[errorCode] : undefined
  return win ? `${meaning}: ${win} (error ${errorCode})` : errorCode ? `${meaning} (error ${errorCode})` : meaning
}

export interface ProgressDigest {
  state: ProgressState
  phases: Array<{ phase: string; startedAt?: string; durationMs: number }>
}

/** The progress log folded into its final state, plus its phases with their durations. */
export function digestProgress(text: string): ProgressDigest {
  const records = parseProgressLog(text)
  const state = emptyProgressState()
  const marks: Array<{ phase: string; at: number; startedAt?: string }> = []
  for (const r of records) {
    applyProgressRecord(state, r)
    const phase = progressValue(r, 'PHASE')
    if (r.pairs[0]?.[0] === 'PHASE' && phase) marks.push({ phase, at: r.elapsedSeconds, startedAt: r.timestamp?.toISOString() })
  }
  const end = records.length ? records[records.length - 1].elapsedSeconds : 0
  const phases = marks.map((m, i) => ({ phase: m.phase, startedAt: m.startedAt, durationMs: ((marks[i + 1]?.at ?? end) - m.at) * 1000 }))
  return { state, phases }
}

/** Errors of a progress log (ignored and aborting files and settings), grouped by object and type. */
export function progressProblems(step: string, source: string, state: ProgressState): ProblemRow[] {
  const rows = new Map<string, ProblemRow>()
  for (const e of state.errors) {
    const kind = e.action.toLowerCase() === 'abort' ? 'aborted' : 'ignored'
    const key = `${kind}|${e.type}|${e.objectName}|${e.errorCode}`
    const row = rows.get(key)
    if (row) row.count++
    else rows.set(key, { step, kind, object: e.objectName, code: e.type, reason: reasonFor(e.type, e.errorCode), source, count: 1 })
  }
  return [...rows.values()]
}

/** Specific Error lines of a main log (grouped by message) and its USMT ERROR SUMMARY rows. */
export function mainLogProblems(step: string, source: string, log: ParsedUsmtLog): ProblemRow[] {
  const rows: ProblemRow[] = []
  const byMessage = new Map<string, ProblemRow>()
  // In a run that ended in success, every Error line was an error USMT ignored (/c or ErrorControl).
  const succeeded = log.outcome?.kind === 'success' || log.outcome?.kind === 'success-with-errors'
  for (const r of realErrors(log)) {
    const msg = r.message.split('\n')[0]
    const row = byMessage.get(msg)
    if (row) row.count++
    else {
      const nr: ProblemRow = { step, kind: succeeded ? 'ignored' : 'usmt', code: r.code ? `0x${r.code.toString(16).padStart(6, '0')}` : undefined, reason: msg, source, line: r.line, count: 1 }
      byMessage.set(msg, nr)
      rows.push(nr)
    }
  }
  for (const s of log.summary) {
    const obj = /(?:\bfor|\bobject) ((?:[A-Za-z]:|\\\\).*)$/.exec(s.firstOccurrence)?.[1]
    rows.push({
      step, kind: 'summary', code: String(s.errorCode), object: obj ?? s.firstOccurrence,
      reason: `${WIN32_ERRORS[s.errorCode] ?? `error ${s.errorCode}`}${s.causedAbort ? ' — caused the abort' : ''}`,
      source, count: s.recurrence,
    })
  }
  return rows
}

/** Warning lines grouped by message (real logs repeat the same warning many times). */
export function groupedWarnings(step: string, source: string, log: ParsedUsmtLog): WarningRow[] {
  const map = new Map<string, WarningRow>()
  for (const w of log.warnings) {
    const msg = w.message.split('\n')[0]
    const row = map.get(msg)
    if (row) row.count++
    else map.set(msg, { step, source, message: msg, count: 1 })
  }
  return [...map.values()]
}

export function progressPhaseRows(step: string, source: string, digest: ProgressDigest): PhaseRow[] {
  return digest.phases.map((p) => ({ step, phase: p.phase, source, startedAt: p.startedAt, durationMs: p.durationMs }))
}
