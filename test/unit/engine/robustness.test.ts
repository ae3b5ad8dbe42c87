/** XML hardening, pattern syntax, user selection, walker warnings, and the CLI commands. */
import { expect } from 'chai'
import { mkdirSync, symlinkSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs'
import * as path from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { parseXml } from '../../../src/engine/xml.js'
import { loadRuleModel } from '../../../src/engine/loader.js'
import { compilePattern, compareSpecificity, parsePattern } from '../../../src/engine/pattern.js'
import { selectUsers, userPatternMatches, parseUel, type DiscoveredProfile } from '../../../src/engine/users.js'
import { parseVersionInfo, buildVersionedExe } from '../../../src/engine/pe.js'
import { runCli, parseJsonOutput, PROJECT_ROOT } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { collect, exc, inc, makeMachine, migration } from './helpers.js'

function code(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof UsmtStepsError) return `${e.code}: ${e.message}`
    throw e
  }
  return 'no error'
}

describe('engine XML reader', () => {
  it('keeps line numbers and decodes entities', () => {
    const root = parseXml('<?xml version="1.0"?>\n<a x="1&amp;2">\n  <b>t&lt;u&#x41;</b>\n</a>', 'f.xml')
    expect(root.children[0]).to.include({ name: 'b', text: 't<uA', line: 3 })
    expect(root.attrs.x).to.equal('1&2')
  })
  it('refuses an entity-expansion bomb before expanding anything', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><migration>&lol2;</migration>'
    expect(code(() => parseXml(bomb, 'bomb.xml'))).to.match(/^USM0102: bomb\.xml:1: a DOCTYPE with an internal subset/)
    expect(code(() => parseXml('<a>&ext;</a>', 'e.xml'))).to.match(/^USM0102: .*&ext; is not defined/)
  })
  it('reports malformed XML with file and line', () => {
    expect(code(() => parseXml('<migration>\n<component>\n</migration>', 'bad.xml'))).to.equal('USM0100: bad.xml:3: malformed XML: end tag </migration> does not match <component> opened on line 2')
    expect(code(() => parseXml('<a><b></b>', 'cut.xml'))).to.match(/^USM0100: cut\.xml:1: .*<a> opened on line 1 is not closed/)
  })
  it('refuses deep nesting with a clear error and bounded time', () => {
    const deep = `${'<x>'.repeat(100_000)}${'</x>'.repeat(100_000)}`
    expect(code(() => parseXml(deep, 'deep.xml'))).to.match(/^USM0103: deep\.xml:1: elements are nested more than 256 levels deep/)
  })
  it('refuses a 100 MB rule file from its size, without reading it', () => {
    const t = tempDir()
    try {
      const big = path.join(t.dir, 'big.xml')
      const fd = openSync(big, 'w')
      ftruncateSync(fd, 100 * 1024 * 1024)
      closeSync(fd)
      expect(code(() => loadRuleModel([big]))).to.match(/^USM0101: migration XML .*big\.xml is 104857600 bytes, above the 33554432-byte limit/)
    } finally {
      t.cleanup()
    }
  })
  it('unknown elements are warnings with a line, never a crash; a non-migration root is an error', () => {
    const t = tempDir()
    try {
      const f = path.join(t.dir, 'u.xml')
      writeFileSync(f, '<migration urlid="http://x/u">\n<component type="Documents" context="System"><displayName>U</displayName>\n<role role="Data"><rules><frobnicate/>' + inc('C:\\* [*]') + '</rules></role></component></migration>')
      const m = loadRuleModel([f])
      expect(m.warnings).to.deep.include({ code: 'unknown-element', message: 'unknown element <frobnicate> in <rules> of "U" is ignored', file: 'u.xml', line: 3 })
      writeFileSync(f, '<Configuration/>')
      expect(code(() => loadRuleModel([f]))).to.match(/^USM0105/)
    } finally {
      t.cleanup()
    }
  })
})

describe('engine patterns', () => {
  it('splits node and leaf, trims whitespace, honours ^ escapes', () => {
    expect(parsePattern(' C:\\EngineeringDrafts\\ [Sample.doc] ')).to.include({ node: 'C:\\EngineeringDrafts\\', leaf: 'Sample.doc' })
    expect(parsePattern('c:\\documents\\mydocs [file^].txt]')).to.include({ node: 'c:\\documents\\mydocs', leaf: 'file].txt' })
    expect(parsePattern('c:\\test docs')).to.include({ node: 'c:\\test docs', leaf: null })
    expect(parsePattern('*[*.library-ms]')).to.include({ node: '*', leaf: '*.library-ms' })
  })
  it('recursive vs non-recursive nodes, case-insensitive, * crosses folders in the node only', () => {
    const rec = compilePattern(parsePattern('C:\\Folder\\* [*]'))
    expect([rec.matchesDir('c:\\folder'), rec.matchesDir('c:\\folder\\sub\\deeper'), rec.matchesDir('c:\\folder2')]).to.deep.equal([true, true, false])
    const flat = compilePattern(parsePattern('C:\\Folder\\ [*.mp3]'))
    expect([flat.matchesDir('c:\\folder'), flat.matchesDir('c:\\folder\\sub'), flat.matchesLeaf('a.mp3'), flat.matchesLeaf('a.mp3x')]).to.deep.equal([true, false, true, false])
    expect(compilePattern(parsePattern('C:\\* [*.doc]')).matchesLeaf('x.docx')).to.equal(false)
    expect(compilePattern(parsePattern('C:\\*\\EngineeringDrafts\\* [*]')).matchesDir('c:\\engineeringdrafts')).to.equal(false)
  })
  it('leaf and folder fast paths agree with the wildcard regular expression', () => {
    const re = (w: string, recursive = false): RegExp => new RegExp(`^${w.toLowerCase().split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}${recursive ? '(?:\\\\.*)?' : ''}$`, 's')
    const names = ['a.txt', 'aa.txt', 'ab.doc', 'x.docx', '.doc', 'doc', 'a.ppt', 'b.pptx', 'c.pps.bak', 'ntuser.dat', 'ntuser.dat.log1', 'a', '', 'a.b.c', 'ab', 'ba']
    for (const leaf of ['*', '*.doc', 'a*', 'a*.txt', '*.ppt*', '*.pps*', 'ntuser.dat*', 'a*b', '*a*b*', 'a.txt', 'ab*ab', '*.*']) {
      const p = compilePattern(parsePattern(`C:\\ [${leaf}]`))
      for (const n of names) expect(p.matchesLeaf(n), `[${leaf}] vs ${n}`).to.equal(re(leaf).test(n))
    }
    const dirs = ['c:', 'c:\\dir', 'c:\\dir\\sub', 'c:\\dir2', 'c:\\dirx\\sub', 'c:\\other\\dir', 'd:\\dir']
    for (const node of ['C:\\Dir', 'C:\\Dir\\*', 'C:\\*', 'C:\\Dir*', 'C:\\*\\Dir', '*\\Dir\\*']) {
      const p = compilePattern(parsePattern(`${node} [*]`))
      const recursive = /\\\*$/.test(node) && node.length > 2
      for (const d of dirs) expect(p.matchesDir(d), `${node} vs ${d} (${p.dirMatch})`).to.equal(re(recursive ? node.slice(0, -2) : node, recursive).test(d))
    }
  })
  it('specificity: deeper node first, then named > *.ext > *', () => {
    const s = (t: string): ReturnType<typeof compilePattern>['spec'] => compilePattern(parsePattern(t)).spec
    expect(compareSpecificity(s('C:\\Dir1\\* [*]'), s('C:\\* [*.txt]'))).to.be.greaterThan(0)
    expect(compareSpecificity(s('C:\\Dir1\\* [*.txt]'), s('C:\\Dir1\\* [*]'))).to.be.greaterThan(0)
    expect(compareSpecificity(s('C:\\Dir1\\ [a.txt]'), s('C:\\Dir1\\* [*.txt]'))).to.be.greaterThan(0)
    // Registry R2: the named value at the same key beats Processor\* [*].
    expect(compareSpecificity(s('HKLM\\Software\\Microsoft\\Command Processor [DefaultColor]'), s('HKLM\\Software\\Microsoft\\Command Processor\\* [*]'))).to.be.greaterThan(0)
  })
})

describe('engine user selection (usmt.md §10)', () => {
  const now = new Date('2025-06-01T00:00:00Z')
  const u = (account: string, daysAgo: number | null, sid?: string): DiscoveredProfile => ({
    account, profile: `C:\\Users\\${account.split('\\')[1]}`, sid, lastUse: daysAgo === null ? undefined : new Date(now.getTime() - daysAgo * 86_400_000).toISOString(), used: daysAgo !== null,
  })
  const users = [u('FABRIKAM\\user1', 5), u('FABRIKAM\\user2', 50), u('CONTOSO\\user1', 60), u('PC\\user1', 1, 'S-1-5-21-1-2-3-1001'), u('PC\\never', null)]
  const pick = (sel: Parameters<typeof selectUsers>[1]): string[] => selectUsers(users, sel, 'PC', now).filter((d) => d.migrated).map((d) => d.account)
  it('default: every used profile; never-used profiles are not migrated', () => {
    expect(pick({})).to.deep.equal(['FABRIKAM\\user1', 'FABRIKAM\\user2', 'CONTOSO\\user1', 'PC\\user1'])
  })
  it('the /ui and /ue tables', () => {
    expect(pick({ ue: ['*\\*'], ui: ['fabrikam\\user2'] })).to.deep.equal(['FABRIKAM\\user2'])
    expect(pick({ ue: ['*\\*'], ui: ['user1'] })).to.deep.equal(['PC\\user1'])
    expect(pick({ ue: ['*\\*'], ui: ['%computername%\\*'] })).to.deep.equal(['PC\\user1'])
    expect(pick({ ue: ['*\\user*'] })).to.deep.equal([])
    expect(pick({ ue: ['%computername%\\user1'] })).to.deep.equal(['FABRIKAM\\user1', 'FABRIKAM\\user2', 'CONTOSO\\user1'])
    expect(pick({ ue: ['*\\*'], ui: ['contoso\\*'] })).to.deep.equal(['CONTOSO\\user1'])
    expect(pick({ ue: ['*\\*'], ui: ['S-1-5-21-1-2-3-1001'] })).to.deep.equal(['PC\\user1'])
  })
  it('/ui beats /ue; /uel beats /ue; /uel:30 /ui:fabrikam\\* drops the two-month-old Contoso account', () => {
    expect(pick({ ui: ['fabrikam\\*'], ue: ['fabrikam\\user1'] })).to.include('FABRIKAM\\user1')
    expect(pick({ ue: ['fabrikam\\user1'], uel: '14' })).to.deep.equal(['FABRIKAM\\user1', 'PC\\user1'])
    expect(pick({ uel: '30', ui: ['fabrikam\\*'] })).to.deep.equal(['FABRIKAM\\user1', 'FABRIKAM\\user2', 'PC\\user1'])
    expect(pick({ uel: '2025/04/10' })).to.deep.equal(['FABRIKAM\\user1', 'FABRIKAM\\user2', 'PC\\user1'])
  })
  it('/all cannot be combined; bad /uel values are usage errors; domain wildcards match case-insensitively', () => {
    expect(code(() => selectUsers(users, { all: true, ue: ['x'] }, 'PC', now))).to.match(/^USM0108/)
    expect(code(() => parseUel('2025/13/01', now))).to.match(/^USM0109/)
    expect(userPatternMatches('"fabrikam\\user one"', { account: 'FABRIKAM\\User One', profile: 'C:\\Users\\u' }, 'PC')).to.equal(true)
  })
})

describe('engine walk and file data', () => {
  it('symlink loops are warnings when links are followed; unreadable (broken) links are warnings', async () => {
    const m = makeMachine({ C: ['Data\\a.doc'] })
    try {
      symlinkSync('..', path.join(m.root, 'C', 'Data', 'loop'))
      symlinkSync('nowhere.doc', path.join(m.root, 'C', 'Data', 'broken.doc'))
      const xml = m.xml('r.xml', migration('w', [{ name: 'All', rules: inc('C:\\* [*]') }]))
      const followed = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [], followSymlinks: true })
      expect(followed.included).to.deep.equal(['C:\\Data\\a.doc'])
      const warnings = followed.events.filter((e) => e.kind === 'warning').map((e) => (e as { warning: { code: string; path?: string; message: string } }).warning)
      const loop = warnings.find((w) => w.code === 'symlink-loop')
      expect(loop?.path).to.equal('C:\\Data\\loop')
      expect(loop?.message).to.match(/leads back to a folder already walked/)
      expect(warnings.find((w) => w.code === 'unreadable')?.path).to.equal('C:\\Data\\broken.doc')
      const plain = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(plain.included).to.deep.equal(['C:\\Data\\a.doc'])
    } finally {
      m.cleanup()
    }
  })
  it('attribute maps match paths case-insensitively, as written by the caller (the portable scanstate passes them unchanged)', async () => {
    const m = makeMachine({ C: ['Users\\ann\\NTUSER.DAT', 'Users\\ann\\Documents\\desktop.ini', 'Users\\ann\\Documents\\Budget.xlsx', 'Users\\ann\\Documents\\notes.txt'] })
    try {
      const xml = m.xml('docs.xml', `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/docs"><component type="Documents" context="User"><displayName>MigDocUser</displayName><role role="Data"><rules>
        ${inc('<script>MigXmlHelper.GenerateDocPatterns ("FALSE","TRUE","FALSE")</script>')}${exc('<script>MigXmlHelper.GenerateDocPatterns ("FALSE","FALSE","FALSE")</script>')}</rules></role></component></migration>`)
      const attributes = new Map([['C:\\Users\\ann\\Documents\\DESKTOP.INI', 'hs'], ['c:/users/ann/documents/budget.xlsx', 'R']])
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, attributes })
      expect(r.included).to.deep.equal(['C:\\Users\\ann\\Documents\\Budget.xlsx', 'C:\\Users\\ann\\Documents\\notes.txt'])
      expect(r.excluded.get('C:\\Users\\ann\\Documents\\desktop.ini')).to.match(/^hidden and system attributes/)
      expect(r.byPath.get('C:\\Users\\ann\\Documents\\Budget.xlsx')?.attributes).to.deep.equal({ readOnly: true, hidden: false, system: false })
      expect(r.byPath.get('C:\\Users\\ann\\Documents\\notes.txt')?.attributes.readOnly).to.equal(false)
    } finally {
      m.cleanup()
    }
  })
  it('a symlink to a file is captured with its target\'s size and times; regular files with their own', async () => {
    const m = makeMachine({ C: ['Data\\a.doc', 'Other\\big.doc'] })
    try {
      writeFileSync(path.join(m.root, 'C', 'Other', 'big.doc'), 'x'.repeat(5000))
      symlinkSync(path.join(m.root, 'C', 'Other', 'big.doc'), path.join(m.root, 'C', 'Data', 'alias.doc'))
      const xml = m.xml('r.xml', migration('l', [{ name: 'Data', rules: inc('C:\\Data\\* [*]') }]))
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(r.included).to.deep.equal(['C:\\Data\\a.doc', 'C:\\Data\\alias.doc'])
      expect(r.byPath.get('C:\\Data\\alias.doc')?.bytes).to.equal(5000)
      expect(r.byPath.get('C:\\Data\\a.doc')?.bytes).to.equal('content of Data\\a.doc'.length)
    } finally {
      m.cleanup()
    }
  })
  it('reads file versions for DoesFileVersionMatch from the PE bytes', async () => {
    expect(parseVersionInfo(buildVersionedExe('8.2.0.1', '8.2.0.1', { CompanyName: 'Contoso' }))).to.deep.equal({ FileVersion: '8.2.0.1', ProductVersion: '8.2.0.1', CompanyName: 'Contoso' })
    const m = makeMachine({ C: ['Data\\a.doc'] })
    try {
      mkdirSync(path.join(m.root, 'C', 'App'))
      writeFileSync(path.join(m.root, 'C', 'App', 'app.exe'), buildVersionedExe('8.2.0.1', '8.2.0.1'))
      const comp = (ver: string): string => `<migration urlid="http://x/v${ver}"><component type="Application" context="System"><displayName>V${ver}</displayName><role role="Settings">
        <detects><detect><condition>MigXmlHelper.DoesFileVersionMatch("%SYSTEMDRIVE%\\App\\app.exe","FileVersion","${ver}")</condition></detect></detects>
        <rules>${inc('C:\\Data\\* [*]')}</rules></role></component></migration>`
      expect((await collect({ ruleFiles: [m.xml('a.xml', comp('8.*'))], volumes: m.volumes, users: [] })).included).to.deep.equal(['C:\\Data\\a.doc'])
      expect((await collect({ ruleFiles: [m.xml('b.xml', comp('9.*'))], volumes: m.volumes, users: [] })).included).to.deep.equal([])
    } finally {
      m.cleanup()
    }
  })
})

describe('rules commands', function () {
  before(function () { requireSharedFixtures(this, 'usmt-xml', 'MigUser.xml') })
  const M = path.join(PROJECT_ROOT, 'samples', 'machine')
  const base = ['--rules', sharedFixture('usmt-xml', 'MigUser.xml'), '--volume', `C=${M}/C`, '--volume', `D=${M}/D`, '--removable', `E=${M}/E`, '--users', path.join(M, 'users.json'), '--now', '2025-06-01T00:00:00Z']

  it('preview --json prints the documented shape', async () => {
    const r = await runCli(['rules', 'preview', ...base, '--json'])
    expect(r.exitCode).to.equal(0)
    const doc = parseJsonOutput<{ status: string; result: { included: Array<Record<string, unknown>>; excluded: Array<Record<string, unknown>>; users: Array<Record<string, unknown>>; totals: { files: number; bytes: number } } }>(r.stdout)
    expect(doc.result.included[0]).to.have.keys(['path', 'type', 'user', 'component', 'rule', 'bytes'])
    expect(doc.result.included.find((f) => f.path === 'C:\\Users\\ann\\Documents\\notes.txt')).to.deep.equal({
      path: 'C:\\Users\\ann\\Documents\\notes.txt', type: 'file', user: 'PC\\ann', component: 'My Documents', rule: 'MigUser.xml:251 include %CSIDL_PERSONAL%\\* [*]', bytes: 15,
    })
    expect(doc.result.excluded[0]).to.include.keys(['path', 'reason', 'rule'])
    expect(doc.result.users.map((u) => u.account)).to.deep.equal(['PC\\ann', 'CONTOSO\\jdoe', 'PC\\olduser', 'AzureAD\\KimAkers', 'PC\\newhire'])
    expect(doc.result.totals.files).to.equal(50)
  })
  it('preview without --json ends with one summary line', async () => {
    const r = await runCli(['rules', 'preview', ...base])
    expect(r.stdout.trim().split('\n').pop()).to.equal('50 files (863 B) would be captured for 4 of 5 users; 13 excluded; 0 warnings')
  })
  it('explain says which rule decided', async () => {
    const r = await runCli(['rules', 'explain', 'C:\\Users\\ann\\mail.pst', 'C:\\Data\\readme.txt', ...base, '--json'])
    const doc = parseJsonOutput<{ result: Array<{ path: string; captured: boolean; reason: string; decidedBy: string }> }>(r.stdout)
    expect(doc.result[0]).to.include({ path: 'C:\\Users\\ann\\mail.pst', captured: false, reason: 'excluded by rule', decidedBy: 'MigUser.xml:545 exclude %PROFILESFOLDER%\\* [*]' })
    expect(doc.result[1]).to.include({ captured: true, decidedBy: 'MigUser.xml:485 include GenerateDrivePatterns("* [*.txt]", "Fixed") → C:\\* [*.txt]' })
  })
  it('estimate totals per user and component', async () => {
    const r = await runCli(['rules', 'estimate', ...base, '--json'])
    const doc = parseJsonOutput<{ result: { totals: { files: number; bytes: number }; byUser: Record<string, { files: number }> } }>(r.stdout)
    expect(doc.result.totals).to.deep.equal({ files: 50, bytes: 863 })
    expect(doc.result.byUser['CONTOSO\\jdoe'].files).to.equal(5)
  })
  it('lint exits non-zero (config) on errors and zero on clean files', async () => {
    const t = tempDir()
    try {
      const bad = path.join(t.dir, 'bad.xml')
      writeFileSync(bad, '<migration urlid="http://x/bad"><component type="Documents"><displayName>B</displayName><role role="Data"><rules><include><objectSet><script>MigXmlHelper.MakeCoffee()</script><pattern type="File">%NOPE%\\* [*]</pattern></objectSet></include></rules></role></component></migration>')
      const r = await runCli(['rules', 'lint', bad, '--json'])
      expect(r.exitCode).to.equal(3)
      const doc = parseJsonOutput<{ error: { code: string; data: { errors: Array<{ code: string }> } } }>(r.stdout)
      expect(doc.error.code).to.equal('USM0110')
      expect(doc.error.data.errors.map((e) => e.code)).to.deep.equal(['unknown-helper', 'unknown-variable'])
      const ok = await runCli(['rules', 'lint', sharedFixture('usmt-xml', 'MigUser.xml')])
      expect(ok.exitCode).to.equal(0)
    } finally {
      t.cleanup()
    }
  })
})
