/**
 * Every worked example of usmt.md §7 (Microsoft's "Conflicts and precedence", include/exclude files
 * articles, GenerateUserPatterns, Config.xml) with Microsoft's expected outcome. S6 is tested against the
 * documented ordering (deeper node wins) — a recorded deviation from the published table row.
 */
import { expect } from 'chai'
import { collect, exc, inc, makeMachine, migration, ux } from './helpers.js'

const DIR_TREE = ['Dir1\\a.txt', 'Dir1\\a.doc', 'Dir1\\Dir2\\b.txt', 'Dir1\\Dir2\\b.doc', 'Dir1\\Dir2\\Dir3\\c.txt', 'Dir1\\Dir3\\d.txt', 'Dir1\\Dir3\\d.doc', 'root.txt', 'Other\\o.txt']
const ALL_DIR1 = ['C:\\Dir1\\a.doc', 'C:\\Dir1\\a.txt', 'C:\\Dir1\\Dir2\\b.doc', 'C:\\Dir1\\Dir2\\b.txt', 'C:\\Dir1\\Dir2\\Dir3\\c.txt', 'C:\\Dir1\\Dir3\\d.doc', 'C:\\Dir1\\Dir3\\d.txt'].sort()

async function run(components: Parameters<typeof migration>[1], tree: string[] = DIR_TREE, extra: { config?: string } = {}): Promise<Awaited<ReturnType<typeof collect>>> {
  const m = makeMachine({ C: tree })
  try {
    const rules = m.xml('rules.xml', migration('test', components))
    const configFile = extra.config ? m.xml('Config.xml', extra.config) : undefined
    return await collect({ ruleFiles: [rules], configFile, volumes: m.volumes, users: [] })
  } finally {
    m.cleanup()
  }
}

describe('engine precedence — usmt.md §7 worked examples', () => {
  describe('§7.5 include/exclude in the same component', () => {
    it('S1: include C:\\Dir1\\* [*] beats exclude C:\\* [*.txt] (the include is more specific)', async () => {
      const r = await run([{ name: 'S1', rules: inc('C:\\Dir1\\* [*]') + exc('C:\\* [*.txt]') }])
      expect(r.included).to.have.members(ALL_DIR1)
    })
    it('S2: all of Dir1 except .txt in Dir2 and its subfolders', async () => {
      const r = await run([{ name: 'S2', rules: inc('C:\\Dir1\\* [*]') + exc('C:\\Dir1\\Dir2\\* [*.txt]') }])
      expect(r.included).to.have.members(ALL_DIR1.filter((p) => !(p.startsWith('C:\\Dir1\\Dir2\\') && p.endsWith('.txt'))))
      expect(r.excluded.get('C:\\Dir1\\Dir2\\Dir3\\c.txt')).to.equal('excluded by rule')
    })
    it('S3: all of Dir1 except .txt files in Dir1 and its subfolders', async () => {
      const r = await run([{ name: 'S3', rules: inc('C:\\Dir1\\* [*]') + exc('C:\\Dir1\\* [*.txt]') }])
      expect(r.included).to.have.members(['C:\\Dir1\\a.doc', 'C:\\Dir1\\Dir2\\b.doc', 'C:\\Dir1\\Dir3\\d.doc'])
    })
    it('S4: identical include and exclude — nothing is migrated (tie goes to the exclude)', async () => {
      const r = await run([{ name: 'S4', rules: inc('C:\\Dir1\\Dir2\\* [*.txt]') + exc('C:\\Dir1\\Dir2\\* [*.txt]') }])
      expect(r.included).to.deep.equal([])
      expect(r.excluded.get('C:\\Dir1\\Dir2\\b.txt')).to.equal('excluded by rule')
    })
    it('S5: .txt of Dir1 and of subfolders other than Dir2; nothing from Dir2', async () => {
      const r = await run([{ name: 'S5', rules: inc('C:\\Dir1\\* [*.txt]') + exc('C:\\Dir1\\Dir2\\* [*]') }])
      expect(r.included).to.have.members(['C:\\Dir1\\a.txt', 'C:\\Dir1\\Dir3\\d.txt'])
    })
    it('S6 (documented deviation): include C:\\Dir1\\Dir2\\* [*] beats exclude C:\\Dir1\\* [*.txt] because the deeper node wins', async () => {
      // Microsoft's table says Dir2's .txt files are excluded; that contradicts S1 and §7.2 (usmt.md §7.5 DOC-BUG).
      const r = await run([{ name: 'S6', rules: inc('C:\\Dir1\\Dir2\\* [*]') + exc('C:\\Dir1\\* [*.txt]') }])
      expect(r.included).to.have.members(['C:\\Dir1\\Dir2\\b.doc', 'C:\\Dir1\\Dir2\\b.txt', 'C:\\Dir1\\Dir2\\Dir3\\c.txt'])
    })
  })

  describe('§7.6 different components', () => {
    it('D1: what component 1 excludes, component 2 includes — all of Dir1 migrates', async () => {
      const r = await run([
        { name: 'C1', rules: inc('C:\\Dir1\\* [*]') + exc('C:\\Dir1\\Dir2\\* [*.txt]') },
        { name: 'C2', rules: inc('C:\\Dir1\\Dir2\\* [*.txt]') + exc('C:\\Dir1\\* [*]') },
      ])
      expect(r.included).to.have.members(ALL_DIR1)
      expect(r.byPath.get('C:\\Dir1\\Dir2\\b.txt')?.component).to.equal('C2')
      expect(r.byPath.get('C:\\Dir1\\a.txt')?.component).to.equal('C1')
    })
    it('D2 (independence reading): a lone exclude in another component has no effect — all of Dir2 migrates', async () => {
      const r = await run([{ name: 'C1', rules: inc('C:\\Dir1\\Dir2\\* [*]') }, { name: 'C2', rules: exc('C:\\Dir1\\* [*.txt]') }])
      expect(r.included).to.have.members(['C:\\Dir1\\Dir2\\b.doc', 'C:\\Dir1\\Dir2\\b.txt', 'C:\\Dir1\\Dir2\\Dir3\\c.txt'])
    })
    it('D3: component 1 has no include, so its exclude is not processed — all .txt of Dir1 migrate', async () => {
      const r = await run([{ name: 'C1', rules: exc('C:\\Dir1\\Dir2\\* [*]') }, { name: 'C2', rules: inc('C:\\Dir1\\* [*.txt]') }])
      expect(r.included).to.have.members(['C:\\Dir1\\a.txt', 'C:\\Dir1\\Dir2\\Dir3\\c.txt', 'C:\\Dir1\\Dir2\\b.txt', 'C:\\Dir1\\Dir3\\d.txt'].sort())
    })
    it('§7.3: the .mp3 exclude in a separate component does not affect C:\\Userdocs\\ [*] (top-level files only)', async () => {
      const r = await run([
        { name: 'User Documents', rules: exc('C:\\Userdocs\\* [*.mp3]') },
        { name: ' User documents to include ', rules: inc(' C:\\Userdocs\\ [*]') },
      ], ['Userdocs\\song.mp3', 'Userdocs\\letter.doc', 'Userdocs\\Sub\\deep.mp3'])
      expect(r.included).to.have.members(['C:\\Userdocs\\letter.doc', 'C:\\Userdocs\\song.mp3'])
    })
  })

  it('§7.2: directory names take precedence over file extensions — mp3 under C:\\Data stay included', async () => {
    const r = await run([{ name: 'mp3', rules: inc('C:\\Data\\* [*]') + exc(' C:\\* [*.mp3]') }], ['Data\\a.mp3', 'Data\\Sub\\b.mp3', 'Data\\c.doc', 'x.mp3'])
    expect(r.included).to.have.members(['C:\\Data\\a.mp3', 'C:\\Data\\Sub\\b.mp3', 'C:\\Data\\c.doc'])
  })

  it('AC-LOG-4 / §7.1: several <rules> of one component form one include/exclude list', async () => {
    const m = makeMachine({ C: ['data\\test.txt', 'data\\test (1).txt', 'data\\New Folder\\New Text Document.txt', 'data\\test.docx'] })
    try {
      const xml = m.xml('two-rules.xml', `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/tworules">
  <component type="Documents" context="System"><displayName>DATA1</displayName><role role="Data">
    <rules>${inc('c:\\data\\* [*]')}</rules>
    <rules>${exc('c:\\data\\* [*.txt]')}</rules>
  </role></component></migration>`)
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(r.included).to.have.members(['C:\\data\\test.docx'])
    } finally {
      m.cleanup()
    }
  })

  describe('§7.9 include-files examples', () => {
    const tree = ['EngineeringDrafts\\Sample.doc', 'EngineeringDrafts\\plan.txt', 'EngineeringDrafts\\Sub\\deep.doc', 'Work\\EngineeringDrafts\\w.doc', 'Work\\Sample.doc', 'x.mp3']
    it('IN-2: C:\\EngineeringDrafts\\* [*] — all files and subfolders', async () => {
      const r = await run([{ name: 'IN2', rules: inc('C:\\EngineeringDrafts\\* [*]') }], tree)
      expect(r.included).to.have.members(['C:\\EngineeringDrafts\\Sample.doc', 'C:\\EngineeringDrafts\\Sub\\deep.doc', 'C:\\EngineeringDrafts\\plan.txt'])
    })
    it('IN-3: C:\\EngineeringDrafts\\ [*] — files but no subfolders', async () => {
      const r = await run([{ name: 'IN3', rules: inc(' C:\\EngineeringDrafts\\ [*]') }], tree)
      expect(r.included).to.have.members(['C:\\EngineeringDrafts\\Sample.doc', 'C:\\EngineeringDrafts\\plan.txt'])
    })
    it('IN-4: GenerateDrivePatterns for EngineeringDrafts on every fixed drive (not removable)', async () => {
      const m = makeMachine({ C: tree, D: ['EngineeringDrafts\\d.doc', 'A\\EngineeringDrafts\\e.doc'], E: ['EngineeringDrafts\\usb.doc'] })
      try {
        const xml = m.xml('in4.xml', migration('in4', [{ name: 'IN4', rules: inc('<script>MigXmlHelper.GenerateDrivePatterns ("\\EngineeringDrafts\\* [*] ", "Fixed")</script>', '<script>MigXmlHelper.GenerateDrivePatterns ("*\\EngineeringDrafts\\* [*] ", "Fixed")</script>') }]))
        const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
        expect(r.included).to.have.members(['C:\\EngineeringDrafts\\Sample.doc', 'C:\\EngineeringDrafts\\Sub\\deep.doc', 'C:\\EngineeringDrafts\\plan.txt', 'C:\\Work\\EngineeringDrafts\\w.doc', 'D:\\A\\EngineeringDrafts\\e.doc', 'D:\\EngineeringDrafts\\d.doc'].sort())
      } finally {
        m.cleanup()
      }
    })
    it('IN-5: C:\\*\\EngineeringDrafts\\* [*] plus C:\\EngineeringDrafts\\* [*] — every EngineeringDrafts on C:', async () => {
      const only = await run([{ name: 'IN5a', rules: inc(' C:\\*\\EngineeringDrafts\\* [*]') }], tree)
      expect(only.included).to.have.members(['C:\\Work\\EngineeringDrafts\\w.doc'])
      const both = await run([{ name: 'IN5', rules: inc(' C:\\*\\EngineeringDrafts\\* [*]', ' C:\\EngineeringDrafts\\* [*]') }], tree)
      expect(both.included).to.have.length(4)
    })
    it('IN-7 and IN-8: a named leaf — only Sample.doc in the folder, or anywhere on C: (case-insensitive)', async () => {
      const r7 = await run([{ name: 'IN7', rules: inc(' C:\\EngineeringDrafts\\ [Sample.doc]') }], tree)
      expect(r7.included).to.have.members(['C:\\EngineeringDrafts\\Sample.doc'])
      const r8 = await run([{ name: 'IN8', rules: inc(' C:\\* [sample.doc] ') }], tree)
      expect(r8.included).to.have.members(['C:\\EngineeringDrafts\\Sample.doc', 'C:\\Work\\Sample.doc'])
    })
  })

  describe('§7.10 exclude-files examples', () => {
    it('EX-1: all of C: except .mp3', async () => {
      const r = await run([{ name: 'MP3 Files', context: 'UserAndSystem', rules: `<include filter='MigXmlHelper.IgnoreIrrelevantLinks()'><objectSet><pattern type="File">C:\\* [*]</pattern></objectSet></include>${exc('C:\\* [*.mp3]')}` }], ['a.mp3', 'b.doc', 'X\\c.mp3', 'X\\d.txt'])
      expect(r.included).to.have.members(['C:\\X\\d.txt', 'C:\\b.doc'])
    })
    it('EX-2: C:\\Data except C:\\Data\\temp (the XML, not the prose "tmp")', async () => {
      const r = await run([{ name: 'EX2', rules: inc('C:\\Data\\* [*]') + exc(' C:\\Data\\temp\\* [*]') }], ['Data\\a.doc', 'Data\\temp\\t.doc', 'Data\\tmp\\k.doc'])
      expect(r.included).to.have.members(['C:\\Data\\a.doc', 'C:\\Data\\tmp\\k.doc'])
    })
    it('EX-3: subfolders of EngineeringDrafts but not the files directly in it', async () => {
      const r = await run([{ name: 'EX3', rules: inc(' C:\\EngineeringDrafts\\* [*]') + exc(' C:\\EngineeringDrafts\\ [*]') }], ['EngineeringDrafts\\top.doc', 'EngineeringDrafts\\Sub\\s.doc'])
      expect(r.included).to.have.members(['C:\\EngineeringDrafts\\Sub\\s.doc'])
    })
    it('EX-4: everything in EngineeringDrafts except Sample.doc directly in it', async () => {
      const r = await run([{ name: 'EX4', rules: inc(' C:\\EngineeringDrafts\\* [*]') + exc(' C:\\EngineeringDrafts\\ [Sample.doc]') }], ['EngineeringDrafts\\Sample.doc', 'EngineeringDrafts\\x.doc', 'EngineeringDrafts\\Sub\\Sample.doc'])
      expect(r.included).to.have.members(['C:\\EngineeringDrafts\\Sub\\Sample.doc', 'C:\\EngineeringDrafts\\x.doc'])
    })
    it('EX-5: exclude Sample.doc from anywhere on C:', async () => {
      const r = await run([{ name: 'EX5', rules: inc('C:\\* [*]') + exc(' C:\\* [Sample.doc] ') }], ['Sample.doc', 'A\\Sample.doc', 'A\\keep.doc'])
      expect(r.included).to.have.members(['C:\\A\\keep.doc'])
    })
    it('UX-1: unconditionalExclude of .mp3 on fixed drives beats an include in another component', async () => {
      const r = await run([
        { name: 'Include', rules: inc('C:\\Music\\* [*]') },
        { name: 'Test', rules: ux('<script>MigXmlHelper.GenerateDrivePatterns ("* [*.mp3]", "Fixed")</script>') },
      ], ['Music\\a.mp3', 'Music\\b.wma'])
      expect(r.included).to.have.members(['C:\\Music\\b.wma'])
      expect(r.excluded.get('C:\\Music\\a.mp3')).to.equal('unconditionalExclude')
    })
    it('UX-2: unconditionalExclude c:\\*[*] removes every file on C:', async () => {
      const r = await run([{ name: 'Inc', rules: inc('C:\\Data\\ [a.doc]') }, { name: 'allfiles', rules: ux('c:\\*[*]') }], ['Data\\a.doc'])
      expect(r.included).to.deep.equal([])
    })
    it('UX-3: registry unconditionalExclude is parsed and listed as not evaluated, never a crash', async () => {
      const m = makeMachine({ C: ['a.txt'] })
      try {
        const xml = m.xml('ux3.xml', migration('miguser', [{ name: 'Test', context: 'User', rules: '<include><objectSet><pattern type="Registry">HKCU\\testReg[*]</pattern></objectSet></include><unconditionalExclude><objectSet><pattern type="Registry">HKCU\\*[*]</pattern></objectSet></unconditionalExclude>' }]))
        const { prepare } = await import('../../../src/engine/index.js')
        const p = prepare({ ruleFiles: [xml], volumes: m.volumes, users: [{ account: 'PC\\ann', profile: 'C:\\Users\\ann', lastUse: new Date().toISOString() }] })
        expect(p.notEvaluated.map((n) => n.pattern)).to.include.members(['HKCU\\testReg[*]', 'HKCU\\*[*]'])
      } finally {
        m.cleanup()
      }
    })
    it('UX-4: Windows and Program Files are unconditionally excluded even for included *.doc', async () => {
      const r = await run([{ name: 'UX4', rules: inc('<script>MigXmlHelper.GenerateDrivePatterns ("* [*.doc]", "Fixed")</script>', '<script>MigXmlHelper.GenerateDrivePatterns ("* [*.xls]", "Fixed")</script>') + ux('C:\\Program Files\\* [*]', 'C:\\Windows\\* [*]') }],
        ['Windows\\w.doc', 'Program Files\\App\\p.xls', 'Data\\d.doc', 'Data\\d.docx'])
      expect(r.included).to.have.members(['C:\\Data\\d.doc'])
    })
  })

  describe('§7.11 understanding-migration-XML examples', () => {
    it('Example 2/3: an unconditionalExclude of *.txt (UserAndSystem component) removes .txt that MigDocs-style rules include', async () => {
      const r = await run([
        { name: 'Docs', rules: inc('D:\\new folder\\* [*]', 'C:\\new folder\\* [*]') },
        { name: 'MigDocExcludes', context: 'UserandSystem', rules: ux('<script>MigXmlHelper.GenerateDrivePatterns ("*[*.txt]", "Fixed")</script>') },
      ], ['new folder\\new text document.txt', 'new folder\\keep.docx'])
      expect(r.included).to.have.members(['C:\\new folder\\keep.docx'])
    })
    it('Example 1: an exact file exclude and an extension exclude at the same folder beat the [*] include', async () => {
      const r = await run([{ name: 'Docs', rules: inc('C:\\New folder\\* [*]') + exc('C:\\New folder\\ [new text document.txt]', 'C:\\New folder\\*[*.txt]') }], ['New folder\\new text document.txt', 'New folder\\other.txt', 'New folder\\keep.doc'])
      expect(r.included).to.have.members(['C:\\New folder\\keep.doc'])
    })
  })

  it('§7.12 GenerateUserPatterns: .doc outside profiles in system context, each user only their own', async () => {
    const m = makeMachine({ C: ['Data\\shared.doc', 'Users\\A\\NTUSER.DAT', 'Users\\A\\a.doc', 'Users\\B\\NTUSER.DAT', 'Users\\B\\b.doc', 'Users\\X\\NTUSER.DAT', 'Users\\X\\x.doc'] })
    try {
      const xml = m.xml('gup.xml', `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/gup">
<component type="Documents" context="UserAndSystem"><displayName>Docs</displayName><role role="Data">
<rules context="System">${inc('<script>MigXmlHelper.GenerateDrivePatterns ("* [*.doc]", "Fixed")</script>')}${exc('%ProfilesFolder%\\* [*.doc]')}</rules>
<rules context="User">${inc('%ProfilesFolder%\\* [*.doc]')}${exc('<script>MigXmlHelper.GenerateUserPatterns ("File","%userprofile%\\* [*.doc]", "FALSE")</script>')}</rules>
</role></component></migration>`)
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, selection: { ue: ['PC\\X'] } })
      expect(r.included).to.have.members(['C:\\Data\\shared.doc', 'C:\\Users\\A\\a.doc', 'C:\\Users\\B\\b.doc'])
      expect(r.byPath.get('C:\\Users\\A\\a.doc')?.user).to.equal('PC\\A')
      expect(r.byPath.get('C:\\Users\\B\\b.doc')?.user).to.equal('PC\\B')
      expect(r.byPath.get('C:\\Data\\shared.doc')?.user).to.equal(null)
      expect(r.excluded.has('C:\\Users\\X\\x.doc')).to.equal(true)
    } finally {
      m.cleanup()
    }
  })

  describe('§7.4 / §5 Config.xml', () => {
    const personal = (name: string): string => `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/${name}">
<component type="Documents" context="User"><displayName>My Documents</displayName><role role="Data"><rules>${inc('%CSIDL_PERSONAL%\\* [*]')}</rules></role></component>
<component type="Documents" context="User"><displayName>Doc files</displayName><role role="Data"><rules>${inc('%CSIDL_PERSONAL%\\* [*.doc] ')}</rules></role></component>
</migration>`
    const cfg = (lines: string): string => `<?xml version="1.0" encoding="UTF-8"?><Configuration><Documents>${lines}</Documents></Configuration>`
    const id = (n: string): string => `http://www.microsoft.com/migration/1.0/migxmlext/docs/${n}/data`
    const tree = ['Users\\ann\\NTUSER.DAT', 'Users\\ann\\Documents\\a.doc', 'Users\\ann\\Documents\\b.xlsx']
    async function withConfig(config: string | undefined): Promise<string[]> {
      const m = makeMachine({ C: tree })
      try {
        const xml = m.xml('docs.xml', personal('docs'))
        const r = await collect({ ruleFiles: [xml], configFile: config ? m.xml('Config.xml', config) : undefined, volumes: m.volumes })
        return r.included
      } finally {
        m.cleanup()
      }
    }
    it('migrate="no" on Documents: only the .doc files another component includes migrate', async () => {
      expect(await withConfig(cfg(`<component displayname="My Documents" migrate="no" ID="${id('my documents')}"/>`))).to.deep.equal(['C:\\Users\\ann\\Documents\\a.doc'])
    })
    it('a deleted line does not exclude the component', async () => {
      expect(await withConfig(cfg(''))).to.have.length(2)
    })
    it('duplicate lines with yes and no: the component is migrated', async () => {
      expect(await withConfig(cfg(`<component displayname="My Documents" migrate="no" ID="${id('my documents')}"/><component displayname="My Documents" migrate="yes" ID="${id('my documents')}"/>`))).to.have.length(2)
    })
    it('a parent with migrate="no" removes its children even when they say yes', async () => {
      const inner = `<component displayname="My Documents" migrate="yes" ID="${id('my documents')}"/><component displayname="Doc files" migrate="yes" ID="${id('doc files')}"/>`
      expect(await withConfig(cfg(`<component displayname="group" migrate="no" ID="group">${inner}</component>`))).to.deep.equal([])
    })
    it('a disabled component is reported as the reason', async () => {
      const m = makeMachine({ C: ['Users\\ann\\NTUSER.DAT', 'Users\\ann\\Documents\\b.xlsx'] })
      try {
        const r = await collect({ ruleFiles: [m.xml('docs.xml', personal('docs'))], configFile: m.xml('Config.xml', cfg(`<component displayname="My Documents" migrate="no" ID="${id('my documents')}"/>`)), volumes: m.volumes })
        expect(r.excluded.get('C:\\Users\\ann\\Documents\\b.xlsx')).to.equal('component disabled in Config.xml')
      } finally {
        m.cleanup()
      }
    })
  })

  it('§7.8 merge: the most specific <merge> rule decides the collision policy; relocate follows locationModify', async () => {
    const { loadRuleSet } = await import('../../../src/engine/index.js')
    const m = makeMachine({ C: ['data\\SampleA.txt'] })
    try {
      const file = m.xml('merge.xml', migration('merge', [{
        name: 'Data', rules: inc('c:\\data\\* [*]')
          + '<merge script="MigXmlHelper.SourcePriority()"><objectSet><pattern type="File">c:\\data\\* [*]</pattern></objectSet></merge>'
          + '<merge script="MigXmlHelper.DestinationPriority()"><objectSet><pattern type="File">c:\\data\\Folder\\* [*]</pattern></objectSet></merge>'
          + "<locationModify script=\"MigXmlHelper.RelativeMove('C:\\data','%CSIDL_COMMON_DOCUMENTS%\\data')\"><objectSet><pattern type=\"File\">c:\\data\\* [*]</pattern></objectSet></locationModify>",
      }]))
      const rs = await loadRuleSet({ ruleFiles: [file] })
      expect(rs.mergePolicy('C:\\Data\\SampleB.txt', null)).to.equal('SourcePriority')
      expect(rs.mergePolicy('C:\\Data\\Folder\\SampleB.txt', null)).to.equal('DestinationPriority')
      expect(rs.mergePolicy('C:\\Other\\x.txt', null)).to.equal('default')
      expect(rs.relocate('C:\\data\\Folder\\SampleB.txt', null)).to.equal('C:\\Users\\Public\\Documents\\data\\Folder\\SampleB.txt')
      expect(rs.relocate('C:\\Other\\x.txt', null)).to.equal(null)
    } finally {
      m.cleanup()
    }
  })

  it('§7.14 RR-1 and IN-6: RelativeMove into each user\'s Documents, Move of .mp3 into C:\\Music', async () => {
    const { loadRuleSet } = await import('../../../src/engine/index.js')
    const m = makeMachine({ C: ['x.txt'] })
    try {
      const rr = m.xml('rr.xml', `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/test">
<component type="Documents" context="User"><displayName>Engineering Drafts Documents to Personal Folder</displayName><role role="Data"><rules>
${inc('C:\\EngineeringDrafts\\* [*]')}
<locationModify script="MigXmlHelper.RelativeMove('C:\\EngineeringDrafts','%CSIDL_PERSONAL%')"><objectSet><pattern type="File">C:\\EngineeringDrafts\\* [*]</pattern></objectSet></locationModify>
</rules></role></component>
<component type="Documents" context="System"><displayName>mp3</displayName><role role="Data"><rules>
${inc('<script>MigXmlHelper.GenerateDrivePatterns ("* [*.mp3]", "Fixed")</script>')}
<locationModify script="MigXmlHelper.Move('C:\\Music')"><objectSet><script>MigXmlHelper.GenerateDrivePatterns ("* [*.mp3]", "Fixed")</script></objectSet></locationModify>
</rules></role></component></migration>`)
      const rs = await loadRuleSet({ ruleFiles: [rr] })
      expect(rs.relocate('C:\\EngineeringDrafts\\Sub\\a.dwg', 'CONTOSO\\jdoe')).to.equal('C:\\Users\\jdoe\\Documents\\Sub\\a.dwg')
      expect(rs.relocate('D:\\Stuff\\a.mp3', null)).to.equal('C:\\Music\\Stuff\\a.mp3')
    } finally {
      m.cleanup()
    }
  })

  it('contexts: a <rules context="System"> inside a User component acts as if absent; User narrows UserAndSystem', async () => {
    const m = makeMachine({ C: ['Users\\ann\\NTUSER.DAT', 'Users\\ann\\Documents\\a.doc', 'Data\\d.doc'] })
    try {
      const xml = m.xml('ctx.xml', `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/ctx">
<component type="Documents" context="User"><displayName>U</displayName><role role="Data">
<rules context="System">${inc('C:\\Data\\* [*]')}</rules>
<rules context="UserAndSystem">${inc('%CSIDL_PERSONAL%\\* [*]')}</rules>
</role></component></migration>`)
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes })
      expect(r.included).to.have.members(['C:\\Users\\ann\\Documents\\a.doc'])
      expect(r.byPath.get('C:\\Users\\ann\\Documents\\a.doc')?.user).to.equal('PC\\ann')
    } finally {
      m.cleanup()
    }
  })
})
