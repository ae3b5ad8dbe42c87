/** XML hardening, user selection and the CLI commands. (Patterns: pattern.test.ts; the walk: walk.test.ts.) */
import { expect } from 'chai'
import { writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs'
import * as path from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { parseXml } from '../../../src/engine/xml.js'
import { loadRuleModel } from '../../../src/engine/loader.js'
import { selectUsers, userPatternMatches, parseUel, type DiscoveredProfile } from '../../../src/engine/users.js'
import { runCli, parseJsonOutput, PROJECT_ROOT } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { inc } from './helpers.js'

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
