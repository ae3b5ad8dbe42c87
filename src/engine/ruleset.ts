/**
 * The loaded rule set (RuleSet of the contract) and its restore-time rules: `<locationModify>` (where a
 * captured file goes) and `<merge>` (collision policy). At restore detection is ignored (LoadState treats
 * every component as detected) and Config.xml still removes components.
 *
 * Move(DestinationRoot): the subfolders below the longest known shell folder (CSIDL) containing the
 * source are kept (`C:\Users\ann\Documents\Sub\a.mp3` → `C:\Music\Sub\a.mp3`); outside any shell folder
 * the path below the drive root is kept (`D:\Stuff\a.mp3` → `C:\Music\Stuff\a.mp3`). Microsoft does not
 * specify this further (usmt.md §13.5).
 */
import { VolumeMap } from '../windows/volume-map.js'
import { basename, dirname, isUnder, relativeTo } from '../windows/path.js'
import type { EngineWarning, RuleSet, RuleSetInput, UserProfile } from './contract.js'
import { compileRuleSet, type CompiledRule, type EvalContext, type Unit } from './compile.js'
import { decide, RuleIndex } from './decide.js'
import { filterName, restoreFilterVerdict } from './filters.js'
import { loadConfig, loadRuleModel, type ConfigModel } from './loader.js'
import type { RuleModel, ScriptCall } from './model.js'
import { compareSpecificity, dirKey, parsePattern, type CompiledPattern } from './pattern.js'
import { shellFolderPaths, systemVariables, userVariables, type SystemLayout } from './variables.js'
import type { RegistryAccess } from './registry.js'
import { RegistryView } from '../registry/hives.js'
import { canonicalRegKey } from '../registry/model.js'

/** One place a captured file is written to on restore, and the user whose profile mapping (/mu) applies to it. */
export interface RestoreTarget {
  path: string
  user: string | null
  /** The locationModify rule that moved it (absent: the file keeps its source path). */
  rule?: string
  /** The component whose rules put the file there. */
  component?: string
}

export interface RestoreDecision {
  targets: RestoreTarget[]
  /** Why the file is not written at all (every including component filters it out on LoadState, e.g. NeverRestore()). */
  skipped?: string
}

/** The collision policy of the most specific `<merge>` rule for a file. */
export interface MergeDecision {
  kind: 'SourcePriority' | 'DestinationPriority' | 'FindFilePlaceByPattern' | 'NewestVersion' | 'default'
  /** FindFilePlaceByPattern's pattern, e.g. `<F> (<N>).<E>`. */
  pattern?: string
  /** NewestVersion's version tag: FileVersion or ProductVersion. */
  tag?: 'FileVersion' | 'ProductVersion'
  rule?: string
  /** A merge helper the portable tools do not evaluate for files: the default rename applies, and this says why. */
  notEvaluated?: string
}

/** A destinationCleanup rule compiled for the destination. */
export interface CleanupRule {
  pattern: CompiledPattern
  rule: string
  filter: ScriptCall | null
}

export interface RuleSetOptions extends RuleSetInput {
  /** Profiles on the destination (default: `C:\Users\<name>` for each account asked about). */
  profiles?: readonly UserProfile[]
  /** Drives for GenerateDrivePatterns at restore (default: every letter C–Z counts as fixed). */
  volumes?: VolumeMap
  computer?: string
}

export class LoadedRuleSet implements RuleSet, RegistryRestoreRules {
  readonly files: string[]
  readonly components: RuleSet['components']
  readonly warnings: EngineWarning[]
  private readonly restoreUnits = new Map<string, Unit[]>()
  private readonly layout: SystemLayout
  private readonly volumes: VolumeMap

  constructor(readonly model: RuleModel, readonly config: ConfigModel | undefined, private readonly opts: RuleSetOptions = { ruleFiles: [] }) {
    this.files = [...model.files]
    this.warnings = [...model.warnings]
    const enabledAll = compileRuleSet({
      model, config, volumes: new VolumeMap([]), layout: { systemDrive: 'C:', profilesFolder: 'C:\\Users', computer: 'PC', is64Bit: true },
      systemVars: new Map(), contexts: [], profiles: [], registryDefault: false, osVersion: '10.0',
    }).enabled
    this.components = model.components.map((c) => ({ name: c.displayName, urlid: c.urlid, context: c.context, migrate: enabledAll[c.index] }))
    this.layout = { systemDrive: 'C:', profilesFolder: 'C:\\Users', computer: opts.computer ?? 'PC', is64Bit: true }
    this.volumes = opts.volumes ?? new VolumeMap('CDEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((l) => ({ letter: `${l}:`, root: `/nonexistent-usmt-steps-drive-${l}`, removable: false })))
  }

  private profileOf(account: string): UserProfile {
    const hit = this.opts.profiles?.find((p) => p.account.toLowerCase() === account.toLowerCase())
    if (hit) return hit
    const name = account.includes('\\') ? account.split('\\').pop() as string : account
    return { account, profile: `${this.layout.profilesFolder}\\${name}` }
  }

  private contextFor(user: string | null): EvalContext {
    const sys = systemVariables(this.layout)
    if (user === null) return { index: 0, account: null, profile: null, active: true, vars: sys }
    const p = this.profileOf(user)
    return { index: 1, account: p.account, profile: p.profile, sid: p.sid, active: true, vars: userVariables(sys, p) }
  }

  private units(user: string | null): Unit[] {
    const key = user?.toLowerCase() ?? ''
    let units = this.restoreUnits.get(key)
    if (!units) {
      const contexts = user === null ? [this.contextFor(null)] : [this.contextFor(user), { ...this.contextFor(null), index: 0 }]
      const compiled = compileRuleSet({
        model: this.model, config: this.config, volumes: this.volumes, layout: this.layout, systemVars: systemVariables(this.layout),
        contexts, profiles: [], registryDefault: false, osVersion: '10.0', registry: RESTORE_REGISTRY,
      })
      units = compiled.units.filter((u) => u.enabled)
      this.restoreUnits.set(key, units)
    }
    return units
  }

  private bestRule(path: string, user: string | null, kind: 'merge' | 'locationModify'): { unit: Unit; rule: CompiledRule } | null {
    const dir = dirKey(dirname(path))
    const name = basename(path).toLowerCase()
    let best: { unit: Unit; rule: CompiledRule } | null = null
    for (const unit of this.units(user)) {
      for (const rule of unit.rules) {
        if (rule.kind !== kind || rule.pattern.parsed.type !== 'File' || !rule.pattern.matchesDir(dir) || !rule.pattern.matchesLeaf(name)) continue
        if (!best || compareSpecificity(rule.pattern.spec, best.rule.pattern.spec) > 0) best = { unit, rule }
      }
    }
    return best
  }

  relocate(path: string, user: string | null): string | null {
    const hit = this.bestRule(path, user, 'locationModify')
    return hit ? applyLocationModify(path, hit.rule, hit.unit.context.vars) : null
  }

  private readonly plans = new Map<string, RestorePlan>()

  /**
   * The restore-time rules evaluated for the given users (and the system context): where each captured
   * file goes (locationModify per including component, per user), the destinationCleanup rules and the
   * LoadState side of include filters. Profiles are the users' profiles in the paths being decided.
   */
  restorePlan(users: readonly UserProfile[]): RestorePlan {
    const key = users.map((u) => `${u.account}\u0000${u.profile}`.toLowerCase()).join('\u0001')
    let plan = this.plans.get(key)
    if (!plan) {
      const sys = systemVariables(this.layout)
      const contexts: EvalContext[] = [{ index: 0, account: null, profile: null, active: true, vars: sys }]
      for (const u of users) contexts.push({ index: contexts.length, account: u.account, profile: u.profile, sid: u.sid, active: true, vars: userVariables(sys, u) })
      const compiled = compileRuleSet({
        model: this.model, config: this.config, volumes: this.volumes, layout: this.layout, systemVars: sys,
        contexts, profiles: users, registryDefault: false, osVersion: '10.0',
      })
      plan = new RestorePlan(compiled.units.filter((u) => u.enabled), contexts)
      this.plans.set(key, plan)
    }
    return plan
  }

  /** The most specific `<merge>` rule's policy for a captured path (user context first, then system). */
  mergeDecision(path: string, user: string | null): MergeDecision {
    const hit = this.bestRule(path, user, 'merge')
    const call = hit?.rule.entry.script
    if (!hit || !call) return { kind: 'default' }
    const fn = call.name.split('.').pop()?.toLowerCase()
    const rule = hit.rule.rule
    if (fn === 'sourcepriority') return { kind: 'SourcePriority', rule }
    if (fn === 'destinationpriority') return { kind: 'DestinationPriority', rule }
    if (fn === 'findfileplacebypattern') {
      const pattern = call.args[0]?.trim() ?? ''
      if (!pattern.includes('<N>')) return { kind: 'default', rule, notEvaluated: `${call.raw}: the pattern has no <N> counter; the default rename applies` }
      return { kind: 'FindFilePlaceByPattern', pattern, rule }
    }
    if (fn === 'newestversion') {
      const t = (call.args[0] ?? '').trim().toLowerCase()
      if (t === 'fileversion' || t === 'productversion') return { kind: 'NewestVersion', tag: t === 'fileversion' ? 'FileVersion' : 'ProductVersion', rule }
      return { kind: 'default', rule, notEvaluated: `${call.raw}: the version tag is not FileVersion or ProductVersion; the default rename applies` }
    }
    const why = fn === 'highervalue' || fn === 'lowervalue' ? 'compares registry values; for a file the default rename applies'
      : 'is not a merge helper the portable LoadState evaluates; the default rename applies'
    return { kind: 'default', rule, notEvaluated: `${call.raw} ${why}` }
  }

  private bestRegistryRule(key: string, name: string, user: string | null, kind: 'merge' | 'locationModify'): { unit: Unit; rule: CompiledRule } | null {
    const c = canonicalRegKey(key)
    if (!c) return null
    const keyLower = (c.rest ? `${c.root}\\${c.rest}` : c.root).toLowerCase()
    let best: { unit: Unit; rule: CompiledRule } | null = null
    for (const unit of this.units(user)) {
      for (const rule of unit.rules) {
        if (rule.kind !== kind || rule.pattern.parsed.type !== 'Registry' || !rule.pattern.matchesDir(keyLower) || !rule.pattern.matchesLeaf(name.toLowerCase())) continue
        if (!best || compareSpecificity(rule.pattern.spec, best.rule.pattern.spec) > 0) best = { unit, rule }
      }
    }
    return best
  }

  registryMergePolicy(key: string, name: string, user: string | null): { policy: RegistryMergePolicy; rule: string | null } {
    const hit = this.bestRegistryRule(key, name, user, 'merge')
    const fn = hit?.rule.entry.script?.name.split('.').pop()?.toLowerCase()
    const policy: RegistryMergePolicy = fn === 'sourcepriority' ? 'SourcePriority' : fn === 'destinationpriority' ? 'DestinationPriority'
      : fn === 'highervalue' ? 'HigherValue' : fn === 'lowervalue' ? 'LowerValue' : 'default'
    return { policy, rule: policy === 'default' ? null : hit?.rule.rule ?? null }
  }

  registryRelocate(key: string, name: string, user: string | null): { key: string; name: string; rule: string } | null {
    const hit = this.bestRegistryRule(key, name, user, 'locationModify')
    const call = hit?.rule.entry.script
    if (!hit || !call) return null
    const vars = hit.unit.context.vars
    const expand = (t: string | null): string | null => expandVariables(t, vars)
    const fn = call.name.split('.').pop()?.toLowerCase()
    const canon = (k: string): string | null => {
      const c = canonicalRegKey(k)
      return c ? (c.rest ? `${c.root}\\${c.rest}` : c.root) : null
    }
    const from = canon(key)
    if (!from) return null
    if (fn === 'exactmove') {
      const loc = expand(call.args[0] ?? null)
      if (!loc) return null
      const p = parsePattern(loc, 'Registry')
      const to = canon(p.node)
      return to ? { key: to, name: p.leaf ?? name, rule: hit.rule.rule } : null
    }
    if (fn === 'relativemove') {
      const src = canon(expand(call.args[0] ?? null) ?? '')
      const dst = canon(expand(call.args[1] ?? null) ?? '')
      if (!src || !dst) return null
      if (from.toLowerCase() === src.toLowerCase()) return { key: dst, name, rule: hit.rule.rule }
      if (!from.toLowerCase().startsWith(`${src.toLowerCase()}\\`)) return null
      return { key: `${dst}${from.slice(src.length)}`, name, rule: hit.rule.rule }
    }
    return null
  }

  mergePolicy(path: string, user: string | null): 'SourcePriority' | 'DestinationPriority' | 'default' {
    const hit = this.bestRule(path, user, 'merge')
    const fn = hit?.rule.entry.script?.name.split('.').pop()?.toLowerCase()
    if (fn === 'sourcepriority') return 'SourcePriority'
    if (fn === 'destinationpriority') return 'DestinationPriority'
    return 'default'
  }
}

/** Restore time: registry patterns compile (for merge and locationModify) without reading any hive. */
const RESTORE_REGISTRY: RegistryAccess = { available: () => true, view: () => EMPTY_VIEW, userHives: () => true }
const EMPTY_VIEW = RegistryView.empty()

export type RegistryMergePolicy = 'SourcePriority' | 'DestinationPriority' | 'HigherValue' | 'LowerValue' | 'default'

export interface RegistryRestoreRules {
  /** The most specific registry `<merge>` rule for a value: its function, or 'default' (the source overwrites). */
  registryMergePolicy(key: string, name: string, user: string | null): { policy: RegistryMergePolicy; rule: string | null }
  /** Where `<locationModify>` (ExactMove, RelativeMove) puts a registry value, or null. */
  registryRelocate(key: string, name: string, user: string | null): { key: string; name: string; rule: string } | null
}

export function loadRuleSetSync(input: RuleSetOptions, maxBytes?: number): LoadedRuleSet {
  const model = loadRuleModel(input.ruleFiles, { maxBytes })
  const config = input.configFile ? loadConfig(input.configFile, maxBytes) : undefined
  return new LoadedRuleSet(model, config, input)
}

/**
 * Where `<locationModify script>` (ExactMove, Move, RelativeMove) puts a file, in the variables of the
 * context that evaluates the rule; null when the rule does not move it (RelativeMove outside its source root,
 * a variable that does not resolve, an unknown function).
 */
export function applyLocationModify(path: string, rule: CompiledRule, vars: ReadonlyMap<string, string>): string | null {
  const call = rule.entry.script
  if (!call) return null
  const fn = call.name.split('.').pop()?.toLowerCase()
  const expand = (t: string | null): string | null => expandVariables(t, vars)?.replace(/\\+$/, '') ?? null
  const name = basename(path)
  if (fn === 'relativemove') {
    const src = expand(call.args[0] ?? null)
    const dst = expand(call.args[1] ?? null)
    if (!src || !dst) return null
    const rel = relativeTo(path, src)
    return rel === null ? null : rel ? `${dst}\\${rel}` : dst
  }
  if (fn === 'move') {
    const dst = expand(call.args[0] ?? null)
    if (!dst) return null
    const dir = dirname(path)
    const base = shellFolderPaths(vars).find((p) => isUnder(dir, p))
    const sub = base ? relativeTo(dir, base) ?? '' : dir.replace(/^[A-Za-z]:\\?/, '')
    return sub ? `${dst}\\${sub}\\${name}` : `${dst}\\${name}`
  }
  if (fn === 'exactmove') {
    const loc = expand(call.args[0] ?? null)
    if (!loc) return null
    const p = parsePattern(loc, 'File')
    return p.leaf ? `${p.node.replace(/\\+$/, '')}\\${p.leaf}` : `${p.node.replace(/\\+$/, '')}\\${name}`
  }
  return null
}

/**
 * The restore-time rules for a set of users (usmt.md §7.1, "Conflicts and precedence"):
 * - a file goes where each component that includes it puts it: the component's own `<locationModify>`
 *   moves its copy, a component without one keeps the source path — so a file that one component includes
 *   and another includes with a `<locationModify>` is migrated in both places;
 * - a `<locationModify>` in a component that does not include the file moves a copy as well ("the file is
 *   included based on the `<include>` rule, and … migrated based on the `<locationModify>` rule");
 * - a User-context component is evaluated for every migrated user, so `RelativeMove(…, '%CSIDL_PERSONAL%')`
 *   puts a copy into the Documents of each of them ("Reroute files and settings");
 * - an include whose filter is false on LoadState (`NeverRestore()`, `AnswerNo()`) adds no destination.
 */
export class RestorePlan {
  private readonly index: RuleIndex
  private readonly hasLocationModify: boolean
  private readonly hasRestoreFilter: boolean

  constructor(readonly units: readonly Unit[], readonly contexts: readonly EvalContext[]) {
    const owners = contexts.filter((c) => c.profile !== null).map((c) => ({ key: dirKey(c.profile as string), ctx: c.index }))
    this.index = new RuleIndex(units, owners)
    this.hasLocationModify = units.some((u) => u.rules.some((r) => r.kind === 'locationModify'))
    this.hasRestoreFilter = units.some((u) => u.rules.some((r) => r.kind === 'include' && r.entry.filter !== null && restoreFilterVerdict(r.entry.filter) === false))
  }

  /** destinationCleanup rules of every context. */
  cleanupRules(): CleanupRule[] {
    const out: CleanupRule[] = []
    const seen = new Set<string>()
    for (const u of this.units) {
      for (const r of u.rules) {
        if (r.kind !== 'destinationCleanup') continue
        const key = `${r.pattern.display.toLowerCase()}|${r.entry.filter?.raw ?? ''}`
        if (seen.has(key)) continue
        seen.add(key)
        out.push({ pattern: r.pattern, rule: r.rule, filter: r.entry.filter })
      }
    }
    return out
  }

  /** Where a captured file (`path`, captured for `owner` by `component`) is written. */
  targets(path: string, owner: string | null, component: string): RestoreDecision {
    const same: RestoreDecision = { targets: [{ path, user: owner }] }
    if (!this.hasLocationModify && !this.hasRestoreFilter) return same
    const dir = dirKey(dirname(path))
    const nameLower = basename(path).toLowerCase()
    const d = decide(this.index.plan(dir), nameLower, false, true)
    const out: RestoreTarget[] = []
    const seen = new Set<string>()
    const add = (t: RestoreTarget): void => {
      const k = t.path.toLowerCase()
      if (seen.has(k)) return
      seen.add(k)
      out.push(t)
    }
    const including = new Set<Unit>()
    const filteredOut: string[] = []
    for (const v of d.verdicts ?? []) {
      if (!v.included || !v.include) continue
      including.add(v.unit)
      const filter = v.include.entry.filter
      if (filter && restoreFilterVerdict(filter) === false) {
        filteredOut.push(`${filterName(filter)} (${v.include.rule})`)
        continue
      }
      const lm = this.bestLocationModify(v.unit, dir, nameLower)
      const moved = lm ? applyLocationModify(path, lm, v.unit.context.vars) : null
      add(moved ? { path: moved, user: v.unit.context.account ?? owner, rule: lm?.rule, component: v.unit.name } : { path, user: owner, component: v.unit.name })
    }
    // locationModify in components that do not include the file: the owner's context and the system context.
    for (const u of this.units) {
      if (including.has(u)) continue
      if (u.context.account !== null && (owner === null || u.context.account.toLowerCase() !== owner.toLowerCase())) continue
      const lm = this.bestLocationModify(u, dir, nameLower)
      const moved = lm ? applyLocationModify(path, lm, u.context.vars) : null
      if (moved) add({ path: moved, user: owner, rule: lm?.rule, component: u.name })
    }
    // The component that captured the file, when the restore rules do not know it, keeps the source path.
    if (!this.units.some((u) => u.name.toLowerCase() === component.toLowerCase())) add({ path, user: owner, component })
    if (out.length === 0 && filteredOut.length === 0) add({ path, user: owner, component })
    if (out.length === 0) return { targets: [], skipped: `not restored: ${filteredOut.join('; ')}` }
    return { targets: out }
  }

  private bestLocationModify(unit: Unit, dir: string, nameLower: string): CompiledRule | null {
    let best: CompiledRule | null = null
    for (const r of unit.rules) {
      if (r.kind !== 'locationModify' || !r.pattern.matchesDir(dir) || !r.pattern.matchesLeaf(nameLower)) continue
      if (!best || compareSpecificity(r.pattern.spec, best.pattern.spec) > 0) best = r
    }
    return best
  }
}

/** `%VAR%` expanded from a context's variables (trimmed); null when the text is null or a variable does not resolve. */
function expandVariables(t: string | null, vars: ReadonlyMap<string, string>): string | null {
  if (t === null) return null
  let unresolved = false
  const v = t.trim().replace(/%([^%\s]+)%/g, (w, n: string) => {
    const x = vars.get(n.toUpperCase())
    if (x === undefined) unresolved = true
    return x ?? w
  })
  return unresolved ? null : v
}
