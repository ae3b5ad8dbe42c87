/**
 * Runs one USMT tool (Microsoft's or the portable one, the same way) as a child process: tails its
 * /progress file into the progress interface with a heartbeat, records the (redacted) command for the run
 * record, and reads the main log and the progress log back when it ends.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync } from 'node:fs'
import { execa } from 'execa'
import type { StepContext } from '../cli/step-command.js'
import { redactor } from '../runtime/redact.js'
import { parseUsmtLog, ProgressLogTail, type ParsedUsmtLog, type ProgressState } from '../usmt/index.js'
import { joinCommandLine } from '../windows/path.js'
import type { ToolCommand } from './locate.js'

export interface UsmtRun {
  exitCode: number
  durationMs: number
  commandLine: string
  progress: ProgressState
  log?: ParsedUsmtLog
  stdout: string
  stderr: string
  /** Set when the program could not be started at all (no exit code). */
  spawnError?: string
}

export interface RunOptions {
  progressFile?: string
  /** Other files the tool writes (e.g. /listfiles), recorded as artifacts for the report. */
  extraArtifacts?: string[]
  logFile?: string
  env?: Record<string, string>
  cwd?: string
  /** Label of the progress phase prefix (`Capturing`, `Restoring`). */
  label: string
  heartbeatMs: number
  /** Poll interval of the progress file. */
  pollMs?: number
}

/** Reads what was appended to a file since the last call. */
class FileTail {
  private offset = 0
  constructor(private readonly file: string) {}

  read(): string {
    if (!existsSync(this.file)) return ''
    const size = statSync(this.file).size
    if (size < this.offset) this.offset = 0
    if (size === this.offset) return ''
    const fd = openSync(this.file, 'r')
    try {
      const buf = Buffer.alloc(size - this.offset)
      const n = readSync(fd, buf, 0, buf.length, this.offset)
      this.offset += n
      return buf.subarray(0, n).toString('utf8')
    } finally {
      closeSync(fd)
    }
  }
}

function describe(state: ProgressState): string | undefined {
  const parts: string[] = []
  if (state.collectingUser) parts.push(state.collectingUser)
  if (state.totalMB !== undefined && Number.isFinite(state.totalMB)) parts.push(`${state.totalMB.toFixed(0)} MB`)
  if (state.minutesRemaining !== undefined && Number.isFinite(state.minutesRemaining)) parts.push(`about ${state.minutesRemaining} min left`)
  return parts.length ? parts.join(', ') : undefined
}

function minutes(ms: number): string {
  const s = Math.floor(ms / 1000)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

export async function runUsmtTool(ctx: StepContext, cmd: ToolCommand, args: readonly string[], opts: RunOptions): Promise<UsmtRun> {
  const commandLine = redactor.redact(`${cmd.display} ${joinCommandLine(args)}`)
  ctx.logger.notice(`running ${commandLine}`)
  const started = Date.now()
  const tail = new ProgressLogTail()
  // A retried step writes its progress log to the same place: keep the previous one as *.previous.log and start
  // clean, so nothing from the earlier run is read as this run's progress or outcome.
  if (opts.progressFile && existsSync(opts.progressFile)) {
    renameSync(opts.progressFile, opts.progressFile.replace(/(\.log)?$/i, '.previous.log'))
  }
  const fileTail = opts.progressFile ? new FileTail(opts.progressFile) : undefined
  let lastPhase = ''
  const pump = (): void => {
    if (!fileTail) return
    const chunk = fileTail.read()
    if (!chunk) return
    tail.push(chunk)
    const st = tail.state
    if (st.phase && st.phase !== lastPhase) {
      lastPhase = st.phase
      ctx.logger.info(`${cmd.display}: phase ${st.phase}`)
    }
    ctx.progress.update({ phase: `${opts.label}${st.phase ? ` (${st.phase})` : ''}`, percent: st.percent, detail: describe(st) })
  }
  ctx.progress.update({ phase: opts.label, detail: `starting ${cmd.display}` })
  ctx.progress.startHeartbeat(opts.heartbeatMs)
  const poll = setInterval(pump, opts.pollMs ?? 500)
  const beat = setInterval(() => {
    const st = tail.state
    ctx.logger.info(`heartbeat: ${cmd.display} has been running for ${minutes(Date.now() - started)}${st.phase ? `, phase ${st.phase}` : ''}${st.percent !== undefined ? `, ${st.percent}%` : ''}`)
  }, opts.heartbeatMs)
  beat.unref()
  const child = execa(cmd.file, [...cmd.prefix, ...args], {
    reject: false, stdin: 'ignore', cwd: opts.cwd, env: { ...opts.env }, extendEnv: true, windowsHide: true, maxBuffer: 64 * 1024 * 1024,
  })
  const result = await child
  clearInterval(poll)
  clearInterval(beat)
  ctx.progress.stopHeartbeat()
  pump()
  tail.end()
  const durationMs = Date.now() - started
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : 1
  const stdout = String(result.stdout ?? '')
  const stderr = String(result.stderr ?? '')
  for (const line of `${stdout}\n${stderr}`.split(/\r?\n/).filter((l) => l.trim())) ctx.logger.verbose(`${cmd.display}> ${line}`)
  let log: ParsedUsmtLog | undefined
  if (opts.logFile && existsSync(opts.logFile)) {
    try {
      log = parseUsmtLog(readFileSync(opts.logFile, 'utf8'))
    } catch (err) {
      ctx.logger.warn(`cannot read ${opts.logFile}: ${(err as Error).message}`)
    }
  }
  ctx.recordCommand({
    commandLine, exitCode: result.exitCode ?? null, startedAt: new Date(started).toISOString(), durationMs,
    artifacts: [opts.logFile, opts.progressFile, ...(opts.extraArtifacts ?? [])].filter((x): x is string => x !== undefined && existsSync(x)),
  })
  const spawnError = result.exitCode === undefined ? redactor.redact(String(result.message ?? 'not started')) : undefined
  if (spawnError) ctx.logger.error(`${cmd.display} could not be started: ${spawnError}`)
  return { exitCode, durationMs, commandLine, progress: tail.state, log, stdout, stderr, spawnError }
}
