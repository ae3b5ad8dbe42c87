/**
 * Evaluate a rule set over mapped Windows volumes: user selection, per-context compilation, then one
 * streaming walk of every volume that decides each file once (USMT "ensures that each file migrates only
 * once"). `scan` hands the decisions to a synchronous sink (preview, estimate); `evaluatePrepared` turns
 * them into include/exclude events (the contract's evaluateMigration, used by scanstate).
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs'
import { join as joinLocal } from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { basename, dirname, parseWinPath } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'
import type { EngineEvent, EngineInput, EngineWarning, EstimateResult, FileAttributes, FileParameters, IncludedFile, UserDecision } from './contract.js'
import { compileRuleSet, detectLayout, type CompiledRule, type EvalContext, type Unit } from './compile.js'
import { decide, decideParameters, RuleIndex, type Decision, type DirPlan, type FilterPass, type Scope } from './decide.js'
import { captureFilter, type CaptureFilter } from './filters.js'
import type { ScriptCall } from './model.js'
import { canonicalNode, dirKey, parsePattern } from './pattern.js'
import { canonicalRegKey } from '../registry/model.js'
import type { RegistryView } from '../registry/hives.js'
import { loadRuleSetSync, type LoadedRuleSet } from './ruleset.js'
import { completeProfiles, discoverProfiles, selectUsers, type DiscoveredProfile } from './users.js'
import { systemVariables, userVariables, type SystemLayout } from './variables.js'
import { walkVolume, type WalkFolder } from './walk.js'
import { keyPlan, loadMachineRegistry, scanRegistry, type MachineRegistry, type RegistryDecision } from './registry.js'

/** Optional engine inputs beyond the contract. */
export interface EngineOptions {
  /** Windows attributes by path (letters R, H, S), e.g. from --attributes FILE. Linux cannot read them from a volume. */
  attributes?: ReadonlyMap<string, string>
  /** Value assumed for conditions that need the registry (default false). */
  registryDefault?: boolean
  /** Why the offline registry tools cannot run here, or null (default: probe once; tests inject their answer). */
  hiveToolsMissing?: () => string | null
  /** OS version for IsOSLaterThan/DoesOSMatch (default 10.0). */
  osVersion?: string
  /** Follow folder symlinks (junctions); default false, as USMT does not traverse junctions. */
  followSymlinks?: boolean
  /** Maximum XML size in bytes. */
  maxXmlBytes?: number
}

export type FullEngineInput = EngineInput & EngineOptions

export interface Prepared {
  ruleSet: LoadedRuleSet
  layout: SystemLayout
  volumes: VolumeMap
  users: UserDecision[]
  contexts: EvalContext[]
  units: Unit[]
  index: RuleIndex
  warnings: EngineWarning[]
  notEvaluated: ReturnType<typeof compileRuleSet>['notEvaluated']
  attributes: ReadonlyMap<string, string> | undefined
  /** Lower-case folder keys that hold a path of the attribute map (only their files are looked up). */
  attributeDirs: ReadonlySet<string>
  followSymlinks: boolean
  localOnly: boolean
  /** The volume's registry as far as the rules name it (undefined: no registry rule, or no hive). */
  registry: MachineRegistry | undefined
}

export function prepare(input: FullEngineInput): Prepared {
  if (input.volumes.volumes.length === 0) throw new UsmtStepsError('USM0111', 'no volume is mapped')
  for (const v of input.volumes.volumes) {
    let st: Stats | undefined
    try {
      st = statSync(v.root)
    } catch {
      st = undefined
    }
    if (!st?.isDirectory()) throw new UsmtStepsError('USM0112', `the folder for drive ${v.letter} does not exist or is not a folder: ${v.root}`, { data: { letter: v.letter, root: v.root } })
  }
  const computer = input.computer ?? 'PC'
  const ruleSet = (input.ruleSet as LoadedRuleSet | undefined) ?? loadRuleSetSync({ ruleFiles: input.ruleFiles, configFile: input.configFile }, input.maxXmlBytes)
  const layout = detectLayout(input.volumes, computer)
  const profiles: DiscoveredProfile[] = input.users ? completeProfiles(input.volumes, input.users) : discoverProfiles(input.volumes, layout.profilesFolder, computer)
  const users = selectUsers(profiles, input.selection, computer, input.now ?? new Date())
  const systemVars = systemVariables(layout)
  const contexts: EvalContext[] = [{ index: 0, account: null, profile: null, active: true, vars: systemVars }]
  profiles.forEach((p, i) => {
    if (!p.used) return
    contexts.push({ index: contexts.length, account: p.account, profile: p.profile, sid: p.sid, active: users[i].migrated, vars: userVariables(systemVars, p) })
  })
  const loaded = loadMachineRegistry(ruleSet.model, input.volumes, layout.systemDrive, contexts, systemVars, input.hiveToolsMissing)
  const registry = loaded !== undefined && 'unavailable' in loaded ? undefined : loaded
  const registryUnavailable = loaded !== undefined && 'unavailable' in loaded ? loaded.unavailable : undefined
  const compiled = compileRuleSet({
    model: ruleSet.model, config: ruleSet.config, volumes: input.volumes, layout, systemVars, contexts,
    profiles: profiles.filter((p) => p.used), registryDefault: input.registryDefault ?? false, osVersion: input.osVersion ?? '10.0', registry, registryUnavailable,
  })
  const userContexts = contexts.filter((c) => c.account !== null && c.profile !== null)
  const owners = userContexts.filter((c) => c.active).map((c) => ({ key: dirKey(c.profile as string), ctx: c.index }))
  const index = new RuleIndex(compiled.units, owners, userContexts.map((c) => ({ key: dirKey(c.profile as string), ctx: c.index })))
  // Keys are matched case-insensitively (callers may pass the paths as written, e.g. the portable scanstate).
  let attributes: Map<string, string> | undefined
  const attributeDirs = new Set<string>()
  if (input.attributes) {
    attributes = new Map()
    for (const [k, v] of input.attributes) {
      const key = canonicalNode(k).toLowerCase()
      attributes.set(key, String(v).toUpperCase())
      attributeDirs.add(dirKey(dirname(key)))
    }
  }
  return {
    ruleSet, layout, volumes: input.volumes, users, contexts, units: compiled.units, index,
    warnings: [...ruleSet.warnings, ...compiled.warnings], notEvaluated: compiled.notEvaluated,
    attributes, attributeDirs, followSymlinks: input.followSymlinks ?? false, localOnly: input.selection?.localOnly ?? false, registry,
  }
}

function attributesOf(p: Prepared, winPath: string, st: FileStat | null): FileAttributes {
  const letters = p.attributes?.get(winPath.toLowerCase())?.toUpperCase() ?? ''
  return {
    readOnly: letters.includes('R') || (st !== null && (st.mode & 0o222) === 0),
    hidden: letters.includes('H'),
    system: letters.includes('S'),
  }
}

function isHiddenSystem(p: Prepared, winPath: string): boolean {
  if (!p.attributes) return false
  const l = p.attributes.get(winPath.toLowerCase())?.toUpperCase() ?? ''
  return l.includes('H') && l.includes('S')
}

const uid = typeof process.getuid === 'function' ? process.getuid() : -1
const gids = typeof process.getgroups === 'function' ? new Set(process.getgroups()) : new Set<number>()

function readable(st: FileStat): boolean {
  if (uid <= 0) return true
  if (st.uid === uid) return (st.mode & 0o400) !== 0
  if (gids.has(st.gid)) return (st.mode & 0o040) !== 0
  return (st.mode & 0o004) !== 0
}

export function userOf(unit: Unit): string | null {
  return unit.context.account
}

/**
 * The not-evaluated items that change what ScanState captures on this machine: include-side objects
 * (registry, Ini, content, scripts), capture filters and emulated objects of components that act, and the
 * assumed conditions of enabled components (an assumed condition decides whether a component acts at all).
 */
export function captureGaps(p: Pick<Prepared, 'units' | 'notEvaluated'>): Prepared['notEvaluated'] {
  const acting = new Set<string>()
  const enabled = new Set<string>()
  for (const u of p.units) {
    if (u.enabled) enabled.add(u.component.displayName)
    if (u.inactiveReason === null) acting.add(u.component.displayName)
  }
  return p.notEvaluated.filter((n) => n.affectsCapture === true && (n.kind === 'condition' ? enabled.has(n.component) : acting.has(n.component)))
}

// ---------------------------------------------------------------- filters

/**
 * The ScanState side of include/exclude filters for one file at a time: `at(local)` names the file, the
 * returned FilterPass decides a rule's filter (the file is stat'ed once, only when a filter needs it).
 */
export function captureFilters(): { at: (local: string) => void; pass: FilterPass } {
  const compiled = new Map<ScriptCall, CaptureFilter>()
  let local = ''
  let st: Stats | null | undefined
  return {
    at(l) {
      local = l
      st = undefined
    },
    pass(rule) {
      const call = rule.entry.filter
      if (call === null) return true
      let f = compiled.get(call)
      if (f === undefined) compiled.set(call, (f = captureFilter(call)))
      if (f.kind === 'const') return f.value
      if (f.kind === 'notEvaluated') return true
      if (st === undefined) {
        try {
          st = statSync(local)
        } catch {
          st = null
        }
      }
      return st === null ? true : f.test(st)
    },
  }
}

// ---------------------------------------------------------------- the scan

/** A folder being scanned, as handed to a ScanSink (the same object for every file of the folder). */
export interface ScanFolder {
  /** Windows path of the folder (`C:` for a drive root). */
  winDir: string
  dirKey: string
  /** Local path with a trailing separator: a file's local path is `localPrefix + name`. */
  localPrefix: string
}

/** What a scan knows of a captured file: the fields of its `lstat` (a link to a file: of its target's `stat`). */
export type FileStat = Pick<Stats, 'size' | 'mode' | 'uid' | 'gid' | 'mtimeMs' | 'atimeMs' | 'birthtimeMs'>

/**
 * Receives the decisions of a scan as they are made; nothing is retained by the scan itself. Paths are
 * given as folder + name so a sink builds only the strings it needs.
 */
export interface ScanSink {
  /** A captured file: the deciding unit and rule, its stat, and the parameters decision (when a rule matched). */
  include(folder: ScanFolder, name: string, unit: Unit, rule: CompiledRule, st: FileStat, parameters: FileParameters | undefined, localPath?: string): void
  /** A file some include matched that is not captured; `user` is the profile owner (or the deciding unit's user). */
  exclude(folder: ScanFolder, name: string, user: string | null, reason: string, rule: CompiledRule | null): void
  warning(w: EngineWarning): void
  /** A registry value some rule matched (captured or not); decided after the files. */
  registry?(d: RegistryDecision): void
}

/** A folder of the walk whose files some rule may include, with what deciding them needs. */
export interface ScanWork {
  f: WalkFolder<Scope>
  folder: ScanFolder
  plan: DirPlan
  attributed: boolean
  profileUser: string | null
}

/**
 * The walk of every volume the rules can include from, in walk order: a folder with files to decide, or null for
 * a folder with none (so a caller can still pause after every folder). `warn` gets the walk's warnings.
 */
export function* scanFolders(p: Prepared, warn: (w: EngineWarning) => void): Generator<ScanWork | null, void, undefined> {
  const volumes = [...p.volumes.volumes].filter((v) => !(p.localOnly && v.removable)).sort((a, b) => Number(a.removable) - Number(b.removable) || a.letter.localeCompare(b.letter))
  const index = p.index
  const enter = (parent: Scope, nameLower: string, key: string): Scope | undefined => {
    const s = index.child(parent, nameLower, key)
    return index.canHoldIncludes(s) ? s : undefined
  }
  for (const vol of volumes) {
    const rootScope = index.rootScope(vol.letter.toLowerCase())
    if (!index.canHoldIncludes(rootScope)) continue
    for (const f of walkVolume(vol.letter, vol.root, rootScope, { followSymlinks: p.followSymlinks, warn, enter })) {
      const plan = f.state.plan
      if (plan.groups.length === 0 || f.files.length === 0) {
        yield null
        continue
      }
      const folder: ScanFolder = { winDir: f.winDir, dirKey: f.dirKey, localPrefix: f.localPrefix }
      const profileUser = f.state.profileCtx === undefined ? null : p.contexts[f.state.profileCtx].account
      yield { f, folder, plan, attributed: p.attributeDirs.has(f.dirKey), profileUser }
    }
  }
}

/** The decision for one file of a folder, or null when no rule considers it (nothing is reported). */
export function decideFile(p: Prepared, w: ScanWork, name: string, filters: ReturnType<typeof captureFilters>): Decision | null {
  const nameLower = name.toLowerCase()
  if (w.plan.filtered) filters.at(w.f.localPrefix + name)
  const d = decide(w.plan, nameLower, w.attributed && isHiddenSystem(p, `${w.f.winDir}\\${name}`), false, w.plan.filtered ? filters.pass : undefined)
  return d.considered ? d : null
}

/**
 * The stat of a captured file: a regular file (known from the folder listing) is its own `lstat`; a link to a
 * file inside the volume (the walk never lists a link that leaves it) is read through its real path, so the store
 * copies or hard-links the target, never the link. The error when the stat fails.
 */
export function statCaptured(w: ScanWork, name: string): Stats | Error {
  const target = w.f.linkTargets?.get(name)
  try {
    return target === undefined ? lstatSync(w.f.localPrefix + name) : statSync(target)
  } catch (err) {
    return err as Error
  }
}

/**
 * Hand a decided file to the sink: an included file with its stat (`st`; a failed stat is a warning instead),
 * or an exclusion (`st` unused).
 */
export function deliverFile(p: Prepared, w: ScanWork, name: string, d: Decision, st: FileStat | Error | undefined, sink: ScanSink): void {
  if (d.included && d.unit && d.rule) {
    const path = `${w.f.winDir}\\${name}`
    if (st === undefined || st instanceof Error) {
      sink.warning({ code: 'unreadable', message: `${path}: ${(st as NodeJS.ErrnoException | undefined)?.code ?? st?.message}`, path })
      return
    }
    const parameters = w.plan.attrs.length ? decideParameters(w.plan, name.toLowerCase()) : undefined
    sink.include(w.folder, name, d.unit, d.rule, st, parameters, w.f.linkTargets?.get(name))
    if (!readable(st)) sink.warning({ code: 'unreadable', message: `${path}: permission denied (the file cannot be captured)`, path })
  } else {
    sink.exclude(w.folder, name, d.unit ? userOf(d.unit) : w.profileUser, d.reason ?? 'excluded by rule', d.reasonRule ?? null)
  }
}

/**
 * How many files of a folder a scan decides before it yields. A caller that keeps what the sink hands it until the
 * next step (evaluateBatches) holds at most this many files' objects, however large the folder: what is alive
 * at a garbage collection is copied, and V8 doubles its young generation when that adds up (a capture's peak
 * memory; bench/scale).
 */
export const SCAN_STEP = 64

/**
 * Walk every volume once and decide each file once (USMT "ensures that each file migrates only once"),
 * calling the sink synchronously. Yields (nothing) after every folder and after every SCAN_STEP files of a
 * folder, so a caller can interleave the scan with its own work; `for (const _ of scan(p, sink));` runs it to
 * the end. (`scanAhead`, src/engine/scan-ahead.ts, is the same scan with the captured files' stats made on a
 * thread.)
 */
export function* scan(p: Prepared, sink: ScanSink): Generator<void, void, undefined> {
  const filters = captureFilters()
  for (const w of scanFolders(p, (x) => sink.warning(x))) {
    if (w !== null) {
      const files = w.f.files
      for (let i = 0; i < files.length; i++) {
        const name = files[i]
        const d = decideFile(p, w, name, filters)
        if (d !== null) deliverFile(p, w, name, d, d.included ? statCaptured(w, name) : undefined, sink)
        if ((i + 1) % SCAN_STEP === 0 && i + 1 < files.length) yield
      }
    }
    yield
  }
  if (sink.registry) scanRegistry(p.units, p.contexts, p.registry, sink.registry)
}

/** Run a scan to its end. */
export function scanAll(p: Prepared, sink: ScanSink): void {
  const it = scan(p, sink)
  while (!it.next().done) { /* the sink does the work */ }
}

/** The streaming evaluation behind evaluateMigration, event by event. */
export async function* evaluatePrepared(p: Prepared): AsyncGenerator<EngineEvent> {
  for (const batch of evaluateBatches(p)) for (const e of batch) yield e
}

/**
 * The same events in batches of about SCAN_STEP (a batch ends at the scan's next step): a caller that takes a
 * batch at a time (scanstate) pays one step of the generator per batch instead of one await per file, and no
 * more than a batch of events is alive at once.
 */
export function* evaluateBatches(p: Prepared): Generator<EngineEvent[]> {
  const head: EngineEvent[] = []
  for (const w of p.warnings) head.push({ kind: 'warning', warning: w })
  for (const u of p.users) head.push({ kind: 'user', user: u })
  if (head.length) yield head
  let batch: EngineEvent[] = []
  const sink: ScanSink = {
    include(folder, name, unit, rule, st, parameters, localPath) {
      const winPath = `${folder.winDir}\\${name}`
      const file: IncludedFile = {
        path: winPath, localPath: localPath ?? folder.localPrefix + name, user: userOf(unit), component: unit.name, rule: rule.rule, bytes: st.size,
        mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, birthtimeMs: st.birthtimeMs, attributes: attributesOf(p, winPath, st),
      }
      if (parameters) file.parameters = parameters
      batch.push({ kind: 'include', file })
    },
    exclude(folder, name, user, reason, rule) {
      batch.push({ kind: 'exclude', file: { path: `${folder.winDir}\\${name}`, user, reason, rule: rule?.rule ?? null } })
    },
    warning(warning) {
      batch.push({ kind: 'warning', warning })
    },
    registry(d) {
      const v = d.value
      batch.push({ kind: 'registry', value: { key: v.key, name: v.name, type: v.type, data: v.data, user: d.user, component: d.component, rule: d.rule, included: d.included, reason: d.reason } })
    },
  }
  for (const _ of scan(p, sink)) {
    if (batch.length < SCAN_STEP) continue
    const out = batch
    batch = []
    yield out
  }
  if (batch.length) yield batch
}

export async function* evaluateMigration(input: FullEngineInput): AsyncGenerator<EngineEvent> {
  yield* evaluatePrepared(prepare(input))
}

export async function estimateMigration(input: FullEngineInput): Promise<EstimateResult> {
  const p = prepare(input)
  const result: EstimateResult = { totals: { files: 0, bytes: 0 }, byUser: {}, byComponent: {}, users: p.users, warnings: [...p.warnings], notEvaluated: p.notEvaluated }
  scanAll(p, {
    include(_folder, _name, unit, _rule, st) {
      const u = unit.context.account ?? 'System'
      result.totals.files++
      result.totals.bytes += st.size
      const bu = (result.byUser[u] ??= { files: 0, bytes: 0 })
      bu.files++
      bu.bytes += st.size
      const bc = (result.byComponent[unit.name] ??= { files: 0, bytes: 0 })
      bc.files++
      bc.bytes += st.size
    },
    exclude() { /* not counted */ },
    warning(w) {
      result.warnings.push(w)
    },
    registry(d) {
      if (!d.included) return
      const u = d.user ?? 'System'
      result.totals.settings = (result.totals.settings ?? 0) + 1
      const bu = (result.byUser[u] ??= { files: 0, bytes: 0 })
      bu.settings = (bu.settings ?? 0) + 1
      const bc = (result.byComponent[d.component as string] ??= { files: 0, bytes: 0 })
      bc.settings = (bc.settings ?? 0) + 1
    },
  })
  return result
}

// ---------------------------------------------------------------- explain

export interface ExplainRow {
  component: string
  user: string | null
  kind: string
  rule: string
  pattern: string
  specificity: { depth: number; leaf: 'named' | 'wildcard+text' | '*' }
  /** null when the unit acts; otherwise why it does not (disabled, not detected, user not migrated). */
  inactive: string | null
}

export interface ExplainVerdict {
  component: string
  user: string | null
  include: string | null
  exclude: string | null
  included: boolean
  inactive: string | null
  why: string
}

export interface ExplainResult {
  path: string
  exists: boolean
  /** What is at the path on the volume. */
  kind: 'file' | 'folder' | 'missing' | 'registry'
  captured: boolean
  user: string | null
  component: string | null
  decidedBy: string | null
  reason: string
  matches: ExplainRow[]
  verdicts: ExplainVerdict[]
  /**
   * For a captured file that an includeAttributes/excludeAttributes rule matches: whether its security
   * descriptor and time stamps migrate with it, and the deciding rules (null otherwise: everything migrates).
   */
  parameters: FileParameters | null
}

function leafName(c: 1 | 2 | 3): ExplainRow['specificity']['leaf'] {
  return c === 3 ? 'named' : c === 2 ? 'wildcard+text' : '*'
}

function row(unit: Unit, rule: CompiledRule): ExplainRow {
  return {
    component: unit.name, user: unit.context.account, kind: rule.kind, rule: rule.rule, pattern: rule.pattern.display,
    specificity: { depth: rule.pattern.spec.depth, leaf: leafName(rule.pattern.spec.leafClass) }, inactive: unit.inactiveReason,
  }
}

/**
 * A registry location (`HKCU\Software\Contoso [Name]`; without brackets every value of the key, or its
 * default value): one result per value and, for HKCU, per user whose hive was read.
 */
function explainRegistry(p: Prepared, raw: string): ExplainResult[] {
  const parsed = parsePattern(raw, 'Registry')
  const c = canonicalRegKey(parsed.node)
  if (!c || (parsed.leaf !== null && parsed.leaf.includes('*'))) {
    throw new UsmtStepsError('USM0120', `"${raw}" is not a registry value path (HKLM\\… or HKCU\\… [Value])`, { data: { path: raw } })
  }
  const key = c.rest ? `${c.root}\\${c.rest}` : c.root
  const views: Array<{ view: RegistryView | null; user: string | null; ctx: number | undefined }> = c.root === 'HKLM'
    ? [{ view: p.registry?.machine ?? null, user: null, ctx: undefined }]
    : p.contexts.filter((x) => x.account !== null).map((x) => ({ view: p.registry?.users.get(x.index) ?? null, user: x.account, ctx: x.index }))
  const out: ExplainResult[] = []
  for (const { view, user, ctx } of views) {
    if (c.root === 'HKCU' && view === null) continue
    const entry = view?.keys.get(key.toLowerCase())
    const names = parsed.leaf !== null ? [parsed.leaf] : entry && entry.values.length ? entry.values.map((v) => v.name) : ['']
    const units = p.units.filter((u) => ctx === undefined || u.context.index === ctx).sort((a, b) => a.context.index - b.context.index || a.id - b.id)
    const plan = keyPlan(units, key.toLowerCase(), c.root)
    for (const name of names) {
      const value = entry?.values.find((v) => v.name.toLowerCase() === name.toLowerCase())
      const d = decide(plan, name.toLowerCase(), false, true)
      const captured = d.included
      const verdicts: ExplainVerdict[] = (d.verdicts ?? []).map((v) => ({
        component: v.unit.name, user: v.unit.context.account, include: v.include?.rule ?? null, exclude: v.exclude?.rule ?? null, included: v.included, inactive: v.unit.inactiveReason,
        why: v.included ? (v.exclude ? 'the include is more specific than the exclude' : 'included, no exclude matches') : 'the exclude is at least as specific as the include (a tie goes to the exclude)',
      }))
      const path = `${entry?.path ?? key} [${value?.name ?? name}]`
      let reason: string
      if (captured) reason = `captured by ${d.unit?.name}${user ? ` for ${user}` : ' (system context)'}`
      else if (!d.considered) reason = p.registry === undefined || (view === null) ? 'no include rule matches this value (no hive was read for it)' : 'no include rule matches this value'
      else reason = d.reason ?? 'excluded by rule'
      out.push({
        kind: 'registry', path, exists: value !== undefined, captured, user: captured ? user ?? d.unit?.context.account ?? null : user, component: captured && d.unit ? d.unit.name : null,
        decidedBy: captured ? d.rule?.rule ?? null : d.reasonRule?.rule ?? null, reason, matches: (d.matches ?? []).map((m) => row(m.unit, m.rule)), verdicts, parameters: null,
      })
    }
  }
  return out
}

/** Why is (or isn't) each path captured? Windows file paths and registry values (`HKCU\Software\… [Value]`). */
export function explainPaths(p: Prepared, paths: readonly string[]): ExplainResult[] {
  return paths.flatMap((raw) => /^\s*HK(LM|CU|EY_LOCAL_MACHINE|EY_CURRENT_USER)(\\|$|\s*\[)/i.test(raw) ? explainRegistry(p, raw) : [explainFile(p, raw)])
}

function explainFile(p: Prepared, raw: string): ExplainResult {
  {
    const parsed = parseWinPath(raw)
    if (parsed.kind !== 'drive' || parsed.segments.length === 0 || !p.volumes.get(parsed.root)) {
      throw new UsmtStepsError('USM0113', `"${raw}" is not a file path on a mapped drive (${p.volumes.volumes.map((v) => v.letter).join(', ')})`, { data: { path: raw } })
    }
    const path = `${parsed.root}\\${parsed.segments.join('\\')}`
    const local = p.volumes.toLocal(path)
    let kind: ExplainResult['kind'] = 'missing'
    try {
      const st = local === null ? null : statSync(local)
      kind = st?.isDirectory() ? 'folder' : st ? 'file' : 'missing'
    } catch {
      kind = 'missing'
    }
    const exists = kind !== 'missing'
    const vol = p.volumes.get(parsed.root)
    const dKey = dirKey(dirname(path))
    const plan = p.index.plan(dKey)
    const nameLower = basename(path).toLowerCase()
    const filters = captureFilters()
    if (local !== null) filters.at(local)
    const d: Decision = decide(plan, nameLower, isHiddenSystem(p, path), true, filters.pass)
    const attrMatches = plan.attrs.filter((m) => m.rule.pattern.matchesLeaf(nameLower))
    const removableSkipped = p.localOnly && vol?.removable
    const captured = d.included && !removableSkipped
    const verdicts: ExplainVerdict[] = (d.verdicts ?? []).map((v) => ({
      component: v.unit.name, user: v.unit.context.account, include: v.include?.rule ?? null, exclude: v.exclude?.rule ?? null,
      included: v.included, inactive: v.unit.inactiveReason,
      why: v.hiddenSystem ? 'hidden and system attributes (document finder)'
        : v.included ? (v.exclude ? 'the include is more specific than the exclude' : 'included, no exclude matches')
          : 'the exclude is at least as specific as the include (a tie goes to the exclude)',
    }))
    let reason: string
    if (kind === 'folder') {
      // Rules decide files: say what they decide for the files directly in the folder.
      const folderPlan = p.index.plan(dirKey(path))
      let files = 0
      let taken = 0
      const folderFilters = captureFilters()
      try {
        for (const e of readdirSync(local as string, { withFileTypes: true })) {
          if (!e.isFile()) continue
          files++
          folderFilters.at(joinLocal(local as string, e.name))
          if (decide(folderPlan, e.name.toLowerCase(), isHiddenSystem(p, `${path}\\${e.name}`), false, folderFilters.pass).included && !removableSkipped) taken++
        }
      } catch {
        // unreadable folder: counted as empty
      }
      return {
        path, exists, kind, captured: false, user: null, component: null, decidedBy: null,
        reason: `a folder: rules decide the files in it; ${taken} of the ${files} files directly in it would be captured (explain a file, e.g. ${path}\\<name>, to see why)`,
        matches: [], verdicts: [], parameters: null,
      }
    }
    if (captured) reason = `captured by ${d.unit?.name}${d.unit?.context.account ? ` for ${d.unit.context.account}` : ' (system context)'}`
    else if (removableSkipped) reason = '/localonly: removable drives are not captured'
    else if (!d.considered) reason = 'no include rule matches this path'
    else reason = d.reason ?? 'excluded by rule'
    return {
      path, exists, kind, captured, user: captured && d.unit ? d.unit.context.account : null, component: captured && d.unit ? d.unit.name : null,
      decidedBy: captured ? d.rule?.rule ?? null : d.reasonRule?.rule ?? null, reason,
      matches: [...(d.matches ?? []), ...attrMatches].map((m) => row(m.unit, m.rule)), verdicts,
      parameters: captured ? decideParameters(plan, nameLower) ?? null : null,
    }
  }
}
