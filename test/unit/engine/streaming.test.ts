/**
 * The streamed `rules preview --json` (constant memory per file) against the in-memory evaluation on a
 * generated 20,000-file machine, the bounded text mode and temp-file clean-up. (The per-folder rule
 * pre-selection is in decide.test.ts.)
 */
import { expect } from 'chai'
import { readdirSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { prepare, previewResult, streamPreviewJson, type FullEngineInput, type JsonOut } from '../../../src/engine/index.js'
import { FILES_PER_GROUP } from '../../../src/engine/preview.js'
import { formatBytes } from '../../../src/engine/preview.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { exc, generateMachine, inc, migration, ODD_NAMES, ux } from './helpers.js'

const EXPECTED_KEYS = ['included', 'excluded', 'users', 'warnings', 'notEvaluated', 'totals']

function leftoverTempFiles(): string[] {
  return readdirSync(os.tmpdir()).filter((n) => n.startsWith(`usmt-steps-preview-${process.pid}-`))
}

/** A JsonOut that keeps the blocks (and asks the writer to wait now and then, as a slow stdout would). */
function collect(): JsonOut & { blocks: string[]; drains: number } {
  const blocks: string[] = []
  const out = {
    blocks, drains: 0,
    write(block: string | Buffer) {
      // a block of bytes ends between two items, so it decodes on its own
      blocks.push(typeof block === 'string' ? block : block.toString('utf8'))
      return blocks.length % 3 !== 0
    },
    async drain() {
      out.drains++
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
  return out
}

/** Whether a block ends between two JSON items: it leaves no string open (quotes outside escapes balance). */
function closesItsStrings(block: string): boolean {
  let inString = false
  for (let i = 0; i < block.length; i++) {
    const c = block[i]
    if (inString && c === '\\') i++
    else if (c === '"') inString = !inString
  }
  return !inString
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

    const before = leftoverTempFiles()
    const out = collect()
    const summary = await streamPreviewJson(prepare(input), out)
    const text = out.blocks.join('')
    const parsed = JSON.parse(text) as Record<string, unknown>
    expect(Object.keys(parsed)).to.deep.equal(EXPECTED_KEYS)
    expect(JSON.stringify(parsed)).to.equal(JSON.stringify(expected))
    expect(summary.totals).to.deep.equal(expected.totals)
    expect(summary.warnings).to.equal(expected.warnings.length)
    // Many blocks, each ending between two items (the base redacts one block at a time), and the writer waited
    // whenever it was asked to.
    expect(out.blocks.length).to.be.greaterThan(5)
    for (const b of out.blocks) expect(closesItsStrings(b)).to.equal(true)
    expect(out.drains).to.be.greaterThan(0)
    // Many lines, none of them huge.
    const lines = text.split('\n')
    expect(lines.length).to.be.greaterThan(50)
    expect(Math.max(...lines.map((l) => l.length))).to.be.below(40_000)
    expect(leftoverTempFiles()).to.deep.equal(before)
  })

  it('rules preview --json prints {result, status, warnings} in one pass through the streaming path and leaves no temp file', async () => {
    const expected = await previewResult(prepare(input))
    const before = leftoverTempFiles()
    const r = await runCli(['rules', 'preview', ...flags(), '--json'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout.split('\n').length).to.be.greaterThan(50)
    const doc = parseJsonOutput<{ status: string; result: Record<string, unknown>; warnings: string[] }>(r.stdout)
    expect(Object.keys(doc)).to.deep.equal(['result', 'status', 'warnings'])
    expect(doc.status).to.equal('success')
    expect(Object.keys(doc.result)).to.deep.equal(EXPECTED_KEYS)
    expect(JSON.stringify(doc.result)).to.equal(JSON.stringify(expected))
    const first = (doc.result.included as Array<Record<string, unknown>>)[0]
    expect(Object.keys(first)).to.deep.equal(['path', 'type', 'user', 'component', 'rule', 'bytes'])
    expect(leftoverTempFiles()).to.deep.equal(before)
  })

  it('when the scan fails part-way: deletes its spooled files and closes what it wrote into a valid partial value', async () => {
    const before = leftoverTempFiles()
    let spooled = 0
    let written = 0
    const out = collect()
    const p = prepare(input)
    let err: unknown
    try {
      await streamPreviewJson(p, out, (w) => {
        // (The walk turns the first throw, inside a folder, into a warning of its own: this throws again.)
        if (w.code !== 'unreadable') return
        spooled = leftoverTempFiles().length - before.length
        written = out.blocks.length
        throw new Error('disk full (simulated by the warning callback)')
      })
    } catch (e) {
      err = e
    }
    expect((err as Error).message).to.include('disk full')
    expect(spooled).to.equal(2) // the excluded items and the warnings were spooled when the scan failed
    expect(written).to.be.greaterThan(0) // and part of the result was already out
    expect(leftoverTempFiles()).to.deep.equal(before)
    const partial = JSON.parse(out.blocks.join('')) as { included: unknown[] }
    expect(Object.keys(partial)).to.deep.equal(['included'])
    expect(partial.included.length).to.be.greaterThan(1000)
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
