/**
 * The streamed `rules preview --json` (constant memory per file) against the in-memory evaluation on a
 * generated 20,000-file machine, the bounded text mode, temp-file clean-up, and the per-folder rule
 * pre-selection of the walk against a brute-force oracle (every rule tested against every folder).
 */
import { blankHive } from '../../../src/registry/blank-hive.js'
import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { prepare, previewResult, previewTempPath, writePreviewJson, type FullEngineInput, type Prepared } from '../../../src/engine/index.js'
import type { CompiledRule } from '../../../src/engine/compile.js'
import type { DirPlan, Scope } from '../../../src/engine/decide.js'
import { FILES_PER_GROUP } from '../../../src/engine/preview.js'
import { formatBytes } from '../../../src/engine/preview.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { exc, inc, migration, ux } from './helpers.js'

const EXTS = ['docx', 'xlsx', 'txt', 'pdf', 'jpg', 'mp3', 'dll', 'exe', 'tmp', 'log', 'pst', 'doc']
const USER_DIRS = ['Documents', 'Documents\\Projects', 'Desktop', 'Pictures', 'Music', 'Downloads', 'Favorites', 'AppData\\Roaming\\Microsoft\\Templates',
  'AppData\\Local\\Temp', 'AppData\\Local\\Microsoft\\Windows\\INetCache']
const SYSTEM_DIRS = ['Windows\\System32', 'Program Files\\Contoso', 'ProgramData\\Contoso', 'Data\\Team', 'Data\\Team\\Archive', 'Users\\Public\\Documents', 'Temp']
/** Names that exercise JSON escaping: a quote, a tab, non-ASCII, a surrogate pair. */
const ODD_NAMES = ['quote"d.txt', 'tab\there.txt', 'Résumé ü.docx', '📄 notes.txt', 'back`tick & 100%.doc']

const EXPECTED_KEYS = ['included', 'excluded', 'users', 'warnings', 'notEvaluated', 'totals']

/** A Windows-layout tree of `total` files: 8 profiles (NTUSER.DAT each), system folders, a D: drive. */
function generateMachine(dir: string, total: number): void {
  const plan: string[] = []
  for (let u = 0; u < 8; u++) for (const d of USER_DIRS) plan.push(`C\\Users\\u${u}\\${d}`)
  for (const d of SYSTEM_DIRS) plan.push(`C\\${d}`)
  plan.push('D\\Projects\\Alpha', 'D\\Projects\\Beta')
  for (let i = 0; i < total; i++) {
    const folder = path.join(dir, ...`${plan[i % plan.length]}\\s${Math.floor(i / plan.length) % 7}`.split('\\'))
    if (i < plan.length * 7) mkdirSync(folder, { recursive: true })
    writeFileSync(path.join(folder, `f${i}.${EXTS[i % EXTS.length]}`), 'x'.repeat(i % 97))
  }
  // Real (empty) hives: the rules name HKCU, and a hive hivex cannot open is an error (USM0116).
  for (let u = 0; u < 8; u++) writeFileSync(path.join(dir, 'C', 'Users', `u${u}`, 'NTUSER.DAT'), blankHive())
  for (const n of ODD_NAMES) writeFileSync(path.join(dir, 'C', 'Users', 'u1', 'Documents', n), n)
  // A broken link late in the walk (C:\Zz sorts after Users and Windows): an `unreadable` warning.
  mkdirSync(path.join(dir, 'C', 'Zz'))
  writeFileSync(path.join(dir, 'C', 'Zz', 'keep.txt'), 'keep')
  symlinkSync('nowhere.doc', path.join(dir, 'C', 'Zz', 'broken.doc'))
}

function leftoverTempFiles(): string[] {
  return readdirSync(os.tmpdir()).filter((n) => n.startsWith(`usmt-steps-preview-${process.pid}-`))
}

describe('rules preview streaming (20,000-file machine)', function () {
  let t: ReturnType<typeof tempDir>
  let input: FullEngineInput
  let custom: string
  const flags = (): string[] => ['--rules', sharedFixture('usmt-xml', 'MigUser.xml'), '--rules', custom, '--volume', `C=${path.join(t.dir, 'C')}`, '--volume', `D=${path.join(t.dir, 'D')}`, '--ue', 'PC\\u7']

  before(function () {
    requireSharedFixtures(this, 'usmt-xml', 'MigUser.xml')
    t = tempDir('usmt-engine-stream-')
    generateMachine(t.dir, 20_000)
    custom = path.join(t.dir, 'custom.xml')
    writeFileSync(custom, migration('stream-test', [
      { name: 'Team data', rules: inc('C:\\Data\\* [*]') + exc('C:\\Data\\Team\\Archive\\* [*.log]') + ux('C:\\Data\\* [*.tmp]') },
      { name: 'Times', rules: inc('D:\\Projects\\* [*]') + '<excludeAttributes attributes="TimeFields"><objectSet><pattern type="File">D:\\Projects\\* [*]</pattern></objectSet></excludeAttributes>' },
    ]))
    input = {
      ruleFiles: [sharedFixture('usmt-xml', 'MigUser.xml'), custom], computer: 'PC', selection: { ue: ['PC\\u7'] },
      volumes: new VolumeMap([{ letter: 'C:', root: path.join(t.dir, 'C'), removable: false }, { letter: 'D:', root: path.join(t.dir, 'D'), removable: false }]),
    }
  })
  after(() => t?.cleanup())

  it('writes the same JSON as the in-memory evaluation, with the documented keys', async () => {
    const expected = await previewResult(prepare(input))
    // Not vacuous: thousands of captured and excluded files, warnings, names that need escaping.
    expect(expected.included.length).to.be.greaterThan(10_000)
    expect(expected.excluded.length).to.be.greaterThan(1_000)
    expect(expected.excluded.map((e) => e.reason)).to.include.members(['excluded by rule', 'unconditionalExclude', 'user not migrated (PC\\u7)'])
    expect(expected.warnings.map((w) => w.code)).to.include('unreadable')
    expect(expected.included.map((f) => f.path)).to.include.members(ODD_NAMES.map((n) => `C:\\Users\\u1\\Documents\\${n}`))
    expect(expected.totals.files).to.equal(expected.included.length)

    const file = previewTempPath('stream-test')
    try {
      const summary = writePreviewJson(prepare(input), file)
      const text = readFileSync(file, 'utf8')
      const parsed = JSON.parse(text) as Record<string, unknown>
      expect(Object.keys(parsed)).to.deep.equal(EXPECTED_KEYS)
      expect(JSON.stringify(parsed)).to.equal(JSON.stringify(expected))
      expect(summary.totals).to.deep.equal(expected.totals)
      expect(summary.warnings).to.equal(expected.warnings.length)
      // The base prints the file line by line: many lines, none of them huge.
      const lines = text.split('\n')
      expect(lines.length).to.be.greaterThan(50)
      expect(Math.max(...lines.map((l) => l.length))).to.be.below(40_000)
      expect(existsSync(`${file}.excluded`) || existsSync(`${file}.warnings`)).to.equal(false)
    } finally {
      rmIfExists(file)
    }
  })

  it('rules preview --json prints {status, result, warnings} through the streaming path and deletes its temp file', async () => {
    const expected = await previewResult(prepare(input))
    const before = leftoverTempFiles()
    const r = await runCli(['rules', 'preview', ...flags(), '--json'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout.split('\n').length).to.be.greaterThan(50)
    const doc = parseJsonOutput<{ status: string; result: Record<string, unknown>; warnings: string[] }>(r.stdout)
    expect(Object.keys(doc)).to.deep.equal(['status', 'result', 'warnings'])
    expect(doc.status).to.equal('success')
    expect(Object.keys(doc.result)).to.deep.equal(EXPECTED_KEYS)
    expect(JSON.stringify(doc.result)).to.equal(JSON.stringify(expected))
    const first = (doc.result.included as Array<Record<string, unknown>>)[0]
    expect(Object.keys(first)).to.deep.equal(['path', 'type', 'user', 'component', 'rule', 'bytes'])
    expect(leftoverTempFiles()).to.deep.equal(before)
  })

  it('deletes every file it wrote when the scan fails part-way', () => {
    const file = previewTempPath('stream-fail')
    let written = 0
    const p = prepare(input)
    expect(() => writePreviewJson(p, file, (w) => {
      if (w.code !== 'unreadable') return
      written = readdirSync(os.tmpdir()).filter((n) => n.startsWith(path.basename(file))).length
      throw new Error('disk full (simulated by the warning callback)')
    })).to.throw('disk full')
    expect(written).to.equal(3) // the result and its two side files existed when the scan failed
    for (const f of [file, `${file}.excluded`, `${file}.warnings`]) expect(existsSync(f), f).to.equal(false)
  })

  it('the text mode stays bounded: at most FILES_PER_GROUP files per user and component, the rest counted', async () => {
    const expected = await previewResult(prepare(input))
    const r = await runCli(['rules', 'preview', ...flags()])
    expect(r.exitCode).to.equal(0)
    const lines = r.stdout.trimEnd().split('\n')
    const t2 = expected.totals
    expect(lines[lines.length - 1]).to.equal(`${t2.files} files (${formatBytes(t2.bytes)}) would be captured for ${t2.users.migrated} of ${t2.users.total} users; ${t2.excluded} excluded; ${expected.warnings.length} warnings`)
    const listed = lines.filter((l) => /^ {6}[A-Z]:\\/.test(l))
    expect(listed.length).to.be.below(expected.included.length / 2)
    const more = lines.filter((l) => /^ {6}… \d+ more files/.test(l)).map((l) => Number(/(\d+)/.exec(l)?.[1]))
    expect(more.length).to.be.greaterThan(0)
    expect(listed.length + more.reduce((a, b) => a + b, 0)).to.equal(expected.included.length)
    // No group lists more than FILES_PER_GROUP files.
    let run = 0
    for (const l of lines) {
      run = /^ {6}[A-Z]:\\/.test(l) ? run + 1 : 0
      expect(run).to.be.at.most(FILES_PER_GROUP)
    }
    expect(r.stdout).to.include('(without TimeFields)')
  })
})

function rmIfExists(f: string): void {
  for (const x of [f, `${f}.excluded`, `${f}.warnings`]) rmSync(x, { force: true })
}

// ---------------------------------------------------------------- per-folder pre-selection

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

describe('per-folder rule pre-selection', function () {
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
