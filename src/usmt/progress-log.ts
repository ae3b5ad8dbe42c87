/**
 * The USMT progress log (`/progress`), writer and parser side by side (usmt.md §3.2). Each line:
 *   `09 Feb 2021, 22:20:27 -02:00, 00:00:45, key, value, key, value…`
 * Date `dd MMM yyyy`, local time with UTC offset, elapsed run time `hh:mm:ss`, then key/value pairs;
 * values that contain a space, a comma or a quote are double-quoted (`""` inside quotes is a quote).
 */
import { closeSync, openSync, writeSync } from 'node:fs'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad2 = (n: number): string => String(n).padStart(2, '0')

export type ProgressValue = string | number

export function formatProgressDate(d: Date): string {
  return `${pad2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`
}

export function formatProgressTime(d: Date): string {
  const off = -d.getTimezoneOffset()
  const sign = off < 0 ? '-' : '+'
  const a = Math.abs(off)
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${sign}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`
}

export function quoteProgressValue(v: ProgressValue): string {
  const s = String(v)
  return /[\s,"]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s
}

export function formatProgressLine(now: Date, elapsedMs: number, pairs: ReadonlyArray<readonly [string, ProgressValue]>): string {
  const kv = pairs.flatMap(([k, v]) => [k, quoteProgressValue(v)])
  return [formatProgressDate(now), formatProgressTime(now), formatElapsed(elapsedMs), ...kv].join(', ')
}

export type ProgressPhase = 'Initializing' | 'Scanning' | 'Collecting' | 'Saving' | 'Estimating' | 'Applying'
export type ProgressErrorType = 'UnableToCopy' | 'UnableToOpen' | 'UnableToCopyCatalog' | 'UnableToAccessDevice' | 'UnableToApply'

/**
 * Writes the documented progress lines. Percentages are written only when they change, and never go
 * backwards. Lines are written synchronously (a progress log is read while the tool runs).
 */
export class ProgressLogWriter {
  private fd: number | null
  private readonly started: number
  private readonly clock: () => Date
  private lastPercent = -1
  private readonly redact: (s: string) => string

  constructor(path: string | null, opts: { clock?: () => Date; started?: Date; redact?: (s: string) => string } = {}) {
    this.fd = path === null ? null : openSync(path, 'w')
    this.clock = opts.clock ?? (() => new Date())
    this.started = (opts.started ?? this.clock()).getTime()
    this.redact = opts.redact ?? ((s) => s)
  }

  line(pairs: ReadonlyArray<readonly [string, ProgressValue]>): void {
    if (this.fd === null) return
    const now = this.clock()
    const safe = pairs.map(([k, v]) => [k, typeof v === 'string' ? this.redact(v) : v] as const)
    writeSync(this.fd, `${formatProgressLine(now, now.getTime() - this.started, safe)}\r\n`)
  }

  program(program: 'ScanState.exe' | 'LoadState.exe', productVersion: string, computerName: string, commandLine: string): void {
    this.line([['program', program], ['productVersion', productVersion], ['computerName', computerName], ['commandLine', commandLine]])
  }

  phase(phase: ProgressPhase): void { this.line([['PHASE', phase]]) }

  detectedUser(user: string, included: boolean): void {
    this.line([['detectedUser', user], ['includedInMigration', included ? 'Yes' : 'No']])
  }

  component(forUser: string, component: string, included: boolean): void {
    this.line([['forUser', forUser], ['detectedComponent', component], ['includedInMigration', included ? 'Yes' : 'No']])
  }

  totalSize(bytes: number): void {
    this.line([['totalSizeInMBToTransfer', (bytes / 1048576).toFixed(2)]])
  }

  collectingUser(user: string): void { this.line([['collectingUser', user]]) }

  percent(p: number): void {
    const v = Math.max(0, Math.min(100, Math.floor(p)))
    if (v <= this.lastPercent) return
    this.lastPercent = v
    this.line([['totalPercentageCompleted', v]])
  }

  minutesRemaining(minutes: number): void { this.line([['totalMinutesRemaining', Math.max(0, Math.round(minutes))]]) }

  error(type: ProgressErrorType, objectName: string, action: 'Ignore' | 'Abort', errorCode: number): void {
    this.line([['error', type], ['objectName', objectName], ['action', action], ['errorCode', errorCode]])
  }

  final(errorCode: number, ignoredErrors: number, message: string): void {
    this.line([['errorCode', errorCode], ['numberOfIgnoredErrors', ignoredErrors], ['message', message]])
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

// ---------------------------------------------------------------- parser

export interface ProgressRecord {
  /** `09 Feb 2021` */
  date: string
  /** `22:20:27 -02:00` (the offset may be absent in older logs). */
  time: string
  /** `00:00:45` */
  elapsed: string
  elapsedSeconds: number
  /** The instant, when date and time parse (with the offset when present, else as local time). */
  timestamp?: Date
  pairs: Array<[string, string]>
}

/** Split on `, ` / `,` outside double quotes; unquote values. */
function splitFields(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let inQ = false
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (inQ) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++ } else if (ch === '"') inQ = false
      else cur += ch
      continue
    }
    if (ch === '"' && cur.trim() === '') { inQ = true; quoted = true; cur = ''; continue }
    if (ch === ',') {
      out.push(quoted ? cur : cur.trim())
      cur = ''
      quoted = false
      if (line[i + 1] === ' ') i++
      continue
    }
    cur += ch
  }
  out.push(quoted ? cur : cur.trim())
  return out
}

export function parseProgressLine(raw: string): ProgressRecord | null {
  const line = raw.replace(/^\uFEFF/, '').replace(/\r$/, '')
  if (!line.trim()) return null
  const f = splitFields(line)
  if (f.length < 3) return null
  const [date, time, elapsed] = f
  const dm = /^(\d{1,2}) ([A-Za-z]{3}) (\d{4})$/.exec(date)
  const tm = /^(\d{1,2}):(\d{2}):(\d{2})(?: ([+-])(\d{2}):(\d{2}))?$/.exec(time)
  const em = /^(\d+):(\d{2}):(\d{2})$/.exec(elapsed)
  if (!dm || !tm || !em) return null
  const pairs: Array<[string, string]> = []
  for (let i = 3; i < f.length; i += 2) pairs.push([f[i], f[i + 1] ?? ''])
  const month = MONTHS.findIndex((m) => m.toLowerCase() === dm[2].toLowerCase())
  let timestamp: Date | undefined
  if (month >= 0) {
    if (tm[4]) {
      const off = (Number(tm[5]) * 60 + Number(tm[6])) * (tm[4] === '-' ? -1 : 1)
      timestamp = new Date(Date.UTC(Number(dm[3]), month, Number(dm[1]), Number(tm[1]), Number(tm[2]), Number(tm[3])) - off * 60000)
    } else {
      timestamp = new Date(Number(dm[3]), month, Number(dm[1]), Number(tm[1]), Number(tm[2]), Number(tm[3]))
    }
  }
  return {
    date, time, elapsed, elapsedSeconds: Number(em[1]) * 3600 + Number(em[2]) * 60 + Number(em[3]), timestamp, pairs,
  }
}

export function parseProgressLog(text: string): ProgressRecord[] {
  return text.split(/\n/).map(parseProgressLine).filter((r): r is ProgressRecord => r !== null)
}

export function progressValue(r: ProgressRecord, key: string): string | undefined {
  return r.pairs.find(([k]) => k === key)?.[1]
}

export interface ProgressError {
  type: string
  objectName: string
  action: string
  errorCode: number
}

/** The state a progress log describes so far (fold records through `applyProgressRecord`). */
export interface ProgressState {
  program?: string
  productVersion?: string
  computerName?: string
  commandLine?: string
  phase?: string
  percent?: number
  totalMB?: number
  minutesRemaining?: number
  collectingUser?: string
  detectedUsers: Array<{ user: string; included: boolean }>
  components: Array<{ forUser: string; component: string; included: boolean }>
  errors: ProgressError[]
  /** The final line: errorCode, numberOfIgnoredErrors, message. */
  final?: { errorCode: number; ignoredErrors: number; message: string }
  elapsedSeconds: number
}

export function emptyProgressState(): ProgressState {
  return { detectedUsers: [], components: [], errors: [], elapsedSeconds: 0 }
}

export function applyProgressRecord(state: ProgressState, r: ProgressRecord): ProgressState {
  const get = (k: string): string | undefined => progressValue(r, k)
  state.elapsedSeconds = r.elapsedSeconds
  const first = r.pairs[0]?.[0]
  switch (first) {
    case 'program':
      state.program = get('program'); state.productVersion = get('productVersion')
      state.computerName = get('computerName'); state.commandLine = get('commandLine')
      break
    case 'PHASE': state.phase = get('PHASE'); break
    case 'detectedUser': state.detectedUsers.push({ user: get('detectedUser') ?? '', included: get('includedInMigration') === 'Yes' }); break
    case 'forUser':
      if (get('detectedComponent') !== undefined) state.components.push({ forUser: get('forUser') ?? '', component: get('detectedComponent') ?? '', included: get('includedInMigration') === 'Yes' })
      break
    case 'totalSizeInMBToTransfer': state.totalMB = Number(get(first)); break
    case 'totalPercentageCompleted': state.percent = Number(get(first)); break
    case 'totalMinutesRemaining': state.minutesRemaining = Number(get(first)); break
    case 'collectingUser': state.collectingUser = get(first); break
    case 'error':
      state.errors.push({ type: get('error') ?? '', objectName: get('objectName') ?? '', action: get('action') ?? '', errorCode: Number(get('errorCode') ?? 0) })
      break
    case 'errorCode':
      state.final = { errorCode: Number(get('errorCode')), ignoredErrors: Number(get('numberOfIgnoredErrors') ?? 0), message: get('message') ?? '' }
      break
    default:
      break
  }
  return state
}

export function summarizeProgress(text: string): ProgressState {
  return parseProgressLog(text).reduce(applyProgressRecord, emptyProgressState())
}

/**
 * Incremental reader for a progress log that is still being written: feed it the bytes appended since
 * the last call; complete lines are folded into `state`, a trailing partial line waits for the next chunk.
 */
export class ProgressLogTail {
  readonly state: ProgressState = emptyProgressState()
  private rest = ''

  push(chunk: string): ProgressRecord[] {
    const text = this.rest + chunk
    const lines = text.split('\n')
    this.rest = lines.pop() ?? ''
    const recs = lines.map(parseProgressLine).filter((r): r is ProgressRecord => r !== null)
    for (const r of recs) applyProgressRecord(this.state, r)
    return recs
  }

  /** Flush a final line without a newline. */
  end(): ProgressRecord[] {
    const r = parseProgressLine(this.rest)
    this.rest = ''
    if (!r) return []
    applyProgressRecord(this.state, r)
    return [r]
  }
}
