import { Command, Flags } from '@oclif/core'
import { createReadStream, rmSync } from 'node:fs'
import * as nodePath from 'node:path'
import { createInterface } from 'node:readline'
import { Logger } from '../log/logger.js'
import { BarSink, LineSink, ProgressReporter, type ProgressSink } from '../progress/progress.js'
import { shouldShowTsProgress, TsDialogSink } from '../progress/ts-dialog.js'
import { toUsmtStepsError, UsmtStepsError } from '../runtime/errors.js'
import { exitCodeOf, type ExitName } from '../runtime/exit-codes.js'
import { installStreamGuards, redactor } from '../runtime/redact.js'
import { resolveSetting, type SettingValue } from '../runtime/settings.js'
import { settingDef } from '../runtime/settings/index.js'
import { PhaseClock, writeRunRecord, type CommandRecord, type RunRecord } from '../runtime/run-record.js'
import { resultVariables, summaryLine, type StepStatus } from '../runtime/step-result.js'
import * as os from 'node:os'
import { openTsEnvironment, type TsEnvironment } from '../ts-env/index.js'
import { JsonTsEnvironment } from '../ts-env/json-env.js'

/** Print `{status, result, warnings}` where result is the JSON text in `file`, without holding it in memory. */
async function streamJsonDocument(status: StepStatus, file: string, warnings: string[]): Promise<void> {
  const write = (text: string): Promise<void> => new Promise((resolve, reject) => {
    if (process.stdout.write(text)) return resolve()
    const onDrain = (): void => { process.stdout.off('error', onError); resolve() }
    const onError = (err: Error): void => { process.stdout.off('drain', onDrain); reject(err) }
    process.stdout.once('drain', onDrain).once('error', onError)
  })
  await write(`{\n  "status": ${JSON.stringify(status)},\n  "result": `)
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })
  let first = true
  for await (const line of lines) {
    await write(`${first ? '' : '\n'}${redactor.redact(line)}`)
    first = false
  }
  await write(`,\n  "warnings": ${JSON.stringify(redactor.redactDeep(warnings))}\n}\n`)
}

/** What a command's `execute` returns. */
export interface StepOutcome<R> {
  result: R
  /** One sentence for the summary line and USMTStepsLastMessage. */
  summary: string
  /** 'warning' when the step succeeded with warnings (exit code stays 0). */
  status?: Exclude<StepStatus, 'error'>
  /** Human-readable body printed before the summary line (not under --json). */
  text?: string
  /** Extra task-sequence variables to write (validated, committed with the result variables). */
  variables?: Record<string, string>
  /** success (0) or reboot (3010). */
  exit?: Extract<ExitName, 'success' | 'reboot'>
  /** Override the exit code entirely (the portable USMT tools return USMT's own codes). */
  exitCode?: number
  /** Other folders that get a copy of the run record (capture puts one in the store for the restore side's report). */
  recordAlsoIn?: string[]
  /**
   * For results too large to hold in memory (rules preview of a whole disk): a file holding the JSON value of
   * the result, written by the command. Under --json the base streams it to stdout line by line through the
   * redactor, between the status and the warnings, then deletes it; `result` is then only a small summary
   * (used for the run record).
   */
  resultJsonFile?: string
}

export interface StepContext {
  readonly json: boolean
  readonly cwd: string
  readonly env: Record<string, string | undefined>
  readonly logger: Logger
  readonly progress: ProgressReporter
  readonly flags: Record<string, unknown>
  /** The task-sequence environment (opened on first use). */
  tsEnv(): Promise<TsEnvironment>
  /** A registered setting, resolved flag > TS variable > env > default. */
  setting(key: string): Promise<SettingValue>
  warn(message: string): void
  /** Record a child command for the run record and the report (the command line is redacted). */
  recordCommand(command: CommandRecord): void
  /** The folder of usmt-steps.log once known (run records and copied USMT logs go there). */
  logDir(): string | undefined
}

/**
 * Base of every usmt-steps command: common flags, the task-sequence environment, CMTrace logging,
 * progress, secret redaction, result variables, `--json` ({status, result, warnings}) and the exit-code
 * contract. Commands implement `execute` and stay thin.
 */
export abstract class StepCommand<R = unknown> extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Print only a JSON document {status, result, warnings} (or the error) on stdout', helpGroup: 'GLOBAL' }),
    'ts-env': Flags.string({ description: 'Task-sequence environment: configmgr, mdt[:FILE], json:FILE, env (default: auto-detect)', helpGroup: 'GLOBAL' }),
    'log-dir': Flags.string({ description: 'Folder for usmt-steps.log (default: _SMSTSLogPath, else the temp folder)', helpGroup: 'GLOBAL' }),
    verbose: Flags.boolean({ description: 'Verbose log lines', helpGroup: 'GLOBAL' }),
    progress: Flags.string({ description: 'Progress display', options: ['auto', 'ts', 'bar', 'lines', 'none'], helpGroup: 'GLOBAL' }),
  }

  /** Whether the command records USMTStepsLast* variables (true for task-sequence steps). */
  static recordsResult = true
  /** Whether the command needs the task-sequence environment to find its log folder. */
  static usesTsEnv = true
  /**
   * Exit codes that are not failures (the portable USMT tools: USMT's 0, 1 help and 3 partial success). Any other
   * exit code makes the status `error`, in --json too, whatever the command returned.
   */
  static successExitCodes: readonly number[] = [0, 3010]
  /** Whether a json: variables file that does not exist is created (env set) instead of being an error. */
  static createsTsEnv = false
  /** Of those, the ones that mean "succeeded with warnings". */
  static warningExitCodes: readonly number[] = []

  protected abstract execute(ctx: StepContext, flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<R>>

  protected stepName(): string {
    return (this.id ?? this.constructor.name).replace(/:/g, ' ')
  }

  async run(): Promise<void> {
    installStreamGuards()
    const ctor = this.constructor as typeof StepCommand
    const logger = new Logger({ component: `usmt-steps ${this.stepName()}`, echo: false })
    const warnings: string[] = []
    let json = this.argv.includes('--json')
    let tsEnvPromise: Promise<TsEnvironment> | undefined
    let tsEnvOpened: TsEnvironment | undefined
    let flags: Record<string, unknown> = {}
    const env = process.env
    const started = Date.now()
    const clock = new PhaseClock()
    const commands: CommandRecord[] = []
    const progress = new ProgressReporter([], (u) => clock.mark(u.phase))
    const ctx: StepContext = {
      get json() { return json },
      cwd: process.cwd(),
      env,
      logger,
      get progress() { return progressRef },
      get flags() { return flags },
      tsEnv: () => {
        tsEnvPromise ??= openTsEnvironment(flags['ts-env'] as string | undefined ?? env.USMT_STEPS_TS_ENV, { createJson: ctor.createsTsEnv }).then((e) => {
          tsEnvOpened = e
          if (e instanceof JsonTsEnvironment && e.created) ctx.warn(`${e.file} does not exist: it is created with the variables set here`)
          redactor.addFromVariables(e.list())
          logger.info(`task-sequence environment: ${e.description}`)
          return e
        })
        return tsEnvPromise
      },
      setting: async (key) => {
        const def = settingDef(key)
        const needsEnv = ctor.usesTsEnv && (def.tsVariables?.length ?? 0) > 0 && !(def.flag && flags[def.flag] !== undefined)
        const tsEnv = needsEnv ? await ctx.tsEnv() : undefined
        const r = resolveSetting(def, { flags, variable: (n) => tsEnv?.get(n), env })
        if (def.secret && typeof r.value === 'string') redactor.add(r.value)
        logger.verbose(`setting ${key} = ${def.secret ? '********' : JSON.stringify(r.value)} (${r.source})`)
        return r.value
      },
      warn: (message) => {
        warnings.push(redactor.redact(message))
        logger.warn(message)
      },
      recordCommand: (c) => {
        commands.push({ ...c, commandLine: redactor.redact(c.commandLine) })
        logger.info(`ran (exit ${c.exitCode ?? 'none'}, ${c.durationMs} ms): ${c.commandLine}`)
      },
      logDir: () => (logger.path ? nodePath.dirname(logger.path) : undefined),
    }
    let record: Pick<RunRecord, 'status' | 'exitCode' | 'summary' | 'result' | 'error'> | undefined
    let recordAlsoIn: string[] = []
    let resultFile: string | undefined
    let progressRef = progress
    let status: StepStatus = 'error'
    let exitCode = 1
    try {
      const parsed = await this.parse(this.constructor as unknown as Parameters<Command['parse']>[0])
      flags = parsed.flags as Record<string, unknown>
      json = Boolean(flags.json)
      logger.setEcho(!json && env.USMT_STEPS_QUIET !== '1')
      logger.setVerbose(Boolean(await ctx.setting('verbose')))
      logger.info(`usmt-steps ${this.config.version} ${this.stepName()} starting (pid ${process.pid}, node ${process.version}, ${process.platform}-${process.arch})`)
      const logDir = flags['log-dir'] as string | undefined ?? env.USMT_STEPS_LOG_DIR
        ?? (ctor.usesTsEnv ? (await ctx.tsEnv()).get('_SMSTSLogPath') : undefined)
      if (logDir) {
        try {
          logger.attach(nodePath.resolve(logDir))
        } catch (err) {
          throw new UsmtStepsError('USM0020', `cannot write the log folder ${logDir}: ${(err as Error).message}`, { cause: err })
        }
      }
      logger.setMaxBytes(Number(await ctx.setting('logMaxBytes')))
      progressRef = new ProgressReporter(await this.progressSinks(ctx, String(await ctx.setting('progress')), json), (u) => clock.mark(u.phase))
      const outcome = await this.execute(ctx, flags, parsed.args as Record<string, unknown>)
      resultFile = outcome.resultJsonFile
      await progressRef.end()
      status = outcome.status ?? (warnings.length > 0 ? 'warning' : 'success')
      exitCode = outcome.exitCode ?? exitCodeOf(outcome.exit ?? 'success')
      if (!ctor.successExitCodes.includes(exitCode)) status = 'error'
      else if (ctor.warningExitCodes.includes(exitCode) && status === 'success') status = 'warning'
      const vars = { ...(outcome.variables ?? {}) }
      if (ctor.recordsResult) Object.assign(vars, resultVariables(this.stepName(), status, exitCode, outcome.summary))
      await this.writeVariables(ctx, tsEnvOpened, vars, Boolean(outcome.variables && Object.keys(outcome.variables).length > 0))
      logger.info(`${this.stepName()} finished: ${outcome.summary} (exit ${exitCode})`)
      record = { result: outcome.result, summary: outcome.summary, status, exitCode }
      recordAlsoIn = outcome.recordAlsoIn ?? []
      if (json && outcome.resultJsonFile) {
        await streamJsonDocument(status, outcome.resultJsonFile, warnings)
      } else if (json) {
        process.stdout.write(`${JSON.stringify(redactor.redactDeep({ status, result: outcome.result, warnings }), null, 2)}\n`)
      } else {
        if (outcome.text) process.stdout.write(`${redactor.redact(outcome.text.replace(/\n?$/, '\n'))}`)
        if (ctor.recordsResult) process.stdout.write(`${summaryLine(this.stepName(), status, outcome.summary)}\n`)
      }
    } catch (raw) {
      await progressRef.end().catch(() => undefined)
      const err = toUsmtStepsError(raw)
      status = 'error'
      exitCode = err.exitCode
      logger.setEcho(false)
      logger.error(`${err.headline}${err.actions.length ? ` | Try this: ${err.actions.join(' ')}` : ''}`)
      if (err.code === 'USM0001' && raw instanceof Error && raw.stack) logger.error(raw.stack)
      record = { summary: err.message, status: 'error', exitCode, error: { code: err.code, message: err.message, actions: err.actions, data: err.data } }
      if (ctor.recordsResult && tsEnvOpened?.writable) {
        try {
          await this.writeVariables(ctx, tsEnvOpened, resultVariables(this.stepName(), 'error', exitCode, err.message, err.code), true)
        } catch (e2) {
          logger.error(`could not record the failure in task-sequence variables: ${(e2 as Error).message}`)
        }
      }
      if (json) {
        process.stdout.write(`${JSON.stringify(redactor.redactDeep({ status: 'error', error: err.toJSON(), warnings }), null, 2)}\n`)
      } else {
        process.stderr.write(`${redactor.redact(err.headline)}\n`)
        for (const a of err.actions) process.stderr.write(`  Try this: ${redactor.redact(a)}\n`)
        if (logger.path) process.stderr.write(`  Log: ${logger.path}\n`)
        if (ctor.recordsResult) process.stdout.write(`${redactor.redact(summaryLine(this.stepName(), 'error', err.message, err.code))}\n`)
      }
    } finally {
      if (resultFile) rmSync(resultFile, { force: true }) // streamed, or never printed: either way it goes
      clock.close()
      const dir = ctx.logDir()
      if (ctor.recordsResult && dir && record) {
        try {
          const full: RunRecord = {
            schema: 1, step: this.stepName(), computer: (tsEnvOpened?.get('_SMSTSMachineName') ?? tsEnvOpened?.get('OSDComputerName') ?? os.hostname()),
            version: this.config.version, startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString(), durationMs: Date.now() - started,
            warnings, phases: clock.phases, commands, ...record,
          }
          writeRunRecord(dir, full)
          for (const other of recordAlsoIn) {
            try {
              writeRunRecord(other, full)
            } catch (e) {
              logger.warn(`could not copy the run record to ${other}: ${(e as Error).message}`)
            }
          }
        } catch (e) {
          logger.error(`could not write the run record: ${(e as Error).message}`)
        }
      }
      logger.flushToFallback()
    }
    process.exitCode = exitCode
  }

  private async writeVariables(ctx: StepContext, opened: TsEnvironment | undefined, vars: Record<string, string>, required: boolean): Promise<void> {
    if (Object.keys(vars).length === 0) return
    const ctor = this.constructor as typeof StepCommand
    const tsEnv = opened ?? (ctor.usesTsEnv || required ? await ctx.tsEnv() : undefined)
    if (!tsEnv) return
    if (!tsEnv.writable) {
      if (required) ctx.warn(`variables not recorded: ${tsEnv.description} is read-only (${Object.keys(vars).join(', ')})`)
      return
    }
    for (const [k, v] of Object.entries(vars)) tsEnv.set(k, v)
    await tsEnv.commit()
    ctx.logger.verbose(`variables written: ${Object.keys(vars).join(', ')}`)
  }

  private async progressSinks(ctx: StepContext, mode: string, json: boolean): Promise<ProgressSink[]> {
    const sinks: ProgressSink[] = []
    const stderrLine = (line: string): void => { process.stderr.write(`${line}\n`) }
    if (mode === 'none') return sinks
    if (mode === 'ts' || mode === 'auto') {
      const ctor = this.constructor as typeof StepCommand
      if (ctor.usesTsEnv) {
        const tsEnv = await ctx.tsEnv()
        if (tsEnv.kind === 'configmgr' && (mode === 'ts' || shouldShowTsProgress((n) => tsEnv.get(n)))) {
          const sink = TsDialogSink.create((n) => tsEnv.get(n), (m) => ctx.warn(m))
          if (sink) sinks.push(sink)
        }
      }
      if (mode === 'ts') return sinks
    }
    if (json) return sinks
    if (mode === 'bar' || (mode === 'auto' && process.stderr.isTTY)) sinks.push(new BarSink())
    else sinks.push(new LineSink(stderrLine))
    return sinks
  }
}
