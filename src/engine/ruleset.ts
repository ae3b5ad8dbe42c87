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
import { loadConfig, loadRuleModel, type ConfigModel } from './loader.js'
import type { RuleModel } from './model.js'
import { compareSpecificity, dirKey, parsePattern } from './pattern.js'
import { shellFolderPaths, systemVariables, userVariables, type SystemLayout } from './variables.js'
import type { RegistryAccess } from './registry.js'
import { RegistryView } from '../registry/hives.js'
import { canonicalRegKey } from '../registry/model.js'

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
    if (!hit?.rule.entry.script) return null
    const call = hit.rule.entry.script
    const fn = call.name.split('.').pop()?.toLowerCase()
    const vars = hit.unit.context.vars
    const expand = (t: string | null): string | null => {
      if (t === null) return null
      let unresolved = false
      const v = t.trim().replace(/%([^%\s]+)%/g, (w, n: string) => {
        const x = vars.get(n.toUpperCase())
        if (x === undefined) unresolved = true
        return x ?? w
      })
      return unresolved ? null : v.replace(/\\+$/, '')
    }
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
    const expand = (t: string | null): string | null => {
      if (t === null) return null
      let unresolved = false
      const v = t.trim().replace(/%([^%\s]+)%/g, (w, n: string) => {
        const x = vars.get(n.toUpperCase())
        if (x === undefined) unresolved = true
        return x ?? w
      })
      return unresolved ? null : v
    }
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
const RESTORE_REGISTRY: RegistryAccess = { available: () => true, view: () => EMPTY_VIEW }
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
