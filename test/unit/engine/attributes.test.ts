/**
 * `<includeAttributes>` / `<excludeAttributes>` (usmt.md §6, element reference): whether a captured file's
 * security descriptor (Security) and time stamps (TimeFields) migrate with it. The most specific pattern
 * decides per parameter; without a matching rule everything migrates.
 */
import { expect } from 'chai'
import * as path from 'node:path'
import { explainPaths, prepare } from '../../../src/engine/index.js'
import { lintRuleFiles } from '../../../src/engine/lint.js'
import { parseAttributeList } from '../../../src/engine/compile.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { collect, exc, inc, makeMachine, migration } from './helpers.js'

const attrs = (kind: 'includeAttributes' | 'excludeAttributes', attributes: string, ...patterns: string[]): string =>
  `<${kind} attributes='${attributes}'><objectSet>${patterns.map((p) => `<pattern type="File">${p}</pattern>`).join('')}</objectSet></${kind}>`

describe('engine includeAttributes / excludeAttributes', () => {
  it("Microsoft's example: root .txt files migrate; a*.txt without time stamps, except aa.txt (the most specific pattern wins)", async () => {
    const m = makeMachine({ C: ['aa.txt', 'ab.txt', 'b.txt', 'c.doc'] })
    try {
      const xml = m.xml('r.xml', migration('attrs', [{
        name: 'Text files',
        rules: inc('%SYSTEMDRIVE%\\ [*.txt]') + attrs('excludeAttributes', 'TimeFields', '%SYSTEMDRIVE%\\ [a*.txt]') + attrs('includeAttributes', 'TimeFields', '%SYSTEMDRIVE%\\ [aa.txt]'),
      }]))
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(r.included).to.deep.equal(['C:\\aa.txt', 'C:\\ab.txt', 'C:\\b.txt'])
      expect(r.byPath.get('C:\\aa.txt')?.parameters).to.deep.equal({ security: true, timeFields: true, securityRule: null, timeFieldsRule: `r.xml:7 includeAttributes %SYSTEMDRIVE%\\ [aa.txt]` })
      expect(r.byPath.get('C:\\ab.txt')?.parameters).to.deep.equal({ security: true, timeFields: false, securityRule: null, timeFieldsRule: `r.xml:7 excludeAttributes %SYSTEMDRIVE%\\ [a*.txt]` })
      expect(r.byPath.get('C:\\b.txt')).to.not.have.property('parameters')
      // The time stamps are still read: a store decides from `parameters` what to carry.
      expect(r.byPath.get('C:\\ab.txt')?.mtimeMs).to.be.greaterThan(0)
    } finally {
      m.cleanup()
    }
  })

  it('Security and TimeFields are decided separately; the quoted list form parses; a deeper node beats a named leaf; a tie goes to the exclude', async () => {
    const m = makeMachine({ C: ['Dir\\a.doc', 'Dir\\Sub\\b.doc', 'Dir\\Sub\\keep.doc', 'Other\\c.doc'] })
    try {
      const xml = m.xml('r.xml', migration('attrs2', [{
        name: 'Docs',
        rules: inc('C:\\* [*.doc]')
          + attrs('excludeAttributes', '"Security","TimeFields"', 'C:\\Dir\\* [*]')
          + attrs('includeAttributes', 'Security', 'C:\\Dir\\Sub\\* [*]')
          + attrs('includeAttributes', 'TimeFields', 'C:\\Dir\\* [a.doc]')
          + attrs('includeAttributes', 'TimeFields', 'C:\\Dir\\Sub\\* [keep.doc]')
          + attrs('excludeAttributes', 'TimeFields', 'C:\\Dir\\Sub\\* [keep.doc]'),
      }]))
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      const pm = (p: string): unknown => {
        const x = r.byPath.get(p)?.parameters
        return x ? { security: x.security, timeFields: x.timeFields } : undefined
      }
      expect(pm('C:\\Dir\\a.doc')).to.deep.equal({ security: false, timeFields: true }) // named leaf at the same node beats [*]
      expect(pm('C:\\Dir\\Sub\\b.doc')).to.deep.equal({ security: true, timeFields: false }) // deeper node restores Security only
      expect(pm('C:\\Dir\\Sub\\keep.doc')).to.deep.equal({ security: true, timeFields: false }) // identical include/exclude: the exclude wins
      expect(pm('C:\\Other\\c.doc')).to.equal(undefined)
      expect(parseAttributeList(' "Security" , TimeFields ')).to.deep.equal({ security: true, timeFields: true, unknown: [] })
    } finally {
      m.cleanup()
    }
  })

  it('they never include or exclude a file, and rules of components disabled in Config.xml or of users not migrated do not apply', async () => {
    const m = makeMachine({ C: ['Data\\a.txt', 'Data\\b.log', 'Users\\ann\\Documents\\n.txt', 'Users\\bob\\Documents\\n.txt'] })
    try {
      const xml = m.xml('r.xml', migration('attrs3', [
        { name: 'Data', rules: inc('C:\\Data\\* [*]') + exc('C:\\Data\\ [*.log]') },
        { name: 'Only attributes', rules: attrs('includeAttributes', 'Security', 'C:\\Data\\* [*]') + attrs('excludeAttributes', 'Security', 'C:\\Data\\ [b.log]') },
        { name: 'Disabled', rules: inc('C:\\Nothing\\* [*]') + attrs('excludeAttributes', 'TimeFields', 'C:\\Data\\* [*]') },
        { name: 'Profiles', context: 'User', rules: inc('%CSIDL_PERSONAL%\\* [*]') + attrs('excludeAttributes', 'TimeFields', '%CSIDL_PERSONAL%\\* [*]') },
      ]))
      const config = m.xml('Config.xml', '<Configuration><Documents><component displayname="Disabled" migrate="no" ID="http://www.microsoft.com/migration/1.0/migxmlext/attrs3/disabled/data"/></Documents></Configuration>')
      const users = [{ account: 'PC\\ann', profile: 'C:\\Users\\ann', lastUse: '2025-05-01T00:00:00Z' }, { account: 'PC\\bob', profile: 'C:\\Users\\bob', lastUse: '2025-05-01T00:00:00Z' }]
      const r = await collect({ ruleFiles: [xml], configFile: config, volumes: m.volumes, users, selection: { ue: ['PC\\bob'] } })
      expect(r.included).to.deep.equal(['C:\\Data\\a.txt', 'C:\\Users\\ann\\Documents\\n.txt'])
      expect(r.excluded.get('C:\\Data\\b.log')).to.equal('excluded by rule')
      // "Only attributes" applies (Security kept, named), "Disabled" does not (TimeFields not decided by it).
      expect(r.byPath.get('C:\\Data\\a.txt')?.parameters).to.deep.equal({ security: true, timeFields: true, securityRule: 'r.xml:15 includeAttributes C:\\Data\\* [*]', timeFieldsRule: null })
      expect(r.byPath.get('C:\\Users\\ann\\Documents\\n.txt')?.parameters?.timeFields).to.equal(false)
      expect(r.excluded.get('C:\\Users\\bob\\Documents\\n.txt')).to.equal('user not migrated (PC\\bob)')
    } finally {
      m.cleanup()
    }
  })

  it('a value other than Security/TimeFields is a warning with its line (the rule is ignored) and a lint error', async () => {
    const m = makeMachine({ C: ['a.txt'] })
    try {
      const xml = m.xml('r.xml', migration('attrs4', [{ name: 'X', rules: inc('C:\\ [*.txt]') + attrs('excludeAttributes', 'Hidden', 'C:\\ [*]') + attrs('excludeAttributes', 'TimeFields,Owner', 'C:\\ [a*]') }]))
      const p = prepare({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(p.warnings.filter((w) => w.code === 'bad-attribute').map((w) => `${w.line}: ${w.message}`)).to.deep.equal([
        '7: <excludeAttributes attributes="Hidden">: "Hidden" is not Security or TimeFields; the rule is ignored',
        '7: <excludeAttributes attributes="TimeFields,Owner">: "Owner" is not Security or TimeFields; ignored',
      ])
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(r.byPath.get('C:\\a.txt')?.parameters).to.deep.include({ security: true, timeFields: false })
      const lint = lintRuleFiles([xml])
      expect(lint.errors.map((e) => e.code)).to.deep.equal(['bad-attribute', 'bad-attribute'])
    } finally {
      m.cleanup()
    }
  })

  it('explain reports the parameters and the attribute rules; preview text marks the files; preview --json keeps its documented item shape', async () => {
    const m = makeMachine({ C: ['Logs\\app.log', 'Logs\\keep.log'] })
    try {
      const xml = m.xml('r.xml', migration('attrs5', [{ name: 'Logs', rules: inc('C:\\Logs\\* [*]') + attrs('excludeAttributes', 'TimeFields', 'C:\\Logs\\* [*.log]') + attrs('includeAttributes', 'TimeFields', 'C:\\Logs\\ [keep.log]') }]))
      const p = prepare({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      const [e] = explainPaths(p, ['C:\\Logs\\app.log'])
      expect(e.captured).to.equal(true)
      expect(e.parameters).to.deep.equal({ security: true, timeFields: false, securityRule: null, timeFieldsRule: 'r.xml:7 excludeAttributes C:\\Logs\\* [*.log]' })
      expect(e.matches.map((x) => x.kind)).to.deep.equal(['include', 'excludeAttributes'])
      const flags = ['--rules', xml, '--volume', `C=${path.join(m.root, 'C')}`, '--users', m.xml('users.json', '[]')]
      const text = await runCli(['rules', 'preview', ...flags])
      expect(text.stdout).to.match(/C:\\Logs\\app\.log {2}\d+ B {2}\(without TimeFields\)\n/)
      expect(text.stdout).to.match(/C:\\Logs\\keep\.log {2}\d+ B\n/)
      const json = parseJsonOutput<{ result: { included: Array<Record<string, unknown>> } }>((await runCli(['rules', 'preview', ...flags, '--json'])).stdout)
      expect(json.result.included.map((i) => Object.keys(i))).to.deep.equal([['path', 'type', 'user', 'component', 'rule', 'bytes'], ['path', 'type', 'user', 'component', 'rule', 'bytes']])
      const ex = parseJsonOutput<{ result: Array<{ parameters: unknown }> }>((await runCli(['rules', 'explain', 'C:\\Logs\\keep.log', ...flags, '--json'])).stdout)
      expect(ex.result[0].parameters).to.deep.equal({ security: true, timeFields: true, securityRule: null, timeFieldsRule: 'r.xml:7 includeAttributes C:\\Logs\\ [keep.log]' })
    } finally {
      m.cleanup()
    }
  })
})
