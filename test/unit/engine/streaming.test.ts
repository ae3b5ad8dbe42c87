/**
 * The streamed `rules preview --json` (constant memory per file) against the in-memory evaluation on a
 * generated 20,000-file machine, the bounded text mode and temp-file clean-up. (The per-folder rule
 * pre-selection is in decide.test.ts.)
 */
import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { prepare, previewResult, previewTempPath, writePreviewJson, type FullEngineInput } from '../../../src/engine/index.js'
import { FILES_PER_GROUP } from '../../../src/engine/preview.js'
import { formatBytes } from '../../../src/engine/preview.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { exc, generateMachine, inc, migration, ODD_NAMES, ux } from './helpers.js'

const EXPECTED_KEYS = ['included', 'excluded', 'users', 'warnings', 'notEvaluated', 'totals']

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
