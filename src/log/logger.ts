import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { redactor } from '../runtime/redact.js'
import { formatCmtraceLine, type CmtraceType } from './cmtrace.js'

export type LogLevel = 'verbose' | 'info' | 'warning' | 'error'

const TYPE: Record<LogLevel, CmtraceType> = { verbose: 1, info: 1, warning: 2, error: 3 }

export interface LoggerOptions {
  component: string
  /** Echo concise lines to stderr (off in tests and under --json quiet modes). */
  echo?: boolean
  verbose?: boolean
  maxBytes?: number
  stderr?: (line: string) => void
  fileName?: string
}

interface Pending { level: LogLevel; message: string; time: Date }

/**
 * CMTrace logger. Lines are buffered until the log folder is known (`_SMSTSLogPath` is read from the
 * task-sequence environment, which is itself opened after logging starts), then every line is appended
 * synchronously so nothing is lost when the process exits. At `maxBytes` the file is rolled over to
 * `usmt-steps.lo_`, as ConfigMgr does with its own logs. Every message passes through the redactor.
 */
export class Logger {
  private buffer: Pending[] = []
  private file: string | undefined
  private readonly opts: Required<Omit<LoggerOptions, 'stderr'>> & { stderr: (line: string) => void }
  readonly warnings: string[] = []

  constructor(opts: LoggerOptions) {
    this.opts = {
      echo: opts.echo ?? true,
      verbose: opts.verbose ?? false,
      maxBytes: opts.maxBytes ?? 2_621_440,
      component: opts.component,
      fileName: opts.fileName ?? 'usmt-steps.log',
      stderr: opts.stderr ?? ((line) => process.stderr.write(`${line}\n`)),
    }
  }

  get path(): string | undefined {
    return this.file
  }

  setVerbose(v: boolean): void {
    this.opts.verbose = v
  }

  setEcho(v: boolean): void {
    this.opts.echo = v
  }

  setMaxBytes(n: number): void {
    this.opts.maxBytes = n
  }

  /** Set the folder and flush buffered lines. Returns the log file path. */
  attach(dir: string): string {
    mkdirSync(dir, { recursive: true })
    this.file = nodePath.join(dir, this.opts.fileName)
    const pending = this.buffer
    this.buffer = []
    for (const p of pending) this.write(p)
    return this.file
  }

  /** Flush to the system temp folder if no folder was ever set (so early failures are still logged). */
  flushToFallback(): string | undefined {
    if (this.file || this.buffer.length === 0) return this.file
    try {
      return this.attach(nodePath.join(os.tmpdir(), 'usmt-steps'))
    } catch {
      return undefined
    }
  }

  verbose(message: string): void {
    if (this.opts.verbose) this.log('verbose', message)
  }

  info(message: string): void {
    this.log('info', message)
  }

  /** An info line that is also shown on stderr (the few lines an admin watching the step should see). */
  notice(message: string): void {
    this.log('info', message, true)
  }

  warn(message: string): void {
    this.warnings.push(redactor.redact(message))
    this.log('warning', message)
  }

  error(message: string): void {
    this.log('error', message)
  }

  log(level: LogLevel, message: string, notice = false): void {
    const entry = { level, message: redactor.redact(message), time: new Date() }
    const shown = level === 'warning' || level === 'error' || notice || this.opts.verbose
    if (this.opts.echo && shown) {
      const prefix = level === 'error' ? 'error: ' : level === 'warning' ? 'warning: ' : ''
      this.opts.stderr(`${prefix}${entry.message}`)
    }
    if (this.file) this.write(entry)
    else this.buffer.push(entry)
  }

  private write(p: Pending): void {
    if (!this.file) return
    const message = p.level === 'verbose' ? `[verbose] ${p.message}` : p.message
    const line = `${formatCmtraceLine({ message, component: this.opts.component, type: TYPE[p.level], time: p.time, file: 'usmt-steps' })}\r\n`
    this.rollIfNeeded(Buffer.byteLength(line))
    appendFileSync(this.file, line)
  }

  private rollIfNeeded(incoming: number): void {
    if (!this.file) return
    let size = 0
    try {
      size = statSync(this.file).size
    } catch {
      return
    }
    if (size + incoming <= this.opts.maxBytes) return
    const rolled = this.file.replace(/\.log$/i, '.lo_')
    try {
      rmSync(rolled, { force: true })
      renameSync(this.file, rolled)
    } catch {
      /* another process rolled it; keep appending */
    }
  }
}
