import { existsSync, readdirSync, readFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsmtStepsError } from '../runtime/errors.js'
import { quoteArg } from '../windows/path.js'
import { checkCondition, type Condition } from './condition.js'

/**
 * The task-sequence steps of usmt-steps, declared once in `task-steps/<id>.json` (shipped in the npm
 * package and the Windows package). The template generators, `template steps`, the README section and the
 * PowerShell module all read these definitions; nothing else spells a step's command line.
 */
export type RunIn = 'WinPE' | 'FullOS' | 'WinPEandFullOS'
export const RUN_IN: readonly RunIn[] = ['WinPE', 'FullOS', 'WinPEandFullOS']

export interface StepParameter {
  description: string
  choices: string[]
}

export interface TaskStepDef {
  /** File name without .json, e.g. `store-request`. */
  id: string
  /** The CLI command words, e.g. ["store", "request"]. */
  command: string[]
  /** Step name in the task sequence; `{param}` placeholders are filled per use. */
  name: string
  description: string
  /** Fixed arguments after the command words; `{param}` placeholders are filled per use. */
  arguments: string[]
  parameters: Record<string, StepParameter>
  /** Template options this step accepts, mapped to the CLI flag they become (e.g. policy → --policy). */
  options: Record<string, string>
  reads: string[]
  writes: string[]
  successCodes: number[]
  continueOnError: boolean
  runIn: RunIn
  timeoutMinutes?: number
  condition?: Condition
  /** The issue that owns the command (documentation). */
  issue?: number
}

/** Template-wide options that steps may accept (`options` in a definition). */
export const TEMPLATE_OPTIONS = ['policy', 'usmtDir', 'reportShare'] as const
export type TemplateOption = typeof TEMPLATE_OPTIONS[number]

const KEYS = ['id', 'command', 'name', 'description', 'arguments', 'parameters', 'options', 'reads', 'writes', 'successCodes', 'continueOnError', 'runIn', 'timeoutMinutes', 'condition', 'issue']
const VAR_NAME = /^[A-Za-z_][\w-]*$/

function moduleDir(): string {
  return nodePath.dirname(fileURLToPath(import.meta.url))
}

/** Find `task-steps/` next to the package: walk up from this module (src/, dist/ or the single-file bundle). */
export function findTaskStepsDir(start = moduleDir()): string {
  let dir = start
  for (;;) {
    const candidate = nodePath.join(dir, 'task-steps')
    if (existsSync(nodePath.join(candidate, 'capture.json'))) return candidate
    const parent = nodePath.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new UsmtStepsError('USM0600', `no task-steps folder found above ${start}`, { data: { start } })
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

/** Validate one parsed definition; returns problems (empty when valid). */
export function checkTaskStep(raw: unknown, id: string): string[] {
  const p: string[] = []
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [`${id}: the definition must be a JSON object`]
  const o = raw as Record<string, unknown>
  const unknown = Object.keys(o).filter((k) => !KEYS.includes(k))
  if (unknown.length) p.push(`${id}: unknown keys ${unknown.join(', ')}`)
  if (o.id !== id) p.push(`${id}: "id" must equal the file name (${id})`)
  if (!strings(o.command) || o.command.length === 0 || o.command.some((w) => !/^[a-z][a-z-]*$/.test(w))) p.push(`${id}: "command" must be a non-empty array of lower-case command words`)
  for (const k of ['name', 'description'] as const) if (typeof o[k] !== 'string' || (o[k] as string).trim() === '') p.push(`${id}: "${k}" must be a non-empty string`)
  if (!strings(o.arguments)) p.push(`${id}: "arguments" must be an array of strings`)
  const params = o.parameters
  const paramNames: string[] = []
  if (!params || typeof params !== 'object' || Array.isArray(params)) {
    p.push(`${id}: "parameters" must be an object`)
  } else {
    for (const [name, def] of Object.entries(params as Record<string, unknown>)) {
      paramNames.push(name)
      const d = def as Record<string, unknown> | null
      if (!d || typeof d.description !== 'string' || !strings(d.choices) || d.choices.length === 0) p.push(`${id}: parameter ${name} needs a description and non-empty choices`)
    }
  }
  const placeholders = [...JSON.stringify([o.name, o.arguments]).matchAll(/\{(\w+)\}/g)].map((m) => m[1])
  for (const ph of placeholders) if (!paramNames.includes(ph)) p.push(`${id}: placeholder {${ph}} has no parameter`)
  for (const name of paramNames) if (!placeholders.includes(name)) p.push(`${id}: parameter ${name} is never used`)
  const opts = o.options
  if (!opts || typeof opts !== 'object' || Array.isArray(opts)) {
    p.push(`${id}: "options" must be an object`)
  } else {
    for (const [k, flag] of Object.entries(opts as Record<string, unknown>)) {
      if (!(TEMPLATE_OPTIONS as readonly string[]).includes(k)) p.push(`${id}: unknown template option ${k} (known: ${TEMPLATE_OPTIONS.join(', ')})`)
      if (typeof flag !== 'string' || !/^--[a-z][a-z-]*$/.test(flag)) p.push(`${id}: option ${k} must map to a --flag`)
    }
  }
  for (const k of ['reads', 'writes'] as const) {
    if (!strings(o[k]) || (o[k] as string[]).some((v) => !VAR_NAME.test(v))) p.push(`${id}: "${k}" must be an array of variable names`)
  }
  if (!Array.isArray(o.successCodes) || o.successCodes.length === 0 || !o.successCodes.every((c) => Number.isInteger(c) && c >= 0) || !o.successCodes.includes(0)) {
    p.push(`${id}: "successCodes" must be non-negative integers including 0`)
  }
  if (typeof o.continueOnError !== 'boolean') p.push(`${id}: "continueOnError" must be true or false`)
  if (!RUN_IN.includes(o.runIn as RunIn)) p.push(`${id}: "runIn" must be one of ${RUN_IN.join(', ')}`)
  if (o.timeoutMinutes !== undefined && (!Number.isInteger(o.timeoutMinutes) || (o.timeoutMinutes as number) < 1 || (o.timeoutMinutes as number) > 999)) {
    p.push(`${id}: "timeoutMinutes" must be 1–999 (the task-sequence limit)`)
  }
  if (o.condition !== undefined) p.push(...checkCondition(o.condition, `${id}.condition`))
  if (o.issue !== undefined && !Number.isInteger(o.issue)) p.push(`${id}: "issue" must be a number`)
  return p
}

/** Task-sequence order, used for listings and docs (definitions not listed come last, by id). */
export const STEP_ORDER = ['users', 'plan', 'store-request', 'capture', 'restore', 'store-release', 'report']

const cache = new Map<string, TaskStepDef[]>()

/** Load and validate every definition in `dir` (default: the package's task-steps folder). */
export function loadTaskSteps(dir?: string): TaskStepDef[] {
  const folder = dir ?? findTaskStepsDir()
  const hit = cache.get(folder)
  if (hit) return hit
  let files: string[]
  try {
    files = readdirSync(folder).filter((f) => f.endsWith('.json')).sort()
  } catch (err) {
    throw new UsmtStepsError('USM0600', `cannot read the task-steps folder ${folder}: ${(err as Error).message}`, { cause: err })
  }
  const defs: TaskStepDef[] = []
  const problems: string[] = []
  for (const f of files) {
    const id = f.slice(0, -5)
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(nodePath.join(folder, f), 'utf8'))
    } catch (err) {
      problems.push(`${f}: ${(err as Error).message}`)
      continue
    }
    const p = checkTaskStep(raw, id)
    if (p.length) problems.push(...p)
    else defs.push(raw as TaskStepDef)
  }
  if (problems.length) {
    throw new UsmtStepsError('USM0601', `invalid task-step definitions in ${folder}: ${problems.join('; ')}`, { data: { folder, problems } })
  }
  if (defs.length === 0) throw new UsmtStepsError('USM0600', `the task-steps folder ${folder} holds no definitions`)
  const rank = (id: string): number => (STEP_ORDER.includes(id) ? STEP_ORDER.indexOf(id) : STEP_ORDER.length)
  defs.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id))
  cache.set(folder, defs)
  return defs
}

export function taskStep(defs: readonly TaskStepDef[], id: string): TaskStepDef {
  const d = defs.find((x) => x.id === id)
  if (!d) throw new UsmtStepsError('USM0602', `unknown task step "${id}" (known: ${defs.map((x) => x.id).join(', ')})`)
  return d
}

function fill(text: string, params: Record<string, string>, def: TaskStepDef): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name]
    const spec = def.parameters[name]
    if (v === undefined || !spec) throw new UsmtStepsError('USM0602', `task step ${def.id} needs parameter ${name}`)
    if (!spec.choices.includes(v)) throw new UsmtStepsError('USM0602', `task step ${def.id}: ${name} must be one of ${spec.choices.join(', ')} (got ${v})`)
    return v
  })
}

export interface StepUse {
  params?: Record<string, string>
  options?: Partial<Record<TemplateOption, string>>
}

/** The step's name with its parameters filled in. */
export function stepName(def: TaskStepDef, use: StepUse = {}): string {
  return fill(def.name, use.params ?? {}, def)
}

/** The CLI argv (without the launcher) for one use of a step, e.g. ["store","request","--for","capture","--policy","p.json"]. */
export function stepArgv(def: TaskStepDef, use: StepUse = {}): string[] {
  const argv = [...def.command, ...def.arguments.map((a) => fill(a, use.params ?? {}, def))]
  for (const [opt, flag] of Object.entries(def.options)) {
    const v = use.options?.[opt as TemplateOption]
    if (v !== undefined && v !== '') argv.push(flag, v)
  }
  return argv
}

/**
 * The Windows command line for a step: the launcher then the argv, quoted for CommandLineToArgvW. A
 * launcher that holds `%VAR%` references (expanded by the task sequence, possibly to a path with spaces)
 * is always quoted.
 */
export function stepCommandLine(launcher: string, argv: readonly string[]): string {
  return [launcher, ...argv].map(quoteTsArg).join(' ')
}

/** quoteArg, plus quotes around `%VAR%` references: the task sequence may expand them to text with spaces. */
export function quoteTsArg(arg: string): string {
  return arg.includes('%') && !/[\s"]/.test(arg) ? `"${arg}"` : quoteArg(arg)
}

/** True when `program` (argv[0] of a command line) is the usmt-steps launcher or executable. */
export function isUsmtStepsProgram(program: string): boolean {
  const base = program.replace(/^.*[\\/]/, '').toLowerCase()
  return base === 'usmt-steps' || base === 'usmt-steps.cmd' || base === 'usmt-steps.exe' || base === 'usmt-steps.bat'
}

/** Match a CLI argv (without the launcher) back to its definition: the longest command-word prefix wins. */
export function matchTaskStep(defs: readonly TaskStepDef[], argv: readonly string[]): TaskStepDef | undefined {
  let best: TaskStepDef | undefined
  for (const d of defs) {
    if (d.command.length <= argv.length && d.command.every((w, i) => argv[i] === w) && (!best || d.command.length > best.command.length)) best = d
  }
  return best
}
