/**
 * How scanstate, loadstate (and, for its log, usmtutils) start a run: the clock, the redacted command line, the
 * main log where /l asks (opened before the command line is parsed, so a refused one is still logged there), the
 * command line itself (/? and refusals), and the /progress log. What they return when they stop early is the
 * USMT return code and message.
 */
import { redactor } from '../runtime/redact.js'
import type { UsmtMainLog } from '../usmt/main-log.js'
import type { ProgressLogWriter } from '../usmt/progress-log.js'
import { USMT_MESSAGES, UsmtFailure } from '../usmt/return-codes.js'
import { joinCommandLine } from '../windows/path.js'
import { commandLineFailureText, lenientLogPath, logFailure, openMainLog, openProgressLog, toUsmtFailure, type PortableContext } from './common.js'

/**
 * The main log every portable tool opens first, at the /l path of its command line (read leniently, so that a
 * command line that fails to parse is still logged where asked); a bad /l path is the failure the tool returns (13).
 */
export function openToolLog(ctx: Pick<PortableContext, 'argv' | 'cwd' | 'volumes'>, now: () => Date, phase: 'gather' | 'apply' | 'utils'): UsmtMainLog | UsmtFailure {
  try {
    return openMainLog(lenientLogPath(ctx.argv), ctx, now)
  } catch (err) {
    return toUsmtFailure(err, phase)
  }
}

export interface ToolStart {
  now: () => Date
  started: Date
  /** The command line as logged (secrets redacted). */
  commandLine: string
  log: UsmtMainLog
}

/**
 * The start scanstate and loadstate share: the clock, the redacted command line, and the main log (openToolLog)
 * with USMT's header; a bad /l path is the failure the tool returns.
 */
export function startTool(ctx: Pick<PortableContext, 'argv' | 'cwd' | 'volumes' | 'version' | 'now'>, program: 'scanstate' | 'loadstate', phase: 'gather' | 'apply'): ToolStart | UsmtFailure {
  const now = ctx.now ?? (() => new Date())
  const started = now()
  const commandLine = redactor.redact(joinCommandLine([program, ...ctx.argv]))
  const log = openToolLog(ctx, now, phase)
  if (log instanceof UsmtFailure) return log
  log.header(program === 'scanstate' ? 'SCANSTATE' : 'LOADSTATE', ctx.version, commandLine, started)
  log.status("Activity: 'MIGACTIVITY_COMMAND_LINE_PROCESSING'")
  return { now, started, commandLine, log }
}

/** What scanstate or loadstate returns without running: /? (1) or a command line it refuses (its return code). */
export interface EarlyExit {
  returnCode: number
  message: string
}

/**
 * scanstate's and loadstate's command line: `parse` reads it (and registers its secrets), /? prints `help`, then
 * `check` refuses what the tool cannot do. A refused command line is logged the USMT way, printed, and returned
 * with its code; the log is closed on every early exit.
 */
export function parseToolCommandLine<O extends { help?: boolean }>(
  ctx: Pick<PortableContext, 'argv' | 'out'>, log: UsmtMainLog, tool: { program: string; phase: 'gather' | 'apply'; help: string },
  parse: () => O, check: (o: O) => void,
): { options: O } | { exit: EarlyExit } {
  try {
    const o = parse()
    if (o.help) {
      ctx.out(tool.help)
      log.info(USMT_MESSAGES.help)
      log.close()
      return { exit: { returnCode: 1, message: USMT_MESSAGES.help } }
    }
    check(o)
    return { options: o }
  } catch (err) {
    const f = toUsmtFailure(err, tool.phase)
    logFailure(log, tool.program, ctx.argv, f, 'command line')
    log.close()
    ctx.out(commandLineFailureText(f, ctx.argv))
    return { exit: { returnCode: f.returnCode, message: f.message } }
  }
}

/**
 * The /progress log of scanstate or loadstate, opened once the command line is read, with its program line and
 * the Initializing phase; a bad path is logged as a failed run and returned with its code (the main log is closed).
 */
export function openToolProgress(
  ctx: Pick<PortableContext, 'argv' | 'cwd' | 'volumes' | 'version' | 'computer'>, start: ToolStart, tool: { program: 'scanstate' | 'loadstate'; phase: 'gather' | 'apply' },
  path: string | undefined,
): { progress: ProgressLogWriter } | { exit: EarlyExit } {
  let progress: ProgressLogWriter
  try {
    progress = openProgressLog(path, ctx, start.now, start.started)
  } catch (err) {
    const f = toUsmtFailure(err, tool.phase)
    logFailure(start.log, tool.program, ctx.argv, f, 'run')
    start.log.close()
    return { exit: { returnCode: f.returnCode, message: f.message } }
  }
  progress.program(tool.program === 'scanstate' ? 'ScanState.exe' : 'LoadState.exe', ctx.version, ctx.computer ?? 'PC', start.commandLine)
  progress.phase('Initializing')
  return { progress }
}
