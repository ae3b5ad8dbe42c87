import { existsSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { JsonTsEnvironment } from '../ts-env/json-env.js'
import { writeFileAtomic } from '../runtime/atomic-file.js'
import { expandEnv, splitCommandLine } from '../windows/path.js'
import { ConditionError, describeCondition, evaluateCondition, type Condition } from './condition.js'
import { attr, isTrue, type TsGroup, type TsNode, type TsSequence, type TsStep } from './sequence.js'
import { isUsmtStepsProgram } from './task-steps.js'
import { ENGINE_VARIABLES } from './variables.js'

/**
 * A portable task-sequence engine for testing sequences off Windows: walks groups and steps in order,
 * evaluates conditions against the variables, runs usmt-steps command lines through the CLI, applies Set
 * Task Sequence Variable steps and `cmd.exe /c exit N`, and follows ConfigMgr's rules for success codes,
 * "continue on error" (a failed step in a group with continue on error skips the rest of that group) and the
 * `_SMSTSLastAction*` variables (not reset by skipped steps).
 */
export interface EngineEnvironment {
  get(name: string): string | undefined
  /** Set a variable as the engine does (read-only `_` names included). */
  setEngine(name: string, value: string): void
  /** Re-read after a child process may have written variables. */
  reload(): void
}

/** A JSON variables file (the same file the CLI uses through --ts-env json:FILE). */
export class JsonEngineEnvironment implements EngineEnvironment {
  private vars: Map<string, [string, string]> = new Map()

  constructor(readonly file: string) {
    this.reload()
  }

  reload(): void {
    this.vars = new Map(Object.entries(existsSync(this.file) ? JsonTsEnvironment.read(this.file) : {}).map(([k, v]) => [k.toLowerCase(), [k, v]]))
  }

  get(name: string): string | undefined {
    const v = this.vars.get(name.toLowerCase())?.[1]
    return v === '' ? undefined : v
  }

  setEngine(name: string, value: string): void {
    this.reload()
    const key = name.toLowerCase()
    if (value === '') this.vars.delete(key)
    else this.vars.set(key, [this.vars.get(key)?.[0] ?? name, value])
    writeFileAtomic(this.file, `${JSON.stringify(Object.fromEntries([...this.vars.values()]), null, 2)}\n`)
  }

  list(): Record<string, string> {
    return Object.fromEntries([...this.vars.values()])
  }
}

export interface RunnerResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs one usmt-steps command (argv without the launcher). */
export type CommandRunner = (argv: string[], opts: { timeoutMs?: number; stepName: string; cwd?: string }) => Promise<RunnerResult>

export type StepStatus = 'succeeded' | 'failed' | 'failed-continued' | 'skipped-condition' | 'skipped-disabled' | 'skipped-after-failure' | 'simulated'

export interface StepRecord {
  /** Group names and the step name, joined with " / ". */
  path: string
  name: string
  type: string
  status: StepStatus
  exitCode?: number
  /** The command line after %VAR% expansion (usmt-steps and cmd steps). */
  commandLine?: string
  condition?: string
  output?: string
}

export interface RunResult {
  /** True when the sequence ran to its end (failures in groups with continue on error included). */
  completed: boolean
  exitCode: number
  failedStep?: string
  steps: StepRecord[]
}

export interface RunOptions {
  /** Treat steps that cannot run here (native ConfigMgr/MDT steps) as succeeded instead of stopping. */
  skipUnrunnable?: boolean
  /** Called before each step runs (e.g. to simulate the OS being applied between groups). */
  beforeStep?: (record: { path: string; name: string }) => Promise<void> | void
  /**
   * Local folders standing for ConfigMgr packages (ID → folder): a Run Command Line step with /run:ID runs with
   * that folder as its working directory (as smsswd.exe does), and Download Package Content sets its destination
   * variable (<name>01, <name>02 …) to the folders of the packages it downloads.
   */
  packages?: Readonly<Record<string, string>>
}

const TEXT_OUTPUT_LIMIT = 1000

function runCommandLineOf(step: TsStep): string {
  const hidden = step.variables?.find((v) => v.name === 'CommandLine')?.value
  if (hidden !== undefined) return hidden
  const m = /^\s*smsswd\.exe\s+\/run:(\S*)\s(.*)$/is.exec(step.action)
  return m ? m[2] : step.action
}

function runPackageOf(step: TsStep): string | undefined {
  const m = /^\s*smsswd\.exe\s+\/run:(\S*)\s/is.exec(step.action)
  return m && m[1] ? m[1] : step.variables?.find((v) => v.name === 'PackageID')?.value || undefined
}

function successCodes(step: TsStep): number[] {
  return (attr(step, 'successCodeList') ?? '0 3010').split(/\s+/).filter(Boolean).map(Number)
}

type Flow = { abort: false } | { abort: true; exitCode: number; step: string }

export class SequenceExecutor {
  private readonly records: StepRecord[] = []

  constructor(private readonly env: EngineEnvironment, private readonly runner: CommandRunner, private readonly opts: RunOptions = {}) {}

  async run(seq: TsSequence): Promise<RunResult> {
    const flow = await this.nodes(seq.children, [])
    if (flow.abort) return { completed: false, exitCode: flow.exitCode, failedStep: flow.step, steps: this.records }
    return { completed: true, exitCode: 0, steps: this.records }
  }

  private holds(condition: Condition | undefined, where: string): boolean {
    if (!condition) return true
    try {
      return evaluateCondition(condition, (n) => this.env.get(n))
    } catch (err) {
      if (err instanceof ConditionError) throw new UsmtStepsError('USM0607', `${where}: ${err.message}`)
      throw err
    }
  }

  private skipAll(nodes: readonly TsNode[], path: string[], status: StepStatus): void {
    for (const n of nodes) {
      if (n.kind === 'step') this.records.push({ path: [...path, attr(n, 'name') ?? ''].join(' / '), name: attr(n, 'name') ?? '', type: attr(n, 'type') ?? '', status })
      else if (n.kind === 'group') this.skipAll(n.children, [...path, attr(n, 'name') ?? ''], status)
    }
  }

  private async nodes(nodes: readonly TsNode[], path: string[]): Promise<Flow> {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]
      if (n.kind === 'raw') throw new UsmtStepsError('USM0606', `${path.join(' / ') || 'sequence'}: ${n.xml.slice(0, 60)}… (sub-task sequences) cannot run here`)
      const flow = n.kind === 'group' ? await this.group(n, path) : await this.step(n, path)
      if (flow.abort) {
        this.skipAll(nodes.slice(i + 1), path, 'skipped-after-failure')
        return flow
      }
    }
    return { abort: false }
  }

  private async group(g: TsGroup, path: string[]): Promise<Flow> {
    const name = attr(g, 'name') ?? ''
    const here = [...path, name]
    if (isTrue(attr(g, 'disable'))) {
      this.skipAll(g.children, here, 'skipped-disabled')
      return { abort: false }
    }
    if (!this.holds(g.condition, `group "${name}"`)) {
      this.skipAll(g.children, here, 'skipped-condition')
      return { abort: false }
    }
    const flow = await this.nodes(g.children, here)
    if (flow.abort && isTrue(attr(g, 'continueOnError'))) return { abort: false }
    return flow
  }

  private async step(s: TsStep, path: string[]): Promise<Flow> {
    const name = attr(s, 'name') ?? ''
    const type = attr(s, 'type') ?? ''
    const record: StepRecord = { path: [...path, name].join(' / '), name, type, status: 'succeeded' }
    if (s.condition) record.condition = describeCondition(s.condition)
    this.records.push(record)
    if (isTrue(attr(s, 'disable'))) {
      record.status = 'skipped-disabled'
      return { abort: false }
    }
    if (!this.holds(s.condition, `step "${name}"`)) {
      record.status = 'skipped-condition'
      return { abort: false }
    }
    await this.opts.beforeStep?.({ path: record.path, name })
    this.env.setEngine(ENGINE_VARIABLES.currentActionName, name)
    const exitCode = await this.execute(s, record)
    this.env.reload()
    const ok = successCodes(s).includes(exitCode)
    record.exitCode = exitCode
    this.env.setEngine(ENGINE_VARIABLES.lastActionName, name)
    this.env.setEngine(ENGINE_VARIABLES.lastActionRetCode, String(exitCode))
    this.env.setEngine(ENGINE_VARIABLES.lastActionSucceeded, ok ? 'true' : 'false')
    if (ok) return { abort: false }
    if (isTrue(attr(s, 'continueOnError'))) {
      record.status = 'failed-continued'
      return { abort: false }
    }
    record.status = 'failed'
    return { abort: true, exitCode, step: record.path }
  }

  private async execute(s: TsStep, record: StepRecord): Promise<number> {
    const type = attr(s, 'type') ?? ''
    const lookup = (n: string): string | undefined => this.env.get(n)
    if (type === 'SMS_TaskSequence_SetVariableAction') {
      const name = s.variables?.find((v) => v.name === 'VariableName')?.value
      const value = s.variables?.find((v) => v.name === 'VariableValue')?.value ?? ''
      if (!name) throw new UsmtStepsError('USM0606', `step "${record.name}": Set Task Sequence Variable without VariableName`)
      const expanded = expandEnv(value, lookup)
      record.commandLine = `${name}=${expanded}`
      this.env.setEngine(name, expanded)
      return 0
    }
    const packageDir = (id: string): string | undefined => Object.entries(this.opts.packages ?? {}).find(([k]) => k.toUpperCase() === id.toUpperCase())?.[1]
    if (type === 'SMS_TaskSequence_DownloadPackageContentAction') {
      const ids = (s.variables?.find((v) => v.name === 'OSDDownloadDownloadPackages')?.value ?? '').split(',').map((x) => x.trim()).filter(Boolean)
      const dest = s.variables?.find((v) => v.name === 'OSDDownloadDestinationVariable')?.value ?? ''
      const dirs = ids.map(packageDir)
      if (ids.length > 0 && dirs.every((d) => d !== undefined)) {
        record.commandLine = `download ${ids.join(', ')}`
        if (dest) dirs.forEach((d, i) => this.env.setEngine(`${dest}${String(i + 1).padStart(2, '0')}`, d as string))
        return 0
      }
      if (!this.opts.skipUnrunnable) {
        throw new UsmtStepsError('USM0606', `step "${record.name}" downloads ${ids.join(', ') || 'no package'}: map each package to a local folder (template run --package ID=DIR)`, { data: { step: record.path, type } })
      }
    }
    if (type === 'SMS_TaskSequence_RunCommandLineAction' || type === '') {
      const line = expandEnv(runCommandLineOf(s), lookup)
      record.commandLine = line
      const argv = splitCommandLine(line)
      if (argv.length > 0 && isUsmtStepsProgram(argv[0])) {
        const timeout = attr(s, 'timeout')
        const pkg = runPackageOf(s)
        const cwd = pkg ? packageDir(pkg) : undefined
        const r = await this.runner(argv.slice(1), { timeoutMs: timeout ? Number(timeout) * 1000 : undefined, stepName: record.name, ...(cwd ? { cwd } : {}) })
        record.output = `${r.stdout}${r.stderr}`.slice(-TEXT_OUTPUT_LIMIT)
        return r.exitCode
      }
      const exit = /^(?:cmd(?:\.exe)?)$/i.test(argv[0]?.replace(/^.*[\\/]/, '') ?? '') && argv[1]?.toLowerCase() === '/c' && argv[2]?.toLowerCase() === 'exit' ? argv.slice(3).filter((a) => a.toLowerCase() !== '/b') : undefined
      if (exit) return /^-?\d+$/.test(exit[0] ?? '') ? Number(exit[0]) : 0
    }
    if (this.opts.skipUnrunnable) {
      record.status = 'simulated'
      return 0
    }
    throw new UsmtStepsError('USM0606', `step "${record.name}" (${type || 'command line'}: ${record.commandLine ?? s.action}) cannot run on this machine`, { data: { step: record.path, type } })
  }
}
