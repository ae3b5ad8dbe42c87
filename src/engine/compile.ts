/**
 * Compile a RuleModel for one machine: resolve variables per context (system, each user), evaluate
 * environments, detection and conditions against the file tree, expand helper scripts into patterns and
 * compile them. The result is a flat list of (component × context) units with their include, exclude,
 * unconditionalExclude, merge and locationModify patterns. Conditions are in conditions.ts, the pattern
 * generators in generators.ts, the file-system questions in probe.ts, the machine layout in layout.ts.
 */
import { evalCondition, expandVariables, type ConditionScope } from './conditions.js'
import { generatePatterns, shortCall } from './generators.js'
import { configState, type ConfigModel } from './loader.js'
import type { ComponentDef, Condition, Ctx, ObjectSet, RuleEntry, RuleModel, SourceRef } from './model.js'
import { compilePattern, type CompiledPattern, type ParsedPattern } from './pattern.js'
import { ObjectProbe } from './probe.js'
import { CompileNotes, type CompiledRule, type CompiledRuleSet, type CompileInput, type EvalContext, type Unit } from './unit.js'

export type { CompiledRule, CompiledRuleSet, CompileInput, EvalContext, NotEvaluated, Unit } from './unit.js'
export { detectLayout } from './layout.js'

/** Effective context of a `<rules>` chain inside a component ("the largest possible scope is set by the component"). */
export function effectiveContext(component: Ctx, chain: ReadonlyArray<Ctx | null>): { user: boolean; system: boolean } {
  let user = component !== 'System'
  let system = component !== 'User'
  for (const c of chain) {
    if (c === null) continue
    if (c === 'User') system = false
    if (c === 'System') user = false
  }
  return { user, system }
}

/** Enabled state of every component: Config.xml migrate state, and a disabled parent disables its children. */
export function enabledComponents(model: RuleModel, config: ConfigModel | undefined): boolean[] {
  const out: boolean[] = []
  for (const c of model.components) {
    const own = configState(config, c)
    const parentOn = c.parent === null ? true : out[c.parent]
    out.push(parentOn && own !== false)
  }
  return out
}

class Compiler {
  readonly notes = new CompileNotes()
  private readonly scope: ConditionScope
  private readonly detectedCache = new Map<string, boolean>()

  constructor(private readonly input: CompileInput) {
    this.scope = {
      input, notes: this.notes, probe: new ObjectProbe(input.volumes),
      objectSetMatches: (set, ctx, vars, comp) => this.expandSet(set, ctx, vars, comp, 'include').some((p) => this.scope.probe.hasObject(p.pattern)),
    }
  }

  evalCondition(c: Condition, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef): boolean {
    return evalCondition(this.scope, c, ctx, vars, comp)
  }

  /** Expand an object set into compiled File patterns with their rule text. */
  expandSet(set: ObjectSet, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef, kind: string): Array<{ pattern: CompiledPattern; rule: string }> {
    if (set.condition && !this.evalCondition(set.condition, ctx, vars, comp)) return []
    const out: Array<{ pattern: CompiledPattern; rule: string }> = []
    for (const item of set.items) {
      if (item.kind === 'content') {
        this.notes.notEvaluatedObject(comp, item.at, 'Content', '<content> (objects derived from registry content)')
        continue
      }
      if (item.kind === 'pattern') {
        const p = item.pattern
        if (p.type !== 'File') {
          this.notes.notEvaluatedObject(comp, item.at, p.type, p.raw)
          continue
        }
        const compiled = this.compileWithVars(p, vars, item.at)
        if (compiled) out.push({ pattern: compiled, rule: `${item.at.file}:${item.at.line} ${kind} ${p.raw}` })
        continue
      }
      const call = item.call
      for (const g of generatePatterns(this.input, this.notes, call, ctx, vars, item.at, comp)) {
        const compiled = this.compileWithVars(g.pattern, g.vars ?? vars, item.at)
        if (compiled) out.push({ pattern: compiled, rule: `${item.at.file}:${item.at.line} ${kind} ${shortCall(call)} → ${compiled.display}` })
      }
    }
    return out
  }

  private compileWithVars(p: ParsedPattern, vars: Map<string, string>, at: SourceRef): CompiledPattern | null {
    const { value, unresolved } = expandVariables(p.node, vars)
    if (unresolved.size) return null
    if (!/^[A-Za-z]:/.test(value) && !value.startsWith('*')) {
      this.notes.warnOnce(`rel:${at.file}:${at.line}:${p.raw}`, { code: 'pattern-not-absolute', message: `pattern "${p.raw}" does not start with a drive letter after expansion ("${value}"); it never matches`, file: at.file, line: at.line })
      return null
    }
    let leaf = p.leaf
    if (leaf !== null && leaf.includes('%')) {
      const e = expandVariables(leaf, vars)
      if (e.unresolved.size) return null
      leaf = e.value
    }
    return compilePattern({ ...p, leaf }, value)
  }

  variablesFor(comp: ComponentDef, ctx: EvalContext): Map<string, string> {
    // Read-only below; a copy only when an environment adds or removes variables.
    if (comp.environments.length === 0) return ctx.vars
    const vars = new Map(ctx.vars)
    for (const env of comp.environments) {
      if (env.context === 'User' && ctx.account === null) continue
      if (env.context === 'System' && ctx.account !== null) continue
      if (env.condition && !this.evalCondition(env.condition, ctx, vars, comp)) continue
      for (const variable of env.variables) {
        const key = variable.name.toUpperCase()
        let value: string | null = null
        if (variable.value.kind === 'text') {
          const e = expandVariables(variable.value.text, vars)
          value = e.unresolved.size ? null : e.value
        } else if (variable.value.kind === 'objectSet') {
          const first = this.expandSet(variable.value.set, ctx, vars, comp, 'variable').find((p) => this.scope.probe.hasObject(p.pattern))
          value = first ? first.pattern.node : null
        } else {
          this.notes.notEvaluatedObject(comp, variable.at, 'Script', variable.value.call.raw)
        }
        if (value === null) vars.delete(key)
        else vars.set(key, value)
      }
    }
    return vars
  }

  /** A component is present when its own detection holds and its parent component is present. */
  isDetected(comp: ComponentDef, ctx: EvalContext, vars?: Map<string, string>): boolean {
    const key = `${ctx.index}:${comp.index}`
    const hit = this.detectedCache.get(key)
    if (hit !== undefined) return hit
    const parent = comp.parent === null ? null : this.input.model.components[comp.parent]
    let v = parent === null || this.isDetected(parent, ctx)
    if (v && comp.detection !== null) v = this.evalCondition(comp.detection, ctx, vars ?? this.variablesFor(comp, ctx), comp)
    this.detectedCache.set(key, v)
    return v
  }

  /** The parameters an includeAttributes/excludeAttributes names; a rule naming none is a warning and ignored. */
  private attributeParameters(entry: RuleEntry): { security: boolean; timeFields: boolean } | undefined {
    const { security, timeFields, unknown } = parseAttributeList(entry.attributes)
    const where = `<${entry.kind} attributes="${entry.attributes ?? ''}">`
    if (unknown.length) {
      this.notes.warnOnce(`attrs:${entry.at.file}:${entry.at.line}:${entry.kind}:${entry.attributes}`, {
        code: 'bad-attribute', message: `${where}: ${unknown.map((u) => `"${u}"`).join(', ')} is not Security or TimeFields${security || timeFields ? '; ignored' : '; the rule is ignored'}`, file: entry.at.file, line: entry.at.line,
      })
    } else if (!security && !timeFields) {
      this.notes.warnOnce(`attrs:${entry.at.file}:${entry.at.line}:${entry.kind}:${entry.attributes}`, { code: 'bad-attribute', message: `${where} names no parameter (Security, TimeFields); the rule is ignored`, file: entry.at.file, line: entry.at.line })
    }
    return security || timeFields ? { security, timeFields } : undefined
  }

  compileUnit(id: number, comp: ComponentDef, ctx: EvalContext, enabled: boolean): Unit | null {
    const isUserCtx = ctx.account !== null
    const applies = comp.rules.some((r) => {
      const e = effectiveContext(comp.context, r.rulesContexts)
      return isUserCtx ? e.user : e.system
    })
    if (!applies) return null
    const vars = this.variablesFor(comp, ctx)
    const detected = this.isDetected(comp, ctx, vars)
    const rules: CompiledRule[] = []
    let docFinder = false
    for (const entry of comp.rules) {
      const e = effectiveContext(comp.context, entry.rulesContexts)
      if (!(isUserCtx ? e.user : e.system)) continue
      if (entry.kind === 'contentModify' || entry.kind === 'destinationCleanup') continue
      let parameters: CompiledRule['parameters']
      if (entry.kind === 'includeAttributes' || entry.kind === 'excludeAttributes') {
        parameters = this.attributeParameters(entry)
        if (!parameters) continue
      }
      if (!entry.conditions.every((c) => this.evalCondition(c, ctx, vars, comp))) continue
      if ((entry.kind === 'include' || entry.kind === 'exclude') && entry.sets.some((s) => s.items.some((i) => i.kind === 'script' && /generatedocpatterns/i.test(i.call.name)))) docFinder = true
      for (const set of entry.sets) {
        for (const p of this.expandSet(set, ctx, vars, comp, entry.kind)) rules.push({ kind: entry.kind, pattern: p.pattern, rule: p.rule, entry, parameters })
      }
    }
    const inactiveReason = !enabled ? 'component disabled in Config.xml' : !detected ? 'component not detected' : !ctx.active ? `user not migrated (${ctx.account})` : null
    return { id, component: comp, name: comp.displayName || comp.urlid, context: ctx, enabled, detected, inactiveReason, rules, docFinder }
  }
}

export function compileRuleSet(input: CompileInput): CompiledRuleSet {
  const compiler = new Compiler(input)
  const enabled = enabledComponents(input.model, input.config)
  const units: Unit[] = []
  for (const ctx of input.contexts) {
    for (const comp of input.model.components) {
      const u = compiler.compileUnit(units.length, comp, ctx, enabled[comp.index])
      if (u) units.push(u)
    }
  }
  return { units, notEvaluated: compiler.notes.notEvaluated, warnings: compiler.notes.warnings, enabled }
}

/** Evaluate a standalone condition (exported for tests). */
export function evaluateConditionForTest(input: CompileInput, c: Condition, ctx: EvalContext, comp: ComponentDef): boolean {
  const compiler = new Compiler(input)
  return compiler.evalCondition(c, ctx, compiler.variablesFor(comp, ctx), comp)
}

/**
 * The `attributes` value of includeAttributes/excludeAttributes: `Security`, `TimeFields` or both,
 * separated by commas; the quoted form of Microsoft's example (`"Security","TimeFields"`) is accepted.
 */
export function parseAttributeList(text: string | null): { security: boolean; timeFields: boolean; unknown: string[] } {
  const out = { security: false, timeFields: false, unknown: [] as string[] }
  for (const raw of (text ?? '').split(',')) {
    const t = raw.trim().replace(/^["']|["']$/g, '').trim()
    if (!t) continue
    if (t.toLowerCase() === 'security') out.security = true
    else if (t.toLowerCase() === 'timefields') out.timeFields = true
    else out.unknown.push(t)
  }
  return out
}
