import { expect } from 'chai'
import {
  basename, dirname, driveOf, equalsPath, exceedsMaxPath, expandEnv, extname, invalidComponentReason, isAbsolute, isUnc, isUnder,
  join, joinCommandLine, normalize, parseWinPath, quoteArg, relativeTo, splitCommandLine, toLongPath, uncRoot,
} from '../../../src/windows/path.js'

describe('windows/path', () => {
  it('parses drive, UNC, device, relative and drive-relative forms', () => {
    expect(parseWinPath('c:\\Users\\ann')).to.deep.equal({ kind: 'drive', root: 'C:', segments: ['Users', 'ann'] })
    expect(parseWinPath('\\\\srv\\MigData$\\PC1')).to.deep.equal({ kind: 'unc', root: '\\\\srv\\MigData$', segments: ['PC1'] })
    expect(parseWinPath('\\\\?\\UNC\\srv\\share\\x').kind).to.equal('unc')
    expect(parseWinPath('\\\\?\\D:\\long').root).to.equal('D:')
    expect(parseWinPath('C:relative').kind).to.equal('drive-relative')
    expect(parseWinPath('\\rooted').kind).to.equal('rooted')
    expect(parseWinPath('a\\b').kind).to.equal('relative')
  })

  it('normalizes separators, dots, case of the drive and trailing backslashes', () => {
    expect(normalize('c:/Users//ann/./Documents/../Desktop/')).to.equal('C:\\Users\\ann\\Desktop')
    expect(normalize('C:\\')).to.equal('C:\\')
    expect(normalize('C:')).to.equal('C:\\')
    expect(normalize('C:\\..\\..\\Windows')).to.equal('C:\\Windows')
    expect(normalize('\\\\srv\\share\\')).to.equal('\\\\srv\\share')
    expect(normalize('\\\\?\\C:\\x\\y')).to.equal('C:\\x\\y')
  })

  it('compares case-insensitively and answers containment', () => {
    expect(equalsPath('c:\\USERS\\Ann', 'C:/users/ann/')).to.equal(true)
    expect(isUnder('C:\\Users\\ann\\Documents\\a.doc', 'c:\\users\\ANN')).to.equal(true)
    expect(isUnder('C:\\Users\\annie', 'C:\\Users\\ann')).to.equal(false)
    expect(isUnder('C:\\x', 'C:\\')).to.equal(true)
    expect(relativeTo('C:\\Users\\ann\\Documents\\a.doc', 'C:\\Users\\ann')).to.equal('Documents\\a.doc')
    expect(relativeTo('D:\\x', 'C:\\')).to.equal(null)
  })

  it('joins, splits and names parts', () => {
    expect(join('C:\\Users', 'ann', 'Documents')).to.equal('C:\\Users\\ann\\Documents')
    expect(join('C:\\Users', 'D:\\Data')).to.equal('D:\\Data')
    expect(basename('C:\\a\\b.txt')).to.equal('b.txt')
    expect(dirname('C:\\a\\b.txt')).to.equal('C:\\a')
    expect(extname('C:\\a\\b.tar.gz')).to.equal('.gz')
    expect(extname('C:\\a\\.profile')).to.equal('')
    expect(driveOf('e:\\x')).to.equal('E:')
    expect(uncRoot('\\\\srv\\s\\a\\b')).to.equal('\\\\srv\\s')
    expect(isUnc('\\\\srv\\s')).to.equal(true)
    expect(isAbsolute('C:x')).to.equal(false)
  })

  it('enforces Windows name rules and MAX_PATH', () => {
    expect(invalidComponentReason('CON')).to.match(/reserved/)
    expect(invalidComponentReason('nul.txt')).to.match(/reserved/)
    expect(invalidComponentReason('a:b')).to.match(/forbids/)
    expect(invalidComponentReason('trailing.')).to.match(/dot or a space/)
    expect(invalidComponentReason('fine.docx')).to.equal(null)
    const long = `C:\\${'a'.repeat(120)}\\${'b'.repeat(140)}`
    expect(exceedsMaxPath(long)).to.equal(true)
    expect(toLongPath(long)).to.equal(`\\\\?\\${long}`)
    expect(toLongPath(`\\\\srv\\s\\${'x'.repeat(300)}`)).to.match(/^\\\\\?\\UNC\\srv\\s\\/)
    expect(toLongPath('C:\\short')).to.equal('C:\\short')
  })

  it('quotes arguments so CommandLineToArgvW reads them back (trailing backslash trap)', () => {
    expect(quoteArg('C:\\Store\\')).to.equal('C:\\Store\\')
    expect(quoteArg('C:\\State Store\\')).to.equal('"C:\\State Store\\\\"')
    expect(quoteArg('')).to.equal('""')
    expect(quoteArg('say "hi"')).to.equal('"say \\"hi\\""')
    const argv = ['scanstate.exe', 'C:\\State Store\\', '/i:C:\\USMT\\MigUser.xml', '/ue:*\\Guest', 'a"b', 'tab\there', '\\\\srv\\share\\']
    expect(splitCommandLine(joinCommandLine(argv))).to.deep.equal(argv)
  })

  it('splits command lines the way the MS C runtime does', () => {
    expect(splitCommandLine('/nocompress /hardlink  /c')).to.deep.equal(['/nocompress', '/hardlink', '/c'])
    expect(splitCommandLine('/ui:"CONTOSO\\Ann Lee" /v:13')).to.deep.equal(['/ui:CONTOSO\\Ann Lee', '/v:13'])
    expect(splitCommandLine('"C:\\Store\\" /o')).to.deep.equal(['C:\\Store" /o'])
    expect(splitCommandLine('a\\\\\\"b')).to.deep.equal(['a\\"b'])
  })

  it('expands %VARIABLES% case-insensitively and reports unknown ones', () => {
    const unresolved = new Set<string>()
    const out = expandEnv('%SystemDrive%\\StateStore\\%COMPUTERNAME%\\%nope%', (n) => ({ systemdrive: 'C:', computername: 'PC1' } as Record<string, string>)[n.toLowerCase()], unresolved)
    expect(out).to.equal('C:\\StateStore\\PC1\\%nope%')
    expect([...unresolved]).to.deep.equal(['nope'])
  })
})
