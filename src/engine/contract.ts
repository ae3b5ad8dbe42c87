/**
 * The contract between the rule engine (src/engine) and its consumers: the portable scanstate/loadstate
 * (src/portable), `rules preview/explain`, `plan`'s size estimate and the capture step. Types only; the
 * engine implements them in src/engine/index.ts:
 *
 *   export function loadRuleSet(input: RuleSetInput): Promise<RuleSet>
 *   export function evaluateMigration(input: EngineInput): AsyncGenerator<EngineEvent>
 *   export function estimateMigration(input: EngineInput): Promise<EstimateResult>
 *
 * Keep these names and shapes stable; extend with optional fields only.
 */
import type { VolumeMap } from '../windows/volume-map.js'

export interface RuleSetInput {
  /** Local paths of migration XML files (/i:), in command-line order. */
  ruleFiles: readonly string[]
  /** Local path of a Config.xml (/config:), optional. */
  configFile?: string
}

export interface EngineWarning {
  /** Stable short code, e.g. 'unknown-element', 'registry-not-evaluated', 'unreadable', 'symlink-loop'. */
  code: string
  message: string
  file?: string
  line?: number
  path?: string
}

/** A profile on the volume (from --users FILE, or discovered under C:\Users). */
export interface UserProfile {
  /** DOMAIN\name (local accounts: COMPUTER\name). */
  account: string
  /** Windows path of the profile folder, e.g. C:\Users\ann. */
  profile: string
  sid?: string
  /** ISO time of last use (NTUSER.DAT mtime when discovered). */
  lastUse?: string
}

export interface UserSelection {
  /** /ui patterns (DOMAIN\user, wildcards), in order. */
  ui?: readonly string[]
  /** /ue patterns. */
  ue?: readonly string[]
  /** /uel: a number of days, or a date yyyy/mm/dd (USMT syntax). */
  uel?: string
  /** /all */
  all?: boolean
  /** /localonly: only fixed drives (no removable, no network). */
  localOnly?: boolean
}

export interface UserDecision {
  account: string
  profile: string
  sid?: string
  migrated: boolean
  reason: string
}

export interface EngineInput extends RuleSetInput {
  volumes: VolumeMap
  users?: readonly UserProfile[]
  /** Computer name for %COMPUTERNAME% and local accounts; default 'PC'. */
  computer?: string
  selection?: UserSelection
  /** Reference time for /uel (defaults to now). */
  now?: Date
  /** Reuse an already-loaded rule set. */
  ruleSet?: RuleSet
}

export interface FileAttributes {
  readOnly: boolean
  hidden: boolean
  system: boolean
}

/**
 * What `<includeAttributes>`/`<excludeAttributes>` decide for a captured file: whether its security
 * descriptor (owner, group, DACL, SACL) and its time stamps (creation, last access, last write) migrate
 * with it. The per-parameter most specific matching rule decides; a tie goes to the exclude.
 */
export interface FileParameters {
  security: boolean
  timeFields: boolean
  /** The deciding rule per parameter, null when no rule names the parameter (the default: it migrates). */
  securityRule: string | null
  timeFieldsRule: string | null
}

export interface IncludedFile {
  /** Windows path as it exists on the volume (case preserved), e.g. C:\Users\ann\Documents\a.docx */
  path: string
  /** Where the bytes are on this machine. */
  localPath: string
  /** DOMAIN\name for user-context rules, null for system context. */
  user: string | null
  /** Component display name (or urlid) whose rule included it. */
  component: string
  /** Human-readable description of the deciding rule, e.g. `MigUser.xml:120 include %CSIDL_PERSONAL%\* [*]`. */
  rule: string
  bytes: number
  mtimeMs: number
  atimeMs: number
  birthtimeMs: number
  attributes: FileAttributes
  /**
   * Set when an includeAttributes/excludeAttributes rule matches the file; absent means every parameter
   * migrates. A store or restore honours `timeFields: false` by not carrying (or not applying) the time
   * stamps, and `security: false` by not applying the security descriptor.
   */
  parameters?: FileParameters
}

export interface ExcludedFile {
  path: string
  user: string | null
  /** e.g. 'excluded by rule', 'unconditionalExclude', 'component disabled in Config.xml', 'no include rule' */
  reason: string
  rule: string | null
}

/**
 * A registry value some rule matched (usmt.md §6.3): captured (`component`/`rule` set) or not (`reason`).
 * `key` is the full key path with the root written HKLM or HKCU; `name` '' is the default value; `data`
 * the raw bytes of the hive.
 */
export interface RegistryObject {
  key: string
  name: string
  type: number
  data: Buffer
  /** DOMAIN\name whose HKCU holds the value (or whose context captured an HKLM value); null: system context. */
  user: string | null
  component: string | null
  rule: string | null
  included: boolean
  reason: string | null
}

export type EngineEvent =
  | { kind: 'user'; user: UserDecision }
  | { kind: 'registry'; value: RegistryObject }
  | { kind: 'include'; file: IncludedFile }
  | { kind: 'exclude'; file: ExcludedFile }
  | { kind: 'warning'; warning: EngineWarning }

/** Restore-time rules carried from the XML (locationModify, merge) and the component list. */
export interface RuleSet {
  files: readonly string[]
  /** Component names with their Config.xml migrate state. */
  components: ReadonlyArray<{ name: string; urlid: string; context: 'User' | 'System' | 'UserAndSystem'; migrate: boolean }>
  warnings: readonly EngineWarning[]
  /**
   * Where a captured file goes on restore according to `locationModify` (Move, RelativeMove, ExactMove):
   * the new Windows path, or null when no rule applies.
   */
  relocate(path: string, user: string | null): string | null
  /** Collision policy from `<merge>` for a captured path (most specific rule wins). */
  mergePolicy(path: string, user: string | null): 'SourcePriority' | 'DestinationPriority' | 'default'
}

/** Something the portable engine does not evaluate: reported, never dropped. */
export interface NotEvaluated {
  file: string
  line: number
  component: string
  /** Registry, Ini, Content, Script (objects), Condition, Filter, or the element/helper name (contentModify, addObjects, NewestVersion …). */
  type: string
  pattern: string
  /** What kind of thing was not evaluated: an object pattern, a condition, a rule filter, an element or a helper. */
  kind?: 'object' | 'condition' | 'filter' | 'element' | 'helper'
  /** It can change what ScanState captures (an include-side object, a condition, a capture filter). */
  affectsCapture?: boolean
  why?: string
}

export interface EstimateTotals {
  files: number
  bytes: number
  /** Registry values captured (operating-system and application settings). */
  settings?: number
}

export interface EstimateResult {
  totals: EstimateTotals
  byUser: Record<string, EstimateTotals>
  byComponent: Record<string, EstimateTotals>
  users: UserDecision[]
  warnings: EngineWarning[]
  /** What the engine did not evaluate (the estimate cannot include what those items would capture). */
  notEvaluated: NotEvaluated[]
}
