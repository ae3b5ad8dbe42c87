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
 */
import type { CompiledRule, Unit } from './compile.js'
import { compareSpecificity, includeWins } from './pattern.js'

interface TrieNode {
  children: Map<string, TrieNode>
  /** Rules whose literal prefix ends exactly here. */
  rules: Array<{ unit: Unit; rule: CompiledRule; star: boolean }>
  /** Include rules with a wildcard at or below this node (for subtree pruning). */
  starIncludes: CompiledRule[]
  includesBelow: boolean
}

function newNode(): TrieNode {
  return { children: new Map(), rules: [], starIncludes: [], includesBelow: false }
}

function litSegments(nodeLower: string): { segs: string[]; star: boolean } {
  const starAt = nodeLower.indexOf('*')
  if (starAt < 0) return { segs: nodeLower.split('\\'), star: false }
  const segs = nodeLower.slice(0, starAt).split('\\')
  segs.pop() // the partial (or empty) segment before the wildcard
  return { segs, star: true }
}

export interface UnitGroup {
  unit: Unit
  incl: CompiledRule[]
  excl: CompiledRule[]
}

export interface DirPlan {
  dirKey: string
  groups: UnitGroup[]
  ux: RuleMatch[]
}

export interface RuleMatch {
  unit: Unit
  rule: CompiledRule
}

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
  private readonly root = newNode()
  /** Profiles of migrated users (lower-case key → context index), longest first. */
  private readonly owners: Array<{ key: string; ctx: number }>

  constructor(private readonly units: readonly Unit[], owners: Array<{ key: string; ctx: number }>) {
    this.owners = [...owners].sort((a, b) => b.key.length - a.key.length)
    for (const unit of units) {
      for (const rule of unit.rules) {
        if (rule.kind !== 'include' && rule.kind !== 'exclude' && rule.kind !== 'unconditionalExclude') continue
        if (rule.pattern.leaf === null) continue
        const lower = rule.pattern.node.toLowerCase()
        const { segs, star } = litSegments(lower)
        let n = this.root
        for (const s of segs) {
          if (rule.kind === 'include') n.includesBelow = true
          let c = n.children.get(s)
          if (!c) {
            c = newNode()
            n.children.set(s, c)
          }
          n = c
        }
        n.rules.push({ unit, rule, star })
        if (rule.kind === 'include') {
          n.includesBelow = true
          if (star) n.starIncludes.push(rule)
        }
      }
    }
  }

  /** Can a folder (lower-case key) or anything below it be included by some rule? */
  canHoldIncludes(dirKey: string): boolean {
    let n: TrieNode | undefined = this.root
    for (const r of this.root.starIncludes) if (r.pattern.canMatchUnder(dirKey)) return true
    for (const s of dirKey.split('\\')) {
      n = n.children.get(s)
      if (!n) return false
      for (const r of n.starIncludes) if (r.pattern.canMatchUnder(dirKey)) return true
    }
    return n.includesBelow
  }

  /** Rules whose node matches this folder, grouped per unit in attribution order. */
  plan(dirKey: string): DirPlan {
    const found: Array<{ unit: Unit; rule: CompiledRule }> = []
    const take = (node: TrieNode): void => {
      for (const e of node.rules) if (e.rule.pattern.matchesDir(dirKey)) found.push(e)
    }
    let n: TrieNode | undefined = this.root
    take(n)
    for (const s of dirKey.split('\\')) {
      n = n.children.get(s)
      if (!n) break
      take(n)
    }
    const ux: RuleMatch[] = []
    const byUnit = new Map<number, UnitGroup>()
    for (const { unit, rule } of found) {
      if (rule.kind === 'unconditionalExclude') {
        if (unit.inactiveReason === null) ux.push({ unit, rule })
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
    const owner = this.owners.find((o) => dirKey === o.key || dirKey.startsWith(`${o.key}\\`))?.ctx
    const rank = (u: Unit): number => (u.context.index === owner ? 0 : u.context.account === null ? 1 : 2)
    const groups = [...byUnit.values()].filter((g) => g.incl.length > 0)
      .sort((a, b) => rank(a.unit) - rank(b.unit) || a.unit.id - b.unit.id)
    return { dirKey, groups, ux }
  }
}

function best(rules: readonly CompiledRule[], nameLower: string): CompiledRule | null {
  let b: CompiledRule | null = null
  for (const r of rules) {
    if (!r.pattern.matchesLeaf(nameLower)) continue
    if (b === null || compareSpecificity(r.pattern.spec, b.pattern.spec) > 0) b = r
  }
  return b
}

/** Decide one file. `hiddenSystem`: the file has both attributes (known only when an attribute map is given). */
export function decide(plan: DirPlan, nameLower: string, hiddenSystem: boolean, explain = false): Decision {
  const d: Decision = { included: false, considered: false }
  if (explain) {
    d.matches = []
    d.verdicts = []
  }
  let firstExclusion: { rule: CompiledRule | null; reason: string } | null = null
  let inactive: { rule: CompiledRule; reason: string } | null = null
  for (const g of plan.groups) {
    const inc = best(g.incl, nameLower)
    if (explain) {
      for (const r of g.incl) if (r.pattern.matchesLeaf(nameLower)) d.matches?.push({ unit: g.unit, rule: r })
      for (const r of g.excl) if (r.pattern.matchesLeaf(nameLower)) d.matches?.push({ unit: g.unit, rule: r })
    }
    if (!inc) continue
    d.considered = true
    const exc = best(g.excl, nameLower)
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
