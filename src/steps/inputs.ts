/**
 * The inputs of the capture and restore steps, resolved once: ConfigMgr variables (OSDMigrate*), MDT
 * properties (USMTMigFiles*, ScanStateArgs, UDProfiles, UserDataKey …), the decision of `usmt-steps plan`
 * (OSDStateStorePath, USMTSteps*), flags overriding them. Also spots variables whose names are one or two
 * typing errors away from a name we read (OSDMigrageAdditionalCaptureOptions) and reports them.
 */
import { readFileSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { ALL_SETTINGS, type SettingKey, type SettingValueOf } from '../runtime/settings/index.js'
import { STEP_VARIABLES } from '../runtime/variables.js'
import { PLAN_INPUT_VARIABLES } from '../plan/decide.js'
import type { StoreType } from '../plan/types.js'
import type { UsmtArch } from './pe.js'
import type { EngineChoice } from './locate.js'

export type StepKind = 'capture' | 'restore'

/** Settings both steps read. */
const COMMON_SETTINGS = ['usmtEngine', 'usmtDir', 'usmtArch', 'stepStorePath', 'stepStoreType', 'encryptionKey', 'encryptionKeyFile',
  'encryptionAlgorithm', 'migrateMode', 'migrateConfigFiles', 'usmtMigFiles', 'usmtConfigFile', 'rulesFiles', 'migrateVerbose', 'udProfiles',
  'inWinPE', 'failOnIgnoredErrors', 'heartbeatSeconds', 'userMapArgs'] as const satisfies readonly SettingKey[]

/** The settings `usmt-steps capture` reads (its flags are generated from these). */
export const CAPTURE_SETTINGS = [...COMMON_SETTINGS, 'stepHardLink', 'deploymentType', 'encryptNetworkStore', 'scanStateArgs', 'captureOptions',
  'continueOnLockedFiles', 'skipEncryptedFiles', 'fileAccess', 'offlineCapture', 'offlineWinDir', 'originalArchitecture',
  'profilesAtRisk', 'cloudOnlyFiles', 'attributesFile'] as const satisfies readonly SettingKey[]

/** The settings `usmt-steps restore` reads (its flags are generated from these). */
export const RESTORE_SETTINGS = [...COMMON_SETTINGS, 'loadStateArgs', 'restoreOptions', 'continueOnRestore', 'migrateLocalAccounts',
  'localAccountPassword', 'lacPasswordOnCommandLine', 'usersLeftBehind', 'keepStore', 'allowMissingStore', 'proofPolicy'] as const satisfies readonly SettingKey[]

// Each part of resolveInputs reads through a function typed by the keys its command declares, so reading a
// setting the command does not declare (which StepRun refuses at run time, exit 1) is a compile error.
type CommonKey = (typeof COMMON_SETTINGS)[number]
type CaptureKey = (typeof CAPTURE_SETTINGS)[number]
type RestoreKey = (typeof RESTORE_SETTINGS)[number]
const commonSetting = <K extends CommonKey>(src: InputSources, k: K): Promise<SettingValueOf<K>> => src.setting(k)

export interface StepInputs {
  step: StepKind
  engine: EngineChoice
  usmtDir?: string
  arch?: UsmtArch
  packageId?: string
  storePath?: string
  storeType?: StoreType
  hardLink?: boolean
  replace: boolean
  encryptNetworkStore: boolean
  /** The key itself (registered with the redactor), when one is set. */
  key?: string
  keySource?: string
  algorithm: string
  /** Base (MDT ScanStateArgs / LoadStateArgs) and additional (OSDMigrateAdditional*Options) option text. */
  baseOptions?: string
  additionalOptions?: string
  /** /mu mappings written by `usmt-steps users` (USMTStepsUserMapArgs). */
  userMapArgs?: string
  xmlFiles: string[]
  xmlSource: string
  configFile?: string
  rules: string[]
  continueOnError: boolean
  verbose: boolean
  skipEncryptedFiles: boolean
  vss: boolean
  udProfiles: string[]
  localAccounts: boolean
  localAccountPassword?: string
  lacPasswordOnCommandLine: boolean
  inWinPE: boolean
  offline: boolean
  offlineWinDir?: string
  originalArchitecture?: string
  profilesAtRisk: 'fail' | 'warn' | 'ignore'
  /** Cloud-only files found before the capture. */
  cloudOnlyFiles: 'fail' | 'warn' | 'exclude'
  /** Attributes file for mapped volumes that cannot hold Windows attributes. */
  attributesFile?: string
  /** Missing or changed files in the proof after the restore. */
  proofPolicy: 'fail' | 'warn'
  failOnIgnoredErrors: boolean
  /** fail or warn when users in the store were not restored without a user selection asking for it. */
  usersLeftBehind: 'fail' | 'warn'
  keepStore: boolean
  allowMissingStore: boolean
  heartbeatSeconds: number
  /** Portable-engine flags (same as usmt-steps scanstate). */
  volumes: string[]
  removable: string[]
  usersFile?: string
  computer?: string
  /** Near-miss variable names found in the environment: [found, meant]. */
  nearMisses: Array<[string, string]>
}

export interface InputSources {
  setting<K extends SettingKey>(key: K): Promise<SettingValueOf<K>>
  /** Task-sequence variable lookup (case-insensitive). */
  variable(name: string): string | undefined
  /** All variables of the environment. */
  variables(): Record<string, string>
  flags: Record<string, unknown>
}

const str = (v: string | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined)
const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)

/** MDT list properties: NAME (comma-separated), NAME001…, NAME1… (ZTIUtility's list convention). */
export function mdtList(variables: Record<string, string>, name: string): string[] {
  const out: string[] = []
  const lower = name.toLowerCase()
  const numbered = Object.entries(variables)
    .map(([k, v]) => ({ m: new RegExp(`^${lower}(\\d+)$`).exec(k.toLowerCase()), v }))
    .filter((x): x is { m: RegExpExecArray; v: string } => x.m !== null && x.v.trim() !== '')
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
  for (const x of numbered) out.push(x.v.trim())
  const plain = Object.entries(variables).find(([k]) => k.toLowerCase() === lower)?.[1]
  if (plain) out.push(...list(plain))
  return [...new Set(out)]
}

/** Names usmt-steps reads or writes anywhere (settings, plan, results); a variable close to one of them is suspicious. */
export function knownVariableNames(): string[] {
  const names = new Set<string>()
  for (const s of ALL_SETTINGS) for (const v of s.tsVariables ?? []) names.add(v)
  for (const v of PLAN_INPUT_VARIABLES) names.add(v)
  for (const v of STEP_VARIABLES) names.add(v.name)
  for (const v of ['_OSDMigrateUsmtPackageID', '_OSDMigrateUsmtRestorePackageID', 'USMTMigFiles', 'UserDataLocation', 'UDShare', 'UDDir', 'StatePath',
    'DeployRoot', '_SMSTSMDataPath', '_SMSTSLogPath', 'SMSTSLocalDataDrive']) names.add(v)
  return [...names]
}

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string, max = 3): number {
  const s = a.toLowerCase()
  const t = b.toLowerCase()
  if (Math.abs(s.length - t.length) > max) return max + 1
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)])
  for (let j = 1; j <= t.length; j++) d[0][j] = j
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[s.length][t.length]
}

/** Variables in `present` that are not known but are within 1 (short names) or 2 (12+ characters) edits of a known one. */
export function nearMissVariables(present: readonly string[], known: readonly string[] = knownVariableNames()): Array<[string, string]> {
  const knownLower = new Set(known.map((k) => k.toLowerCase()))
  const out: Array<[string, string]> = []
  for (const name of present) {
    const lower = name.toLowerCase()
    if (knownLower.has(lower) || /^usmtmigfiles\d+$/.test(lower) || name.length < 6) continue
    let best: [string, number] | undefined
    for (const k of known) {
      const limit = k.length >= 12 ? 2 : 1
      const dist = editDistance(name, k, limit)
      if (dist <= limit && (!best || dist < best[1])) best = [k, dist]
    }
    if (best) out.push([name, best[0]])
  }
  return out
}

function readKeyFile(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsmtStepsError('USM0003', `cannot read the key file ${file}: ${(err as Error).message}`, { cause: err, data: { file } })
  }
  const key = text.replace(/^\uFEFF/, '').replace(/\r?\n$/, '')
  if (key.length === 0) throw new UsmtStepsError('USM0003', `the key file ${file} is empty`, { data: { file } })
  redactor.add(key)
  return key
}

/** The key, from a variable or the environment (then registered with the redactor), else from the key file. */
async function resolveKey(src: InputSources): Promise<{ key?: string; keySource?: string }> {
  const keyValue = str(await commonSetting(src, 'encryptionKey'))
  if (keyValue !== undefined) {
    redactor.add(keyValue)
    return { key: keyValue, keySource: src.variable('USMTStepsEncryptionKey') ? 'USMTStepsEncryptionKey' : src.variable('UserDataKey') ? 'UserDataKey' : 'USMT_STEPS_ENCRYPTION_KEY' }
  }
  const keyFile = str(await commonSetting(src, 'encryptionKeyFile'))
  return keyFile === undefined ? {} : { key: readKeyFile(keyFile), keySource: `key file ${keyFile}` }
}

/** Migration XML: OSDMigrateConfigFiles (Advanced), else MDT's USMTMigFiles, else MigApp.xml and MigDocs.xml. */
async function resolveXmlNames(src: InputSources, vars: Record<string, string>): Promise<{ xmlFiles: string[]; xmlSource: string }> {
  const configFiles = list(str(await commonSetting(src, 'migrateConfigFiles')))
  if ((await commonSetting(src, 'migrateMode')) === 'Advanced' && configFiles.length > 0) return { xmlFiles: configFiles, xmlSource: 'OSDMigrateConfigFiles (OSDMigrateMode=Advanced)' }
  const migFiles = mdtList(vars, 'USMTMigFiles')
  if (migFiles.length > 0) return { xmlFiles: migFiles, xmlSource: 'USMTMigFiles' }
  return { xmlFiles: ['MigApp.xml', 'MigDocs.xml'], xmlSource: 'default (MigApp.xml, MigDocs.xml)' }
}

/** The inputs only capture reads; restore gets their neutral values. */
async function captureOnly(step: StepKind, src: InputSources) {
  if (step !== 'capture') {
    return {
      hardLink: undefined, replace: false, encryptNetworkStore: true, skipEncryptedFiles: false, vss: false, offline: false, profilesAtRisk: 'fail' as const,
      cloudOnlyFiles: 'fail' as const,
    }
  }
  const s = <K extends CaptureKey>(k: K): Promise<SettingValueOf<K>> => src.setting(k)
  const offline = await s('offlineCapture')
  return {
    hardLink: await s('stepHardLink'),
    replace: (str(await s('deploymentType')) ?? '').toUpperCase() === 'REPLACE',
    encryptNetworkStore: await s('encryptNetworkStore'),
    skipEncryptedFiles: await s('skipEncryptedFiles'),
    vss: (await s('fileAccess')) === 'VSS',
    offline: offline ?? (await s('inWinPE')),
    offlineWinDir: str(await s('offlineWinDir')),
    originalArchitecture: str(await s('originalArchitecture')),
    profilesAtRisk: await s('profilesAtRisk'),
    cloudOnlyFiles: await s('cloudOnlyFiles'),
    attributesFile: str(await s('attributesFile')),
  }
}

/** The inputs only restore reads; capture gets their neutral values. */
async function restoreOnly(step: StepKind, src: InputSources) {
  if (step !== 'restore') {
    return { localAccounts: false, lacPasswordOnCommandLine: false, usersLeftBehind: 'fail' as const, keepStore: false, allowMissingStore: false, proofPolicy: 'fail' as const }
  }
  const s = <K extends RestoreKey>(k: K): Promise<SettingValueOf<K>> => src.setting(k)
  const password = str(await s('localAccountPassword'))
  if (password !== undefined) redactor.add(password)
  return {
    localAccounts: await s('migrateLocalAccounts'),
    localAccountPassword: password,
    lacPasswordOnCommandLine: await s('lacPasswordOnCommandLine'),
    usersLeftBehind: await s('usersLeftBehind'),
    keepStore: await s('keepStore'),
    allowMissingStore: await s('allowMissingStore'),
    proofPolicy: await s('proofPolicy'),
  }
}

/** The USMT option texts of the step (MDT base, OSDMigrateAdditional*Options) and its /c setting. */
async function optionTexts(step: StepKind, src: InputSources): Promise<Pick<StepInputs, 'baseOptions' | 'additionalOptions' | 'continueOnError'>> {
  if (step === 'capture') {
    const s = <K extends CaptureKey>(k: K): Promise<SettingValueOf<K>> => src.setting(k)
    return { baseOptions: str(await s('scanStateArgs')), additionalOptions: str(await s('captureOptions')), continueOnError: await s('continueOnLockedFiles') }
  }
  const s = <K extends RestoreKey>(k: K): Promise<SettingValueOf<K>> => src.setting(k)
  return { baseOptions: str(await s('loadStateArgs')), additionalOptions: str(await s('restoreOptions')), continueOnError: await s('continueOnRestore') }
}

/** Resolve every input of a step (flags > variables > environment > defaults). */
export async function resolveInputs(step: StepKind, src: InputSources): Promise<StepInputs> {
  const s = <K extends CommonKey>(k: K): Promise<SettingValueOf<K>> => commonSetting(src, k)
  const vars = src.variables()
  const capture = step === 'capture'
  const udProfiles = list(str(await s('udProfiles')))
  const flagList = (name: string): string[] => {
    const v = src.flags[name]
    return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []
  }
  return {
    step,
    ...(await resolveKey(src)),
    ...(await resolveXmlNames(src, vars)),
    ...(await captureOnly(step, src)),
    ...(await restoreOnly(step, src)),
    ...(await optionTexts(step, src)),
    engine: await s('usmtEngine'),
    usmtDir: str(await s('usmtDir')),
    arch: await s('usmtArch'),
    packageId: src.variable(capture ? '_OSDMigrateUsmtPackageID' : '_OSDMigrateUsmtRestorePackageID') ?? src.variable('_OSDMigrateUsmtPackageID'),
    storePath: str(await s('stepStorePath')),
    storeType: await s('stepStoreType'),
    algorithm: await s('encryptionAlgorithm'),
    userMapArgs: str(await s('userMapArgs')),
    configFile: str(await s('usmtConfigFile')),
    rules: (str(await s('rulesFiles')) ?? '').split(';').map((x) => x.trim()).filter(Boolean),
    verbose: await s('migrateVerbose'),
    // Restore: the users a computer association names (store request --type restore) when UDProfiles is empty.
    udProfiles: udProfiles.length > 0 || capture ? udProfiles : list(src.variable('USMTStepsStoreUsers')),
    inWinPE: await s('inWinPE'),
    failOnIgnoredErrors: await s('failOnIgnoredErrors'),
    heartbeatSeconds: await s('heartbeatSeconds'),
    volumes: flagList('volume'),
    removable: flagList('removable'),
    usersFile: typeof src.flags.users === 'string' ? src.flags.users : undefined,
    computer: typeof src.flags.computer === 'string' ? src.flags.computer : src.variable('_SMSTSMachineName') ?? src.variable('OSDComputerName') ?? src.variable('ComputerName'),
    nearMisses: nearMissVariables(Object.keys(vars)),
  }
}
