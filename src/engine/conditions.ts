/**
 * Conditions of the migration XML (`<condition>`, `<detection>`, `<environment>` guards) evaluated for one
 * context: the MigXmlHelper functions the engine can answer from the mapped volumes and the layout, and a
 * recorded "not evaluated" with the assumed value for the rest (registry, content, other helper libraries).
 */
import { canonicalRegKey } from '../registry/model.js'
import { expandEnv } from '../windows/path.js'
import type { ComponentDef, Condition, ObjectSet, ScriptCall, SourceRef } from './model.js'
import { canonicalNode, compilePattern, compileWildcard, parsePattern, type CompiledPattern } from './pattern.js'
import { compareVersions } from './pe.js'
import type { ObjectProbe } from './probe.js'
import { registryObjectExists, registryStringContent, type RegistryAccess } from './registry.js'
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

export interface ConditionScope extends RegistryScope {
  input: Pick<CompileInput, 'layout' | 'osVersion' | 'registryDefault' | 'registry'>
  probe: ObjectProbe
  /** Whether an object set (a `<conditions>` objectSet) matches at least one object. */
  objectSetMatches: (set: ObjectSet, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef) => boolean
}

export interface RegistryScope {
  input: Pick<CompileInput, 'registry'>
  notes: CompileNotes
}

/**
 * A registry pattern (after variable expansion) and the registry it is asked of in this context, or null
 * when the engine cannot answer (no hive for it on the volume, an unresolved variable): the caller then
 * reports it as not evaluated. `view` null: a valid pattern that names nothing in this context (HKCU in
 * the system context is "invalid in the current context" for USMT).
 */
export function registryPattern(s: RegistryScope, text: string, vars: Map<string, string>, ctx: EvalContext, at: SourceRef): { pattern: CompiledPattern; view: ReturnType<RegistryAccess['view']> } | null {
  const reg = s.input.registry
  if (!reg) return null
  const { value, unresolved } = expandVariables(text, vars)
  // Like a file pattern, a registry pattern with an undefined variable names nothing.
  if (unresolved.size) return { pattern: compilePattern(parsePattern(text, 'Registry')), view: null }
  const parsed = parsePattern(value, 'Registry')
  const c = canonicalRegKey(parsed.node)
  if (!c) {
    s.notes.warnOnce(`regroot:${at.file}:${at.line}:${text}`, { code: 'registry-root', message: `registry pattern "${text}" does not start with HKLM or HKCU; it never matches`, file: at.file, line: at.line })
    return { pattern: compilePattern(parsed), view: null }
  }
  const node = c.rest ? `${c.root}\\${c.rest}` : c.root
  let leaf = parsed.leaf
  if (leaf !== null && leaf.includes('%')) {
    const e = expandVariables(leaf, vars)
    if (e.unresolved.size) return null
    leaf = e.value
  }
  const pattern = compilePattern({ ...parsed, node, leaf }, node)
  if (c.root === 'HKCU' && ctx.account === null) {
    // Without any user hive the engine cannot tell: not evaluated. Otherwise HKCU names nothing in the system
    // context (USMT: "considered invalid in the current context"); each user's context evaluates it.
    if (!reg.userHives()) return null
    return { pattern, view: null }
  }
  if (!reg.available(ctx, node)) return null
  return { pattern, view: reg.view(ctx, c.root) }
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

function notEvaluatedCall(s: ConditionScope, call: ScriptCall, at: SourceRef, why: string, value: boolean, comp?: ComponentDef): boolean {
  if (comp) s.notes.note({ file: at.file, line: at.line, component: comp.displayName, type: 'Condition', pattern: call.raw, kind: 'condition', affectsCapture: true, why: `${why}; assumed ${value ? 'true' : 'false'}` })
  s.notes.warnOnce(`cond:${at.file}:${at.line}`, { code: 'condition-not-evaluated', message: `${call.raw}: ${why}; assumed ${value ? 'true' : 'false'}`, file: at.file, line: at.line })
  return value
}

export function evalCall(s: ConditionScope, call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef, comp: ComponentDef): boolean {
  const fn = call.name.split('.').pop()?.toLowerCase() ?? ''
  const prefix = call.name.includes('.') ? call.name.split('.')[0].toLowerCase() : ''
  const a = (i: number): string => call.args[i] ?? ''
  const { input } = s
  if (prefix !== 'migxmlhelper') return notEvaluatedCall(s, call, at, `${call.name} comes from a helper library the engine cannot run`, false, comp)
  switch (fn) {
    case 'isnative64bit': return input.layout.is64Bit
    case 'issystemcontext': return ctx.account === null
    case 'isoslaterthan': return a(0).toUpperCase() === 'NT' && compareVersions(input.osVersion, a(1)) >= 0
    case 'isosearlierthan': return a(0).toUpperCase() === 'NT' && compareVersions(input.osVersion, a(1)) < 0
    case 'doesosmatch': return a(0).toUpperCase() === 'NT' && wildcardMatch(a(1), input.osVersion)
    case 'doesobjectexist': {
      if (a(0).toLowerCase() === 'registry') {
        const r = registryPattern(s, a(1), vars, ctx, at)
        if (r) return r.view === null ? false : registryObjectExists(r.view, r.pattern)
      }
      if (a(0).toLowerCase() !== 'file') {
        return notEvaluatedCall(s, call, at, 'the registry is not evaluated', input.registryDefault, comp)
      }
      const { value, unresolved } = expandVariables(a(1), vars)
      if (unresolved.size) return false
      return s.probe.hasObject(compilePattern(parsePattern(value, 'File')))
    }
    case 'issameobject': {
      if (a(0).toLowerCase() === 'registry' && input.registry) {
        const x = expandVariables(a(1), vars)
        const y = expandVariables(a(2), vars)
        if (x.unresolved.size || y.unresolved.size) return false
        const cx = canonicalRegKey(parsePattern(x.value, 'Registry').node)
        const cy = canonicalRegKey(parsePattern(y.value, 'Registry').node)
        return cx !== null && cy !== null && cx.root === cy.root && cx.rest.toLowerCase() === cy.rest.toLowerCase()
          && (parsePattern(x.value, 'Registry').leaf ?? '').toLowerCase() === (parsePattern(y.value, 'Registry').leaf ?? '').toLowerCase()
      }
      if (a(0).toLowerCase() !== 'file') return notEvaluatedCall(s, call, at, 'the registry is not evaluated', input.registryDefault, comp)
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
    case 'doesstringcontentequal':
    case 'doesstringcontentcontain': {
      if (a(0).toLowerCase() === 'registry') {
        const r = registryPattern(s, a(1), vars, ctx, at)
        if (r) {
          const text = r.view === null ? null : registryStringContent(r.view, r.pattern)
          if (text === null) return false
          const want = expandVariables(a(2), vars).value
          return fn === 'doesstringcontentequal' ? text.toLowerCase() === want.toLowerCase() : text.toLowerCase().includes(want.toLowerCase())
        }
      }
      return notEvaluatedCall(s, call, at, 'needs registry or content data the engine does not read', input.registryDefault)
    }
    default:
      return notEvaluatedCall(s, call, at, 'needs registry or content data the engine does not read', input.registryDefault && /string|content/i.test(fn), comp)
  }
}
