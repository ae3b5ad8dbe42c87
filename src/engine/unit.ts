/**
 * What compiling a rule model for one machine produces: (component × context) units with their compiled
 * rules, the objects the engine could not evaluate and the warnings — and what it needs as input.
 */
import type { VolumeMap } from '../windows/volume-map.js'
import type { EngineWarning } from './contract.js'
import type { ConfigModel } from './loader.js'
import type { ComponentDef, RuleEntry, RuleKind, RuleModel, SourceRef } from './model.js'
import type { CompiledPattern } from './pattern.js'
import type { RegistryAccess } from './registry.js'
import type { SystemLayout } from './variables.js'

export interface EvalContext {
  index: number
  /** null for the system context. */
  account: string | null
  profile: string | null
  sid?: string
  /** User is selected for migration (always true for the system context). */
  active: boolean
  vars: Map<string, string>
}

export interface CompiledRule {
  kind: RuleKind
  pattern: CompiledPattern
  /** `MigUser.xml:120 include %CSIDL_PERSONAL%\* [*]` (with the expansion when a helper generated it). */
  rule: string
  entry: RuleEntry
  /** includeAttributes / excludeAttributes: the parameters the rule names. */
  parameters?: { security: boolean; timeFields: boolean }
}

/** One component evaluated in one context. */
export interface Unit {
  id: number
  component: ComponentDef
  /** Display name (or urlid) reported as `component`. */
  name: string
  context: EvalContext
  enabled: boolean
  detected: boolean
  /** Why the unit does not act ('component disabled in Config.xml', 'component not detected', 'user not migrated'), or null. */
  inactiveReason: string | null
  rules: CompiledRule[]
  /** GenerateDocPatterns semantics: files with both hidden and system attributes are not migrated. */
  docFinder: boolean
}

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

export interface CompileInput {
  model: RuleModel
  config?: ConfigModel
  volumes: VolumeMap
  layout: SystemLayout
  systemVars: Map<string, string>
  contexts: EvalContext[]
  /** Every profile of the machine (GenerateUserPatterns iterates all of them). */
  profiles: ReadonlyArray<{ account: string; profile: string; sid?: string }>
  /** Assumed value of conditions that need the registry. */
  registryDefault: boolean
  /** OS version reported to IsOSLaterThan/DoesOSMatch (default 10.0). */
  osVersion: string
  /**
   * The volume's registry (offline hives read through hivex). Registry patterns, conditions and
   * GetStringContent are evaluated where a hive holds the key; without it they are reported as not evaluated.
   */
  registry?: RegistryAccess
}

export interface CompiledRuleSet {
  units: Unit[]
  notEvaluated: NotEvaluated[]
  warnings: EngineWarning[]
  /** Enabled state per component index (Config.xml + parents). */
  enabled: boolean[]
}

/** The warnings (each once) and the not-evaluated objects (each once) one compilation collects. */
export class CompileNotes {
  readonly warnings: EngineWarning[] = []
  readonly notEvaluated: NotEvaluated[] = []
  private readonly warned = new Set<string>()
  private readonly notEvaluatedSeen = new Set<string>()

  warnOnce(key: string, w: EngineWarning): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    this.warnings.push(w)
  }

  /** An object the engine does not evaluate (registry without a hive, content, scripts): reported, never dropped. */
  notEvaluatedObject(comp: ComponentDef, at: SourceRef, type: string, pattern: string, ruleKind = 'include'): void {
    const affectsCapture = ruleKind === 'include' || ruleKind === 'variable'
    this.note({ file: at.file, line: at.line, component: comp.displayName, type, pattern, kind: 'object', affectsCapture,
      why: `${type} objects are not evaluated by the portable engine${affectsCapture ? '; they are not captured' : ''}` })
  }

  /** Record something the engine does not evaluate (once per file, line, type and text). */
  note(n: NotEvaluated): void {
    const key = `${n.file}:${n.line}:${n.type}:${n.pattern}`
    if (this.notEvaluatedSeen.has(key)) return
    this.notEvaluatedSeen.add(key)
    this.notEvaluated.push(n)
  }
}
