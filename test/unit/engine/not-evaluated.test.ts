/**
 * Nothing the portable engine cannot evaluate is dropped silently (issue: "Nothing silently dropped"):
 * notEvaluated entries, grouped preview output, rules lint findings and known-findings files, explain on a
 * folder, and include filters decided at capture.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { captureGaps, lintRuleFiles, prepare, previewText } from '../../../src/engine/index.js'
import { compileFileProperties } from '../../../src/engine/filters.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { collect, exc, inc, makeMachine, migration } from './helpers.js'

const REG_COND = (n: number): string => `<detection><conditions><condition>MigXmlHelper.DoesObjectExist("Registry","HKLM\\Software\\Vendor${n} [Path]")</condition></conditions></detection>`

function appXml(): string {
  const comps = [1, 2, 3].map((n) => `<component type="Application" context="System"><displayName>App${n}</displayName><role role="Settings">${REG_COND(n)}<rules>
${inc(`C:\\App${n}\\* [*]`)}<include><objectSet><pattern type="Registry">HKLM\\Software\\Vendor${n}\\* [*]</pattern></objectSet></include>
<contentModify script="MigXmlHelper.ConvertToString()"><objectSet><pattern type="Registry">HKLM\\Software\\Vendor${n} [Size]</pattern></objectSet></contentModify>
<addObjects><object><location type="Registry">HKLM\\Software\\Vendor${n} [X]</location><attributes>DWORD</attributes><bytes>01000000</bytes></object></addObjects>
</rules></role></component>`)
  return `<?xml version="1.0"?>\n<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/app">\n${comps.join('\n')}\n</migration>\n`
}

describe('engine: what is not evaluated is reported', () => {
  it('preview: notEvaluated entries per condition, object and element, marked when they change what is captured; one text line per kind', () => {
    const m = makeMachine({ C: ['App1\\a.txt'] })
    try {
      const p = prepare({ ruleFiles: [m.xml('app.xml', appXml())], volumes: m.volumes, users: [] })
      const byType = (t: string) => p.notEvaluated.filter((n) => n.type === t)
      expect(byType('Condition')).to.have.length(3)
      expect(byType('Condition').every((n) => n.affectsCapture === true && n.kind === 'condition')).to.equal(true)
      expect(byType('Registry').filter((n) => n.affectsCapture)).to.have.length(3) // the includes, not the contentModify objects
      expect(byType('contentModify')).to.have.length(3)
      expect(byType('addObjects')).to.have.length(3)
      expect(captureGaps(p).length).to.be.greaterThan(0)
      const { text } = previewText(p)
      expect(text).to.match(/^ {2}Condition ×3 \(3 can change what is captured\), e\.g\. /m)
      expect(text).to.match(/^ {2}condition-not-evaluated ×3, e\.g\. /m)
      expect(text.match(/condition-not-evaluated/g)).to.have.length(1)
    } finally {
      m.cleanup()
    }
  })

  it('rules preview prints one warning line per kind (with the count and how to see each), not one per warning', async () => {
    const m = makeMachine({ C: ['App1\\a.txt'] })
    try {
      const r = await runCli(['rules', 'preview', '--rules', m.xml('app.xml', appXml()), '--volume', `C=${path.join(m.root, 'C')}`], { env: { USMT_STEPS_QUIET: undefined } })
      expect(r.exitCode, r.stderr).to.equal(0)
      const lines = r.stderr.split('\n').filter((l) => l.includes('condition-not-evaluated'))
      expect(lines).to.have.length(1)
      expect(lines[0]).to.match(/×3.*--json lists each warning, --verbose logs each/)
    } finally {
      m.cleanup()
    }
  })

  it('rules lint: one not-evaluated warning per kind; --write-known records errors, --known accepts them and new errors still fail', async () => {
    const m = makeMachine({ C: [] })
    try {
      const app = m.xml('app.xml', appXml())
      const lint = lintRuleFiles([app])
      expect(lint.errors).to.deep.equal([])
      const ne = lint.warnings.filter((w) => w.code === 'not-evaluated')
      expect(ne.map((w) => w.message.split(' not evaluated')[0])).to.have.members(['3 conditions (registry or content checks, other helper libraries; assumed false)', '6 Registry patterns', '3 <contentModify> rules (registry value changes on LoadState)', '3 <addObjects> elements'])
      const bad = m.xml('bad.xml', migration('bad', [{ name: 'B', rules: inc('%NOSUCHVAR%\\* [*]') }]))
      const known = path.join(m.root, 'known.json')
      const w = await runCli(['rules', 'lint', bad, '--write-known', known])
      expect(w.exitCode, w.stdout + w.stderr).to.equal(0)
      expect(await runCli(['rules', 'lint', bad]).then((x) => x.exitCode)).to.equal(3)
      const ok = await runCli(['rules', 'lint', bad, '--known', known, '--json'])
      expect(ok.exitCode, ok.stdout).to.equal(0)
      expect(parseJsonOutput<{ result: { known: unknown[] } }>(ok.stdout).result.known).to.have.length(1)
      const worse = m.xml('bad.xml', migration('bad', [{ name: 'B', rules: inc('%NOSUCHVAR%\\* [*]') + inc('%OTHERVAR%\\* [*]') }]))
      expect((await runCli(['rules', 'lint', worse, '--known', known])).exitCode).to.equal(3)
      writeFileSync(known, '{"known": 1}')
      const broken = await runCli(['rules', 'lint', bad, '--known', known, '--json'])
      expect(broken.stdout).to.include('USM0125')
    } finally {
      m.cleanup()
    }
  })

  it('rules explain on an existing folder says it is a folder and what the rules decide for its files', async () => {
    const m = makeMachine({ C: ['Data\\a.txt', 'Data\\b.log'] })
    try {
      const xml = m.xml('r.xml', migration('r', [{ name: 'D', rules: inc('C:\\Data\\* [*]') + exc('C:\\Data\\* [*.log]') }]))
      const r = await runCli(['rules', 'explain', 'C:\\Data', '--rules', xml, '--volume', `C=${path.join(m.root, 'C')}`])
      expect(r.stdout).to.include('C:\\Data (folder): a folder: rules decide the files in it; 1 of the 2 files directly in it would be captured')
      expect(r.stdout).not.to.include('not on the volume')
    } finally {
      m.cleanup()
    }
  })

  it('FileProperties: sizes with units and ranges, whole-day dates, every operator', () => {
    const t = (args: string[], st: { size?: number; mtime?: Date }): boolean => {
      const c = compileFileProperties(args)
      if ('error' in c) throw new Error(c.error)
      return c.test({ size: st.size ?? 0, mtimeMs: st.mtime?.getTime() ?? 0, birthtimeMs: 0, atimeMs: 0 })
    }
    expect(t(['filesize', 'gt', '1KB'], { size: 1025 })).to.equal(true)
    expect(t(['filesize', 'gt', '1KB'], { size: 1024 })).to.equal(false)
    expect(t(['filesize', 'range', '1KB-1MB'], { size: 1024 * 1024 })).to.equal(true)
    expect(t(['filesize', 'lte', '5GB'], { size: 5 * 1024 ** 3 })).to.equal(true)
    expect(t(['filesize', 'neq', '10B'], { size: 10 })).to.equal(false)
    expect(t(['dateModified', 'eq', '2023/05/15'], { mtime: new Date(2023, 4, 15, 23, 59) })).to.equal(true)
    expect(t(['dateModified', 'gt', '2023/05/15'], { mtime: new Date(2023, 4, 15, 23, 59) })).to.equal(false)
    expect(t(['dateModified', 'gte', '2023/05/15'], { mtime: new Date(2023, 4, 15) })).to.equal(true)
    expect(t(['dateModified', 'lt', '2023/05/15'], { mtime: new Date(2023, 4, 14, 12) })).to.equal(true)
    expect(t(['dateModified', 'range', '2023/05/15-2020/05/17'], { mtime: new Date(2021, 0, 1) })).to.equal(true)
    expect(compileFileProperties(['filesize', 'about', '1KB'])).to.have.property('error')
    expect(compileFileProperties(['color', 'eq', 'red'])).to.have.property('error')
  })

  it('an include filter that cannot be evaluated keeps the rule (nothing dropped on a guess) and is reported', async () => {
    const m = makeMachine({ C: ['Data\\a.txt'] })
    try {
      const xml = m.xml('r.xml', migration('r', [{ name: 'D', rules: `<include filter='MigXmlHelper.CompareStringContent("x","Equal")'><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include>` }]))
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(r.included).to.deep.equal(['C:\\Data\\a.txt'])
      const p = prepare({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(p.notEvaluated.map((n) => [n.type, n.affectsCapture])).to.deep.equal([['Filter', true]])
    } finally {
      m.cleanup()
    }
  })
})
