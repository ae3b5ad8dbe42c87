/**
 * Documented rule features that show at restore, each as a portable scanstate + loadstate round trip built
 * from Microsoft's own examples (usmt.md §6.2, §7.1, §7.14): locationModify per including component,
 * destinationCleanup, include filters (NeverRestore, FileProperties, AnswerNo), FindFilePlaceByPattern and
 * a User-context RelativeMove into every migrated user's Documents.
 */
import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { buildVersionedExe, readVersionInfo } from '../../../src/engine/pe.js'
import { tempDir } from '../../helpers/fixtures.js'
import { tool } from './helpers.js'

interface ScanResult { returnCode: number; files: number; message: string }
interface LoadResult { returnCode: number; files: Array<{ source: string; destination: string; action: string; rule?: string }>; notes: string[]; cleaned: string[] }

const component = (name: string, rules: string, context = 'System'): string =>
  `<component type="Documents" context="${context}"><displayName>${name}</displayName><role role="Data"><rules>${rules}</rules></role></component>`
const migration = (...components: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/fidelity">\n${components.join('\n')}\n</migration>\n`
const set = (...patterns: string[]): string => `<objectSet>${patterns.map((p) => `<pattern type="File">${p}</pattern>`).join('')}</objectSet>`
const include = (filter: string | null, ...patterns: string[]): string => `<include${filter ? ` filter='${filter}'` : ''}>${set(...patterns)}</include>`

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, ...rel.split('\\'))
    mkdirSync(path.dirname(p), { recursive: true })
    writeFileSync(p, text)
  }
}

describe('portable tools: documented rule features at restore (round trips)', function () {
  this.timeout(120000)
  let tmp: ReturnType<typeof tempDir>
  let n = 0
  before(() => { tmp = tempDir('usmt-fid-') })
  after(() => tmp.cleanup())

  /** Capture `source` with `xml`, then restore onto `dest` (files created first) with the same XML. */
  async function roundTrip(source: Record<string, string>, dest: Record<string, string>, xml: string, extra: { scan?: string[]; load?: string[] } = {}) {
    const dir = path.join(tmp.dir, `case${n++}`)
    const src = path.join(dir, 'src', 'C')
    const dst = path.join(dir, 'dst', 'C')
    write(src, source)
    mkdirSync(dst, { recursive: true })
    write(dst, dest)
    const rules = path.join(dir, 'rules.xml')
    writeFileSync(rules, xml)
    const store = path.join(dir, 'store')
    const scan = await tool<ScanResult>(['scanstate', '--volume', `C=${src}`, '--computer', 'PC', store, `/i:${rules}`, '/nocompress', ...(extra.scan ?? [])])
    const load = await tool<LoadResult>(['loadstate', '--volume', `C=${dst}`, '--computer', 'PC', store, `/i:${rules}`, '/nocompress', '/lac', ...(extra.load ?? [])])
    const read = (rel: string): string | null => {
      const p = path.join(dst, ...rel.split('\\'))
      return existsSync(p) ? readFileSync(p, 'utf8') : null
    }
    return { scan, load, read, dst, dir }
  }

  it('locationModify belongs to the component that includes the file: included elsewhere too, the file is migrated in both places', async () => {
    // "If an <include> rule is in one component and a <locationModify> rule is in another component for the
    // same file, the file is migrated in both places." (Conflicts and precedence)
    const xml = migration(
      component('Data', include(null, 'C:\\Data\\* [*]')),
      component('Music to archive', include(null, 'C:\\Data\\Music\\* [*]')
        + `<locationModify script="MigXmlHelper.RelativeMove('C:\\Data\\Music','C:\\Archive\\Music')">${set('C:\\Data\\Music\\* [*]')}</locationModify>`),
      component('Drafts', include(null, 'C:\\Drafts\\* [*]')
        + `<locationModify script="MigXmlHelper.RelativeMove('C:\\Drafts','C:\\Archive\\Drafts')">${set('C:\\Drafts\\* [*]')}</locationModify>`),
      component('Notes reroute', `<locationModify script="MigXmlHelper.Move('C:\\Notes')">${set('C:\\Data\\* [*.txt]')}</locationModify>`),
    )
    const r = await roundTrip({ 'Data\\Music\\song.mp3': 'song', 'Drafts\\plan.dwg': 'plan', 'Data\\memo.txt': 'memo' }, {}, xml)
    expect(r.scan.exitCode).to.equal(0)
    expect(r.load.exitCode).to.equal(0)
    // Included by Data (no locationModify) and by Music to archive (with one): both places.
    expect(r.read('Data\\Music\\song.mp3')).to.equal('song')
    expect(r.read('Archive\\Music\\song.mp3')).to.equal('song')
    // Included and moved by the same component: only the moved copy.
    expect(r.read('Archive\\Drafts\\plan.dwg')).to.equal('plan')
    expect(r.read('Drafts\\plan.dwg')).to.equal(null)
    // A locationModify in a component without an include: the included copy and the moved one.
    expect(r.read('Data\\memo.txt')).to.equal('memo')
    expect(r.read('Notes\\Data\\memo.txt')).to.equal('memo')
    expect(r.load.result.files.filter((f) => f.source === 'C:\\Data\\Music\\song.mp3').map((f) => f.destination)).to.have.members(['C:\\Data\\Music\\song.mp3', 'C:\\Archive\\Music\\song.mp3'])
  })

  it('RR-1: a User-context RelativeMove into %CSIDL_PERSONAL% puts C:\\EngineeringDrafts into the Documents of every migrated user', async () => {
    const xml = migration(component('Engineering Drafts Documents to Personal Folder', include(null, 'C:\\EngineeringDrafts\\* [*]')
      + `<locationModify script="MigXmlHelper.RelativeMove('C:\\EngineeringDrafts','%CSIDL_PERSONAL%')">${set('C:\\EngineeringDrafts\\* [*]')}</locationModify>`, 'User'))
    const users = { 'Users\\ann\\NTUSER.DAT': 'hive', 'Users\\bob\\NTUSER.DAT': 'hive' }
    const r = await roundTrip({ ...users, 'EngineeringDrafts\\Sub\\wing.dwg': 'wing' }, { 'Users\\ann\\x.txt': 'x', 'Users\\bob\\x.txt': 'x' }, xml)
    expect(r.load.exitCode).to.equal(0)
    expect(r.read('Users\\ann\\Documents\\Sub\\wing.dwg')).to.equal('wing')
    expect(r.read('Users\\bob\\Documents\\Sub\\wing.dwg')).to.equal('wing')
    expect(r.read('EngineeringDrafts\\Sub\\wing.dwg')).to.equal(null)
  })

  it('destinationCleanup deletes matching destination files before the apply: the source copy lands without a rename', async () => {
    const xml = migration(component('Reports', include(null, 'C:\\Reports\\* [*]')
      + `<destinationCleanup>${set('C:\\Reports\\* [*.txt]')}</destinationCleanup>`))
    const r = await roundTrip({ 'Reports\\q1.txt': 'source q1' }, { 'Reports\\q1.txt': 'old q1', 'Reports\\stale.txt': 'stale', 'Reports\\keep.xlsx': 'keep' }, xml)
    expect(r.load.exitCode).to.equal(0)
    expect(r.read('Reports\\q1.txt')).to.equal('source q1')
    expect(r.read('Reports\\q1(1).txt')).to.equal(null)
    expect(r.read('Reports\\stale.txt')).to.equal(null)
    expect(r.read('Reports\\keep.xlsx')).to.equal('keep')
    expect(r.load.result.cleaned).to.have.members(['C:\\Reports\\q1.txt', 'C:\\Reports\\stale.txt'])
    expect(r.load.result.files.find((f) => f.source === 'C:\\Reports\\q1.txt')).to.include({ destination: 'C:\\Reports\\q1.txt', action: 'restored' })
  })

  it('include filters: NeverRestore() captures but LoadState does not write; FileProperties selects by size and date; AnswerNo() selects nothing', async () => {
    const xml = migration(
      component('Logs', include('MigXmlHelper.NeverRestore()', 'C:\\Logs\\* [*]')),
      component('Big files', include('MigXmlHelper.FileProperties("filesize","gt","1KB")', 'C:\\Media\\* [*]')),
      component('Old files', include('MigXmlHelper.FileProperties("dateModified","range","2021/12/31-2020/01/01")', 'C:\\Archive\\* [*]')),
      component('Nothing', include('MigXmlHelper.AnswerNo()', 'C:\\Nothing\\* [*]')),
      component('Small only', include(null, 'C:\\Mixed\\* [*]') + `<exclude filter='MigXmlHelper.FileProperties("filesize","gte","1KB")'>${set('C:\\Mixed\\* [*]')}</exclude>`),
    )
    const big = 'x'.repeat(4096)
    const dir = path.join(tmp.dir, `case${n}`, 'src', 'C')
    const source = { 'Logs\\run.log': 'log', 'Media\\big.bin': big, 'Media\\small.bin': 'tiny', 'Archive\\old.doc': 'old', 'Archive\\new.doc': 'new', 'Nothing\\a.txt': 'a', 'Mixed\\small.txt': 's', 'Mixed\\large.txt': big }
    write(dir, source)
    utimesSync(path.join(dir, 'Archive', 'old.doc'), new Date(2021, 5, 1), new Date(2021, 5, 1))
    utimesSync(path.join(dir, 'Archive', 'new.doc'), new Date(2024, 5, 1), new Date(2024, 5, 1))
    const r = await roundTrip({}, {}, xml)
    expect(r.scan.exitCode).to.equal(0)
    expect(r.scan.result.files).to.equal(4) // run.log, big.bin, old.doc, small.txt
    expect(r.read('Logs\\run.log')).to.equal(null)
    expect(r.load.result.files.find((f) => f.source === 'C:\\Logs\\run.log')).to.include({ action: 'not-restored' })
    expect(r.read('Media\\big.bin')).to.equal(big)
    expect(r.read('Media\\small.bin')).to.equal(null)
    expect(r.read('Archive\\old.doc')).to.equal('old')
    expect(r.read('Archive\\new.doc')).to.equal(null)
    expect(r.read('Nothing\\a.txt')).to.equal(null)
    expect(r.read('Mixed\\small.txt')).to.equal('s')
    expect(r.read('Mixed\\large.txt')).to.equal(null)
  })

  it('merge FindFilePlaceByPattern("<F> (<N>).<E>") names the colliding copy MyDocument (1).doc; NewestVersion("FileVersion") keeps the newer copy', async () => {
    const xml = migration(component('Docs', include(null, 'C:\\Docs\\* [*]', 'C:\\Tools\\* [*]')
      + `<merge script='MigXmlHelper.FindFilePlaceByPattern("&lt;F&gt; (&lt;N&gt;).&lt;E&gt;")'>${set('C:\\Docs\\* [*]')}</merge>`
      + `<merge script='MigXmlHelper.NewestVersion("FileVersion")'>${set('C:\\Tools\\* [*]')}</merge>`))
    const exe = (v: string): string => buildVersionedExe(v, v).toString('latin1')
    const dir = path.join(tmp.dir, `case${n}`, 'src', 'C')
    const dst = path.join(tmp.dir, `case${n}`, 'dst', 'C')
    for (const [root, files] of [[dir, { 'Tools\\new.exe': exe('2.0.0.0'), 'Tools\\old.exe': exe('1.0.0.0'), 'Tools\\plain.exe': 'not a PE' }], [dst, { 'Tools\\new.exe': exe('1.5.0.0'), 'Tools\\old.exe': exe('1.2.0.0'), 'Tools\\plain.exe': 'not a PE either' }]] as const) {
      for (const [rel, text] of Object.entries(files)) {
        const p = path.join(root, ...rel.split('\\'))
        mkdirSync(path.dirname(p), { recursive: true })
        writeFileSync(p, Buffer.from(text, 'latin1'))
      }
    }
    const r = await roundTrip({ 'Docs\\MyDocument.doc': 'source', 'Docs\\README': 'src readme' },
      { 'Docs\\MyDocument.doc': 'dest', 'Docs\\MyDocument (1).doc': 'dest 1', 'Docs\\README': 'dest readme' }, xml)
    expect(r.load.exitCode).to.equal(0)
    expect(r.read('Docs\\MyDocument.doc')).to.equal('dest')
    expect(r.read('Docs\\MyDocument (2).doc')).to.equal('source')
    expect(r.read('Docs\\README (1)')).to.equal('src readme')
    const ver = (rel: string): string | undefined => readVersionInfo(path.join(r.dst, ...rel.split('\\')))?.FileVersion
    expect(ver('Tools\\new.exe')).to.equal('2.0.0.0')
    expect(ver('Tools\\old.exe')).to.equal('1.2.0.0')
    expect(r.read('Tools\\plain.exe')).to.equal('not a PE either')
    expect(r.read('Tools\\plain(1).exe')).to.equal('not a PE')
    const by = (src: string) => r.load.result.files.find((f) => f.source === src)
    expect(by('C:\\Tools\\new.exe')).to.include({ action: 'overwritten', destination: 'C:\\Tools\\new.exe' })
    expect(by('C:\\Tools\\old.exe')).to.include({ action: 'kept-destination' })
    expect(by('C:\\Tools\\plain.exe')).to.include({ action: 'renamed', destination: 'C:\\Tools\\plain(1).exe' })
    expect(readdirSync(path.join(r.dst, 'Tools')).filter((x) => x.startsWith('.usmt-steps-'))).to.deep.equal([])
  })

  it('scanstate: a not-evaluated include (a helper the engine cannot compute) is a log warning and return code 3; a registry exclude alone changes nothing (0); /bogus is named', async () => {
    const dir = path.join(tmp.dir, `case${n++}`)
    const src = path.join(dir, 'C')
    write(src, { 'Data\\a.txt': 'a' })
    const withReg = path.join(dir, 'reg.xml')
    writeFileSync(withReg, migration(component('Data', include(null, 'C:\\Data\\* [*]') + '<include><objectSet><script>MigSysHelper.UnknownPatterns()</script></objectSet></include>')))
    const excludeOnly = path.join(dir, 'exc.xml')
    writeFileSync(excludeOnly, migration(component('Data', include(null, 'C:\\Data\\* [*]') + '<exclude><objectSet><pattern type="Registry">HKCU\\Software\\Vendor\\* [*]</pattern></objectSet></exclude>')))
    const log = path.join(dir, 'scan.log')
    const a = await tool<ScanResult>(['scanstate', '--volume', `C=${src}`, path.join(dir, 's1'), `/i:${withReg}`, '/nocompress', `/l:${log}`])
    expect(a.exitCode).to.equal(3)
    expect(a.result.files).to.equal(1)
    expect(readFileSync(log, 'utf8')).to.match(/Not evaluated: Script MigSysHelper\.UnknownPatterns\(\) \(reg\.xml:\d+, component "Data"\)/)
    const b = await tool<ScanResult>(['scanstate', '--volume', `C=${src}`, path.join(dir, 's2'), `/i:${excludeOnly}`, '/nocompress'])
    expect(b.exitCode).to.equal(0)
    const { runCli } = await import('../../helpers/cli.js')
    const bogus = await runCli(['scanstate', '--volume', `C=${src}`, path.join(dir, 's3'), `/i:${withReg}`, '/bogus'])
    expect(bogus.exitCode).to.equal(11)
    expect(bogus.stdout + bogus.stderr).to.include('Command line option is not valid: /bogus')
  })
})
