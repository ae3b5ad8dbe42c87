/**
 * Registry rules over the offline hives of the mapped volume (usmt.md §6.3, §7.1, §7.7): which hives a rule
 * set needs (one hivex read per hive, with every subtree the rules can name), the answers to
 * DoesObjectExist/GetStringContent/DoesStringContent*, and the per-value decision with the same precedence as
 * files — unconditionalExclude first; inside a component the most specific include against the most specific
 * exclude (a deeper key beats a shallower one, then a named value beats `*`; a tie goes to the exclude);
 * components independent. HKCU is each migrated user's NTUSER.DAT (and UsrClass.dat for
 * HKCU\Software\Classes), decided by that user's context only; HKLM is decided once, the system context
 * first, then the users in order.
 */
import type { CompiledRule, EvalContext, Unit } from './unit.js'
import { decide, type DirPlan, type UnitGroup } from './decide.js'
import type { RuleModel } from './model.js'
import { canonicalRegKey, type RegRoot, type RegValue } from '../registry/model.js'
import { machineHives, RegistryView, userHives, type HiveMount } from '../registry/hives.js'
import { hiveReadToolsMissing } from '../registry/hivex.js'
import type { VolumeMap } from '../windows/volume-map.js'
import { expandEnv } from '../windows/path.js'
import type { CompiledPattern } from './pattern.js'

/** What the compiler asks of the registry. */
export interface RegistryAccess {
  /** Is there a hive on the volume that holds this key in this context (HKCU: the context's user)? */
  available(ctx: EvalContext, fullKey: string): boolean
  view(ctx: EvalContext, root: RegRoot): RegistryView | null
  /** Was at least one user's hive read (so HKCU questions can be answered at all)? */
  userHives(): boolean
}

/** No registry could be read although the rules name it: why (the engine reports those rules as not evaluated). */
export interface RegistryUnavailable {
  unavailable: string
}

export interface MachineRegistry extends RegistryAccess {
  machine: RegistryView | null
  /** HKCU per context index (users with a readable NTUSER.DAT). */
  users: Map<number, RegistryView>
  /** Hive files read, for the log: Windows path → keys loaded. */
  hives: Array<{ winPath: string; keys: number }>
}

// ---------------------------------------------------------------- which subtrees a rule set can name

/** Every registry location a model names: patterns of type Registry and the Registry arguments of helper calls. */
export function registryTexts(model: RuleModel): string[] {
  const out = new Set<string>()
  const seen = new Set<unknown>()
  const visit = (o: unknown): void => {
    if (o === null || typeof o !== 'object' || seen.has(o)) return
    seen.add(o)
    if (Array.isArray(o)) {
      for (const x of o) visit(x)
      return
    }
    const r = o as Record<string, unknown>
    if (r.kind === 'pattern' && r.pattern && (r.pattern as { type?: string }).type === 'Registry') out.add((r.pattern as { raw: string }).raw)
    if (typeof r.name === 'string' && Array.isArray(r.args) && typeof r.raw === 'string') {
      const args = r.args as Array<string | null>
      if ((args[0] ?? '').trim().toLowerCase() === 'registry') {
        for (const a of args.slice(1)) if (a && /^\s*(%|HK)/i.test(a)) out.add(a)
      }
    }
    for (const [k, v] of Object.entries(r)) if (k !== 'at') visit(v)
  }
  for (const c of model.components) visit(c)
  return [...out]
}

/** Every `<variable><text>` definition by upper-case name (a variable may be defined differently per environment). */
function textVariables(model: RuleModel): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const c of model.components) {
    for (const env of c.environments) {
      for (const v of env.variables) {
        if (v.value.kind !== 'text') continue
        const k = v.name.toUpperCase()
        const list = out.get(k) ?? out.set(k, []).get(k) as string[]
        if (!list.includes(v.value.text)) list.push(v.value.text)
      }
    }
  }
  return out
}

/**
 * The literal key prefixes (`HKLM\Software\Mozilla`) that cover a registry location, with every definition
 * of the variables it uses (HklmWowSoftware is HKLM\Software or HKLM\SOFTWARE\Wow6432Node): the part of the
 * key before the first segment with a wildcard.
 */
export function literalPrefixes(text: string, defs: Map<string, string[]>, vars: Map<string, string>): string[] {
  let variants = [text]
  for (let round = 0; round < 4 && variants.some((v) => v.includes('%')); round++) {
    const next: string[] = []
    for (const v of variants) {
      const m = /%([^%\s]+)%/.exec(v)
      if (!m) {
        next.push(v)
        continue
      }
      const name = m[1].toUpperCase()
      const choices = [...(vars.has(name) ? [vars.get(name) as string] : []), ...(defs.get(name) ?? [])]
      for (const c of choices.slice(0, 4)) next.push(v.slice(0, m.index) + c + v.slice(m.index + m[0].length))
    }
    variants = next.slice(0, 64)
  }
  const out: string[] = []
  for (const v of variants) {
    if (v.includes('%')) continue
    const node = v.replace(/\s*\[[^\]]*\]\s*$/, '')
    const c = canonicalRegKey(node.split('*')[0].replace(/[^\\]*$/, '') || node.split('*')[0])
    if (!c) continue
    out.push(c.rest ? `${c.root}\\${c.rest}` : c.root)
  }
  return out
}

/**
 * Read the registry a rule set needs: the machine hives once, each used profile's hives once (only when
 * some location names that root). Hives that are absent leave their questions "not evaluated"; so does
 * every registry question when the offline registry tools cannot run here (`toolsMissing`, e.g. on Windows).
 */
export function loadMachineRegistry(model: RuleModel, volumes: VolumeMap, systemDrive: string, contexts: readonly EvalContext[], systemVars: Map<string, string>,
  toolsMissing: () => string | null = hiveReadToolsMissing): MachineRegistry | RegistryUnavailable | undefined {
  const texts = registryTexts(model)
  if (texts.length === 0) return undefined
  const missing = toolsMissing()
  if (missing !== null) return { unavailable: missing }
  const defs = textVariables(model)
  const prefixes = new Set<string>()
  for (const t of texts) for (const p of literalPrefixes(t, defs, systemVars)) prefixes.add(p)
  const hklm = [...prefixes].filter((p) => p.startsWith('HKLM'))
  const hkcu = [...prefixes].filter((p) => p.startsWith('HKCU'))
  const hives: MachineRegistry['hives'] = []
  const machineMounts = machineHives(volumes, systemDrive)
  // Every hive (the machine's and each used profile's) is read by one hivex process.
  const wanted: Array<{ ctx: EvalContext | null; mounts: HiveMount[]; prefixes: string[] }> = []
  if (hklm.length && machineMounts.some((m) => m.local)) wanted.push({ ctx: null, mounts: machineMounts, prefixes: hklm })
  if (hkcu.length) {
    for (const c of contexts) {
      if (c.account === null || c.profile === null) continue
      const mounts = userHives(volumes, c.profile)
      if (mounts.some((m) => m.local)) wanted.push({ ctx: c, mounts, prefixes: hkcu })
    }
  }
  const views = RegistryView.loadAll(wanted)
  let machine: RegistryView | null = null
  const users = new Map<number, RegistryView>()
  for (const [i, w] of wanted.entries()) {
    const view = views[i]
    if (w.ctx === null) {
      machine = view
      for (const m of machineMounts) if (view.read.includes(m.winPath)) hives.push({ winPath: m.winPath, keys: [...view.keys.values()].filter((k) => k.lower.startsWith(`hklm\\${m.base.toLowerCase()}`)).length })
    } else {
      users.set(w.ctx.index, view)
      if (view.read.length) hives.push({ winPath: view.read.join(' + '), keys: view.keys.size })
    }
  }
  const viewOf = (ctx: EvalContext, root: RegRoot): RegistryView | null => (root === 'HKLM' ? machine : users.get(ctx.index) ?? null)
  return {
    machine, users, hives,
    view: viewOf,
    userHives: () => users.size > 0,
    available(ctx, fullKey) {
      const c = canonicalRegKey(fullKey)
      if (!c) return false
      const v = viewOf(ctx, c.root)
      return v !== null && v.covers(fullKey)
    },
  }
}

// ---------------------------------------------------------------- conditions

function matchingKeys(view: RegistryView, p: CompiledPattern): Iterable<{ path: string; lower: string; values: RegValue[] }> {
  if (p.dirMatch === 'exact') {
    const k = view.keys.get(p.prefix)
    return k ? [k] : []
  }
  const out = []
  for (const k of view.keys.values()) if ((k.lower === p.prefix || k.lower.startsWith(p.prefix)) && p.matchesDir(k.lower)) out.push(k)
  return out
}

/** DoesObjectExist("Registry", pattern): a key (no leaf) or a value (leaf) matches. */
export function registryObjectExists(view: RegistryView, p: CompiledPattern): boolean {
  for (const k of matchingKeys(view, p)) {
    if (p.leaf === null) return true
    if (k.values.some((v) => p.matchesLeaf(v.name.toLowerCase()))) return true
  }
  return false
}

/** Registry value data as a string: REG_SZ/REG_EXPAND_SZ/REG_MULTI_SZ decoded from UTF-16LE, DWORD/QWORD as decimal. */
export function valueString(v: Pick<RegValue, 'type' | 'data'>): string {
  if (v.type === 1 || v.type === 2 || v.type === 7) return v.data.toString('utf16le').replace(/\0+$/, '').replace(/\0/g, '\n')
  if (v.type === 4 && v.data.length === 4) return String(v.data.readUInt32LE(0))
  if (v.type === 11 && v.data.length === 8) return v.data.readBigUInt64LE(0).toString()
  return v.data.toString('hex')
}

/** GetStringContent("Registry", pattern): the first matching value's data as a string, or null. */
export function registryStringContent(view: RegistryView, p: CompiledPattern): string | null {
  for (const k of matchingKeys(view, p)) {
    const v = k.values.find((x) => p.matchesLeaf(x.name.toLowerCase()))
    if (v) return v.type === 2 ? expandEnv(valueString(v), () => undefined) : valueString(v)
  }
  return null
}

// ---------------------------------------------------------------- decisions

export interface RegistryDecision {
  value: RegValue
  /** The user whose HKCU holds the value, or the deciding unit's user for HKLM (null: system context). */
  user: string | null
  included: boolean
  component: string | null
  rule: string | null
  reason: string | null
  unit?: Unit
  compiled?: CompiledRule
}

const REG_KINDS = new Set(['include', 'exclude', 'unconditionalExclude'])

function isRegistryRule(r: CompiledRule, root: RegRoot): boolean {
  return r.pattern.parsed.type === 'Registry' && REG_KINDS.has(r.kind) && r.pattern.node.slice(0, 4).toUpperCase() === root
}

/** The rules that can decide the values of one key, in attribution order (the same shape as a folder's plan). */
export function keyPlan(units: readonly Unit[], keyLower: string, root: RegRoot): DirPlan {
  const groups: UnitGroup[] = []
  const ux: DirPlan['ux'] = []
  for (const unit of units) {
    let g: UnitGroup | null = null
    for (const rule of unit.rules) {
      if (!isRegistryRule(rule, root)) continue
      const p = rule.pattern
      if (!(keyLower === p.prefix || keyLower.startsWith(p.prefix)) || !p.matchesDir(keyLower)) continue
      if (rule.kind === 'unconditionalExclude') {
        if (unit.inactiveReason === null) ux.push({ unit, rule })
        continue
      }
      g ??= { unit, incl: [], excl: [] }
      ;(rule.kind === 'include' ? g.incl : g.excl).push(rule)
    }
    if (g && g.incl.length) groups.push(g)
  }
  return { groups, ux, attrs: [], filtered: false }
}

/** Units that hold registry rules for a root, system context first, then the users in context order. */
function unitsFor(units: readonly Unit[], root: RegRoot, ctxIndex?: number): Unit[] {
  return units.filter((u) => (ctxIndex === undefined || u.context.index === ctxIndex) && u.rules.some((r) => isRegistryRule(r, root)))
    .sort((a, b) => a.context.index - b.context.index || a.id - b.id)
}

/** Decide every loaded registry value once; calls `sink` for values some include matched (captured or not). */
export function scanRegistry(units: readonly Unit[], contexts: readonly EvalContext[], reg: MachineRegistry | undefined, sink: (d: RegistryDecision) => void): void {
  if (!reg) return
  const decideView = (view: RegistryView, root: RegRoot, us: Unit[], owner: string | null): void => {
    if (us.length === 0) return
    for (const k of view.keys.values()) {
      if (!k.lower.startsWith(root.toLowerCase())) continue
      const plan = keyPlan(us, k.lower, root)
      if (plan.groups.length === 0) continue
      for (const v of k.values) {
        const d = decide(plan, v.name.toLowerCase(), false)
        if (!d.considered) continue
        if (d.included && d.unit && d.rule) {
          sink({ value: v, user: root === 'HKCU' ? owner : d.unit.context.account, included: true, component: d.unit.name, rule: d.rule.rule, reason: null, unit: d.unit, compiled: d.rule })
        } else {
          sink({ value: v, user: owner, included: false, component: null, rule: d.reasonRule?.rule ?? null, reason: d.reason ?? 'excluded by rule' })
        }
      }
    }
  }
  if (reg.machine) decideView(reg.machine, 'HKLM', unitsFor(units, 'HKLM'), null)
  for (const c of contexts) {
    const view = reg.users.get(c.index)
    if (view && c.account !== null) decideView(view, 'HKCU', unitsFor(units, 'HKCU', c.index), c.account)
  }
}
