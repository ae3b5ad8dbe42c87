/**
 * Compile a RuleModel for one machine: resolve variables per context (system, each user), evaluate
 * environments, detection and conditions against the file tree, expand helper scripts into patterns and
 * compile them. The result is a flat list of (component × context) units with their include, exclude,
 * unconditionalExclude, merge and locationModify patterns.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { expandEnv } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'
import type { EngineWarning, NotEvaluated } from './contract.js'
import { configState, type ConfigModel } from './loader.js'
import type { ComponentDef, Condition, Ctx, ObjectSet, RuleEntry, RuleKind, RuleModel, ScriptCall, SourceRef } from './model.js'
import { canonicalNode, compilePattern, compileWildcard, parsePattern, type CompiledPattern, type ParsedPattern } from './pattern.js'
import { captureFilter, filterName } from './filters.js'
import { compareVersions, readVersionInfo } from './pe.js'
import { userVariables, type SystemLayout } from './variables.js'
import { registryObjectExists, registryStringContent, type RegistryAccess } from './registry.js'
import { canonicalRegKey } from '../registry/model.js'

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

export type { NotEvaluated } from './contract.js'

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
  /** Why no registry could be read at all (the offline registry tools cannot run here): named in every registry "not evaluated". */
  registryUnavailable?: string
}

export interface CompiledRuleSet {
  units: Unit[]
  notEvaluated: NotEvaluated[]
  warnings: EngineWarning[]
  /** Enabled state per component index (Config.xml + parents). */
  enabled: boolean[]
}

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

const DOC_ROOT_SKIP = new Set(['windows', 'program files', 'program files (x86)', 'programdata', 'users', 'documents and settings', '$recycle.bin',
  'system volume information', 'recovery', 'perflogs', 'windows.old', '$windows.~bt', '$windows.~ws', 'msocache', 'boot', 'config.msi', 'intel', 'onedrivetemp'])
const REGISTRY_NOT_EVALUATED = 'the registry is not evaluated'

const PROFILE_ROOT_SKIP = new Set(['appdata', 'application data', 'local settings', 'nethood', 'printhood', 'recent', 'sendto', 'start menu', 'templates',
  'cookies', 'my documents', 'onedrive - personal'])
const USER_DOC_FOLDERS = ['CSIDL_MYDOCUMENTS', 'CSIDL_MYPICTURES', 'FOLDERID_ORIGINALIMAGES', 'CSIDL_MYMUSIC', 'CSIDL_MYVIDEO', 'CSIDL_FAVORITES',
  'CSIDL_DESKTOP', 'CSIDL_QUICKLAUNCH', 'CSIDL_CONTACTS', 'FOLDERID_LIBRARIES', 'FOLDERID_DOWNLOADS', 'FOLDERID_SAVEDGAMES', 'FOLDERID_RECORDEDTV']
const COMMON_DOC_FOLDERS = ['CSIDL_COMMON_DESKTOPDIRECTORY', 'CSIDL_COMMON_FAVORITES', 'CSIDL_COMMON_DOCUMENTS', 'CSIDL_COMMON_MUSIC',
  'CSIDL_COMMON_PICTURES', 'CSIDL_COMMON_VIDEO', 'FOLDERID_PUBLICDOWNLOADS']

function listDir(volumes: VolumeMap, winDir: string): Array<{ name: string; dir: boolean; local: string }> {
  const local = volumes.toLocal(winDir)
  if (!local) return []
  try {
    return readdirSync(local, { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory(), local: nodePath.join(local, d.name) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  } catch {
    return []
  }
}

/** A drive-root folder that directly holds an .exe is treated as an installed application (not a document folder). */
function looksLikeAppFolder(local: string): boolean {
  try {
    return readdirSync(local).some((n) => n.toLowerCase().endsWith('.exe'))
  } catch {
    return false
  }
}

class Compiler {
  readonly warnings: EngineWarning[] = []
  readonly notEvaluated: NotEvaluated[] = []
  private readonly warned = new Set<string>()
  private readonly notEvaluatedSeen = new Set<string>()
  private readonly existsCache = new Map<string, boolean>()
  private readonly versionCache = new Map<string, Record<string, string> | null>()

  constructor(private readonly input: CompileInput) {}

  warnOnce(key: string, w: EngineWarning): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    this.warnings.push(w)
  }

  expand(text: string, vars: Map<string, string>): { value: string; unresolved: Set<string> } {
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

  // ------------------------------------------------------------------ conditions
  evalCondition(c: Condition, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef): boolean {
    switch (c.kind) {
      case 'const': return c.value
      case 'objectSet': return this.expandSet(c.set, ctx, vars, comp, 'include').some((p) => this.patternHasObject(p.pattern))
      case 'group': {
        const vals = c.items.map((i) => this.evalCondition(i, ctx, vars, comp))
        const v = c.items.length === 0 ? true : c.op === 'OR' ? vals.some(Boolean) : vals.every(Boolean)
        return c.negate ? !v : v
      }
      case 'call': {
        const v = this.evalCall(c.call, ctx, vars, c.at, comp)
        return c.negate ? !v : v
      }
    }
  }

  private notEvaluatedCall(call: ScriptCall, at: SourceRef, reason: string, value: boolean, comp?: ComponentDef): boolean {
    const why = reason === REGISTRY_NOT_EVALUATED && this.input.registryUnavailable ? `${reason}: ${this.input.registryUnavailable}` : reason
    if (comp) this.note({ file: at.file, line: at.line, component: comp.displayName, type: 'Condition', pattern: call.raw, kind: 'condition', affectsCapture: true, why: `${why}; assumed ${value ? 'true' : 'false'}` })
    this.warnOnce(`cond:${at.file}:${at.line}`, { code: 'condition-not-evaluated', message: `${call.raw}: ${why}; assumed ${value ? 'true' : 'false'}`, file: at.file, line: at.line })
    return value
  }

  evalCall(call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef, comp: ComponentDef): boolean {
    const fn = call.name.split('.').pop()?.toLowerCase() ?? ''
    const prefix = call.name.includes('.') ? call.name.split('.')[0].toLowerCase() : ''
    const a = (i: number): string => call.args[i] ?? ''
    if (prefix !== 'migxmlhelper') return this.notEvaluatedCall(call, at, `${call.name} comes from a helper library the engine cannot run`, false, comp)
    switch (fn) {
      case 'isnative64bit': return this.input.layout.is64Bit
      case 'issystemcontext': return ctx.account === null
      case 'isoslaterthan': return a(0).toUpperCase() === 'NT' && compareVersions(this.input.osVersion, a(1)) >= 0
      case 'isosearlierthan': return a(0).toUpperCase() === 'NT' && compareVersions(this.input.osVersion, a(1)) < 0
      case 'doesosmatch': return a(0).toUpperCase() === 'NT' && wildcardMatch(a(1), this.input.osVersion)
      case 'doesobjectexist': {
        if (a(0).toLowerCase() === 'registry') {
          const r = this.registryPattern(a(1), vars, ctx, at)
          if (r) return r.view === null ? false : registryObjectExists(r.view, r.pattern)
        }
        if (a(0).toLowerCase() !== 'file') {
          return this.notEvaluatedCall(call, at, REGISTRY_NOT_EVALUATED, this.input.registryDefault, comp)
        }
        const { value, unresolved } = this.expand(a(1), vars)
        if (unresolved.size) return false
        return this.patternHasObject(compilePattern(parsePattern(value, 'File')))
      }
      case 'issameobject': {
        if (a(0).toLowerCase() === 'registry' && this.input.registry) {
          const x = this.expand(a(1), vars)
          const y = this.expand(a(2), vars)
          if (x.unresolved.size || y.unresolved.size) return false
          const cx = canonicalRegKey(parsePattern(x.value, 'Registry').node)
          const cy = canonicalRegKey(parsePattern(y.value, 'Registry').node)
          return cx !== null && cy !== null && cx.root === cy.root && cx.rest.toLowerCase() === cy.rest.toLowerCase()
            && (parsePattern(x.value, 'Registry').leaf ?? '').toLowerCase() === (parsePattern(y.value, 'Registry').leaf ?? '').toLowerCase()
        }
        if (a(0).toLowerCase() !== 'file') return this.notEvaluatedCall(call, at, REGISTRY_NOT_EVALUATED, this.input.registryDefault, comp)
        const x = this.expand(a(1), vars)
        const y = this.expand(a(2), vars)
        if (x.unresolved.size || y.unresolved.size) return false
        return canonicalNode(x.value).toLowerCase() === canonicalNode(y.value).toLowerCase()
      }
      case 'doesfileversionmatch':
      case 'isfileversionabove':
      case 'isfileversionbelow': {
        const { value, unresolved } = this.expand(a(0), vars)
        if (unresolved.size) return false
        const info = this.versionOf(value)
        const v = info?.[Object.keys(info).find((k) => k.toLowerCase() === a(1).toLowerCase()) ?? '']
        if (v === undefined) return false
        if (fn === 'doesfileversionmatch') return wildcardMatch(a(2), v)
        const d = compareVersions(v, a(2))
        return fn === 'isfileversionabove' ? d > 0 : d < 0
      }
      case 'doesstringcontentequal':
      case 'doesstringcontentcontain': {
        if (a(0).toLowerCase() === 'registry') {
          const r = this.registryPattern(a(1), vars, ctx, at)
          if (r) {
            const text = r.view === null ? null : registryStringContent(r.view, r.pattern)
            if (text === null) return false
            const want = this.expand(a(2), vars).value
            return fn === 'doesstringcontentequal' ? text.toLowerCase() === want.toLowerCase() : text.toLowerCase().includes(want.toLowerCase())
          }
        }
        return this.notEvaluatedCall(call, at, 'needs registry or content data the engine does not read', this.input.registryDefault)
      }
      default:
        return this.notEvaluatedCall(call, at, 'needs registry or content data the engine does not read', this.input.registryDefault && /string|content/i.test(fn), comp)
    }
  }

  private versionOf(winPath: string): Record<string, string> | null {
    const key = winPath.toLowerCase()
    if (!this.versionCache.has(key)) {
      const local = this.input.volumes.toLocal(canonicalNode(winPath))
      this.versionCache.set(key, local ? readVersionInfo(resolveCaseInsensitive(local) ?? local) : null)
    }
    return this.versionCache.get(key) ?? null
  }

  /** Does at least one object (folder, or file for a leaf) match the pattern? Bounded search. */
  patternHasObject(p: CompiledPattern): boolean {
    const key = p.display.toLowerCase()
    const cached = this.existsCache.get(key)
    if (cached !== undefined) return cached
    let found = false
    const node = p.node
    if (!node.includes('*')) {
      const local = this.input.volumes.toLocal(node.length === 2 ? `${node}\\` : node)
      const real = local ? resolveCaseInsensitive(local) : null
      if (real) {
        if (p.leaf === null) found = existsSync(real)
        else {
          try {
            const leafMatch = p.matchesLeaf
            found = readdirSync(real).some((n) => leafMatch(n.toLowerCase()))
          } catch {
            found = false
          }
        }
      }
    } else {
      found = this.searchPattern(p, 20_000)
    }
    this.existsCache.set(key, found)
    return found
  }

  private searchPattern(p: CompiledPattern, budget: number): boolean {
    const drive = /^([A-Za-z]:)/.exec(p.node)?.[1]
    const vols = drive ? [this.input.volumes.get(drive)].filter((v) => v !== undefined) : [...this.input.volumes.volumes]
    let left = budget
    for (const v of vols) {
      const stack: Array<{ win: string; local: string }> = [{ win: v.letter, local: v.root }]
      while (stack.length && left > 0) {
        const { win, local } = stack.pop() as { win: string; local: string }
        left--
        const d = win.toLowerCase()
        if (!p.canMatchUnder(d)) continue
        let entries
        try {
          entries = readdirSync(local, { withFileTypes: true })
        } catch {
          continue
        }
        if (p.matchesDir(d)) {
          if (p.leaf === null) return true
          if (entries.some((e) => !e.isDirectory() && p.matchesLeaf(e.name.toLowerCase()))) return true
        }
        for (const e of entries) if (e.isDirectory()) stack.push({ win: `${win}\\${e.name}`, local: nodePath.join(local, e.name) })
      }
    }
    return false
  }

  /**
   * A registry pattern (after variable expansion) and the registry it is asked of in this context, or null
   * when the engine cannot answer (no hive for it on the volume, an unresolved variable): the caller then
   * reports it as not evaluated. `view` null: a valid pattern that names nothing in this context (HKCU in
   * the system context is "invalid in the current context" for USMT).
   */
  registryPattern(text: string, vars: Map<string, string>, ctx: EvalContext, at: SourceRef): { pattern: CompiledPattern; view: ReturnType<RegistryAccess['view']> } | null {
    const reg = this.input.registry
    if (!reg) return null
    const { value, unresolved } = this.expand(text, vars)
    // Like a file pattern, a registry pattern with an undefined variable names nothing.
    if (unresolved.size) return { pattern: compilePattern(parsePattern(text, 'Registry')), view: null }
    const parsed = parsePattern(value, 'Registry')
    const c = canonicalRegKey(parsed.node)
    if (!c) {
      this.warnOnce(`regroot:${at.file}:${at.line}:${text}`, { code: 'registry-root', message: `registry pattern "${text}" does not start with HKLM or HKCU; it never matches`, file: at.file, line: at.line })
      return { pattern: compilePattern(parsed), view: null }
    }
    const node = c.rest ? `${c.root}\\${c.rest}` : c.root
    let leaf = parsed.leaf
    if (leaf !== null && leaf.includes('%')) {
      const e = this.expand(leaf, vars)
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

  private noteRegistry(comp: ComponentDef, at: SourceRef, type: string, pattern: string, ruleKind = 'include'): void {
    const affectsCapture = ruleKind === 'include' || ruleKind === 'variable'
    const because = type === 'Registry' && this.input.registryUnavailable ? ` (${this.input.registryUnavailable})` : ''
    this.note({ file: at.file, line: at.line, component: comp.displayName, type, pattern, kind: 'object', affectsCapture,
      why: `${type} objects are not evaluated by the portable engine${because}${affectsCapture ? '; they are not captured' : ''}` })
  }

  /** Record something the engine does not evaluate (once per file, line, type and text). */
  note(n: NotEvaluated): void {
    const key = `${n.file}:${n.line}:${n.type}:${n.pattern}`
    if (this.notEvaluatedSeen.has(key)) return
    this.notEvaluatedSeen.add(key)
    this.notEvaluated.push(n)
  }

  // ------------------------------------------------------------------ object sets
  /** Expand an object set into compiled File patterns with their rule text. */
  expandSet(set: ObjectSet, ctx: EvalContext, vars: Map<string, string>, comp: ComponentDef, kind: string): Array<{ pattern: CompiledPattern; rule: string }> {
    if (set.condition && !this.evalCondition(set.condition, ctx, vars, comp)) return []
    const out: Array<{ pattern: CompiledPattern; rule: string }> = []
    for (const item of set.items) {
      if (item.kind === 'content') {
        this.noteRegistry(comp, item.at, 'Content', '<content> (objects derived from registry content)', kind)
        continue
      }
      if (item.kind === 'pattern') {
        const p = item.pattern
        if (p.type === 'Registry') {
          const r = this.registryPattern(p.raw, vars, ctx, item.at)
          if (r) {
            if (r.view !== null) out.push({ pattern: r.pattern, rule: `${item.at.file}:${item.at.line} ${kind} ${p.raw}` })
            continue
          }
        }
        if (p.type !== 'File') {
          this.noteRegistry(comp, item.at, p.type, p.raw, kind)
          continue
        }
        const compiled = this.compileWithVars(p, vars, item.at)
        if (compiled) out.push({ pattern: compiled, rule: `${item.at.file}:${item.at.line} ${kind} ${p.raw}` })
        continue
      }
      const call = item.call
      const gen = this.generate(call, ctx, vars, item.at, comp, kind)
      for (const g of gen) {
        const compiled = this.compileWithVars(g.pattern, g.vars ?? vars, item.at)
        if (compiled) out.push({ pattern: compiled, rule: `${item.at.file}:${item.at.line} ${kind} ${shortCall(call)} → ${compiled.display}` })
      }
    }
    return out
  }

  private compileWithVars(p: ParsedPattern, vars: Map<string, string>, at: SourceRef): CompiledPattern | null {
    const { value, unresolved } = this.expand(p.node, vars)
    if (unresolved.size) return null
    if (!/^[A-Za-z]:/.test(value) && !value.startsWith('*')) {
      this.warnOnce(`rel:${at.file}:${at.line}:${p.raw}`, { code: 'pattern-not-absolute', message: `pattern "${p.raw}" does not start with a drive letter after expansion ("${value}"); it never matches`, file: at.file, line: at.line })
      return null
    }
    let leaf = p.leaf
    if (leaf !== null && leaf.includes('%')) {
      const e = this.expand(leaf, vars)
      if (e.unresolved.size) return null
      leaf = e.value
    }
    return compilePattern({ ...p, leaf }, value)
  }

  private generate(call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef, comp: ComponentDef, kind = 'include'): Array<{ pattern: ParsedPattern; vars?: Map<string, string> }> {
    const fn = call.name.split('.').pop()?.toLowerCase() ?? ''
    const a = (i: number): string => call.args[i] ?? ''
    switch (fn) {
      case 'generatedrivepatterns': {
        const type = a(1).trim().toLowerCase()
        const vols = type === 'fixed' ? this.input.volumes.fixed() : type === 'removable' ? this.input.volumes.volumes.filter((v) => v.removable) : []
        const seg = a(0).trim().replace(/^\\+/, '')
        return vols.map((v) => ({ pattern: parsePattern(`${v.letter}\\${seg}`, 'File') }))
      }
      case 'generateuserpatterns': {
        if (a(0).toLowerCase() !== 'file') {
          this.noteRegistry(comp, at, a(0), a(1), kind)
          return []
        }
        const processCurrent = a(2).trim().toUpperCase() !== 'FALSE'
        const out: Array<{ pattern: ParsedPattern; vars: Map<string, string> }> = []
        for (const u of this.input.profiles) {
          if (!processCurrent && ctx.account !== null && u.account.toLowerCase() === ctx.account.toLowerCase()) continue
          out.push({ pattern: parsePattern(a(1), 'File'), vars: userVariables(this.input.systemVars, u) })
        }
        return out
      }
      case 'generatedocpatterns': return this.docPatterns(call, ctx, vars, at)
      default:
        if (!/getstringcontent|extract/i.test(fn)) {
          this.warnOnce(`script:${at.file}:${at.line}`, { code: 'script-not-evaluated', message: `${call.raw} does not produce file patterns the engine can compute; it is skipped`, file: at.file, line: at.line })
          this.note({ file: at.file, line: at.line, component: comp.displayName, type: 'Script', pattern: call.raw, kind: 'helper', affectsCapture: kind === 'include', why: 'the helper does not produce file patterns the engine can compute; it is skipped' })
        } else {
          this.noteRegistry(comp, at, 'Script', call.raw, kind)
        }
        return []
    }
  }

  /**
   * Approximation of MigDocs' document finder (documented coverage, usmt.md §11.1). Include mode:
   * system context — files in the root of each fixed drive, folders in the root except Windows, Program
   * Files, ProgramData, Users, system folders and folders that directly hold an .exe, and the Public
   * shell folders; user context — the user's shell folders, files in the profile root and folders in the
   * profile root except AppData and the legacy junctions. Exclude mode: Windows, Program Files,
   * ProgramData (system) and AppData plus the registry hive files (user). Hidden+system files are
   * excluded through the attribute map when one is known.
   */
  private docPatterns(call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef): Array<{ pattern: ParsedPattern }> {
    const a = (i: number): string => (call.args[i] ?? '').trim().toUpperCase()
    const include = a(1) !== 'FALSE'
    const systemOnly = a(2) === 'TRUE'
    if (a(0) === 'TRUE') {
      this.warnOnce(`docpf:${at.file}:${at.line}`, { code: 'approximation', message: `${call.raw}: scanning Program Files for scattered documents is not reproduced; treated as FALSE`, file: at.file, line: at.line })
    }
    const pats: string[] = []
    const v = (k: string): string | undefined => vars.get(k)
    if (ctx.account === null) {
      if (include) {
        const sd = this.input.layout.systemDrive.toUpperCase()
        const drives = this.input.volumes.fixed().filter((d) => !systemOnly || d.letter === sd)
        for (const d of drives) {
          pats.push(`${d.letter}\\ [*]`)
          for (const e of listDir(this.input.volumes, `${d.letter}\\`)) {
            if (!e.dir || e.name.startsWith('$') || DOC_ROOT_SKIP.has(e.name.toLowerCase()) || looksLikeAppFolder(e.local)) continue
            pats.push(`${d.letter}\\${escapeLeafless(e.name)}\\* [*]`)
          }
        }
        for (const k of COMMON_DOC_FOLDERS) if (v(k)) pats.push(`${v(k)}\\* [*]`)
      } else {
        for (const k of ['WINDIR', 'PROGRAMFILES', 'PROGRAMFILES(X86)', 'PROGRAMDATA']) if (v(k)) pats.push(`${v(k)}\\* [*]`)
      }
    } else {
      const profile = ctx.profile as string
      if (include) {
        for (const k of USER_DOC_FOLDERS) if (v(k)) pats.push(`${v(k)}\\* [*]`)
        pats.push(`${profile}\\ [*]`)
        for (const e of listDir(this.input.volumes, profile)) {
          if (!e.dir || PROFILE_ROOT_SKIP.has(e.name.toLowerCase())) continue
          pats.push(`${profile}\\${escapeLeafless(e.name)}\\* [*]`)
        }
      } else {
        pats.push(`${profile}\\AppData\\* [*]`, `${profile}\\ [ntuser.dat*]`, `${profile}\\ [ntuser.ini]`, `${profile}\\ [ntuser.pol]`)
      }
    }
    return [...new Set(pats)].map((t) => ({ pattern: parsePattern(t, 'File') }))
  }

  // ------------------------------------------------------------------ components
  variablesFor(comp: ComponentDef, ctx: EvalContext): Map<string, string> {
    // Read-only below; a copy only when an environment adds or removes variables.
    if (comp.environments.length === 0) return ctx.vars
    const vars = new Map(ctx.vars)
    for (const env of comp.environments) {
      if (env.context === 'User' && ctx.account === null) continue
      if (env.context === 'System' && ctx.account !== null) {
        // "System: evaluates the variables only once for the system" (XML elements library): a user context sees
        // the values the system context computed (CX-1's myAppExePath feeds the detection of its User rules).
        const system = this.input.contexts.find((c) => c.account === null)
        if (!system) continue
        const once = this.systemVariablesOf(comp, system)
        for (const variable of env.variables) {
          const key = variable.name.toUpperCase()
          const value = once.get(key)
          if (value === undefined) vars.delete(key)
          else vars.set(key, value)
        }
        continue
      }
      if (env.condition && !this.evalCondition(env.condition, ctx, vars, comp)) continue
      for (const variable of env.variables) {
        const key = variable.name.toUpperCase()
        let value: string | null = null
        if (variable.value.kind === 'text') {
          const e = this.expand(variable.value.text, vars)
          value = e.unresolved.size ? null : e.value
        } else if (variable.value.kind === 'objectSet') {
          const first = this.expandSet(variable.value.set, ctx, vars, comp, 'variable').find((p) => this.patternHasObject(p.pattern))
          value = first ? first.pattern.node : null
        } else {
          const call = variable.value.call
          const fn = call.name.split('.').pop()?.toLowerCase()
          const r = fn === 'getstringcontent' && (call.args[0] ?? '').toLowerCase() === 'registry' ? this.registryPattern(call.args[1] ?? '', vars, ctx, variable.at) : null
          if (r) value = r.view === null ? null : registryStringContent(r.view, r.pattern)
          else this.noteRegistry(comp, variable.at, 'Script', call.raw, 'variable')
        }
        if (value === null) vars.delete(key)
        else vars.set(key, value)
      }
    }
    return vars
  }

  private readonly systemVariablesCache = new Map<number, Map<string, string>>()

  private systemVariablesOf(comp: ComponentDef, system: EvalContext): Map<string, string> {
    const hit = this.systemVariablesCache.get(comp.index)
    if (hit) return hit
    const vars = this.variablesFor(comp, system)
    this.systemVariablesCache.set(comp.index, vars)
    return vars
  }

  private readonly detectedCache = new Map<string, boolean>()

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
    if (entry.kind === 'contentModify') {
      this.note({ file: at.file, line: at.line, component: comp.displayName, type: 'contentModify', pattern: entry.script?.raw ?? '', kind: 'element', affectsCapture: false,
        why: 'LoadState content changes (registry values) are not evaluated; the content is restored unchanged' })
    }
    if (entry.filter) {
      const f = captureFilter(entry.filter)
      const restoreOnly = filterName(entry.filter).toLowerCase().startsWith('ignoreirrelevantlinks')
      if (f.kind === 'notEvaluated') this.note({ file: at.file, line: at.line, component: comp.displayName, type: 'Filter', pattern: entry.filter.raw, kind: 'filter', affectsCapture: entry.kind === 'include' || entry.kind === 'exclude', why: f.why })
      else if (restoreOnly) this.note({ file: at.file, line: at.line, component: comp.displayName, type: 'Filter', pattern: entry.filter.raw, kind: 'filter', affectsCapture: false, why: 'IgnoreIrrelevantLinks() screens links on the destination, which needs the Windows shell: every captured .lnk is restored' })
    }
    if (entry.kind === 'merge' && entry.script) {
      const fn = entry.script.name.split('.').pop()?.toLowerCase() ?? ''
      if (!['sourcepriority', 'destinationpriority', 'findfileplacebypattern', 'newestversion'].includes(fn)) {
        this.note({ file: at.file, line: at.line, component: comp.displayName, type: entry.script.name.split('.').pop() ?? 'merge', pattern: entry.script.raw, kind: 'helper', affectsCapture: false,
          why: 'this merge helper is not evaluated for files; a collision gets the default rename' })
      }
    }
  }

  /** The parameters an includeAttributes/excludeAttributes names; a rule naming none is a warning and ignored. */
  private attributeParameters(entry: RuleEntry): { security: boolean; timeFields: boolean } | undefined {
    const { security, timeFields, unknown } = parseAttributeList(entry.attributes)
    const where = `<${entry.kind} attributes="${entry.attributes ?? ''}">`
    if (unknown.length) {
      this.warnOnce(`attrs:${entry.at.file}:${entry.at.line}:${entry.kind}:${entry.attributes}`, {
        code: 'bad-attribute', message: `${where}: ${unknown.map((u) => `"${u}"`).join(', ')} is not Security or TimeFields${security || timeFields ? '; ignored' : '; the rule is ignored'}`, file: entry.at.file, line: entry.at.line,
      })
    } else if (!security && !timeFields) {
      this.warnOnce(`attrs:${entry.at.file}:${entry.at.line}:${entry.kind}:${entry.attributes}`, { code: 'bad-attribute', message: `${where} names no parameter (Security, TimeFields); the rule is ignored`, file: entry.at.file, line: entry.at.line })
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
    compiler.note({
      file: e.file, line: e.line, component: e.component, type: e.element, pattern: e.text || `<${e.element}>`, kind: 'element', affectsCapture: addsObjects,
      why: addsObjects ? 'objects emulated on the source (registry values) are not created or captured' : e.element === 'plugin' ? 'plug-ins are internal to USMT and do not run here' : 'commands and helper scripts are not run by the portable tools',
    })
  }
  return { units, notEvaluated: compiler.notEvaluated, warnings: compiler.warnings, enabled }
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

function shortCall(call: ScriptCall): string {
  return `${call.name.split('.').pop()}(${call.args.map((x) => (x === null ? 'NULL' : JSON.stringify(x.trim()))).join(', ')})`
}

function escapeLeafless(name: string): string {
  return name.replace(/[[\]^]/g, '^$&')
}

function wildcardMatch(pattern: string, value: string): boolean {
  return compileWildcard(pattern.trim(), { caseInsensitive: true })(value.trim())
}

/** Resolve a local path component by component, case-insensitively (Windows names on a case-sensitive FS). */
export function resolveCaseInsensitive(local: string): string | null {
  if (existsSync(local)) return local
  const parts = nodePath.resolve(local).split(nodePath.sep)
  let cur = parts[0] === '' ? nodePath.sep : parts[0]
  for (const part of parts.slice(1)) {
    if (!part) continue
    const direct = nodePath.join(cur, part)
    if (existsSync(direct)) {
      cur = direct
      continue
    }
    let hit: string | undefined
    try {
      hit = readdirSync(cur).find((n) => n.toLowerCase() === part.toLowerCase())
    } catch {
      return null
    }
    if (!hit) return null
    cur = nodePath.join(cur, hit)
  }
  return cur
}

/** Layout of the volume: system drive C: (or the first fixed drive), 64-bit when Program Files (x86) or SysWOW64 exists. */
export function detectLayout(volumes: VolumeMap, computer: string): SystemLayout {
  const sys = volumes.get('C:') && !volumes.get('C:')?.removable ? 'C:' : (volumes.fixed()[0]?.letter ?? 'C:')
  const local = volumes.toLocal(`${sys}\\`)
  const has = (rel: string): boolean => {
    if (!local) return false
    const p = resolveCaseInsensitive(nodePath.join(local, rel))
    try {
      return p !== null && statSync(p).isDirectory()
    } catch {
      return false
    }
  }
  const usersReal = local ? resolveCaseInsensitive(nodePath.join(local, 'Users')) : null
  const profilesFolder = usersReal ? `${sys}\\${nodePath.basename(usersReal)}` : `${sys}\\Users`
  return { systemDrive: sys, profilesFolder, computer, is64Bit: has('Program Files (x86)') || has(nodePath.join('Windows', 'SysWOW64')) }
}

