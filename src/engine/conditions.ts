/**
 * Conditions of the migration XML (`<condition>`, `<detection>`, `<environment>` guards) evaluated for one
 * context: the MigXmlHelper functions the engine can answer from the mapped volumes and the layout, and a
 * recorded "not evaluated" with the assumed value for the rest (registry, content, other helper libraries).
 */
import { expandEnv } from '../windows/path.js'
import type { ComponentDef, Condition, ObjectSet, ScriptCall, SourceRef } from './model.js'
import { canonicalNode, compilePattern, compileWildcard, parsePattern } from './pattern.js'
import { compareVersions } from './pe.js'
import type { ObjectProbe } from './probe.js'
import type { CompileInput, CompileNotes, EvalContext } from './unit.js'

/** Expand %VARIABLES% (up to four levels deep); the names that stayed unresolved. */
export function expandVariables(text: string, vars: Map<string, string>): { value: string; unresolved: Set<string> } {
  const unresolved = new Set<string>()
  const lookup = (n: string): string | undefined => vars.get(n.toUpperCase())
  let value = text
  for (let i = 0; i < 4 && value.includes('%'); i++) {
    unresolved.clear()
    const next = expandEnv(value, lookup, unresolved)
    if (next === value) break
    value = next
  }
  return { value, unresolved }
}

export function wildcardMatch(pattern: string, value: string): boolean {
  return compileWildcard(pattern.trim(), { caseInsensitive: true })(value.trim())
}

export interface ConditionScope {
  input: Pick<CompileInput, 'layout' | 'osVersion' | 'registryDefault'>
  notes: CompileNotes
  probe: ObjectProbe
  /** Whether an object set (a `<conditions>` objectSet) matches at least one object. */
  objectSetMatches: (set: ObjectSet, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef) => boolean
}

export function evalCondition(s: ConditionScope, c: Condition, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef): boolean {
  switch (c.kind) {
    case 'const': return c.value
    case 'objectSet': return s.objectSetMatches(c.set, ctx, vars, comp)
    case 'group': {
      const vals = c.items.map((i) => evalCondition(s, i, ctx, vars, comp))
      const v = c.items.length === 0 ? true : c.op === 'OR' ? vals.some(Boolean) : vals.every(Boolean)
      return c.negate ? !v : v
    }
    case 'call': {
      const v = evalCall(s, c.call, ctx, vars, c.at, comp)
      return c.negate ? !v : v
    }
  }
}

function notEvaluatedCall(s: ConditionScope, call: ScriptCall, at: SourceRef, why: string, value: boolean): boolean {
  s.notes.warnOnce(`cond:${at.file}:${at.line}`, { code: 'condition-not-evaluated', message: `${call.raw}: ${why}; assumed ${value ? 'true' : 'false'}`, file: at.file, line: at.line })
  return value
}

export function evalCall(s: ConditionScope, call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef, comp: ComponentDef): boolean {
  const fn = call.name.split('.').pop()?.toLowerCase() ?? ''
  const prefix = call.name.includes('.') ? call.name.split('.')[0].toLowerCase() : ''
  const a = (i: number): string => call.args[i] ?? ''
  const { input } = s
  if (prefix !== 'migxmlhelper') return notEvaluatedCall(s, call, at, `${call.name} comes from a helper library the engine cannot run`, false)
  switch (fn) {
    case 'isnative64bit': return input.layout.is64Bit
    case 'issystemcontext': return ctx.account === null
    case 'isoslaterthan': return a(0).toUpperCase() === 'NT' && compareVersions(input.osVersion, a(1)) >= 0
    case 'isosearlierthan': return a(0).toUpperCase() === 'NT' && compareVersions(input.osVersion, a(1)) < 0
    case 'doesosmatch': return a(0).toUpperCase() === 'NT' && wildcardMatch(a(1), input.osVersion)
    case 'doesobjectexist': {
      if (a(0).toLowerCase() !== 'file') {
        s.notes.notEvaluatedObject(comp, at, a(0), a(1))
        return notEvaluatedCall(s, call, at, 'the registry is not evaluated', input.registryDefault)
      }
      const { value, unresolved } = expandVariables(a(1), vars)
      if (unresolved.size) return false
      return s.probe.hasObject(compilePattern(parsePattern(value, 'File')))
    }
    case 'issameobject': {
      if (a(0).toLowerCase() !== 'file') return notEvaluatedCall(s, call, at, 'the registry is not evaluated', input.registryDefault)
      const x = expandVariables(a(1), vars)
      const y = expandVariables(a(2), vars)
      if (x.unresolved.size || y.unresolved.size) return false
      return canonicalNode(x.value).toLowerCase() === canonicalNode(y.value).toLowerCase()
    }
    case 'doesfileversionmatch':
    case 'isfileversionabove':
    case 'isfileversionbelow': {
      const { value, unresolved } = expandVariables(a(0), vars)
      if (unresolved.size) return false
      const info = s.probe.versionOf(value)
      const v = info?.[Object.keys(info).find((k) => k.toLowerCase() === a(1).toLowerCase()) ?? '']
      if (v === undefined) return false
      if (fn === 'doesfileversionmatch') return wildcardMatch(a(2), v)
      const d = compareVersions(v, a(2))
      return fn === 'isfileversionabove' ? d > 0 : d < 0
    }
    default:
      return notEvaluatedCall(s, call, at, 'needs registry or content data the engine does not read', input.registryDefault && /string|content/i.test(fn))
  }
}
