import * as os from 'node:os'
import * as nodePath from 'node:path'
import { Logger } from '../log/logger.js'
import { BarSink, LineSink, ProgressReporter, type ProgressSink } from '../progress/progress.js'
import { shouldShowTsProgress, TsDialogSink } from '../progress/ts-dialog.js'
import { toUsmtStepsError, UsmtStepsError } from '../runtime/errors.js'
import { exitCodeOf, type ExitName } from '../runtime/exit-codes.js'
import { installStreamGuards, redactor } from '../runtime/redact.js'
import { resolveSetting } from '../runtime/settings.js'
import { FOUNDATION_KEYS, settingDef, type SettingKey, type SettingValueOf } from '../runtime/settings/index.js'
import { PhaseClock, writeRunRecord, type CommandRecord, type RunRecord } from '../runtime/run-record.js'
import { resultVariables, summaryLine, type StepStatus } from '../runtime/step-result.js'
import { openTsEnvironment, type TsEnvironment } from '../ts-env/index.js'
import { JsonTsEnvironment } from '../ts-env/json-env.js'
import { BASE_FLAGS } from './flags.js'
import { parseArgv } from './parse.js'
import type { ArgMap, FlagMap } from './spec.js'

/** Text (or UTF-8 bytes) for stdout, redacted here, written as bytes (so the stream guard does not redact it a second time). */
function writeStdout(text: string | Buffer): boolean {
  return process.stdout.write(typeof text === 'string' ? Buffer.from(redactor.redact(text), 'utf8') : redactor.redactBytes(text))
}

/**
 * A result too large to hold in memory (rules preview of a whole disk), written to stdout as it is built: the
 * command writes the JSON value of its result in blocks that end between two items (each is redacted on its
 * own), and `write` returns false when stdout wants the writer to wait for `drain()`.
 */
export interface ResultStream {
  /** A block of the JSON text, or of its UTF-8 bytes. */
  write(block: string | Buffer): boolean
  drain(): Promise<void>
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
  /**
   * A setting the command declares in `static settings` (or a foundation setting), resolved flag > TS
   * variable > environment > default, typed by its declaration. Secret values are registered with the redactor.
   */
  setting<K extends SettingKey>(key: K): Promise<SettingValueOf<K>>
  warn(message: string): void
  /** Record a child command for the run record and the report (the command line is redacted). */
  recordCommand(command: CommandRecord): void
  /** The folder of usmt-steps.log once known (run records and copied USMT logs go there). */
  logDir(): string | undefined
  /**
   * Under --json only: stream the result's JSON value to stdout while it is built, in one pass, instead of
   * returning it (`result` of the outcome is then a small summary for the log and the run record). The document
   * becomes `{"result": …, "status": …, "warnings": […]}`: the status follows the result because it is known
   * only at the end; a failure after the result started ends it with `"status": "error"` and the error (the
   * command closes what it wrote into a valid partial value before throwing).
   */
  streamResult(): ResultStream
}

interface CommandTraits {
  name: string
  version: string
  recordsResult: boolean
  usesTsEnv: boolean
  createsTsEnv: boolean
  successExitCodes: readonly number[]
  warningExitCodes: readonly number[]
  settings: readonly SettingKey[]
}

type RecordPart = Pick<RunRecord, 'status' | 'exitCode' | 'summary' | 'result' | 'error'>

/**
 * One run of a command: the context handed to `execute`, and the three ends of a run (success, failure, the
 * run record). Kept apart from the command class so each end stays short.
 */
class StepRun {
  readonly logger: Logger
  readonly warnings: string[] = []
  readonly clock = new PhaseClock()
  readonly commands: CommandRecord[] = []
  readonly started = Date.now()
  readonly env = process.env
  json: boolean
  flags: Record<string, unknown> = {}
  progress: ProgressReporter
  tsEnvOpened: TsEnvironment | undefined
  record: RecordPart | undefined
  recordAlsoIn: string[] = []
  /** Whether the result has started to go to stdout (ctx.streamResult). */
  resultStreamed = false
  private tsEnvPromise: Promise<TsEnvironment> | undefined
  readonly ctx: StepContext

  constructor(readonly traits: CommandTraits, argv: readonly string[]) {
    this.logger = new Logger({ component: `usmt-steps ${traits.name}`, echo: false })
    this.json = argv.includes('--json')
    this.progress = new ProgressReporter([], (u) => this.clock.mark(u.phase))
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const run = this
    this.ctx = {
      get json() { return run.json },
      cwd: process.cwd(),
      env: this.env,
      logger: this.logger,
      get progress() { return run.progress },
      get flags() { return run.flags },
      tsEnv: () => this.tsEnv(),
      setting: (key) => this.setting(key),
      warn: (message) => {
        this.warnings.push(redactor.redact(message))
        this.logger.warn(message)
      },
      recordCommand: (c) => {
        this.commands.push({ ...c, commandLine: redactor.redact(c.commandLine) })
        this.logger.info(`ran (exit ${c.exitCode ?? 'none'}, ${c.durationMs} ms): ${c.commandLine}`)
      },
      logDir: () => (this.logger.path ? nodePath.dirname(this.logger.path) : undefined),
      streamResult: () => this.streamResult(),
    }
  }

  streamResult(): ResultStream {
    if (!this.json) throw new Error(`${this.traits.name}: streamResult() is for --json only`)
    if (!this.resultStreamed) {
      this.resultStreamed = true
      writeStdout('{\n  "result": ')
    }
    return {
      write: (block) => writeStdout(block),
      drain: () => new Promise((resolve, reject) => {
        if (!process.stdout.writableNeedDrain) return resolve()
        const onDrain = (): void => { process.stdout.off('error', onError); resolve() }
        const onError = (err: Error): void => { process.stdout.off('drain', onDrain); reject(err) }
        process.stdout.once('drain', onDrain).once('error', onError)
      }),
    }
  }

  tsEnv(): Promise<TsEnvironment> {
    // --ts-env / USMT_STEPS_TS_ENV: the one setting that cannot come from a task-sequence variable
    const file = resolveSetting(settingDef('tsEnv'), { flags: this.flags, env: this.env }).value as string | undefined
    this.tsEnvPromise ??= openTsEnvironment(file, { createJson: this.traits.createsTsEnv }).then((e) => {
      this.tsEnvOpened = e
      if (e instanceof JsonTsEnvironment && e.created) this.ctx.warn(`${e.file} does not exist: it is created with the variables set here`)
      redactor.addFromVariables(e.list())
      this.logger.info(`task-sequence environment: ${e.description}`)
      return e
    })
    return this.tsEnvPromise
  }

  async setting<K extends SettingKey>(key: K): Promise<SettingValueOf<K>> {
    if (!FOUNDATION_KEYS.includes(key) && !this.traits.settings.includes(key)) {
      throw new Error(`${this.traits.name} reads the setting ${key} but does not declare it in static settings`)
    }
    const def = settingDef(key)
    const needsEnv = this.traits.usesTsEnv && (def.tsVariables?.length ?? 0) > 0 && !(def.flag && this.flags[def.flag] !== undefined)
    const tsEnv = needsEnv ? await this.tsEnv() : undefined
    const r = resolveSetting(def, { flags: this.flags, variable: (n) => tsEnv?.get(n), env: this.env })
    if (def.secret && typeof r.value === 'string') redactor.add(r.value)
    this.logger.verbose(`setting ${key} = ${def.secret ? '********' : JSON.stringify(r.value)} (${r.source})`)
    return r.value as SettingValueOf<K>
  }

  /** After parsing: echo, verbosity, the log folder, log size and progress sinks. */
  async start(flags: Record<string, unknown>): Promise<void> {
    this.flags = flags
    this.json = Boolean(flags.json)
    this.logger.setEcho(!this.json && this.env.USMT_STEPS_QUIET !== '1')
    this.logger.setVerbose(await this.setting('verbose'))
    this.logger.info(`usmt-steps ${this.traits.version} ${this.traits.name} starting (pid ${process.pid}, node ${process.version}, ${process.platform}-${process.arch})`)
    const logDir = await this.setting('logDir')
    if (logDir) {
      try {
        this.logger.attach(nodePath.resolve(logDir))
      } catch (err) {
        throw new UsmtStepsError('USM0020', `cannot write the log folder ${logDir}: ${(err as Error).message}`, { cause: err })
      }
    }
    this.logger.setMaxBytes(await this.setting('logMaxBytes'))
    this.progress = new ProgressReporter(await this.progressSinks(await this.setting('progress')), (u) => this.clock.mark(u.phase))
  }

  async succeed<R>(outcome: StepOutcome<R>): Promise<number> {
    const { name, recordsResult } = this.traits
    await this.progress.end()
    let status: StepStatus = outcome.status ?? (this.warnings.length > 0 ? 'warning' : 'success')
    const exitCode = outcome.exitCode ?? exitCodeOf(outcome.exit ?? 'success')
    if (!this.traits.successExitCodes.includes(exitCode)) status = 'error'
    else if (this.traits.warningExitCodes.includes(exitCode) && status === 'success') status = 'warning'
    const vars = { ...(outcome.variables ?? {}) }
    if (recordsResult) Object.assign(vars, resultVariables(name, status, exitCode, outcome.summary))
    await this.writeVariables(vars, Boolean(outcome.variables && Object.keys(outcome.variables).length > 0))
    this.logger.info(`${name} finished: ${outcome.summary} (exit ${exitCode})`)
    this.record = { result: outcome.result, summary: outcome.summary, status, exitCode }
    this.recordAlsoIn = outcome.recordAlsoIn ?? []
    if (this.json && this.resultStreamed) {
      writeStdout(`,\n  "status": ${JSON.stringify(status)},\n  "warnings": ${JSON.stringify(this.warnings)}\n}\n`)
    } else if (this.json) {
      process.stdout.write(`${JSON.stringify(redactor.redactDeep({ status, result: outcome.result, warnings: this.warnings }), null, 2)}\n`)
    } else {
      if (outcome.text) process.stdout.write(`${redactor.redact(outcome.text.replace(/\n?$/, '\n'))}`)
      if (recordsResult) process.stdout.write(`${summaryLine(name, status, outcome.summary)}\n`)
    }
    return exitCode
  }

  async fail(raw: unknown): Promise<number> {
    const { name, recordsResult } = this.traits
    await this.progress.end().catch(() => undefined)
    const err = toUsmtStepsError(raw)
    const exitCode = err.exitCode
    this.logger.setEcho(false)
    this.logger.error(`${err.headline}${err.actions.length ? ` | Try this: ${err.actions.join(' ')}` : ''}`)
    if (err.code === 'USM0001' && raw instanceof Error && raw.stack) this.logger.error(raw.stack)
    this.record = { summary: err.message, status: 'error', exitCode, error: { code: err.code, message: err.message, actions: err.actions, data: err.data } }
    if (recordsResult && this.tsEnvOpened?.writable) {
      try {
        await this.writeVariables({ ...err.variables, ...resultVariables(name, 'error', exitCode, err.message, err.code) }, true)
      } catch (e2) {
        this.logger.error(`could not record the failure in task-sequence variables: ${(e2 as Error).message}`)
      }
    }
    if (this.json && this.resultStreamed) {
      // The partial result is already out (closed by the command): the status and the error follow it.
      const tail = JSON.stringify(redactor.redactDeep({ status: 'error', error: err.toJSON(), warnings: this.warnings }), null, 2)
      writeStdout(`,\n  ${tail.slice(tail.indexOf('"status"'))}\n`)
    } else if (this.json) {
      process.stdout.write(`${JSON.stringify(redactor.redactDeep({ status: 'error', error: err.toJSON(), warnings: this.warnings }), null, 2)}\n`)
    } else {
      process.stderr.write(`${redactor.redact(err.headline)}\n`)
      for (const a of err.actions) process.stderr.write(`  Try this: ${redactor.redact(a)}\n`)
      if (this.logger.path) process.stderr.write(`  Log: ${this.logger.path}\n`)
      if (recordsResult) process.stdout.write(`${redactor.redact(summaryLine(name, 'error', err.message, err.code))}\n`)
    }
    return exitCode
  }

  /** The run record next to usmt-steps.log (and wherever the outcome asked for a copy). */
  finish(): void {
    this.clock.close()
    const dir = this.ctx.logDir()
    if (this.traits.recordsResult && dir && this.record) {
      try {
        const e = this.tsEnvOpened
        const full: RunRecord = {
          schema: 1, step: this.traits.name, computer: (e?.get('_SMSTSMachineName') ?? e?.get('OSDComputerName') ?? os.hostname()),
          version: this.traits.version, startedAt: new Date(this.started).toISOString(), finishedAt: new Date().toISOString(), durationMs: Date.now() - this.started,
          warnings: this.warnings, phases: this.clock.phases, commands: this.commands, ...this.record,
        }
        writeRunRecord(dir, full)
        for (const other of this.recordAlsoIn) {
          try {
            writeRunRecord(other, full)
          } catch (e2) {
            this.logger.warn(`could not copy the run record to ${other}: ${(e2 as Error).message}`)
          }
        }
      } catch (e2) {
        this.logger.error(`could not write the run record: ${(e2 as Error).message}`)
      }
    }
    this.logger.flushToFallback()
  }

  private async writeVariables(vars: Record<string, string>, required: boolean): Promise<void> {
    if (Object.keys(vars).length === 0) return
    const tsEnv = this.tsEnvOpened ?? (this.traits.usesTsEnv || required ? await this.tsEnv() : undefined)
    if (!tsEnv) return
    if (!tsEnv.writable) {
      if (required) this.ctx.warn(`variables not recorded: ${tsEnv.description} is read-only (${Object.keys(vars).join(', ')})`)
      return
    }
    for (const [k, v] of Object.entries(vars)) tsEnv.set(k, v)
    await tsEnv.commit()
    this.logger.verbose(`variables written: ${Object.keys(vars).join(', ')}`)
  }

  private async progressSinks(mode: string): Promise<ProgressSink[]> {
    const sinks: ProgressSink[] = []
    const stderrLine = (line: string): void => { process.stderr.write(`${line}\n`) }
    if (mode === 'none') return sinks
    if (mode === 'ts' || mode === 'auto') {
      if (this.traits.usesTsEnv) {
        const tsEnv = await this.tsEnv()
        if (tsEnv.kind === 'configmgr' && (mode === 'ts' || shouldShowTsProgress((n) => tsEnv.get(n)))) {
          const sink = TsDialogSink.create((n) => tsEnv.get(n), (m) => this.ctx.warn(m))
          if (sink) sinks.push(sink)
        }
      }
      if (mode === 'ts') return sinks
    }
    if (this.json) return sinks
    if (mode === 'bar' || (mode === 'auto' && process.stderr.isTTY)) sinks.push(new BarSink())
    else sinks.push(new LineSink(stderrLine))
    return sinks
  }
}

/** What a command knows of the CLI it runs in: oclif's Config, or the bundle's manifest when oclif is not loaded. */
export interface CliConfig {
  readonly version: string
  /** Every command with its flags (their type is enough: `template run` passes a step's own flags on). */
  readonly commands: ReadonlyArray<{ id: string; flags?: Readonly<Record<string, { type: string }>> }>
  findCommand(id: string): { id: string; flags?: Readonly<Record<string, { type: string }>> } | undefined
}

let epipeSwallowed = false
/** As oclif's Command module does: stdout closed by the reader (`| head`) ends the output, not the process. */
function swallowStdoutEpipe(): void {
  if (epipeSwallowed) return
  epipeSwallowed = true
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err && err.code === 'EPIPE') return
    throw err
  })
}

/**
 * Base of every usmt-steps command: common flags, the task-sequence environment, CMTrace logging,
 * progress, secret redaction, result variables, `--json` ({status, result, warnings}) and the exit-code
 * contract. Commands implement `execute` and stay thin.
 *
 * The class does not extend oclif's Command: its statics are the ones oclif reads (flags, args, strict,
 * description …, with oclif's defaults), so oclif lists it, renders its help and runs it (`static run`), while
 * the bundle's entry runs it without loading oclif at all (src/cli/dispatch.ts). Argv is parsed by `parseArgv`.
 */
export abstract class StepCommand<R = unknown> {
  // oclif's Command statics and their defaults (what its manifest and help read).
  static aliases: string[] = []
  static args: ArgMap = {}
  static baseFlags: FlagMap = BASE_FLAGS
  static description: string | undefined
  static enableJsonFlag = false
  static examples: string[] | undefined
  static flags: FlagMap | undefined
  static hasDynamicHelp = false
  static hidden: boolean | undefined
  static hiddenAliases: string[] = []
  /** The command's id (`store:request`), set by whoever loads the class. */
  static id: string | undefined
  static strict = true
  static summary: string | undefined
  static usage: string | string[] | undefined

  /** The settings the command reads (besides the foundation ones): their flags are generated from these. */
  static settings: readonly SettingKey[] = []
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

  /** Instantiate and run the command (what oclif calls, and the bundle's entry). */
  static async run<C extends StepCommand>(this: new (argv: string[], config: CliConfig) => C, argv: string[] = process.argv.slice(2), config?: CliConfig): Promise<void> {
    if (!config) throw new Error('StepCommand.run needs the CLI configuration')
    const cmd = new this(argv, config)
    if (!cmd.id) {
      const id = cmd.constructor.name.toLowerCase()
      cmd.id = id
      ;(cmd.constructor as typeof StepCommand).id = id
    }
    await cmd.run()
  }

  id: string | undefined
  /** The words given after the command's name, those of `--` included. */
  argv: string[]
  /** The positional words once parsed (declared arguments first; a non-strict command's extra words too). */
  protected parsedArgv: string[] = []

  constructor(argv: string[], readonly config: CliConfig) {
    this.argv = argv
    this.id = (this.constructor as typeof StepCommand).id
  }

  protected abstract execute(ctx: StepContext, flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<R>>

  protected stepName(): string {
    return (this.id ?? this.constructor.name).replace(/:/g, ' ')
  }

  async run(): Promise<void> {
    installStreamGuards()
    swallowStdoutEpipe()
    // oclif removes <BIN>_REDIRECTED before running a command (its autoupdate protocol); kept for the same environment
    delete process.env.USMT_STEPS_REDIRECTED
    const ctor = this.constructor as typeof StepCommand
    const run = new StepRun({
      name: this.stepName(), version: this.config.version, recordsResult: ctor.recordsResult, usesTsEnv: ctor.usesTsEnv, settings: ctor.settings,
      createsTsEnv: ctor.createsTsEnv, successExitCodes: ctor.successExitCodes, warningExitCodes: ctor.warningExitCodes,
    }, this.argv)
    let exitCode = 1
    try {
      const parsed = await parseArgv(this.argv, { flags: { ...ctor.baseFlags, ...ctor.flags }, args: ctor.args, strict: ctor.strict })
      this.parsedArgv = parsed.argv
      await run.start(parsed.flags)
      exitCode = await run.succeed(await this.execute(run.ctx, run.flags, parsed.args))
    } catch (raw) {
      exitCode = await run.fail(raw)
    } finally {
      run.finish()
    }
    process.exitCode = exitCode
  }
}
