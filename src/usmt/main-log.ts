/**
 * The ScanState/LoadState/UsmtUtils main log (`/l`), writer and parser side by side (usmt.md §3.3).
 * Line format, as in real logs:
 *   `YYYY-MM-DD HH:MM:SS, <Level padded to 22>[0xNNNNNN] <message>[gle=0xNNNNNNNN]`
 * Multi-line messages continue on lines indented by 35 spaces. A run ends with `Success.`,
 * `Success, N errors ignored. See the log for more information.` or `Failed.` followed by
 * `USMT Completed at …` and the `USMT ERROR SUMMARY` block; UsmtUtils writes `UsmtUtils return code: N`.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import { quoteArg } from '../windows/path.js'
import { textTable } from '../runtime/text-table.js'

export type UsmtLogLevel = 'Info' | 'Status' | 'Warning' | 'Error'

const CONTINUATION = ' '.repeat(35)

const pad2 = (n: number): string => String(n).padStart(2, '0')

/** `2018-04-20 09:26:17` in local time. */
export function formatLogTimestamp(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
}

/** `2018/04/20:09:26:17.306` as in "USMT Started at …". */
export function formatUsmtClock(d: Date): string {
  return `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())}:${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

export interface LogLineOptions {
  /** The 6-hex-digit message code (0 for generic lines). */
  code?: number
  /** GetLastError value appended as `[gle=0x…]`. */
  gle?: number
}

/** One record (possibly several physical lines) in USMT's format, without the final newline. */
export function formatLogRecord(time: Date, level: UsmtLogLevel, message: string, opts: LogLineOptions = {}): string {
  const code = `[0x${(opts.code ?? 0).toString(16).padStart(6, '0')}]`
  const gle = opts.gle === undefined ? '' : `[gle=0x${opts.gle.toString(16).padStart(8, '0')}]`
  const lines = message.replace(/\r\n/g, '\n').split('\n')
  const head = `${formatLogTimestamp(time)}, ${level.padEnd(22)}${code} ${lines[0]}`
  const rest = lines.slice(1).map((l) => (l.length ? `${CONTINUATION}${l}` : ''))
  return [head, ...rest].join('\r\n') + gle
}

/** The command line as USMT logs it, with `##ERROR## -->` before the offending argument. */
export function markErrorArg(program: string, argv: readonly string[], argIndex?: number): string {
  const parts = [program, ...argv.map(quoteArg)]
  if (argIndex !== undefined && argIndex >= 0 && argIndex < argv.length) parts.splice(argIndex + 1, 0, '##ERROR## -->')
  return parts.join(' ')
}

export interface ErrorSummaryRow {
  errorCode: number
  causedAbort: boolean
  recurrence: number
  firstOccurrence: string
}

/**
 * A main-log writer. Lines are buffered and written with synchronous writes (flushed every 64 KiB, on
 * `flush()` and on `close()`), so a crash loses at most the last unflushed records. `redact` is applied
 * to every message (keys and passwords never reach the log).
 */
export class UsmtMainLog {
  private fd: number | null
  private buffer: string[] = []
  private buffered = 0
  private readonly clock: () => Date
  private readonly redact: (s: string) => string
  errors = 0
  warnings = 0

  constructor(path: string | null, opts: { clock?: () => Date; redact?: (s: string) => string; append?: boolean } = {}) {
    this.fd = path === null ? null : openSync(path, opts.append ? 'a' : 'w')
    this.clock = opts.clock ?? (() => new Date())
    this.redact = opts.redact ?? ((s) => s)
  }

  get enabled(): boolean {
    return this.fd !== null
  }

  record(level: UsmtLogLevel, message: string, opts: LogLineOptions = {}): void {
    if (level === 'Error') this.errors++
    if (level === 'Warning') this.warnings++
    if (this.fd === null) return
    const line = `${formatLogRecord(this.clock(), level, this.redact(message), opts)}\r\n`
    this.buffer.push(line)
    this.buffered += line.length
    if (this.buffered >= 65536) this.flush()
  }

  info(message: string, opts?: LogLineOptions): void { this.record('Info', message, opts) }
  status(message: string, opts?: LogLineOptions): void { this.record('Status', message, opts) }
  warning(message: string, opts?: LogLineOptions): void { this.record('Warning', message, opts) }
  error(message: string, opts?: LogLineOptions): void { this.record('Error', message, opts) }

  /** The opening lines: `<TOOL>.EXE Version …`, `USMT Started at …`, `Command line: …`. */
  header(tool: 'SCANSTATE' | 'LOADSTATE' | 'USMTUTILS', version: string, commandLine: string, started: Date): void {
    this.info(`${tool}.EXE Version ${version}`)
    this.info(`USMT Started at ${formatUsmtClock(started)}`)
    this.info(`Command line: ${commandLine}`)
  }

  /** `Success.` / `Success, N errors ignored. …` + completion + error summary. */
  success(ignored: ErrorSummaryRow[], ignoredCount: number): void {
    this.info(ignoredCount > 0 ? `Success, ${ignoredCount} errors ignored. See the log for more information.` : 'Success.')
    this.completed(ignored)
  }

  /** `Failed.` with its indented detail lines, completion and error summary. */
  failed(details: readonly string[], summary: ErrorSummaryRow[] = []): void {
    this.info(['Failed.', ...details.map((d) => `  ${d}`)].join('\n'))
    this.completed(summary)
  }

  /** `UsmtUtils return code: N` (UsmtUtils logs end this way). */
  returnCode(code: number): void {
    this.info(`UsmtUtils return code: ${code}`)
    this.info(`USMT Completed at ${formatUsmtClock(this.clock())}`)
  }

  private completed(summary: ErrorSummaryRow[]): void {
    this.info(`USMT Completed at ${formatUsmtClock(this.clock())}`)
    this.info('----------------------------------- USMT ERROR SUMMARY -----------------------------------')
    if (summary.length === 0) {
      this.info('No error in migration process is recorded.')
      return
    }
    this.info('* One or more errors were encountered in migration (ordered by first occurence)')
    this.info('+-----------------------------------------------------------------------------------------')
    this.info('|    Error Code | Caused Abort | Recurrence | First Occurence')
    for (const r of summary) {
      this.info(textTable([[String(r.errorCode), r.causedAbort ? 'Yes' : 'No', String(r.recurrence), r.firstOccurrence]], { indent: '| ', gap: ' | ', columns: [{ width: 13, align: 'right' }, { width: 12, align: 'right' }, { width: 10, align: 'right' }] })[0])
    }
    this.info('+-----------------------------------------------------------------------------------------')
  }

  flush(): void {
    if (this.fd === null || this.buffer.length === 0) return
    writeSync(this.fd, this.buffer.join(''))
    this.buffer = []
    this.buffered = 0
  }

  close(): void {
    this.flush()
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

// ---------------------------------------------------------------- parser

export interface UsmtLogRecord {
  /** `YYYY-MM-DD HH:MM:SS` as written. */
  time: string
  level: UsmtLogLevel
  code: number
  /** The message (continuation lines joined with `\n`), without the `[gle=…]` suffix. */
  message: string
  gle?: number
  /** 1-based line number of the record's first line. */
  line: number
}

export interface ParsedUsmtLog {
  records: UsmtLogRecord[]
  tool?: string
  version?: string
  commandLine?: string
  started?: string
  completed?: string
  /**
   * The final verdict line. For `Failed.` the details are its own continuation lines and the indented records
   * that follow it (real LoadState writes the reason as a separate Info record after `Failed.`); `cause` is the
   * first detail that is neither a generic closing line nor the echoed command line.
   */
  outcome?: { kind: 'success' | 'success-with-errors' | 'failed'; ignoredErrors: number; details: string[]; cause?: string }
  /** `UsmtUtils return code: N`. */
  returnCode?: number
  errors: UsmtLogRecord[]
  warnings: UsmtLogRecord[]
  summary: ErrorSummaryRow[]
}

/**
 * Lines USMT writes at the end of every failed run. The USMT team explains that they are generic and that the
 * real cause is a few lines earlier (usmt.md §3.3), so they never count as the cause.
 */
export const GENERIC_FAILURE_LINES: readonly RegExp[] = [
  /^Unable to Complete Migration/i,
  /MigDoMigration Failed/i,
  /^Migration failed to complete successfully/i,
  /^USMT is shutting down due to errors/i,
  /^An error occurred processing the command line\.?$/i,
  /^Failed\.?$/i,
]

export function isGenericFailureLine(message: string): boolean {
  const first = message.split('\n')[0].trim()
  return GENERIC_FAILURE_LINES.some((r) => r.test(first))
}

const GLE_ANYWHERE = /\[gle=0x[0-9a-fA-F]+\]$/

/** The detail that explains a `Failed.` block: not generic, not (a wrapped piece of) the echoed command line. */
export function causeFromFailedDetails(details: readonly string[], commandLine?: string): string | undefined {
  const echo = (commandLine ?? '').replace(/\s+/g, ' ')
  return details.find((d) => {
    if (d.length === 0 || isGenericFailureLine(d) || d.includes('##ERROR##')) return false
    return !(echo.length > 0 && echo.includes(d.replace(/\s+/g, ' ')))
  })
}

const HEAD = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}), (Info|Status|Warning|Error)\s+\[0x([0-9a-fA-F]{6})\] ?(.*)$/
const GLE = /\[gle=0x([0-9a-fA-F]{8})\]$/

/** Parse a main log (BOMs anywhere at line starts are ignored, as logs appended by several runs carry them). */
export function parseUsmtLog(text: string): ParsedUsmtLog {
  const records: UsmtLogRecord[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^\uFEFF/, '')
    const m = HEAD.exec(line)
    if (m) {
      records.push({ time: m[1], level: m[2] as UsmtLogLevel, code: parseInt(m[3], 16), message: m[4], line: i + 1 })
    } else if (records.length > 0 && line.trim().length > 0) {
      records[records.length - 1].message += `\n${line.replace(/^ {35}/, '')}`
    }
  }
  for (const r of records) {
    const g = GLE.exec(r.message)
    if (g) {
      r.gle = parseInt(g[1], 16)
      r.message = r.message.slice(0, g.index)
    }
  }
  const out: ParsedUsmtLog = { records, errors: [], warnings: [], summary: [] }
  let inSummary = false
  for (let i = 0; i < records.length; i++) {
    const r = records[i]
    if (r.level === 'Error') out.errors.push(r)
    if (r.level === 'Warning') out.warnings.push(r)
    const msg = r.message
    let m: RegExpExecArray | null
    if ((m = /^(\w+)\.EXE Version (.+)$/i.exec(msg)) && !out.tool) {
      out.tool = m[1].toUpperCase()
      out.version = m[2].trim()
    } else if (msg.startsWith('USMT Started at ')) out.started = msg.slice('USMT Started at '.length)
    else if (msg.startsWith('Command line: ') && out.commandLine === undefined) out.commandLine = msg.slice('Command line: '.length).replace(/\n/g, ' ')
    else if (msg.startsWith('USMT Completed at ')) out.completed = msg.slice('USMT Completed at '.length)
    else if (msg === 'Success.') out.outcome = { kind: 'success', ignoredErrors: 0, details: [] }
    else if ((m = /^Success, (\d+) errors ignored\./.exec(msg))) out.outcome = { kind: 'success-with-errors', ignoredErrors: Number(m[1]), details: [] }
    else if (msg.startsWith('Failed.')) {
      const lines = msg.split('\n').slice(1)
      // Detail lines follow `Failed.` as its own continuation lines or as indented records of their own.
      for (let j = i + 1; j < records.length && /^\s/.test(records[j].message); j++) lines.push(...records[j].message.split('\n'))
      const details = lines.map((l) => l.replace(GLE_ANYWHERE, '').trim()).filter(Boolean)
      out.outcome = { kind: 'failed', ignoredErrors: 0, details, cause: causeFromFailedDetails(details, out.commandLine) }
    }
    else if ((m = /^UsmtUtils return code: (\d+)/.exec(msg))) out.returnCode = Number(m[1])
    else if (msg.includes('USMT ERROR SUMMARY')) inSummary = true
    else if (inSummary && (m = /^\|\s*(\d+)\s*\|\s*(Yes|No)\s*\|\s*(\d+)\s*\|\s*(.*)$/.exec(msg))) {
      out.summary.push({ errorCode: Number(m[1]), causedAbort: m[2] === 'Yes', recurrence: Number(m[3]), firstOccurrence: m[4] })
    }
  }
  return out
}
