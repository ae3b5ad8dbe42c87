/**
 * Compile a RuleModel for one machine: resolve variables per context (system, each user), evaluate
 * environments, detection and conditions against the file tree, expand helper scripts into patterns and
 * compile them. The result is a flat list of (component × context) units with their include, exclude,
 * unconditionalExclude, merge and locationModify patterns. Conditions are in conditions.ts, the pattern
 * generators in generators.ts, the file-system questions in probe.ts, the machine layout in layout.ts.
 */
import { evalCondition, expandVariables, registryPattern, type ConditionScope } from './conditions.js'
import { captureFilter, filterName } from './filters.js'
import { generatePatterns, shortCall } from './generators.js'
import { configState, type ConfigModel } from './loader.js'
import type { ComponentDef, Condition, Ctx, ObjectSet, RuleEntry, RuleModel, SourceRef } from './model.js'
import { compilePattern, type CompiledPattern, type ParsedPattern } from './pattern.js'
import { ObjectProbe } from './probe.js'
import { registryStringContent } from './registry.js'
import { CompileNotes, type CompiledRule, type CompiledRuleSet, type CompileInput, type EvalContext, type NotEvaluated, type Unit } from './unit.js'

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
        this.notes.notEvaluatedObject(comp, item.at, 'Content', '<content> (objects derived from registry content)', kind)
        continue
      }
      if (item.kind === 'pattern') {
        const p = item.pattern
        if (p.type === 'Registry') {
          const r = registryPattern(this.scope, p.raw, vars, ctx, item.at)
          if (r) {
            if (r.view !== null) out.push({ pattern: r.pattern, rule: `${item.at.file}:${item.at.line} ${kind} ${p.raw}` })
            continue
          }
        }
        if (p.type !== 'File') {
          this.notes.notEvaluatedObject(comp, item.at, p.type, p.raw, kind)
          continue
        }
        const compiled = this.compileWithVars(p, vars, item.at)
        if (compiled) out.push({ pattern: compiled, rule: `${item.at.file}:${item.at.line} ${kind} ${p.raw}` })
        continue
      }
      const call = item.call
      for (const g of generatePatterns(this.input, this.notes, call, ctx, vars, item.at, comp, kind)) {
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
          const call = variable.value.call
          const fn = call.name.split('.').pop()?.toLowerCase()
          const r = fn === 'getstringcontent' && (call.args[0] ?? '').toLowerCase() === 'registry' ? registryPattern(this.scope, call.args[1] ?? '', vars, ctx, variable.at) : null
          if (r) value = r.view === null ? null : registryStringContent(r.view, r.pattern)
          else this.notes.notEvaluatedObject(comp, variable.at, 'Script', call.raw, 'variable')
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

  /** Rule elements and helpers the portable tools do not evaluate: contentModify, unevaluable filters and merge helpers. */
  private noteRuleEntry(comp: ComponentDef, entry: RuleEntry): void {
    const at = entry.at
    const note = (n: Omit<NotEvaluated, 'file' | 'line' | 'component'>): void => this.notes.note({ file: at.file, line: at.line, component: comp.displayName, ...n })
    if (entry.kind === 'contentModify') {
      note({ type: 'contentModify', pattern: entry.script?.raw ?? '', kind: 'element', affectsCapture: false,
        why: 'LoadState content changes (registry values) are not evaluated; the content is restored unchanged' })
    }
    if (entry.filter) {
      const f = captureFilter(entry.filter)
      const restoreOnly = filterName(entry.filter).toLowerCase().startsWith('ignoreirrelevantlinks')
      if (f.kind === 'notEvaluated') note({ type: 'Filter', pattern: entry.filter.raw, kind: 'filter', affectsCapture: entry.kind === 'include' || entry.kind === 'exclude', why: f.why })
      else if (restoreOnly) note({ type: 'Filter', pattern: entry.filter.raw, kind: 'filter', affectsCapture: false, why: 'IgnoreIrrelevantLinks() screens links on the destination, which needs the Windows shell: every captured .lnk is restored' })
    }
    if (entry.kind === 'merge' && entry.script) {
      const fn = entry.script.name.split('.').pop()?.toLowerCase() ?? ''
      if (!['sourcepriority', 'destinationpriority', 'findfileplacebypattern', 'newestversion'].includes(fn)) {
        note({ type: entry.script.name.split('.').pop() ?? 'merge', pattern: entry.script.raw, kind: 'helper', affectsCapture: false,
          why: 'this merge helper is not evaluated for files; a collision gets the default rename' })
      }
    }
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
      this.noteRuleEntry(comp, entry)
      if (entry.kind === 'contentModify') continue
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
  const seen = new Set<string>()
  for (const e of input.model.ignoredElements ?? []) {
    const key = `${e.file}:${e.line}`
    if (seen.has(key)) continue
    seen.add(key)
    const addsObjects = e.element === 'addObjects'
    compiler.notes.note({
      file: e.file, line: e.line, component: e.component, type: e.element, pattern: e.text || `<${e.element}>`, kind: 'element', affectsCapture: addsObjects,
      why: addsObjects ? 'objects emulated on the source (registry values) are not created or captured' : e.element === 'plugin' ? 'plug-ins are internal to USMT and do not run here' : 'commands and helper scripts are not run by the portable tools',
    })
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
