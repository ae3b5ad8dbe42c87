/**
 * Evaluate a rule set over mapped Windows volumes: user selection, per-context compilation, then one
 * streaming walk of every volume that decides each file once (USMT "ensures that each file migrates only
 * once") and yields include/exclude events.
 */
import { statSync, type Stats } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { basename, dirname, parseWinPath } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'
import type { EngineEvent, EngineInput, EngineWarning, EstimateResult, FileAttributes, UserDecision } from './contract.js'
import { compileRuleSet, detectLayout, type CompiledRule, type EvalContext, type Unit } from './compile.js'
import { decide, RuleIndex, type Decision } from './decide.js'
import { dirKey } from './pattern.js'
import { loadRuleSetSync, type LoadedRuleSet } from './ruleset.js'
import { completeProfiles, discoverProfiles, selectUsers, type DiscoveredProfile } from './users.js'
import { systemVariables, userVariables, type SystemLayout } from './variables.js'
import { walkVolume } from './walk.js'

/** Optional engine inputs beyond the contract. */
export interface EngineOptions {
  /** Windows attributes by path (letters R, H, S), e.g. from --attributes FILE. Linux cannot read them from a volume. */
  attributes?: ReadonlyMap<string, string>
  /** Value assumed for conditions that need the registry (default false). */
  registryDefault?: boolean
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
  followSymlinks: boolean
  localOnly: boolean
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
  const compiled = compileRuleSet({
    model: ruleSet.model, config: ruleSet.config, volumes: input.volumes, layout, systemVars, contexts,
    profiles: profiles.filter((p) => p.used), registryDefault: input.registryDefault ?? false, osVersion: input.osVersion ?? '10.0',
  })
  const owners = contexts.filter((c) => c.account !== null && c.active).map((c) => ({ key: dirKey(c.profile as string), ctx: c.index }))
  const index = new RuleIndex(compiled.units, owners)
  return {
    ruleSet, layout, volumes: input.volumes, users, contexts, units: compiled.units, index,
    warnings: [...ruleSet.warnings, ...compiled.warnings], notEvaluated: compiled.notEvaluated,
    attributes: input.attributes, followSymlinks: input.followSymlinks ?? false, localOnly: input.selection?.localOnly ?? false,
  }
}

function attributesOf(p: Prepared, winPath: string, st: Stats | null): FileAttributes {
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

function readable(st: Stats): boolean {
  if (uid <= 0) return true
  if (st.uid === uid) return (st.mode & 0o400) !== 0
  if (gids.has(st.gid)) return (st.mode & 0o040) !== 0
  return (st.mode & 0o004) !== 0
}

export function userOf(unit: Unit): string | null {
  return unit.context.account
}

/** The streaming evaluation behind evaluateMigration. */
export async function* evaluatePrepared(p: Prepared): AsyncGenerator<EngineEvent> {
  for (const w of p.warnings) yield { kind: 'warning', warning: w }
  for (const u of p.users) yield { kind: 'user', user: u }
  const pending: EngineWarning[] = []
  const warn = (w: EngineWarning): void => { pending.push(w) }
  const volumes = [...p.volumes.volumes].filter((v) => !(p.localOnly && v.removable)).sort((a, b) => Number(a.removable) - Number(b.removable) || a.letter.localeCompare(b.letter))
  for (const vol of volumes) {
    const rootKey = vol.letter.toLowerCase()
    if (!p.index.canHoldIncludes(rootKey)) continue
    let plan = p.index.plan(rootKey)
    let batch: EngineEvent[] = []
    for (const f of walkVolume(vol.letter, vol.root, {
      followSymlinks: p.followSymlinks, warn,
      descend: (k) => p.index.canHoldIncludes(k),
      enterDir: (k) => { plan = p.index.plan(k) },
    })) {
      if (plan.groups.length === 0) continue
      const winPath = `${f.winDir}\\${f.name}`
      const d = decide(plan, f.name.toLowerCase(), isHiddenSystem(p, winPath))
      if (!d.considered) continue
      if (d.included && d.unit && d.rule) {
        let st: Stats
        try {
          st = statSync(f.localPath)
        } catch (err) {
          warn({ code: 'unreadable', message: `${winPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path: winPath })
          continue
        }
        if (!readable(st)) warn({ code: 'unreadable', message: `${winPath}: permission denied (the file cannot be captured)`, path: winPath })
        batch.push({
          kind: 'include', file: {
            path: winPath, localPath: f.localPath, user: userOf(d.unit), component: d.unit.name, rule: d.rule.rule, bytes: st.size,
            mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, birthtimeMs: st.birthtimeMs, attributes: attributesOf(p, winPath, st),
          },
        })
      } else {
        batch.push({ kind: 'exclude', file: { path: winPath, user: d.unit ? userOf(d.unit) : ownerOf(p, f.dirKey), reason: d.reason ?? 'excluded by rule', rule: d.reasonRule?.rule ?? null } })
      }
      if (pending.length) for (const w of pending.splice(0)) batch.push({ kind: 'warning', warning: w })
      if (batch.length >= 256) {
        yield* batch
        batch = []
      }
    }
    for (const w of pending.splice(0)) batch.push({ kind: 'warning', warning: w })
    yield* batch
  }
}

function ownerOf(p: Prepared, key: string): string | null {
  for (const c of p.contexts) {
    if (c.account === null || c.profile === null) continue
    const k = dirKey(c.profile)
    if (key === k || key.startsWith(`${k}\\`)) return c.account
  }
  return null
}

export async function* evaluateMigration(input: FullEngineInput): AsyncGenerator<EngineEvent> {
  yield* evaluatePrepared(prepare(input))
}

export async function estimateMigration(input: FullEngineInput): Promise<EstimateResult> {
  const p = prepare(input)
  const result: EstimateResult = { totals: { files: 0, bytes: 0 }, byUser: {}, byComponent: {}, users: p.users, warnings: [] }
  for await (const e of evaluatePrepared(p)) {
    if (e.kind === 'warning') result.warnings.push(e.warning)
    if (e.kind !== 'include') continue
    const f = e.file
    const u = f.user ?? 'System'
    result.totals.files++
    result.totals.bytes += f.bytes
    const bu = (result.byUser[u] ??= { files: 0, bytes: 0 })
    bu.files++
    bu.bytes += f.bytes
    const bc = (result.byComponent[f.component] ??= { files: 0, bytes: 0 })
    bc.files++
    bc.bytes += f.bytes
  }
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
  captured: boolean
  user: string | null
  component: string | null
  decidedBy: string | null
  reason: string
  matches: ExplainRow[]
  verdicts: ExplainVerdict[]
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

/** Why is (or isn't) each path captured? */
export function explainPaths(p: Prepared, paths: readonly string[]): ExplainResult[] {
  return paths.map((raw) => {
    const parsed = parseWinPath(raw)
    if (parsed.kind !== 'drive' || parsed.segments.length === 0 || !p.volumes.get(parsed.root)) {
      throw new UsmtStepsError('USM0113', `"${raw}" is not a file path on a mapped drive (${p.volumes.volumes.map((v) => v.letter).join(', ')})`, { data: { path: raw } })
    }
    const path = `${parsed.root}\\${parsed.segments.join('\\')}`
    const local = p.volumes.toLocal(path)
    let exists = false
    try {
      exists = local !== null && statSync(local).isFile()
    } catch {
      exists = false
    }
    const vol = p.volumes.get(parsed.root)
    const dKey = dirKey(dirname(path))
    const plan = p.index.plan(dKey)
    const d: Decision = decide(plan, basename(path).toLowerCase(), isHiddenSystem(p, path), true)
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
    if (captured) reason = `captured by ${d.unit?.name}${d.unit?.context.account ? ` for ${d.unit.context.account}` : ' (system context)'}`
    else if (removableSkipped) reason = '/localonly: removable drives are not captured'
    else if (!d.considered) reason = 'no include rule matches this path'
    else reason = d.reason ?? 'excluded by rule'
    return {
      path, exists, captured, user: captured && d.unit ? d.unit.context.account : null, component: captured && d.unit ? d.unit.name : null,
      decidedBy: captured ? d.rule?.rule ?? null : d.reasonRule?.rule ?? null, reason,
      matches: (d.matches ?? []).map((m) => row(m.unit, m.rule)), verdicts,
    }
  })
}
