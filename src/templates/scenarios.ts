import { UsmtStepsError } from '../runtime/errors.js'
import { RESULT_VARIABLES } from '../runtime/step-result.js'
import { allOf, type Condition } from './condition.js'
import type { Attrs, TsGroup, TsNode, TsSequence, TsStep, TsVariable } from './sequence.js'
import { stepArgv, stepCommandLine, stepName, taskStep, type StepUse, type TaskStepDef, type TemplateOption } from './task-steps.js'
import { ENGINE_VARIABLES, FAILED_EXIT_CODE_VARIABLE, PACKAGE_ID, STORE_TYPE_VARIABLE, USMT_IN_PACKAGE_DIR, USMT_PACKAGE_DIR_REF, USMT_PACKAGE_VARIABLE } from './variables.js'

/**
 * The three deployment scenarios as layouts of task steps, turned into a sequence for ConfigMgr (with the
 * native Request/Release State Store steps for an SMP) or MDT. Each half is a try/catch: an inner group with
 * "continue on error", a Set Task Sequence Variable step that remembers a failure, the report, and a step
 * that stops the sequence with the failed step's exit code — so a failed capture stops the sequence before
 * the disk is wiped, and the admin still gets the report.
 */
export const SCENARIOS = ['refresh', 'replace-source', 'replace-destination'] as const
export type Scenario = typeof SCENARIOS[number]
export type Flavour = 'configmgr' | 'mdt'

export interface TemplateOptions {
  scenario: Scenario
  flavour: Flavour
  /** ConfigMgr package that holds the usmt-steps package folder (Run Command Line "package"); required for ConfigMgr. */
  packageId?: string
  /** A separate ConfigMgr package holding USMT: fetched by a Download Package Content step, fed to --usmt-dir. */
  usmtPackageId?: string
  /** USMT is in the usmt-steps package's own USMT\ folder (--usmt-dir USMT). */
  usmtInPackage?: boolean
  /** Program that runs usmt-steps (default usmt-steps.cmd, found in the package folder). */
  launcher?: string
  options?: Partial<Record<TemplateOption, string>>
  /** Sequence name (MDT ts.xml header; ConfigMgr cmdlet script). */
  name?: string
  smpRetryCount?: number
  smpRetryTime?: number
}

export const DEFAULT_LAUNCHER = { configmgr: 'usmt-steps.cmd', mdt: '%DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps.cmd' } as const

type Item =
  | { kind: 'step'; id: string; params?: Record<string, string> }
  | { kind: 'native'; native: 'request-capture' | 'request-restore' | 'release'; inWinPE?: boolean }
  | { kind: 'remember'; what: string }
  | { kind: 'stop'; what: string }
  | { kind: 'download-usmt' }
  | { kind: 'group'; name: string; description: string; continueOnError?: boolean; condition?: Condition; items: Item[] }

const v = (variable: string, operator: 'equals' | 'notEquals' | 'exists', value?: string): Condition =>
  value === undefined ? { variable, operator } : { variable, operator, value }
const NOT_IN_WINPE = v(ENGINE_VARIABLES.inWinPE, 'equals', 'false')
const FAILED = v(FAILED_EXIT_CODE_VARIABLE, 'exists')

function captureHalf(scenario: 'refresh' | 'replace'): Item {
  return {
    kind: 'group', name: 'usmt-steps: State Capture',
    description: 'Plan the store, capture the user state, release the store; on failure write the report and stop before anything is wiped.',
    items: [
      {
        kind: 'group', name: 'Capture user state', continueOnError: true,
        description: 'Continue on error so that a failure is remembered, reported and then stops the sequence.',
        items: [
          { kind: 'step', id: 'users' },
          { kind: 'step', id: 'plan', params: { scenario } },
          { kind: 'native', native: 'request-capture' },
          { kind: 'step', id: 'store-request', params: { purpose: 'capture' } },
          { kind: 'download-usmt' },
          { kind: 'step', id: 'capture' },
          { kind: 'step', id: 'store-release', params: { purpose: 'capture' } },
          { kind: 'native', native: 'release', inWinPE: true },
        ],
      },
      { kind: 'remember', what: 'capture' },
      { kind: 'step', id: 'report' },
      { kind: 'stop', what: 'the user state was not captured; nothing was wiped' },
    ],
  }
}

function restoreHalf(planFirst: boolean): Item {
  return {
    kind: 'group', name: 'usmt-steps: State Restore',
    description: 'Restore the user state in the new operating system, release the store, write the report; fail the sequence when the restore failed.',
    condition: NOT_IN_WINPE,
    items: [
      {
        kind: 'group', name: 'Restore user state', continueOnError: true,
        description: 'Continue on error so that a failure is remembered and reported; the store is kept.',
        items: [
          ...(planFirst ? [{ kind: 'step', id: 'plan', params: { scenario: 'replace' } } as Item] : []),
          { kind: 'native', native: 'request-restore' },
          { kind: 'step', id: 'store-request', params: { purpose: 'restore' } },
          { kind: 'download-usmt' },
          { kind: 'step', id: 'restore' },
          { kind: 'step', id: 'store-release', params: { purpose: 'restore' } },
          { kind: 'native', native: 'release' },
        ],
      },
      { kind: 'remember', what: 'restore' },
      { kind: 'step', id: 'report' },
      { kind: 'stop', what: 'the user state was not restored; the store was kept' },
    ],
  }
}

export function scenarioLayout(scenario: Scenario): Item[] {
  switch (scenario) {
    case 'refresh': return [captureHalf('refresh'), restoreHalf(false)]
    case 'replace-source': return [captureHalf('replace')]
    case 'replace-destination': return [restoreHalf(true)]
  }
}

export const SCENARIO_DESCRIPTIONS: Record<Scenario, string> = {
  refresh: 'Same computer, new OS: capture (hard-link store when possible) before the OS is applied, restore after.',
  'replace-source': 'Old computer: capture to a network store (share or SMP) and release it for the new computer.',
  'replace-destination': 'New computer: find the store associated with this computer, restore, release.',
}

// ------------------------------------------------------------------------------------------------ build

function step(attrs: Attrs, action: string, variables: TsVariable[] | undefined, condition?: Condition): TsStep {
  const s: TsStep = { kind: 'step', attrs, action }
  if (variables) s.variables = variables
  if (condition) s.condition = condition
  return s
}

function commandLineStep(o: Required<Pick<TemplateOptions, 'flavour' | 'launcher'>> & TemplateOptions, name: string, description: string, commandLine: string,
  extra: { continueOnError: boolean; runIn: string; successCodes: number[]; timeoutMinutes?: number; condition?: Condition }): TsStep {
  const codes = extra.successCodes.join(' ')
  if (o.flavour === 'mdt') {
    const attrs: Attrs = [['type', 'SMS_TaskSequence_RunCommandLineAction'], ['name', name], ['description', description], ['disable', 'false'],
      ['continueOnError', String(extra.continueOnError)], ['successCodeList', codes], ['runIn', extra.runIn], ['startIn', '']]
    return step(attrs, commandLine, undefined, extra.condition)
  }
  const attrs: Attrs = [['type', 'SMS_TaskSequence_RunCommandLineAction'], ['name', name], ['description', description]]
  if (extra.continueOnError) attrs.push(['continueOnError', 'true'])
  if (extra.timeoutMinutes) attrs.push(['timeout', String(extra.timeoutMinutes * 60)])
  attrs.push(['runIn', extra.runIn], ['successCodeList', codes], ['retryCount', '0'], ['runFromNet', 'false'])
  const vars: TsVariable[] = [
    { name: 'CommandLine', property: 'CommandLine', hidden: true, value: commandLine },
    { name: 'SMSTSDisableWow64Redirection', property: 'DisableWow64Redirection', value: 'false' },
    { name: 'SMSTSRunCommandLineOutputVariableName', property: 'OutputVariableName', value: '' },
  ]
  if (o.packageId) vars.push({ name: 'PackageID', property: 'PackageID', hidden: true, value: o.packageId })
  vars.push(
    { name: '_SMSTSRunCommandLineAsUser', property: 'RunAsUser', value: 'false' },
    { name: 'SuccessCodes', property: 'SuccessCodes', hidden: true, value: codes },
  )
  const action = o.packageId ? `smsswd.exe /run:${o.packageId} ${commandLine}` : `smsswd.exe /run: ${commandLine}`
  return step(attrs, action, vars, extra.condition)
}

function cmAttrs(type: string, name: string, description: string, runIn: string, continueOnError = false): Attrs {
  const a: Attrs = [['type', type], ['name', name], ['description', description]]
  if (continueOnError) a.push(['continueOnError', 'true'])
  a.push(['runIn', runIn], ['successCodeList', '0'], ['retryCount', '0'], ['runFromNet', 'false'])
  return a
}

function setVariableStep(o: TemplateOptions, name: string, variable: string, value: string, condition: Condition): TsStep {
  const vars: TsVariable[] = [
    { name: 'DoNotShowVariableValue', property: 'DoNotShowVariableValue', hidden: true, value: 'false' },
    { name: 'VariableName', property: 'VariableName', hidden: true, value: variable },
    { name: 'VariableValue', property: 'VariableValue', hidden: true, value },
  ]
  const description = `Remembers the exit code of the failed step in ${variable}.`
  const attrs: Attrs = o.flavour === 'mdt'
    ? [['type', 'SMS_TaskSequence_SetVariableAction'], ['name', name], ['description', description], ['disable', 'false'], ['continueOnError', 'false'], ['successCodeList', '0 3010'], ['runIn', 'WinPEandFullOS'], ['startIn', '']]
    : cmAttrs('SMS_TaskSequence_SetVariableAction', name, description, 'WinPEandFullOS')
  // MDT's own templates set variables through ZTISetVariable.wsf (tsenv.exe is a ConfigMgr client tool).
  const action = o.flavour === 'mdt' ? 'cscript.exe "%SCRIPTROOT%\\ZTISetVariable.wsf"' : `tsenv.exe "${variable}=${value}" /hiddenflag:False`
  return step(attrs, action, vars, condition)
}

/** Download Package Content (ConfigMgr's native step) for the USMT package, before capture or restore. */
function downloadUsmtStep(usmtPackageId: string): TsStep {
  const vars: TsVariable[] = [
    { name: 'OSDDownloadContinueDownloadOnError', property: 'ContinueDownloadOnError', value: 'false' },
    { name: 'OSDDownloadDestinationPath', property: 'DestinationCustomPath', value: '' },
    { name: 'OSDDownloadDestinationLocationType', property: 'DestinationLocationType', value: 'TSCache' },
    { name: 'OSDDownloadDestinationVariable', property: 'DestinationVariable', value: USMT_PACKAGE_VARIABLE },
    { name: 'OSDDownloadDownloadPackages', property: 'DownloadPackages', value: usmtPackageId },
    { name: 'OSDPackageCount', property: 'NumPackages', value: '1' },
    { name: 'OSDPackage', property: 'PackageInfo', hidden: true, value: '1' },
    { name: 'OSDPackage0Name', property: 'PackageInfo0Name', value: 'USMT' },
    { name: 'OSDPackage0PackageId', property: 'PackageInfo0PackageId', value: usmtPackageId },
    { name: 'OSDPackage0PkgType', property: 'PackageInfo0PkgType', value: '0' },
  ]
  return step(cmAttrs('SMS_TaskSequence_DownloadPackageContentAction', 'Download the USMT package', `Native step: downloads the USMT package and sets ${USMT_PACKAGE_VARIABLE}01 to its folder (capture and restore get --usmt-dir "${USMT_PACKAGE_DIR_REF}").`, 'WinPEandFullOS'),
    'OsdDownloadContent.exe ', vars, v(STORE_TYPE_VARIABLE, 'notEquals', 'none'))
}

/** The --usmt-dir capture and restore get: the downloaded USMT package, USMT\ in our package, or what the admin gave. */
function usmtSource(opts: TemplateOptions): Partial<Record<TemplateOption, string>> {
  const o = { ...opts.options }
  const chosen = [opts.usmtPackageId ? '--usmt-package-id' : '', opts.usmtInPackage ? '--usmt-in-package' : '', o.usmtDir ? '--usmt-dir' : ''].filter(Boolean)
  if (chosen.length > 1) throw new UsmtStepsError('USM0602', `give one USMT source, not ${chosen.join(' and ')}`)
  if (opts.flavour === 'mdt') {
    if (opts.usmtPackageId || opts.usmtInPackage) throw new UsmtStepsError('USM0602', 'MDT finds USMT in the deployment share (Tools\\<arch>\\USMT5); --usmt-package-id and --usmt-in-package are for ConfigMgr')
    return o
  }
  if (opts.usmtPackageId) o.usmtDir = USMT_PACKAGE_DIR_REF
  else if (opts.usmtInPackage) o.usmtDir = USMT_IN_PACKAGE_DIR
  return o
}

const STORE_IS = (type: string): Condition => v(STORE_TYPE_VARIABLE, 'equals', type)

function nativeStep(o: TemplateOptions, native: 'request-capture' | 'request-restore' | 'release', inWinPEGuard: boolean): TsStep {
  if (native === 'release') {
    const cond = allOf(STORE_IS('smp'), v(RESULT_VARIABLES.result, 'notEquals', 'Failed'), inWinPEGuard ? NOT_IN_WINPE : undefined)
    return step(cmAttrs('SMS_TaskSequence_ReleaseStateStoreAction', 'Release State Store', 'Native step: tells the state migration point that the operation is complete.', 'FullOS'),
      'osdsmpclient.exe /release', [], cond)
  }
  const purpose = native === 'request-capture' ? 'capture' : 'restore'
  const vars: TsVariable[] = [
    { name: 'OSDStateFallbackToNAA', property: 'FallbackToNAA', value: 'false' },
    { name: 'OSDStateRequestType', property: 'RequestType', hidden: true, value: purpose },
    { name: 'OSDStateSMPRetryCount', property: 'SMPRetryCount', hidden: true, value: String(o.smpRetryCount ?? 3) },
    { name: 'OSDStateSMPRetryTime', property: 'SMPRetryTime', hidden: true, value: String(o.smpRetryTime ?? 10) },
  ]
  return step(cmAttrs('SMS_TaskSequence_RequestStateStoreAction', `Request State Store (${purpose})`, `Native step: gets ${purpose === 'capture' ? 'a store on' : 'this computer\'s store from'} the state migration point (plan chose smp).`, 'WinPEandFullOS'),
    `osdsmpclient.exe /${purpose}`, vars, STORE_IS('smp'))
}

function usesNative(items: Item[]): boolean {
  return items.some((i) => i.kind === 'native' || (i.kind === 'group' && usesNative(i.items)))
}

/** Build the sequence for a scenario from the task-step definitions. */
export function buildSequence(defs: readonly TaskStepDef[], opts: TemplateOptions): TsSequence {
  if (!(SCENARIOS as readonly string[]).includes(opts.scenario)) {
    throw new UsmtStepsError('USM0602', `unknown scenario "${opts.scenario}" (known: ${SCENARIOS.join(', ')})`)
  }
  for (const id of [opts.packageId, opts.usmtPackageId]) {
    if (id !== undefined && !PACKAGE_ID.test(id)) {
      throw new UsmtStepsError('USM0602', `"${id}" is not a ConfigMgr package ID (three characters of site code and five hexadecimal digits, e.g. ABC00012)`)
    }
  }
  if (opts.flavour === 'configmgr' && !opts.packageId) {
    throw new UsmtStepsError('USM0608', 'a ConfigMgr template needs the ID of the usmt-steps package: add --package-id ABC00012 (the package made from the usmt-steps package folder)')
  }
  if (opts.usmtPackageId && opts.usmtPackageId === opts.packageId) throw new UsmtStepsError('USM0602', '--usmt-package-id names the usmt-steps package itself; use --usmt-in-package when USMT is in its USMT\\ folder')
  const o = { ...opts, launcher: opts.launcher ?? DEFAULT_LAUNCHER[opts.flavour], options: usmtSource(opts) }
  const layout = scenarioLayout(opts.scenario)
  const convert = (items: Item[]): TsNode[] => items.flatMap((item): TsNode[] => {
    switch (item.kind) {
      case 'group': {
        const attrs: Attrs = o.flavour === 'mdt'
          ? [['name', item.name], ['disable', 'false'], ['continueOnError', String(item.continueOnError ?? false)], ['description', item.description], ['expand', 'true']]
          : [['name', item.name], ['description', item.description], ...(item.continueOnError ? [['continueOnError', 'true'] as [string, string]] : [])]
        const g: TsGroup = { kind: 'group', attrs, children: convert(item.items) }
        if (item.condition) g.condition = item.condition
        return [g]
      }
      case 'native':
        return o.flavour === 'mdt' ? [] : [nativeStep(o, item.native, item.inWinPE ?? false)]
      case 'download-usmt':
        return o.flavour === 'mdt' || !o.usmtPackageId ? [] : [downloadUsmtStep(o.usmtPackageId)]
      case 'remember':
        return [setVariableStep(o, `Remember a failed ${item.what}`, FAILED_EXIT_CODE_VARIABLE, `%${ENGINE_VARIABLES.lastActionRetCode}%`,
          v(ENGINE_VARIABLES.lastActionSucceeded, 'equals', 'false'))]
      case 'stop':
        return [commandLineStep({ ...o, packageId: undefined }, 'Stop: user state migration failed', `Fails the task sequence with the failed step's exit code: ${item.what}.`,
          `cmd.exe /c exit %${FAILED_EXIT_CODE_VARIABLE}%`, { continueOnError: false, runIn: 'WinPEandFullOS', successCodes: [0], condition: FAILED })]
      case 'step': {
        const def = taskStep(defs, item.id)
        const use: StepUse = { params: item.params, options: o.options }
        const cl = stepCommandLine(o.launcher, stepArgv(def, use))
        return [commandLineStep(o, stepName(def, use), def.description, cl, {
          continueOnError: def.continueOnError, runIn: def.runIn, successCodes: def.successCodes, timeoutMinutes: def.timeoutMinutes, condition: def.condition,
        })]
      }
    }
  })
  const children = convert(layout)
  if (o.flavour === 'mdt') {
    return {
      attrs: [['version', '3.00'], ['name', o.name ?? `usmt-steps ${opts.scenario}`], ['description', `usmt-steps groups for the ${opts.scenario} scenario: ${SCENARIO_DESCRIPTIONS[opts.scenario]}`]],
      children,
    }
  }
  const seq: TsSequence = { attrs: [['version', '3.10']], children }
  if (o.packageId) seq.references = [[['package', o.packageId]], ...(o.usmtPackageId ? [[['package', o.usmtPackageId]] as Attrs] : [])]
  if (usesNative(layout)) {
    seq.globals = [
      { name: 'OSDStateSMPRetryCount', property: 'SMPRetryCount', value: String(o.smpRetryCount ?? 3) },
      { name: 'OSDStateSMPRetryTime', property: 'SMPRetryTime', value: String(o.smpRetryTime ?? 10) },
    ]
  }
  return seq
}
