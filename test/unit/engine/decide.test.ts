/**
 * The per-folder rule pre-selection of decide.ts (RuleIndex: the plan of each folder, built incrementally
 * as the walk descends and from scratch) against a brute-force oracle that tests every rule against every
 * folder of a generated machine, and the soundness of pruning.
 */
import { expect } from 'chai'
import { readdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { prepare, type Prepared } from '../../../src/engine/index.js'
import type { CompiledRule } from '../../../src/engine/compile.js'
import type { DirPlan, Scope } from '../../../src/engine/decide.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { exc, generateMachine, inc, migration, ux } from './helpers.js'

/** Every indexed rule whose node matches the folder, as the plan should hold them (brute force). */
function oracle(p: Prepared, key: string): { groups: Set<CompiledRule>; ux: Set<CompiledRule>; attrs: Set<CompiledRule> } {
  const groups = new Set<CompiledRule>()
  const uxs = new Set<CompiledRule>()
  const attrs = new Set<CompiledRule>()
  for (const unit of p.units) {
    const hits = unit.rules.filter((r) => r.pattern.leaf !== null && r.pattern.matchesDir(key))
    if (hits.some((r) => r.kind === 'include')) for (const r of hits) if (r.kind === 'include' || r.kind === 'exclude') groups.add(r)
    if (unit.inactiveReason !== null) continue
    for (const r of hits) {
      if (r.kind === 'unconditionalExclude') uxs.add(r)
      if (r.kind === 'includeAttributes' || r.kind === 'excludeAttributes') attrs.add(r)
    }
  }
  return { groups, ux: uxs, attrs }
}

function planSets(plan: DirPlan): ReturnType<typeof oracle> {
  return {
    groups: new Set(plan.groups.flatMap((g) => [...g.incl, ...g.excl])),
    ux: new Set(plan.ux.map((m) => m.rule)),
    attrs: new Set(plan.attrs.map((m) => m.rule)),
  }
}

describe('engine/decide: per-folder rule pre-selection', function () {
  let t: ReturnType<typeof tempDir>
  before(function () {
    requireSharedFixtures(this, 'usmt-xml', 'MigUser.xml')
    t = tempDir('usmt-engine-index-')
    generateMachine(t.dir, 3_000)
  })
  after(() => t?.cleanup())

  /** Walk every folder of the machine, incrementally (as the scan does) and from scratch, against the oracle. */
  function check(p: Prepared): { folders: number; withRules: number; pruned: number } {
    const id = new Map(p.units.flatMap((u) => u.rules).map((r, i) => [r, i]))
    const ids = (x: ReturnType<typeof oracle>): Record<string, number[]> => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, [...v].map((r) => id.get(r) as number).sort((a, b) => a - b)]))
    const stats = { folders: 0, withRules: 0, pruned: 0 }
    const visit = (scope: Scope, local: string, key: string): boolean => {
      stats.folders++
      const want = oracle(p, key)
      expect(ids(planSets(scope.plan)), key).to.deep.equal(ids(want))
      expect(ids(planSets(p.index.plan(key))), key).to.deep.equal(ids(want))
      if (want.groups.size) stats.withRules++
      let includesHere = [...want.groups].some((r) => r.kind === 'include')
      for (const e of readdirSync(local, { withFileTypes: true })) {
        if (!e.isDirectory()) continue
        const lower = e.name.toLowerCase()
        if (visit(p.index.child(scope, lower, `${key}\\${lower}`), path.join(local, e.name), `${key}\\${lower}`)) includesHere = true
      }
      // Pruning is sound: a folder the walk skips has no include for it or for anything below it.
      if (!p.index.canHoldIncludes(scope)) {
        stats.pruned++
        expect(includesHere, key).to.equal(false)
      }
      return includesHere
    }
    visit(p.index.rootScope('c:'), path.join(t.dir, 'C'), 'c:')
    visit(p.index.rootScope('d:'), path.join(t.dir, 'D'), 'd:')
    return stats
  }

  it('matches a brute-force test of every rule against every folder, walking incrementally and from scratch', () => {
    const volumes = new VolumeMap([{ letter: 'C:', root: path.join(t.dir, 'C'), removable: false }, { letter: 'D:', root: path.join(t.dir, 'D'), removable: false }])
    const data = { name: 'Data', rules: inc('C:\\Data\\* [*]') + inc('C:\\Data\\Team [f1.txt]') + exc('C:\\Data\\Team\\ [*]') }
    const wild = path.join(t.dir, 'wild.xml')
    writeFileSync(wild, migration('wild', [
      { name: 'Roaming', context: 'System', rules: inc('C:\\Users\\*\\AppData\\Roaming\\* [*]') + exc('C:\\Users\\u1*\\Documents\\ [*.doc*]') },
      { name: 'Temp anywhere', rules: inc('*\\Temp\\* [*.tmp]') + ux('C:\\Users\\*\\AppData\\Local\\Temp\\* [*]') },
      data,
      { name: 'Attrs', rules: inc('C:\\Data\\* [*.log]') + '<excludeAttributes attributes="Security,TimeFields"><objectSet><pattern type="File">C:\\Data\\*\\Arch* [*.log]</pattern></objectSet></excludeAttributes>' },
    ]))
    const narrow = path.join(t.dir, 'narrow.xml')
    writeFileSync(narrow, migration('narrow', [
      { name: 'Roaming', context: 'User', rules: inc('%CSIDL_APPDATA%\\Microsoft\\* [*]') + exc('C:\\Users\\u1*\\AppData\\Roaming\\ [*]') }, data,
    ]))
    // With MigUser's drive-wide patterns every folder can hold includes; the narrow set prunes most of the tree.
    const wide = check(prepare({ ruleFiles: [sharedFixture('usmt-xml', 'MigUser.xml'), wild], computer: 'PC', selection: { ue: ['PC\\u3'] }, volumes }))
    expect(wide.folders).to.be.greaterThan(500)
    expect(wide.withRules).to.be.greaterThan(400)
    const p = prepare({ ruleFiles: [narrow], computer: 'PC', volumes })
    expect(new Set(p.units.flatMap((u) => u.rules.map((r) => r.pattern.dirMatch)))).to.deep.equal(new Set(['exact', 'general', 'recursive']))
    const pruned = check(p)
    expect(pruned.pruned).to.be.greaterThan(20)
    expect(pruned.withRules).to.be.greaterThan(20)
  })
})
