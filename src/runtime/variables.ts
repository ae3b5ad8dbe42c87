/**
 * The task-sequence variable contract between the steps, declared once: every variable a usmt-steps step
 * writes for a later step (or for the sequence's conditions), which steps write it, which read it, whether it
 * is secret. Steps write these only through `stepVariables`; the README table and the `writes` lists of
 * task-steps/*.json are generated from here (scripts/gen-readme.ts), and a test holds them to it.
 * Variables a step only reads (OSDMigrate*, MDT properties) are settings (src/runtime/settings/*).
 */
import { RESULT_VARIABLES } from './step-result.js'
import { redactor } from './redact.js'

/** The task-sequence steps (task-steps/<id>.json). */
export const STEP_IDS = ['plan', 'users', 'store-request', 'capture', 'restore', 'store-release', 'report'] as const
export type StepId = (typeof STEP_IDS)[number]

export interface StepVariableDef {
  name: string
  writers: readonly StepId[]
  readers: readonly StepId[]
  secret?: boolean
  description: string
}

const ALL: readonly StepId[] = STEP_IDS

export const STEP_VARIABLES = [
  // plan / store request: where the store is
  { name: 'OSDStateStorePath', writers: ['plan', 'store-request'], readers: ['store-request', 'capture', 'restore', 'store-release', 'report'], description: 'The state store folder (as the native Request State Store step sets it); empty when a share store is still to be requested' },
  { name: 'USMTLocal', writers: ['plan', 'store-request'], readers: [], description: 'MDT\'s "the store is not on the state migration point" (True/False), for ZTIUserState' },
  { name: 'USMTStepsStoreType', writers: ['plan', 'store-request'], readers: ['store-request', 'capture', 'restore', 'store-release', 'report'], description: 'hardlink, share, smp or none: the store kind plan decided (none skips capture and restore)' },
  { name: 'USMTStepsStoreRequest', writers: ['plan'], readers: ['store-request', 'store-release'], description: 'true when a share store must still be requested (the condition of the store request/release steps)' },
  { name: 'USMTStepsHardLink', writers: ['plan'], readers: ['capture'], description: 'true for a hard-link store' },
  { name: 'USMTStepsEncrypt', writers: ['plan', 'store-request'], readers: ['capture'], description: 'Whether the network store is encrypted' },
  { name: 'USMTStepsScenario', writers: ['plan'], readers: ['plan', 'capture'], description: 'refresh or replace' },
  { name: 'USMTStepsPlanRule', writers: ['plan'], readers: ['report'], description: 'The plan rule that decided the store' },
  { name: 'USMTStepsUnresolvableProfiles', writers: ['plan'], readers: ['capture'], description: 'The policy for profiles left out of a capture (fail, warn, ignore)' },
  { name: 'USMTStepsPlanEstimateBytes', writers: ['plan'], readers: ['store-request'], description: 'The size estimate of the user state in bytes, added to a share\'s free-space minimum' },
  { name: 'OSDMigrateAdditionalCaptureOptions', writers: ['plan', 'users'], readers: ['capture'], description: 'Extra ScanState options: plan adds or removes /hardlink /nocompress, users adds /ue:*\\* /ui:…' },
  { name: 'OSDMigrateAdditionalRestoreOptions', writers: ['plan'], readers: ['restore'], description: 'Extra LoadState options: plan adds or removes /hardlink /nocompress' },
  // users
  { name: 'USMTStepsUserArgs', writers: ['users'], readers: [], description: 'The /ue /ui arguments users decided (also merged into OSDMigrateAdditionalCaptureOptions)' },
  { name: 'UDProfiles', writers: ['users'], readers: ['capture', 'restore'], description: 'MDT\'s comma-separated accounts to migrate' },
  { name: 'USMTStepsUserMapArgs', writers: ['users'], readers: ['capture', 'restore'], description: 'The /mu arguments of the orphan map: capture keeps them in the store, restore passes them to loadstate (else the ones the store carries)' },
  // store request
  { name: 'USMTStepsStoreId', writers: ['store-request'], readers: ['capture', 'restore'], description: 'The id of the requested share store (capture and restore check that the store\'s own key document, store-key.json, is this store\'s)' },
  { name: 'USMTStepsStoreRequestType', writers: ['store-request'], readers: ['store-release'], description: 'capture or restore: what store release finishes' },
  { name: 'USMTStepsStoreLocalPath', writers: ['store-request'], readers: ['capture', 'restore', 'store-release'], description: 'smbclient transport: the local staging folder USMT writes to / reads from' },
  { name: 'USMTStepsStoreUsers', writers: ['store-request'], readers: ['restore'], description: 'The users a computer association names (restore them only)' },
  // capture and restore
  { name: 'USMTStepsUsmtReturnCode', writers: ['capture', 'restore'], readers: ['report'], description: 'USMT\'s return code (also written when the step fails)' },
  { name: 'USMTStepsUsmtEngine', writers: ['capture', 'restore'], readers: ['report'], description: 'microsoft or portable' },
  { name: 'USMTStepsCaptureStorePath', writers: ['capture'], readers: ['report'], description: 'The store capture wrote' },
  { name: 'USMTStepsCaptureStoreKind', writers: ['capture'], readers: ['report'], description: 'hardlink, compressed or uncompressed' },
  { name: 'USMTStepsCaptureEncrypted', writers: ['capture'], readers: ['report'], description: 'Whether the captured store is encrypted' },
  { name: 'USMTStepsStoreSealKey', writers: ['capture'], readers: ['restore'], secret: true, description: 'The random per-store key that seals the catalog of a hard-link or uncompressed store made by the portable engine (HMAC-SHA256); restore refuses a catalog whose seal does not match before anything is written. Empty for other stores' },
  { name: 'USMTStepsCapturedUsers', writers: ['capture'], readers: ['report'], description: 'The captured users, comma-separated' },
  { name: 'USMTStepsCloudOnlyFiles', writers: ['capture'], readers: [], description: 'Cloud-only files found in the profiles before the capture (also written when the policy stops the step)' },
  { name: 'USMTStepsCloudOnlyBytes', writers: ['capture'], readers: [], description: 'Their size in bytes' },
  { name: 'USMTStepsCloudOnlyAction', writers: ['capture'], readers: [], description: 'What capture did with them: failed, warned, excluded, none or not-checked' },
  { name: 'USMTStepsIgnoredErrors', writers: ['capture', 'restore'], readers: ['report'], description: 'How many errors USMT skipped because of /c (listed in the log and --json warnings)' },
  { name: 'USMTStepsRestoredUsers', writers: ['restore'], readers: ['report'], description: 'The restored users, comma-separated' },
  { name: 'USMTStepsStoreRemoved', writers: ['restore'], readers: ['report'], description: 'Whether restore removed the hard-link store (usmtutils /rd)' },
  { name: 'USMTStepsProofChecked', writers: ['restore'], readers: [], description: 'Whether the proof after the restore could check the stored files (false when the store format cannot be read; also written when the proof fails the step)' },
  { name: 'USMTStepsProofVerified', writers: ['restore'], readers: [], description: 'Stored files found on the destination as they were captured' },
  { name: 'USMTStepsProofMissing', writers: ['restore'], readers: [], description: 'Stored files missing on the destination' },
  { name: 'USMTStepsProofChanged', writers: ['restore'], readers: [], description: 'Stored files changed on the destination' },
  { name: 'SMSTSRebootRequested', writers: ['restore'], readers: [], description: 'HD when usmtutils /rd needs a restart to remove the hard-link store (exit 3010)' },
  // report
  { name: 'USMTStepsReportPath', writers: ['report'], readers: [], description: 'The HTML report' },
  { name: 'USMTStepsReportSummary', writers: ['report'], readers: [], description: 'The JSON summary of the report' },
  { name: 'USMTStepsReportCopyPath', writers: ['report'], readers: [], description: 'The copy in the central folder (--copy-to), or empty' },
  { name: 'USMTStepsReportStatus', writers: ['report'], readers: [], description: 'Success, Warning, Failed or Incomplete' },
  { name: 'USMTStepsReportHeadline', writers: ['report'], readers: [], description: 'The report\'s one-line headline' },
  { name: 'USMTStepsReportUsers', writers: ['report'], readers: [], description: 'Users migrated' },
  { name: 'USMTStepsReportFiles', writers: ['report'], readers: [], description: 'Files migrated' },
  { name: 'USMTStepsReportBytes', writers: ['report'], readers: [], description: 'Bytes migrated' },
  // every step
  { name: RESULT_VARIABLES.step, writers: ALL, readers: ['report'], description: 'The step that ran last' },
  { name: RESULT_VARIABLES.result, writers: ALL, readers: ['report'], description: 'Success, Warning or Failed' },
  { name: RESULT_VARIABLES.exitCode, writers: ALL, readers: [], description: 'Its exit code' },
  { name: RESULT_VARIABLES.errorCode, writers: ALL, readers: [], description: 'Its USMnnnn error code, or empty' },
  { name: RESULT_VARIABLES.message, writers: ALL, readers: [], description: 'Its summary line (at most 1000 characters)' },
  { name: RESULT_VARIABLES.time, writers: ALL, readers: [], description: 'When it finished (ISO 8601)' },
] as const satisfies readonly StepVariableDef[]

export type StepVariable = (typeof STEP_VARIABLES)[number]['name']
type Def = (typeof STEP_VARIABLES)[number]
/** The names of the variables a step may write. */
export type WrittenBy<S extends StepId> = Def extends infer D ? D extends Def ? (S extends D['writers'][number] ? D['name'] : never) : never : never

const BY_NAME = new Map<string, StepVariableDef>(STEP_VARIABLES.map((v) => [v.name, v]))

export function stepVariableDef(name: string): StepVariableDef | undefined {
  return BY_NAME.get(name)
}

/** The variables of the contract a step writes (task-steps/<id>.json `writes`, in declaration order). */
export function variablesWrittenBy(step: StepId): string[] {
  return STEP_VARIABLES.filter((v) => (v.writers as readonly string[]).includes(step)).map((v) => v.name)
}

/**
 * The variables a step writes, checked against the contract: the names are typed by step, and a name the
 * contract does not give to this step is a programming error.
 */
export function stepVariables<S extends StepId>(step: S, values: Partial<Record<WrittenBy<S>, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(values as Record<string, string | undefined>)) {
    if (value === undefined) continue
    const def = BY_NAME.get(name)
    if (!def || !def.writers.includes(step)) throw new Error(`step ${step} writes ${name}, which the variable contract does not give it`)
    if (def.secret) redactor.add(value)
    out[name] = value
  }
  return out
}

/**
 * Variables the task-sequence engine sets that the steps read themselves (accounts: not settings, so no flag and
 * no default), declared once with whether they are secret. ConfigMgr sets the network access account as
 * `_SMSTSReserved1-000`/`_SMSTSReserved2-000`, `-001`, … (older versions without the suffix); `names` matches
 * every name of a family. Readers register a secret value with the redactor the moment they read it
 * (src/ts-env/accounts.ts); the redactor masks these variables by name too (isSecretName).
 */
export interface EngineVariableDef {
  name: string
  names: RegExp
  readers: readonly StepId[]
  secret: boolean
  description: string
}

export const ENGINE_VARIABLES = [
  { name: '_SMSTSReserved1-000', names: /^_SMSTSReserved1(-\d{3})?$/i, readers: ['users', 'store-request', 'store-release'], secret: true, description: 'ConfigMgr\'s network access account (user name): share stores with OSDStateFallbackToNAA=true, the directory bind when no account is set' },
  { name: '_SMSTSReserved2-000', names: /^_SMSTSReserved2(-\d{3})?$/i, readers: ['users', 'store-request', 'store-release'], secret: true, description: 'Its password' },
  { name: 'SMSConnectNetworkFolderAccount', names: /^SMSConnectNetworkFolderAccount$/i, readers: ['store-request', 'store-release'], secret: false, description: 'The account of ConfigMgr\'s Connect To Network Folder step, for share stores' },
  { name: 'SMSConnectNetworkFolderPassword', names: /^SMSConnectNetworkFolderPassword$/i, readers: ['store-request', 'store-release'], secret: true, description: 'Its password' },
] as const satisfies readonly EngineVariableDef[]

/** Markdown table of the contract (README). */
export function variablesMarkdown(): string {
  const steps = (list: readonly StepId[]): string => (list.length === STEP_IDS.length ? 'every step' : list.map((s) => `\`${s}\``).join(', ') || '—')
  const rows = STEP_VARIABLES.map((v: StepVariableDef) => `| \`${v.name}\` | ${steps(v.writers)} | ${steps(v.readers)} | ${v.secret ? 'yes' : ''} | ${v.description.replace(/\|/g, '\\|')} |`)
  return ['| variable | written by | read by | secret | meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}
