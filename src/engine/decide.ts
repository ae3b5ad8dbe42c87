/**
 * The per-file decision. Rules are indexed in a trie on the literal folder prefix of their node, so a
 * folder only tests the patterns that can match it; a file then only tests leaves.
 *
 * Precedence (usmt.md §7.1, as the engine implements it):
 * - `unconditionalExclude` in any active component and context beats everything;
 * - inside one component (and context) the most specific include is weighed against the most specific
 *   exclude: a deeper node beats a shallower one; at the same depth a named leaf beats `*.ext`, which
 *   beats `*`; on a tie the exclude wins;
 * - components are independent: the file is captured when any active component includes it;
 * - attribution: the owning user's context first (the file is in that user's profile), then the system
 *   context, then other users in order; within a context the first component in document order.
 *
 * `includeAttributes`/`excludeAttributes` decide, for a captured file, whether its security descriptor and
 * its time stamps migrate with it: per parameter the most specific matching rule of any active component
 * decides (usmt.md: "the most specific pattern determines"), a tie goes to the exclude, and without any
 * matching rule everything migrates.
 */
import type { FileParameters } from './contract.js'
import type { CompiledRule, Unit } from './compile.js'
import { filterName } from './filters.js'
import { compareSpecificity, includeWins } from './pattern.js'

/**
 * Decides the `filter` of an include/exclude rule for the file being decided (usmt.md §6.2): the rule
 * applies to the file only when it returns true. Absent: filters are not consulted (every rule applies).
 */
export type FilterPass = (rule: CompiledRule) => boolean

export interface IndexedRule {
  unit: Unit
  rule: CompiledRule
  /** Depth of the trie node (literal folder prefix) and insertion order: the order rules are weighed in. */
  depth: number
  seq: number
}

export interface TrieNode {
  children: Map<string, TrieNode>
  depth: number
  /** Rules whose literal folder prefix ends here, by how their node matches folders (see CompiledPattern.dirMatch). */
  exact: IndexedRule[]
  recursive: IndexedRule[]
  general: IndexedRule[]
  /** Some include rule sits at or below this node (subtree pruning). */
  includesBelow: boolean
}

function newNode(depth: number): TrieNode {
  return { children: new Map(), depth, exact: [], recursive: [], general: [], includesBelow: false }
}

function litSegments(nodeLower: string): string[] {
  const starAt = nodeLower.indexOf('*')
  if (starAt < 0) return nodeLower.split('\\')
  const segs = nodeLower.slice(0, starAt).split('\\')
  segs.pop() // the partial (or empty) segment before the wildcard
  return segs
}

const INDEXED = new Set(['include', 'exclude', 'unconditionalExclude', 'includeAttributes', 'excludeAttributes'])

export interface UnitGroup {
  unit: Unit
  incl: CompiledRule[]
  excl: CompiledRule[]
}

/** The rules that apply to the files of one folder, grouped per unit in attribution order. */
export interface DirPlan {
  groups: UnitGroup[]
  /** unconditionalExclude rules of active units. */
  ux: RuleMatch[]
  /** includeAttributes / excludeAttributes rules of active units. */
  attrs: RuleMatch[]
  /** Some include/exclude rule of the plan has a `filter` (the scan then evaluates filters per file). */
  filtered: boolean
}

export interface RuleMatch {
  unit: Unit
  rule: CompiledRule
}

/**
 * The per-folder rule pre-selection, derived from the parent folder's while walking: the recursive rules
 * (`X\*`) that matched an ancestor match every folder below it and are inherited without a test; exact
 * rules only match the trie node of their folder; only the remaining wildcard rules are tested, and only
 * while they can still match below. A folder whose selection equals its parent's shares its plan.
 */
export interface Scope {
  key: string
  /** Trie node of this folder, or null once the walk has left the literal prefixes of every rule. */
  node: TrieNode | null
  inherited: IndexedRule[]
  /** How many of `inherited` are includes. */
  inheritedIncludes: number
  general: IndexedRule[]
  /** The plan was extended by exact or wildcard rules of this very folder (children cannot share it). */
  own: boolean
  /** Context index of the migrated user owning the folder (attribution), if any. */
  owner: number | undefined
  /** First context (in order) whose profile holds the folder: the `user` of excluded files. */
  profileCtx: number | undefined
  plan: DirPlan
}

const EMPTY: IndexedRule[] = []

export interface Decision {
  included: boolean
  /** Deciding unit and rule when included. */
  unit?: Unit
  rule?: CompiledRule
  /** Why not, when excluded after some include matched. */
  reason?: string
  reasonRule?: CompiledRule
  /** True when at least one include (active or not) matched. */
  considered: boolean
  /** Every matching rule (explain only). */
  matches?: RuleMatch[]
  /** Per-unit verdicts (explain only). */
  verdicts?: Array<{ unit: Unit; include: CompiledRule | null; exclude: CompiledRule | null; included: boolean; hiddenSystem: boolean }>
}

export class RuleIndex {
  private readonly root = newNode(0)
  /** Profile folder (lower-case key) → context index of its migrated user. */
  private readonly owners = new Map<string, number>()
  /** Profile folder → first context (any user, migrated or not) with that profile. */
  private readonly profiles = new Map<string, number>()
  private readonly emptyPlan: DirPlan = { groups: [], ux: [], attrs: [], filtered: false }

  /**
   * @param owners profiles of migrated users (attribution of captured files)
   * @param profiles profiles of every user context, in context order (the `user` of excluded files)
   */
  constructor(units: readonly Unit[], owners: ReadonlyArray<{ key: string; ctx: number }>, profiles: ReadonlyArray<{ key: string; ctx: number }> = owners) {
    for (const o of owners) if (!this.owners.has(o.key)) this.owners.set(o.key, o.ctx)
    for (const o of profiles) if (!this.profiles.has(o.key)) this.profiles.set(o.key, o.ctx)
    let seq = 0
    for (const unit of units) {
      for (const rule of unit.rules) {
        if (!INDEXED.has(rule.kind)) continue
        if (rule.pattern.leaf === null) continue
        const segs = litSegments(rule.pattern.node.toLowerCase())
        const include = rule.kind === 'include'
        let n = this.root
        for (const s of segs) {
          if (include) n.includesBelow = true
          let c = n.children.get(s)
          if (!c) {
            c = newNode(n.depth + 1)
            n.children.set(s, c)
          }
          n = c
        }
        if (include) n.includesBelow = true
        const entry: IndexedRule = { unit, rule, depth: n.depth, seq: seq++ }
        const dm = rule.pattern.dirMatch
        ;(dm === 'exact' ? n.exact : dm === 'recursive' ? n.recursive : n.general).push(entry)
      }
    }
  }

  /** The scope of a drive root (`c:`). */
  rootScope(driveKey: string): Scope {
    const top: Scope = {
      key: '', node: this.root, inherited: this.root.recursive, inheritedIncludes: countIncludes(this.root.recursive), general: this.root.general,
      own: true, owner: undefined, profileCtx: undefined, plan: this.emptyPlan,
    }
    return this.child(top, driveKey, driveKey)
  }

  /** The scope of a sub-folder (`nameLower` is its lower-case name, `key` its lower-case key). */
  child(parent: Scope, nameLower: string, key: string): Scope {
    const node = parent.node?.children.get(nameLower) ?? null
    let inherited = parent.inherited
    let inheritedIncludes = parent.inheritedIncludes
    if (node && node.recursive.length) {
      inherited = inherited.concat(node.recursive)
      inheritedIncludes += countIncludes(node.recursive)
    }
    let general = EMPTY
    if (parent.general.length || (node && node.general.length)) {
      general = []
      for (const g of parent.general) if (g.rule.pattern.canMatchUnder(key)) general.push(g)
      if (node) for (const g of node.general) if (g.rule.pattern.canMatchUnder(key)) general.push(g)
    }
    const exact = node ? node.exact : EMPTY
    let matchedGeneral: IndexedRule[] | null = null
    for (const g of general) {
      if (g.rule.pattern.matchesDir(key)) (matchedGeneral ??= []).push(g)
    }
    const owner = this.owners.get(key) ?? parent.owner
    const ownProfile = this.profiles.get(key)
    const profileCtx = parent.profileCtx === undefined ? ownProfile : ownProfile === undefined ? parent.profileCtx : Math.min(parent.profileCtx, ownProfile)
    const own = exact.length > 0 || matchedGeneral !== null
    const scope: Scope = { key, node, inherited, inheritedIncludes, general, own, owner, profileCtx, plan: parent.plan }
    if (parent.own || own || inherited !== parent.inherited || owner !== parent.owner) {
      scope.plan = this.buildPlan(matchedGeneral || exact.length ? [...inherited, ...exact, ...(matchedGeneral ?? EMPTY)] : inherited, owner)
    }
    return scope
  }

  /** Can the folder of this scope, or anything below it, be included by some rule (active or not)? */
  canHoldIncludes(scope: Scope): boolean {
    if (scope.inheritedIncludes > 0 || (scope.node?.includesBelow ?? false)) return true
    for (const g of scope.general) if (g.rule.kind === 'include') return true
    return false
  }

  /** The scope of any folder (lower-case key), derived from its drive root. */
  scope(dirKey: string): Scope {
    const segs = dirKey.split('\\')
    let s = this.rootScope(segs[0])
    let key = segs[0]
    for (const seg of segs.slice(1)) {
      key = `${key}\\${seg}`
      s = this.child(s, seg, key)
    }
    return s
  }

  /** Rules whose node matches this folder, grouped per unit in attribution order. */
  plan(dirKey: string): DirPlan {
    return this.scope(dirKey).plan
  }

  private buildPlan(matched: readonly IndexedRule[], owner: number | undefined): DirPlan {
    if (matched.length === 0) return this.emptyPlan
    // Weigh rules in trie order (shallower literal prefix first, then authoring order), as ties keep the first.
    const found = [...matched].sort((a, b) => a.depth - b.depth || a.seq - b.seq)
    const ux: RuleMatch[] = []
    const attrs: RuleMatch[] = []
    const byUnit = new Map<number, UnitGroup>()
    for (const { unit, rule } of found) {
      if (rule.kind === 'unconditionalExclude' || rule.kind === 'includeAttributes' || rule.kind === 'excludeAttributes') {
        if (unit.inactiveReason === null) (rule.kind === 'unconditionalExclude' ? ux : attrs).push({ unit, rule })
        continue
      }
      let g = byUnit.get(unit.id)
      if (!g) {
        g = { unit, incl: [], excl: [] }
        byUnit.set(unit.id, g)
      }
      if (rule.kind === 'include') g.incl.push(rule)
      else g.excl.push(rule)
    }
    const rank = (u: Unit): number => (u.context.index === owner ? 0 : u.context.account === null ? 1 : 2)
    const groups = [...byUnit.values()].filter((g) => g.incl.length > 0)
      .sort((a, b) => rank(a.unit) - rank(b.unit) || a.unit.id - b.unit.id)
    const filtered = groups.some((g) => g.incl.some((r) => r.entry.filter !== null) || g.excl.some((r) => r.entry.filter !== null))
    return { groups, ux, attrs, filtered }
  }
}

function countIncludes(rules: readonly IndexedRule[]): number {
  let n = 0
  for (const r of rules) if (r.rule.kind === 'include') n++
  return n
}

/** The rule whose filter turned down the file in the last best() call (per call; decide() reads it at once). */
let lastFiltered: CompiledRule | null = null

function best(rules: readonly CompiledRule[], nameLower: string, pass?: FilterPass): CompiledRule | null {
  let b: CompiledRule | null = null
  lastFiltered = null
  for (const r of rules) {
    if (!r.pattern.matchesLeaf(nameLower)) continue
    if (pass !== undefined && r.entry.filter !== null && !pass(r)) {
      lastFiltered ??= r
      continue
    }
    if (b === null || compareSpecificity(r.pattern.spec, b.pattern.spec) > 0) b = r
  }
  return b
}

/** Decide one file. `hiddenSystem`: the file has both attributes (known only when an attribute map is given). */
export function decide(plan: DirPlan, nameLower: string, hiddenSystem: boolean, explain = false, pass?: FilterPass): Decision {
  const d: Decision = { included: false, considered: false }
  if (explain) {
    d.matches = []
    d.verdicts = []
  }
  let firstExclusion: { rule: CompiledRule | null; reason: string } | null = null
  let inactive: { rule: CompiledRule; reason: string } | null = null
  for (const g of plan.groups) {
    const inc = best(g.incl, nameLower, pass)
    const filtered = lastFiltered
    if (explain) {
      for (const r of g.incl) if (r.pattern.matchesLeaf(nameLower)) d.matches?.push({ unit: g.unit, rule: r })
      for (const r of g.excl) if (r.pattern.matchesLeaf(nameLower)) d.matches?.push({ unit: g.unit, rule: r })
    }
    if (!inc) {
      if (filtered && filtered.entry.filter) {
        d.considered = true
        if (g.unit.inactiveReason === null && !firstExclusion) firstExclusion = { rule: filtered, reason: `include filter ${filterName(filtered.entry.filter)} is FALSE for this file` }
      }
      continue
    }
    d.considered = true
    const exc = best(g.excl, nameLower, pass)
    const hs = hiddenSystem && g.unit.docFinder
    const wins = !hs && includeWins(inc.pattern.spec, exc ? exc.pattern.spec : null)
    if (explain) d.verdicts?.push({ unit: g.unit, include: inc, exclude: exc, included: wins, hiddenSystem: hs })
    if (g.unit.inactiveReason !== null) {
      if (wins && !inactive) inactive = { rule: inc, reason: g.unit.inactiveReason }
      continue
    }
    if (wins) {
      if (!d.included) {
        d.included = true
        d.unit = g.unit
        d.rule = inc
      }
      if (!explain) break
    } else if (!firstExclusion) {
      firstExclusion = hs ? { rule: null, reason: 'hidden and system attributes (document finder does not migrate them)' } : { rule: exc, reason: 'excluded by rule' }
    }
  }
  if (d.considered || explain) {
    const uxRule = plan.ux.length ? best(plan.ux.map((m) => m.rule), nameLower) : null
    if (uxRule) {
      if (explain) for (const m of plan.ux) if (m.rule.pattern.matchesLeaf(nameLower)) d.matches?.push(m)
      if (d.considered) {
        d.included = false
        d.reason = 'unconditionalExclude'
        d.reasonRule = uxRule
        return d
      }
    }
  }
  if (!d.included && d.considered) {
    if (firstExclusion) {
      d.reason = firstExclusion.reason
      d.reasonRule = firstExclusion.rule ?? undefined
    } else if (inactive) {
      d.reason = inactive.reason
      d.reasonRule = inactive.rule
    } else {
      d.reason = 'excluded by rule'
    }
  }
  return d
}

/**
 * Which parameters (Security, TimeFields) migrate with a captured file, or undefined when no
 * includeAttributes/excludeAttributes rule of an active component matches it (everything migrates).
 */
export function decideParameters(plan: DirPlan, nameLower: string): FileParameters | undefined {
  if (plan.attrs.length === 0) return undefined
  let sec: CompiledRule | null = null
  let time: CompiledRule | null = null
  const stronger = (r: CompiledRule, b: CompiledRule | null): boolean => {
    if (b === null) return true
    const c = compareSpecificity(r.pattern.spec, b.pattern.spec)
    return c > 0 || (c === 0 && r.kind === 'excludeAttributes' && b.kind === 'includeAttributes')
  }
  for (const { rule } of plan.attrs) {
    const which = rule.parameters
    if (!which || !rule.pattern.matchesLeaf(nameLower)) continue
    if (which.security && stronger(rule, sec)) sec = rule
    if (which.timeFields && stronger(rule, time)) time = rule
  }
  if (sec === null && time === null) return undefined
  return {
    security: sec === null || sec.kind === 'includeAttributes',
    timeFields: time === null || time.kind === 'includeAttributes',
    securityRule: sec?.rule ?? null,
    timeFieldsRule: time?.rule ?? null,
  }
}
