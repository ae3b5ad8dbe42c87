/**
 * The parsed form of USMT migration XML: components (flattened, with their parent), their rules with the
 * context narrowing of every enclosing `<rules>`, object sets (patterns and helper scripts), detection
 * and conditions, environments and restore-time rules. Built by `loader.ts`, evaluated by `evaluate.ts`.
 */
import type { EngineWarning } from './contract.js'
import type { ParsedPattern } from './pattern.js'

export type Ctx = 'User' | 'System' | 'UserAndSystem'

export interface SourceRef {
  /** File name (base name) for display, e.g. MigUser.xml */
  file: string
  line: number
}

export interface ScriptCall {
  /** e.g. MigXmlHelper.GenerateDrivePatterns */
  name: string
  /** String arguments; NULL (or omitted) → null. */
  args: Array<string | null>
  raw: string
}

export type ObjectSetItem =
  | { kind: 'pattern'; pattern: ParsedPattern; at: SourceRef }
  | { kind: 'script'; call: ScriptCall; at: SourceRef }
  | { kind: 'content'; at: SourceRef }

export interface ObjectSet {
  items: ObjectSetItem[]
  /** Conditions that must hold for the set to be non-empty. */
  condition: Condition | null
  at: SourceRef
}

export type Condition =
  | { kind: 'call'; call: ScriptCall; negate: boolean; at: SourceRef }
  | { kind: 'group'; op: 'AND' | 'OR'; items: Condition[]; negate: boolean; at: SourceRef }
  | { kind: 'objectSet'; set: ObjectSet; at: SourceRef }
  | { kind: 'const'; value: boolean; at: SourceRef; why: string }

export type RuleKind = 'include' | 'exclude' | 'unconditionalExclude' | 'merge' | 'locationModify' | 'contentModify'
  | 'destinationCleanup' | 'includeAttributes' | 'excludeAttributes'

export interface RuleEntry {
  kind: RuleKind
  /** `script` attribute (merge, locationModify, contentModify) or `filter` (include/exclude). */
  script: ScriptCall | null
  filter: ScriptCall | null
  /** includeAttributes / excludeAttributes `attributes`. */
  attributes: string | null
  sets: ObjectSet[]
  at: SourceRef
  /** Contexts of the enclosing `<rules>` elements, outermost first (null = attribute absent). */
  rulesContexts: Array<Ctx | null>
  /** Conditions of the enclosing `<rules>` (all must hold). */
  conditions: Condition[]
}

export interface VariableDef {
  name: string
  remap: boolean
  value: { kind: 'text'; text: string } | { kind: 'script'; call: ScriptCall } | { kind: 'objectSet'; set: ObjectSet }
  at: SourceRef
}

export interface EnvironmentDef {
  name: string | null
  context: Ctx | null
  condition: Condition | null
  variables: VariableDef[]
  at: SourceRef
}

export interface ComponentDef {
  /** Index in RuleModel.components. */
  index: number
  parent: number | null
  urlid: string
  file: string
  displayName: string
  type: string
  context: Ctx
  /** Roles in document order (Data, Settings, Binaries, Container). */
  roles: string[]
  /** Environments in scope (own + ancestors'), outermost first. */
  environments: EnvironmentDef[]
  /** Detection: null = always present; otherwise the component is present when the condition holds. */
  detection: Condition | null
  rules: RuleEntry[]
  at: SourceRef
}

export interface RuleModel {
  files: string[]
  urlids: string[]
  components: ComponentDef[]
  /** `<library prefix>` values (their helpers are accepted but not evaluated). */
  libraryPrefixes: string[]
  warnings: EngineWarning[]
  /** Elements inside `<rules>` the engine carries without evaluating them (addObjects, externalProcess, processing, plugin). */
  ignoredElements?: Array<{ file: string; line: number; component: string; element: string; text: string }>
}
