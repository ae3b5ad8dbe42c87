/**
 * The inputs of the capture and restore steps, resolved once: ConfigMgr variables (OSDMigrate*), MDT
 * properties (USMTMigFiles*, ScanStateArgs, UDProfiles, UserDataKey …), the decision of `usmt-steps plan`
 * (OSDStateStorePath, USMTSteps*), flags overriding them. Also spots variables whose names are one or two
 * typing errors away from a name we read (OSDMigrageAdditionalCaptureOptions) and reports them.
 */
import { readFileSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import type { SettingValue } from '../runtime/settings.js'
import { ALL_SETTINGS } from '../runtime/settings/index.js'
import { RESULT_VARIABLES } from '../runtime/step-result.js'
import { PLAN_INPUT_VARIABLES } from '../plan/decide.js'
import type { UsmtArch } from './pe.js'
import type { EngineChoice } from './locate.js'

export type StepKind = 'capture' | 'restore'

export interface StepInputs {
  step: StepKind
  engine: EngineChoice
  usmtDir?: string
  arch?: UsmtArch
  packageId?: string
  storePath?: string
  storeType?: 'hardlink' | 'share' | 'smp' | 'none'
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
  setting(key: string): Promise<SettingValue>
  /** Task-sequence variable lookup (case-insensitive). */
  variable(name: string): string | undefined
  /** All variables of the environment. */
  variables(): Record<string, string>
  flags: Record<string, unknown>
}

const str = (v: SettingValue): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined)
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
  for (const v of Object.values(RESULT_VARIABLES)) names.add(v)
  for (const v of [
    '_OSDMigrateUsmtPackageID', '_OSDMigrateUsmtRestorePackageID', 'USMTMigFiles', 'USMTLocal', 'USMTStepsStoreRequest', 'USMTStepsPlanRule',
    'UserDataLocation', 'UDShare', 'UDDir', 'StatePath', 'DeployRoot', '_SMSTSMDataPath', '_SMSTSLogPath', 'SMSTSLocalDataDrive',
    'USMTStepsUsmtReturnCode', 'USMTStepsCaptureStorePath', 'USMTStepsCaptureStoreKind', 'USMTStepsCaptureEncrypted', 'USMTStepsCapturedUsers',
    'USMTStepsIgnoredErrors', 'USMTStepsUsmtEngine', 'USMTStepsStoreRemoved', 'USMTStepsRestoredUsers',
  ]) names.add(v)
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

/** Resolve every input of a step (flags > variables > environment > defaults). */
export async function resolveInputs(step: StepKind, src: InputSources): Promise<StepInputs> {
  const s = (k: string): Promise<SettingValue> => src.setting(k)
  const bool = async (k: string): Promise<boolean> => (await s(k)) === true
  const vars = src.variables()
  const keyValue = str(await s('encryptionKey'))
  const keyFile = str(await s('encryptionKeyFile'))
  let key: string | undefined
  let keySource: string | undefined
  if (keyValue !== undefined) {
    redactor.add(keyValue)
    key = keyValue
    keySource = src.variable('USMTStepsEncryptionKey') ? 'USMTStepsEncryptionKey' : src.variable('UserDataKey') ? 'UserDataKey' : 'USMT_STEPS_ENCRYPTION_KEY'
  } else if (keyFile !== undefined) {
    key = readKeyFile(keyFile)
    keySource = `key file ${keyFile}`
  }
  const password = str(await s('localAccountPassword'))
  if (password !== undefined) redactor.add(password)

  const mode = String(await s('migrateMode'))
  let xmlFiles: string[]
  let xmlSource: string
  const configFiles = list(str(await s('migrateConfigFiles')))
  const migFiles = mdtList(vars, 'USMTMigFiles')
  if (mode === 'Advanced' && configFiles.length > 0) {
    xmlFiles = configFiles
    xmlSource = 'OSDMigrateConfigFiles (OSDMigrateMode=Advanced)'
  } else if (migFiles.length > 0) {
    xmlFiles = migFiles
    xmlSource = 'USMTMigFiles'
  } else {
    xmlFiles = ['MigApp.xml', 'MigDocs.xml']
    xmlSource = 'default (MigApp.xml, MigDocs.xml)'
  }
  const flagRules = src.flags.rules
  const rules = Array.isArray(flagRules) ? flagRules.map(String) : (str(await s('rulesFiles')) ?? '').split(';').map((x) => x.trim()).filter(Boolean)
  const storeType = str(await s('stepStoreType')) as StepInputs['storeType']
  const hard = await s('stepHardLink')
  const deployment = (str(await s('deploymentType')) ?? '').toUpperCase()
  const offlineSetting = await s('offlineCapture')
  const inWinPE = await bool('inWinPE')
  const arch = str(await s('usmtArch')) as UsmtArch | undefined
  const flagList = (name: string): string[] => {
    const v = src.flags[name]
    return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []
  }
  return {
    step,
    engine: String(await s('usmtEngine')) as EngineChoice,
    usmtDir: str(await s('usmtDir')),
    arch,
    packageId: src.variable(step === 'capture' ? '_OSDMigrateUsmtPackageID' : '_OSDMigrateUsmtRestorePackageID') ?? src.variable('_OSDMigrateUsmtPackageID'),
    storePath: str(await s('stepStorePath')),
    storeType,
    hardLink: typeof hard === 'boolean' ? hard : undefined,
    replace: deployment === 'REPLACE',
    encryptNetworkStore: await bool('encryptNetworkStore'),
    key,
    keySource,
    algorithm: String(await s('encryptionAlgorithm')),
    baseOptions: str(await s(step === 'capture' ? 'scanStateArgs' : 'loadStateArgs')),
    additionalOptions: str(await s(step === 'capture' ? 'captureOptions' : 'restoreOptions')),
    userMapArgs: str(await s('userMapArgs')),
    xmlFiles,
    xmlSource,
    configFile: str(await s('usmtConfigFile')),
    rules,
    continueOnError: await bool(step === 'capture' ? 'continueOnLockedFiles' : 'continueOnRestore'),
    verbose: await bool('migrateVerbose'),
    skipEncryptedFiles: await bool('skipEncryptedFiles'),
    vss: String(await s('fileAccess')) === 'VSS',
    // Restore: the users a computer association names (store request --type restore) when UDProfiles is empty.
    udProfiles: list(str(await s('udProfiles'))).length > 0 || step !== 'restore' ? list(str(await s('udProfiles'))) : list(src.variable('USMTStepsStoreUsers')),
    localAccounts: await bool('migrateLocalAccounts'),
    localAccountPassword: password,
    lacPasswordOnCommandLine: await bool('lacPasswordOnCommandLine'),
    inWinPE,
    offline: step === 'capture' && (typeof offlineSetting === 'boolean' ? offlineSetting : inWinPE),
    offlineWinDir: str(await s('offlineWinDir')),
    originalArchitecture: str(await s('originalArchitecture')),
    profilesAtRisk: String(await s('profilesAtRisk')) as StepInputs['profilesAtRisk'],
    cloudOnlyFiles: String(await s('cloudOnlyFiles')) as StepInputs['cloudOnlyFiles'],
    attributesFile: str(await s('attributesFile')),
    proofPolicy: String(await s('proofPolicy')) === 'warn' ? 'warn' : 'fail',
    failOnIgnoredErrors: await bool('failOnIgnoredErrors'),
    usersLeftBehind: String(await s('usersLeftBehind')) === 'warn' ? 'warn' : 'fail',
    keepStore: await bool('keepStore'),
    allowMissingStore: await bool('allowMissingStore'),
    heartbeatSeconds: Number(await s('heartbeatSeconds')),
    volumes: flagList('volume'),
    removable: flagList('removable'),
    usersFile: typeof src.flags.users === 'string' ? src.flags.users : undefined,
    computer: typeof src.flags.computer === 'string' ? src.flags.computer : src.variable('_SMSTSMachineName') ?? src.variable('OSDComputerName') ?? src.variable('ComputerName'),
    nearMisses: nearMissVariables(Object.keys(vars)),
  }
}
