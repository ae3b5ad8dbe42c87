/**
 * The migration report's data model. `ReportSummary` is written as JSON (`usmt-steps-summary.json`) and is
 * the only input of the HTML renderer and of `report index`, so the two never disagree. The shape is a
 * public contract (help-desk scripts read it): extend, never rename. `schema` names the format and version.
 */
import type { StepStatus } from '../runtime/step-result.js'

export const REPORT_SCHEMA = 'usmt-steps-report/1'

/** What the migration as a whole came to (worst step wins; `incomplete` when no USMT step ran). */
export type OverallStatus = StepStatus | 'incomplete'

/** File kinds of the chart and the per-kind totals (by extension, see inventory.ts). */
export type FileKind = 'Documents' | 'Pictures' | 'Music' | 'Video' | 'Email' | 'Archives' | 'Settings' | 'Other'

export interface KindTotal {
  kind: FileKind
  files: number
  /** Bytes of the files whose size is known. */
  bytes: number
}

export interface UserTotal {
  /** Account as USMT names it (`CONTOSO\jdoe`), the profile folder name when unknown, or `This Computer`. */
  user: string
  /** Whether USMT included the user (progress log `detectedUser … includedInMigration`); null when unknown. */
  included: boolean | null
  files: number
  bytes: number
  /** Files whose size could not be read (the file is gone and the store does not say). */
  unknownSize: number
  kinds: KindTotal[]
  /** Components USMT detected for the user (progress log), with whether each was included. */
  components: Array<{ name: string; included: boolean }>
  /** Why the profile was left out or is at risk (Entra ID account, orphaned SID, cloud-only files, user selection). */
  reason?: string
}

/** Cloud-only files found before the capture (capture record). */
export interface ReportCloudOnly {
  policy: string
  action: string
  source: string
  checked: boolean
  files: number
  bytes: number
  users: Array<{ user: string; profile: string; files: number; bytes: number; folders: string[] }>
  notes: string[]
}

/** The proof after the restore (restore record). */
export interface ReportProof {
  checked: boolean
  note?: string
  method: string
  verified: number
  notRestored: number
  missing: Array<{ path: string; why: string }>
  changed: Array<{ path: string; why: string }>
  durationMs: number
}

export interface ComponentTotal {
  /** The USMT component when the source says so, else the profile folder (`Documents`, `Desktop`, …). */
  component: string
  /** `usmt` when USMT names the component, `folder` when derived from the path. */
  basis: 'usmt' | 'folder'
  users: string[]
  files: number
  bytes: number
}

/** The likely cause of a failed USMT run, taken from its logs (never the generic closing lines). */
export interface FailureCause {
  step: string
  /** The log the line comes from (file name), or `return code` when only the code is known. */
  source: string
  /** 1-based line in that log, when it comes from a log. */
  line?: number
  text: string
  /** Lines around it that help (the command line with `##ERROR## -->`, the next detail lines). */
  context: string[]
  /** USMT return code with its documented name, meaning and fix. */
  returnCode?: { code: number; name: string; message: string; fix: string }
}

export interface ProblemRow {
  step: string
  /** `step` (the step failed), `usmt` (an Error line), `ignored` (skipped because of /c or ErrorControl),
   * `aborted` (a progress error that stopped USMT), `summary` (USMT ERROR SUMMARY row). */
  kind: 'step' | 'usmt' | 'ignored' | 'aborted' | 'summary'
  /** The file or setting concerned, when there is one. */
  object?: string
  /** Error type or code (UnableToOpen, 32, USM0301 …). */
  code?: string
  /** Why, in words (documented meaning of the error type and the Windows error code). */
  reason: string
  source: string
  line?: number
  count: number
}

export interface WarningRow {
  step: string
  source: string
  message: string
  /** Identical messages are grouped. */
  count: number
}

export interface PhaseRow {
  step: string
  phase: string
  /** `step` (the step's own clock) or the USMT progress log. */
  source: string
  startedAt?: string
  durationMs: number
}

export interface CommandRow {
  step: string
  commandLine: string
  exitCode: number | null
  startedAt: string
  durationMs: number
  /** Logs the command wrote, as file names (linked relative to the report) and whether they were found. */
  artifacts: Array<{ name: string; found: boolean }>
}

export interface StepRow {
  step: string
  status: StepStatus
  exitCode: number
  startedAt: string
  finishedAt: string
  durationMs: number
  summary: string
  computer: string
  error?: { code: string; message: string; actions: readonly string[] }
  warnings: number
}

export type StoreState = 'captured' | 'incomplete' | 'restored' | 'removed' | 'missing' | 'planned' | 'none' | 'unknown'

export interface StoreInfo {
  /** From the plan's decision record (hardlink, share, smp, none) or the capture command line. */
  type: string | null
  /** As the task sequence sees it (`C:\StateStore`, `\\server\share\PC1`). */
  path: string | null
  /** Local path the report read (a mapped drive or a mounted share), or null when not reachable here. */
  localPath: string | null
  exists: boolean | null
  state: StoreState
  /** Why the state is what it is. */
  stateReason: string
  /** `compressed` (USMT\USMT.MIG), `uncompressed` (USMT\File), `unknown`. */
  layout: 'compressed' | 'uncompressed' | 'unknown' | null
  encrypted: boolean | null
  /** Bytes on disk under the store folder (hard links counted once per inode). */
  sizeBytes: number | null
  /** The plan's reasons for choosing this store. */
  reasons: string[]
  rule?: string
  /**
   * Who had access to a share store with per-store access (issue #19): the store record's grants, reads and
   * releases, with computer and time, as the last store step saw them (oldest first).
   */
  access?: Array<{ at: string; computer: string; event: string; detail: string }>
}

/** Registry values a capture collected for one user (or This Computer) and one component. */
export interface SettingsRow {
  user: string
  component: string
  settings: number
}

export interface ReportSummary {
  schema: typeof REPORT_SCHEMA
  generatedAt: string
  generator: string
  computer: string
  status: OverallStatus
  /** One sentence: what happened. */
  headline: string
  cause?: FailureCause
  steps: StepRow[]
  store: StoreInfo
  totals: { users: number; files: number; bytes: number; unknownSize: number; ignored: number; errors: number; warnings: number; settings?: number }
  /** Registry settings captured, per user and component (portable scanstate's log). */
  settings?: SettingsRow[]
  users: UserTotal[]
  components: ComponentTotal[]
  kinds: KindTotal[]
  /** Users USMT saw but did not include (progress log). */
  excludedUsers: string[]
  cloudOnly?: ReportCloudOnly
  proof?: ReportProof
  problems: ProblemRow[]
  warnings: WarningRow[]
  phases: PhaseRow[]
  commands: CommandRow[]
  /** Files read to build the report, for the admin who wants to check. */
  sources: string[]
  /** Where this report was written (filled by the writer). */
  outputs: string[]
}
