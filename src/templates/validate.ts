import { splitCommandLine } from '../windows/path.js'
import { conditionVariables, describeCondition, type Condition } from './condition.js'
import { attr, isTrue, walkSteps, type TsGroup, type TsSequence, type TsStep } from './sequence.js'
import { isUsmtStepsProgram, matchTaskStep, type TaskStepDef } from './task-steps.js'
import type { ErrorCode } from '../runtime/errors.js'
import type { PolicySection } from '../runtime/policy-file.js'
import { ENGINE_VARIABLES, FAILED_EXIT_CODE_VARIABLE, STORE_TYPE_VARIABLE, USMT_IN_PACKAGE_DIR, USMT_PACKAGE_DIR_REF } from './variables.js'

/**
 * Checks that the usmt-steps steps of a task sequence are wired consistently: commands known, parameters
 * valid, Run Command Line action and hidden variables in agreement, success codes, environment (WinPE /
 * full OS), order (plan → request → capture → release; restore after its store), every store request
 * released, and no path on which a failed capture continues into the disk wipe.
 */
export interface Problem {
  level: 'error' | 'warning'
  step: string
  message: string
  /** The catalogued error this problem stands for, where one says exactly what to add (USM0608 package, USM0609 USMT source, USM0400/USM0510 policy). */
  code?: ErrorCode
}

export interface ValidateOptions {
  /** Checks a policy file a step names (--policy) against that step; undefined when the file cannot be found here. */
  checkPolicy?: (file: string, section: PolicySection) => { problem?: { code: ErrorCode; message: string } } | undefined
}

export interface OurStep {
  path: string
  id: string
  argv: string[]
  purpose?: string
}

export interface ValidationReport {
  ok: boolean
  problems: Problem[]
  steps: OurStep[]
  /** Number of steps in the sequence (all kinds). */
  total: number
}

interface Entry { step: TsStep; groups: TsGroup[]; path: string; type: string }

function commandLineOf(step: TsStep): { line: string; pkg?: string } {
  const hidden = step.variables?.find((v) => v.name === 'CommandLine')?.value
  const m = /^\s*smsswd\.exe\s+\/run:(\S*)\s(.*)$/is.exec(step.action)
  return { line: hidden ?? (m ? m[2] : step.action), pkg: m ? m[1] : undefined }
}

function conditionsOf(e: Entry): Condition[] {
  return [...e.groups.map((g) => g.condition), e.step.condition].filter((c): c is Condition => c !== undefined)
}

function guardsWinPE(e: Entry): boolean {
  const has = (c: Condition): boolean => {
    if ('and' in c) return c.and.some(has)
    if ('variable' in c) {
      return c.variable.toLowerCase() === ENGINE_VARIABLES.inWinPE.toLowerCase()
        && ((c.operator === 'equals' && c.value?.toLowerCase() === 'false') || (c.operator === 'notEquals' && c.value?.toLowerCase() === 'true'))
    }
    return false
  }
  return conditionsOf(e).some(has)
}

function continuesOnError(e: Entry): boolean {
  return isTrue(attr(e.step, 'continueOnError')) || e.groups.some((g) => isTrue(attr(g, 'continueOnError')))
}

function readsVariable(e: Entry, name: string): boolean {
  return conditionsOf(e).some((c) => conditionVariables(c).some((v) => v.toLowerCase() === name.toLowerCase()))
}

export function validateSequence(seq: TsSequence, defs: readonly TaskStepDef[], vopts: ValidateOptions = {}): ValidationReport {
  const problems: Problem[] = []
  const add = (level: Problem['level'], step: string, message: string, code?: ErrorCode): void => { problems.push(code ? { level, step, message, code } : { level, step, message }) }
  const entries: Entry[] = walkSteps(seq.children).map(({ step, groups }) => ({
    step, groups, type: attr(step, 'type') ?? '', path: [...groups.map((g) => attr(g, 'name') ?? ''), attr(step, 'name') ?? ''].join(' / '),
  }))
  const refs = new Set((seq.references ?? []).map((r) => r.find(([k]) => k === 'package')?.[1]).filter(Boolean))
  const ours: Array<OurStep & { entry: Entry; def: TaskStepDef }> = []

  for (const e of entries) {
    if (isTrue(attr(e.step, 'disable'))) continue
    if (e.type !== 'SMS_TaskSequence_RunCommandLineAction' && e.type !== '') continue
    const { line, pkg } = commandLineOf(e.step)
    const argv = splitCommandLine(line)
    if (argv.length === 0 || !isUsmtStepsProgram(argv[0])) continue
    const cli = argv.slice(1)
    const def = matchTaskStep(defs, cli)
    if (!def) {
      add('warning', e.path, `"${cli.join(' ')}" is not one of the task-sequence steps (${defs.map((d) => d.command.join(' ')).join(', ')})`)
      continue
    }
    const o: OurStep & { entry: Entry; def: TaskStepDef } = { path: e.path, id: def.id, argv: cli, entry: e, def }
    for (let i = 0; i < def.arguments.length; i++) {
      const m = /^\{(\w+)\}$/.exec(def.arguments[i])
      if (!m) continue
      const flag = def.arguments[i - 1]
      const at = cli.indexOf(flag, def.command.length)
      const value = at >= 0 ? cli[at + 1] : undefined
      const choices = def.parameters[m[1]].choices
      if (value === undefined) add('error', e.path, `${def.command.join(' ')} needs ${flag} ${choices.join('|')}`)
      else if (!choices.includes(value)) add('error', e.path, `${flag} must be one of ${choices.join(', ')} (found "${value}")`)
      else if (m[1] === 'purpose') o.purpose = value
    }
    ours.push(o)
    const flagValue = (flag: string): string | undefined => {
      const at = cli.indexOf(flag)
      return at >= 0 ? cli[at + 1] : undefined
    }
    const policy = flagValue('--policy')
    if (policy && vopts.checkPolicy) {
      const section: PolicySection = def.id === 'users' ? 'users' : 'stores'
      const r = vopts.checkPolicy(policy, section)
      if (r === undefined) add('warning', e.path, `the policy file ${policy} is not here, so its "${section}:" section was not checked (pass --package-dir with the usmt-steps package folder)`)
      else if (r.problem) add('error', e.path, `policy ${policy} fails for ${def.command.join(' ')}: ${r.problem.message}`, r.problem.code)
    }
    if ((def.id === 'capture' || def.id === 'restore') && /^\s*smsswd\.exe/i.test(e.step.action) && flagValue('--engine') !== 'portable') {
      const dir = flagValue('--usmt-dir')
      const ref = dir ? /^%([A-Za-z_][\w-]*?)(\d{2})%$/.exec(dir) : null
      if (!dir) {
        add('error', e.path, `${def.id} has no USMT source: a client has no USMT unless the task sequence brings it; add --usmt-package-id <USMT package ID> (Download Package Content + --usmt-dir "${USMT_PACKAGE_DIR_REF}") or --usmt-in-package (--usmt-dir ${USMT_IN_PACKAGE_DIR}) when generating`, 'USM0609')
      } else if (ref) {
        const downloads = entries.filter((x) => x.type === 'SMS_TaskSequence_DownloadPackageContentAction' && !isTrue(attr(x.step, 'disable'))
          && x.step.variables?.some((v) => v.name === 'OSDDownloadDestinationVariable' && v.value.toLowerCase() === ref[1].toLowerCase()))
        const before = downloads.filter((x) => entries.indexOf(x) < entries.indexOf(e))
        if (before.length === 0) {
          add('error', e.path, `--usmt-dir ${dir} reads ${ref[1]}${ref[2]}, but no Download Package Content step with the destination variable ${ref[1]} comes before ${def.id}: add one for the USMT package`, 'USM0609')
        } else {
          for (const d of before) {
            const id = d.step.variables?.find((v) => v.name === 'OSDDownloadDownloadPackages')?.value ?? ''
            for (const p of id.split(',').map((x) => x.trim()).filter(Boolean)) {
              if (!refs.has(p)) add('error', d.path, `downloads package ${p}, which is not in the sequence's referenceList: add <reference package="${p}"/>`, 'USM0609')
            }
          }
        }
      }
    }
    // Run Command Line consistency (ConfigMgr): the engine reads the hidden variables, the console shows <action>.
    if (/^\s*smsswd\.exe/i.test(e.step.action)) {
      const hidden = e.step.variables?.find((v) => v.name === 'CommandLine')?.value
      const m = /^\s*smsswd\.exe\s+\/run:(\S*)\s(.*)$/is.exec(e.step.action)
      if (hidden === undefined) add('error', e.path, 'the hidden CommandLine variable is missing (the task-sequence engine runs that, not <action>)')
      else if (m && m[2] !== hidden) add('error', e.path, `<action> runs "${m[2]}" but the CommandLine variable says "${hidden}"`)
      const pkgVar = e.step.variables?.find((v) => v.name === 'PackageID')?.value ?? ''
      if ((pkg ?? '') !== pkgVar) add('error', e.path, `<action> names package "${pkg ?? ''}" but the PackageID variable says "${pkgVar}"`)
      if (!pkgVar && !pkg) {
        add('error', e.path, 'runs usmt-steps from no package (smsswd.exe /run: with an empty package): the client has no usmt-steps.cmd to start; add --package-id <usmt-steps package ID> when generating, or set the package on the step', 'USM0608')
      } else if (pkgVar && !refs.has(pkgVar)) {
        add('error', e.path, `package ${pkgVar} is not in the sequence's referenceList: the client would not download it; add <reference package="${pkgVar}"/> (generated templates do)`, 'USM0608')
      }
      const codesVar = e.step.variables?.find((v) => v.name === 'SuccessCodes')?.value
      if (codesVar !== undefined && codesVar.trim() !== (attr(e.step, 'successCodeList') ?? '').trim()) add('error', e.path, `successCodeList "${attr(e.step, 'successCodeList')}" and the SuccessCodes variable "${codesVar}" differ`)
    }
    const codes = (attr(e.step, 'successCodeList') ?? '0 3010').split(/\s+/).filter(Boolean).map(Number)
    for (const c of def.successCodes) {
      if (!codes.includes(c)) add(c === 0 ? 'error' : 'warning', e.path, `success code ${c} is missing (${c === 3010 ? 'a restart request would fail the step' : 'success would fail the step'})`)
    }
    const runIn = attr(e.step, 'runIn')
    if (def.runIn === 'FullOS' && runIn === 'WinPE') add('error', e.path, `${def.id} runs only in the full OS, the step is set to run in WinPE`)
    if (def.runIn === 'FullOS' && runIn !== 'FullOS' && !guardsWinPE(e)) add('warning', e.path, `${def.id} runs only in the full OS: set "run in" to FullOS or add the condition ${ENGINE_VARIABLES.inWinPE} equals false`)
    if (def.runIn === 'WinPE' && runIn === 'FullOS') add('error', e.path, `${def.id} runs only in WinPE, the step is set to run in the full OS`)
    for (const v of conditionVariables(def.condition)) {
      if (!readsVariable(e, v) && def.condition) add('warning', e.path, `the step has no condition on ${v} (expected: ${describeCondition(def.condition)})`)
    }
  }

  // Order and pairing.
  const index = (o: { entry: Entry }): number => entries.indexOf(o.entry)
  const before = (o: { entry: Entry }, id: string, purpose?: string): boolean => ours.some((x) => x.id === id && (purpose === undefined || x.purpose === purpose) && index(x) < index(o))
  const after = (o: { entry: Entry }, id: string, purpose?: string): boolean => ours.some((x) => x.id === id && (purpose === undefined || x.purpose === purpose) && index(x) > index(o))
  for (const o of ours) {
    if (o.id === 'capture' && !before(o, 'plan')) add('error', o.path, 'capture has no plan step before it: nothing decides the store (OSDStateStorePath, USMTStepsStoreType)')
    if (o.id === 'restore' && !before(o, 'plan') && !before(o, 'capture')) add('error', o.path, 'restore has neither a plan nor a capture step before it: nothing says where the store is')
    if (o.id === 'store-request' && o.purpose && !after(o, 'store-release', o.purpose)) add('error', o.path, `the store requested for ${o.purpose} is never released (add store release --for ${o.purpose})`)
    if (o.id === 'store-release' && o.purpose && !before(o, o.purpose)) add('error', o.path, `release after ${o.purpose} but no ${o.purpose} step comes before it`)
    if (o.id === 'store-release' && o.purpose && !before(o, 'store-request', o.purpose)) add('error', o.path, `release after ${o.purpose} without a store request for ${o.purpose} before it`)
  }
  const requests = entries.filter((e) => e.type === 'SMS_TaskSequence_RequestStateStoreAction' && !isTrue(attr(e.step, 'disable')))
  const releases = entries.filter((e) => e.type === 'SMS_TaskSequence_ReleaseStateStoreAction' && !isTrue(attr(e.step, 'disable')))
  const hasPlan = ours.some((o) => o.id === 'plan')
  for (const r of requests) {
    if (!releases.some((x) => entries.indexOf(x) > entries.indexOf(r))) add('error', r.path, 'every Request State Store step needs a Release State Store step after it')
    if (hasPlan && !readsVariable(r, STORE_TYPE_VARIABLE)) add('warning', r.path, `the native step runs even when plan chose another store: add the condition ${STORE_TYPE_VARIABLE} equals smp`)
  }
  for (const r of releases) {
    if (!requests.some((x) => entries.indexOf(x) < entries.indexOf(r))) add('warning', r.path, 'Release State Store without a Request State Store before it')
    if (guardsWinPE(r) === false && attr(r.step, 'runIn') !== 'FullOS') add('warning', r.path, 'Release State Store cannot run in WinPE: set "run in" to FullOS or add the condition _SMSTSInWinPE equals false')
  }
  // A failed capture must never continue into the disk wipe.
  const setsFailure = entries.some((e) => e.type === 'SMS_TaskSequence_SetVariableAction' && e.step.variables?.some((v) => v.name === 'VariableName' && v.value.toLowerCase() === FAILED_EXIT_CODE_VARIABLE.toLowerCase()))
  for (const e of entries) {
    if (readsVariable(e, FAILED_EXIT_CODE_VARIABLE) && !setsFailure && e.type !== 'SMS_TaskSequence_SetVariableAction') add('error', e.path, `the condition reads ${FAILED_EXIT_CODE_VARIABLE} but no Set Task Sequence Variable step sets it`)
  }
  for (const o of ours.filter((x) => x.id === 'capture')) {
    if (!continuesOnError(o.entry)) continue
    const i = index(o)
    const wipe = entries.findIndex((e, j) => j > i && (e.type === 'SMS_TaskSequence_ApplyOperatingSystemAction' || e.type === 'SMS_TaskSequence_PartitionDiskAction' || e.type === 'BDD_InstallOS'))
    const end = wipe < 0 ? entries.length : wipe
    const stops = entries.slice(i + 1, end).some((e) => readsVariable(e, FAILED_EXIT_CODE_VARIABLE) && e.type !== 'SMS_TaskSequence_SetVariableAction' && !continuesOnError(e) && !isTrue(attr(e.step, 'disable')))
    if (!stops) {
      add(wipe >= 0 ? 'error' : 'warning', o.path, wipe >= 0
        ? `a failed capture continues (continue on error) into "${entries[wipe].path}", which wipes the user data: add a step that stops the sequence when ${FAILED_EXIT_CODE_VARIABLE} exists`
        : `a failed capture continues (continue on error) and nothing stops the sequence afterwards`)
    }
  }
  return { ok: !problems.some((p) => p.level === 'error'), problems, steps: ours.map(({ path, id, argv, purpose }) => (purpose ? { path, id, argv, purpose } : { path, id, argv })), total: entries.length }
}
