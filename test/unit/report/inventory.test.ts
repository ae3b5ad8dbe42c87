import { expect } from 'chai'
import { parseUsmtCommandLine } from '../../../src/report/command-line.js'
import {
  accountForProfile, componentOf, fileKind, parseListFiles, profileOf, summarizeInventory, THIS_COMPUTER, userOf,
} from '../../../src/report/inventory.js'

describe('report: inventory', () => {
  it('classifies files by extension, case-insensitively', () => {
    expect(fileKind('C:\\Users\\a\\Documents\\Plan.DOCX')).to.equal('Documents')
    expect(fileKind('C:\\Users\\a\\x\\archive.pst')).to.equal('Email')
    expect(fileKind('C:\\Users\\a\\x\\clip.mp4')).to.equal('Video')
    expect(fileKind('C:\\Users\\a\\x\\noext')).to.equal('Other')
    expect(fileKind('C:\\Users\\a\\.hidden')).to.equal('Other')
  })

  it('finds the profile folder of a path', () => {
    expect(profileOf('C:\\Users\\jdoe\\Documents\\a.txt')).to.deep.equal({ profile: 'jdoe', rest: ['Documents', 'a.txt'] })
    expect(profileOf('D:\\Documents and Settings\\old\\Desktop\\b.txt')?.profile).to.equal('old')
    expect(profileOf('C:\\Data\\Users\\x\\a.txt')).to.equal(null)
    expect(profileOf('C:\\Projects\\a.txt')).to.equal(null)
  })

  it('matches profile folders to accounts, including the renamed folders Windows creates', () => {
    const accounts = ['CONTOSO\\jdoe', 'FABRIKAM\\jdoe', 'PC1\\admin']
    expect(accountForProfile('JDOE', accounts)).to.equal('CONTOSO\\jdoe')
    expect(accountForProfile('jdoe.FABRIKAM', ['FABRIKAM\\jdoe', 'CONTOSO\\jdoe.x'])).to.equal('FABRIKAM\\jdoe')
    expect(accountForProfile('admin.000', accounts)).to.equal('PC1\\admin')
    expect(accountForProfile('nobody', accounts)).to.equal(undefined)
  })

  it('puts shared and non-profile data under This Computer', () => {
    expect(userOf({ path: 'C:\\Users\\Public\\Documents\\x.pdf', bytes: 1 }, [])).to.equal(THIS_COMPUTER)
    expect(userOf({ path: 'D:\\Projects\\x.pdf', bytes: 1 }, [])).to.equal(THIS_COMPUTER)
    expect(userOf({ path: 'C:\\Users\\kim\\x.pdf', bytes: 1 }, [])).to.equal('kim')
    expect(userOf({ path: 'C:\\Users\\kim\\x.pdf', bytes: 1, user: 'CONTOSO\\kim' }, [])).to.equal('CONTOSO\\kim')
  })

  it('names components after USMT when known, else after the profile folder', () => {
    expect(componentOf({ path: 'C:\\Users\\a\\Documents\\x', bytes: 0, component: 'Office' })).to.deep.equal({ name: 'Office', basis: 'usmt' })
    expect(componentOf({ path: 'C:\\Users\\a\\Desktop\\x', bytes: 0 })).to.deep.equal({ name: 'Desktop', basis: 'folder' })
    expect(componentOf({ path: 'C:\\Users\\Public\\Documents\\x', bytes: 0 }).name).to.equal('Shared Documents')
    expect(componentOf({ path: 'D:\\Projects\\x\\y.txt', bytes: 0 }).name).to.equal('D:\\Projects')
  })

  it('totals by user, kind and component; unknown sizes are counted separately', () => {
    const t = summarizeInventory([
      { path: 'C:\\Users\\jdoe\\Documents\\a.docx', bytes: 100 },
      { path: 'C:\\Users\\jdoe\\Pictures\\b.jpg', bytes: 1000 },
      { path: 'C:\\Users\\jdoe\\Documents\\c.txt', bytes: null },
      { path: 'C:\\Users\\asmith\\Desktop\\d.mp4', bytes: 5000 },
      { path: 'C:\\Users\\Public\\e.pdf', bytes: 7 },
    ], [
      { user: 'CONTOSO\\jdoe', included: true, components: [{ name: 'Documents', included: true }] },
      { user: 'CONTOSO\\asmith', included: true, components: [] },
      { user: 'PC\\Guest', included: false, components: [] },
    ])
    expect(t.files).to.equal(5)
    expect(t.bytes).to.equal(6107)
    expect(t.unknownSize).to.equal(1)
    expect(t.users.map((u) => `${u.user}:${u.files}:${u.bytes}`)).to.deep.equal(['CONTOSO\\asmith:1:5000', 'CONTOSO\\jdoe:3:1100', 'PC\\Guest:0:0', 'This Computer:1:7'])
    const jdoe = t.users.find((u) => u.user === 'CONTOSO\\jdoe')
    expect(jdoe?.kinds).to.deep.equal([{ kind: 'Documents', files: 2, bytes: 100 }, { kind: 'Pictures', files: 1, bytes: 1000 }])
    expect(jdoe?.unknownSize).to.equal(1)
    expect(jdoe?.components).to.deep.equal([{ name: 'Documents', included: true }])
    expect(t.users.find((u) => u.user === 'PC\\Guest')?.included).to.equal(false)
    expect(t.kinds.map((k) => k.kind)).to.deep.equal(['Video', 'Pictures', 'Documents'])
    expect(t.components.find((c) => c.component === 'Documents')).to.deep.include({ files: 2, bytes: 100, users: ['CONTOSO\\jdoe'] })
  })

  it('reads a /listfiles output (BOM, CRLF, blank lines, junk)', () => {
    expect(parseListFiles('\uFEFFC:\\Users\\a\\x.txt\r\n\r\n\\\\srv\\share\\y.doc\r\nnot a path\r\n')).to.deep.equal(['C:\\Users\\a\\x.txt', '\\\\srv\\share\\y.doc'])
  })
})

describe('report: recorded USMT command lines', () => {
  it('reads Microsoft\'s scanstate command line', () => {
    const info = parseUsmtCommandLine('"C:\\_SMSTaskSequence\\Packages\\CM1\\amd64\\scanstate.exe" "\\\\fs01\\Mig Store\\PC1" /i:MigDocs.xml /o /c /encrypt /keyfile:C:\\k.txt /l:C:\\Logs\\scan state.log /progress C:\\Logs\\p.log /listfiles:C:\\Logs\\l.txt')
    expect(info).to.deep.include({ tool: 'scanstate', store: '\\\\fs01\\Mig Store\\PC1', mainLog: 'C:\\Logs\\scan', progressLog: 'C:\\Logs\\p.log', listFiles: 'C:\\Logs\\l.txt', encrypted: true, hardlink: false })
  })

  it('reads the portable tools\' command line with usmt-steps flags before the store', () => {
    const info = parseUsmtCommandLine('usmt-steps scanstate --volume C=/mnt/c --users users.json /tmp/store /hardlink /nocompress /i:/x/MigDocs.xml /l:/tmp/logs/scanstate.log')
    expect(info).to.deep.include({ tool: 'scanstate', store: '/tmp/store', mainLog: '/tmp/logs/scanstate.log', hardlink: true, nocompress: true })
  })

  it('reads loadstate and usmtutils /rd, and ignores other commands', () => {
    expect(parseUsmtCommandLine('C:\\USMT\\loadstate.exe C:\\StateStore /i:a.xml /decrypt /key:******** /lac')).to.deep.include({ tool: 'loadstate', store: 'C:\\StateStore', encrypted: true, listFiles: undefined })
    expect(parseUsmtCommandLine('C:\\USMT\\usmtutils.exe /rd C:\\StateStore /y')).to.deep.include({ tool: 'usmtutils', store: 'C:\\StateStore' })
    expect(parseUsmtCommandLine('smbclient //srv/share -c "put x"')).to.equal(null)
  })
})
