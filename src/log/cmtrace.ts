/**
 * CMTrace log lines (configmgr-mdt.md §3.5):
 *   <![LOG[message]LOG]!><time="HH:mm:ss.fff+bias" date="MM-dd-yyyy" component="c" context="" type="1" thread="n" file="f">
 * `bias` is UTC − local time in minutes with an explicit sign (+000 for UTC, -60 for UTC+1), the way native
 * ConfigMgr logs write it. Messages are kept on one physical line and can never close the LOG marker early.
 */
export type CmtraceType = 1 | 2 | 3
/** What real logs carry: ConfigMgr also writes `type="0"` (verbose/debug records, e.g. in smsts.log). */
export type CmtraceReadType = 0 | CmtraceType

export interface CmtraceEntry {
  message: string
  component: string
  type: CmtraceType
  time: Date
  thread?: number | string
  file?: string
  context?: string
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

export function formatBias(biasMinutes: number): string {
  if (biasMinutes === 0) return '+000'
  return biasMinutes > 0 ? `+${biasMinutes}` : `-${Math.abs(biasMinutes)}`
}

export function sanitizeMessage(message: string): string {
  // eslint-disable-next-line no-control-regex -- NUL must never reach a log line
  return message.replace(/\]LOG\]!>/g, ']LOG]!&gt;').replace(/\r?\n/g, ' | ').replace(/[\r\x00]/g, ' ')
}

const attr = (v: string): string => v.replace(/"/g, "'").replace(/[\r\n]/g, ' ')

export function formatCmtraceLine(e: CmtraceEntry): string {
  const t = e.time
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}${formatBias(t.getTimezoneOffset())}`
  const date = `${pad(t.getMonth() + 1)}-${pad(t.getDate())}-${t.getFullYear()}`
  return `<![LOG[${sanitizeMessage(e.message)}]LOG]!><time="${time}" date="${date}" component="${attr(e.component)}" context="${attr(e.context ?? '')}" type="${e.type}" thread="${e.thread ?? process.pid}" file="${attr(e.file ?? '')}">`
}

/** Strict parser (used by tests and by `report` to read our own and ConfigMgr's logs, `type="0"` included). */
export const CMTRACE_LINE = /^<!\[LOG\[(.*)\]LOG\]!><time="(\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-]\d+)" date="(\d{2})-(\d{2})-(\d{4})" component="([^"]*)" context="([^"]*)" type="([0123])" thread="([^"]*)" file="([^"]*)">$/

export interface ParsedCmtraceLine {
  message: string
  component: string
  type: CmtraceReadType
  thread: string
  file: string
  /** Local wall-clock fields as written. */
  date: string
  time: string
  bias: number
}

export function parseCmtraceLine(line: string): ParsedCmtraceLine | null {
  const m = CMTRACE_LINE.exec(line)
  if (!m) return null
  return {
    message: m[1], component: m[10], type: Number(m[12]) as CmtraceReadType, thread: m[13], file: m[14],
    date: `${m[7]}-${m[8]}-${m[9]}`, time: `${m[2]}:${m[3]}:${m[4]}.${m[5]}`, bias: Number(m[6]),
  }
}
