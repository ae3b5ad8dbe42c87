import { expect } from 'chai'
import { parseLoadStateArgs, parseScanStateArgs, parseUsmtUtilsArgs } from '../../../src/usmt/grammar.js'
import { assertValidOptions, validateLoadState, validateScanState, validateUsmtUtils } from '../../../src/usmt/validate.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

const ss = (...argv: string[]) => validateScanState(parseScanStateArgs(argv), { cwd: '/work' })
const ls = (...argv: string[]) => validateLoadState(parseLoadStateArgs(argv), { cwd: '/work' })

describe('usmt/validate — every invalid combination of usmt.md §1.4', () => {
  const scanCases: Array<[string, string[], number, string]> = [
    ['V1 /hardlink without /nocompress', ['S', '/hardlink'], 11, '/hardlink requires /nocompress'],
    ['V2 /encrypt with /nocompress', ['S', '/encrypt', '/key:k', '/nocompress'], 11, "/encrypt can't be used with /nocompress"],
    ['V4 /encrypt without a key', ['S', '/encrypt'], 11, '/encrypt requires /key or /keyfile'],
    ['V4 /key and /keyfile', ['S', '/encrypt', '/key:k', '/keyfile:f'], 11, '/key and /keyfile both specified'],
    ['V5 /key without /encrypt', ['S', '/key:k'], 11, '/key or /keyfile used without enabling encryption'],
    ['V5 /keyfile without /encrypt', ['S', '/keyfile:f'], 11, '/key or /keyfile used without enabling encryption'],
    ['V6 key longer than 256', ['S', '/encrypt', `/key:${'k'.repeat(257)}`], 12, 'Command line arguments cannot exceed 256 characters'],
    ['V7 /vsc with /hardlink', ['S', '/vsc', '/hardlink', '/nocompress'], 11, 'Volume shadow copy feature is not supported with a hardlink store'],
    ['V8 /efs:hardlink without /hardlink', ['S', '/efs:hardlink'], 11, 'The /efs:hardlink requires /hardlink'],
    ['bad /efs value', ['S', '/efs:maybe'], 11, 'EFS parameter specified is not valid for /efs'],
    ['V9 /all with /ui', ['S', '/all', '/ui:a\\b'], 11, '/all conflicts with /ui, /ue or /uel'],
    ['V9 /all with /ue', ['S', '/all', '/ue:a\\b'], 11, '/all conflicts with /ui, /ue or /uel'],
    ['V9 /all with /uel', ['S', '/all', '/uel:30'], 11, '/all conflicts with /ui, /ue or /uel'],
    ['V10 /genconfig with a store', ['S', '/genconfig:c.xml'], 11, "/genconfig can't be used with most other options"],
    ['V10 /genconfig with /c', ['/genconfig:c.xml', '/c'], 11, "/genconfig can't be used with most other options"],
    ['V11 /genmigxml with /i', ['/genmigxml:g.xml', '/i:a.xml'], 11, "/genmigxml can't be used with most other options"],
    ['V12 /listfiles with /p', ['S', '/listfiles:l.txt', '/p:p.xml'], 11, '/listfiles cannot be used with /p'],
    ['V13 legacy /p on a compressed store', ['S', '/p'], 11, 'Use /nocompress, or provide an XML file path with /p"pathtoafile" to get a compressed store size estimate'],
    ['V14 /auto with /all', ['S', '/auto', '/all'], 11, 'By default /auto selects all users and uses the highest log verbosity level. Switches like /all, /ui, /ue, /v are not allowed.'],
    ['V14 /auto with /v', ['S', '/auto:C:\\usmt', '/v:5'], 11, 'By default /auto selects all users and uses the highest log verbosity level. Switches like /all, /ui, /ue, /v are not allowed.'],
    ['V16 two offline switches', ['S', '/offline:o.xml', '/offlinewindir:D:\\Windows'], 11, 'An option is specified more than once and is ambiguous'],
    ['V18 /uel offline', ['S', '/offlinewindir:D:\\Windows', '/uel:30'], 11, 'User exclusion argument is invalid'],
    ['V19 no store', ['/i:a.xml'], 11, 'The store parameter is required but not specified'],
    ['V19 store is C:\\', ['C:\\', '/i:a.xml'], 11, 'Settings store argument specified is invalid'],
    ['V23 /targetwindows7 on Windows 10', ['S', '/targetwindows7'], 11, 'The /targetWindows7 option is only available for Windows XP, Windows Vista, and Windows 7'],
    ['V25 Config.xml passed with /i', ['S', '/i:Config.xml', '/config:Config.xml'], 28, 'Script file is invalid for /i'],
    ['bad verbosity', ['S', '/v:3'], 11, 'Verbosity level must be specified as a sum of the desired log options: Verbose (0x01), Record Objects (0x04), Echo to debug port (0x08)'],
    ['bad /uel', ['S', '/uel:yesterday'], 11, 'User exclusion argument is invalid'],
    ['unsupported algorithm', ['S', '/encrypt:RC4', '/key:k'], 11, 'Specified encryption algorithm is not supported'],
    ['log inside the store', ['C:\\store', '/l:C:\\Store\\scan.log'], 11, 'Settings store argument specified is invalid'],
    ['progress inside the store', ['store', '/progress:store/p.log'], 11, 'Settings store argument specified is invalid'],
    ['argument longer than 256', ['S', `/i:${'a'.repeat(257)}`], 12, 'Command line arguments cannot exceed 256 characters'],
    ['store path longer than 256', [`C:\\${'s'.repeat(260)}`], 12, 'Specified settings store path exceeds the maximum allowed length of 256 characters'],
  ]
  for (const [name, argv, code, message] of scanCases) {
    it(`ScanState ${name} → ${code}`, () => {
      const v = validateScanState(parseScanStateArgs(argv), { cwd: '/work', sourceWindowsVersion: '10.0.19045' })
      expect(v.length, JSON.stringify(v)).to.be.greaterThan(0)
      expect(v[0].message).to.equal(message)
      expect(v[0].returnCode).to.equal(code)
    })
  }

  it('accepts valid ScanState command lines', () => {
    expect(ss('S', '/i:MigDocs.xml', '/o', '/c', '/v:13', '/l:scan.log', '/progress:p.log')).to.deep.equal([])
    expect(ss('S', '/hardlink', '/nocompress', '/efs:hardlink')).to.deep.equal([])
    expect(ss('S', '/encrypt:AES_256', '/keyfile:k.txt')).to.deep.equal([])
    expect(ss('S', '/nocompress', '/p')).to.deep.equal([])
    expect(ss('S', '/p:size.xml', '/hardlink', '/nocompress')).to.deep.equal([]) // V24: allowed
    expect(ss('/genconfig:Config.xml', '/i:MigApp.xml', '/v:13', '/l:g.log', '/o')).to.deep.equal([])
    expect(ss('/?')).to.deep.equal([])
    expect(ss('S', '/ue:*\\*', '/ui:fabrikam\\user2', '/uel:2024/01/31')).to.deep.equal([])
  })

  const loadCases: Array<[string, string[], number, string]> = [
    ['V1 /hardlink without /nocompress', ['S', '/hardlink'], 11, '/hardlink requires /nocompress'],
    ['V3 /decrypt with /nocompress', ['S', '/decrypt', '/key:k', '/nocompress'], 11, "/encrypt can't be used with /nocompress"],
    ['V4 /decrypt without a key', ['S', '/decrypt'], 11, '/encrypt requires /key or /keyfile'],
    ['V4 /key and /keyfile', ['S', '/decrypt', '/key:k', '/keyfile:f'], 11, '/key and /keyfile both specified'],
    ['V5 /key without /decrypt', ['S', '/key:k'], 11, '/key or /keyfile used without enabling encryption'],
    ['V9 /all with /ue', ['S', '/all', '/ue:x\\y'], 11, '/all conflicts with /ui, /ue or /uel'],
    ['V14 /auto with /ui', ['S', '/auto', '/ui:x\\y'], 11, 'By default /auto selects all users and uses the highest log verbosity level. Switches like /all, /ui, /ue, /v are not allowed.'],
    ['V15 /lae without /lac', ['S', '/lae'], 11, '/lae is only used with /lac'],
    ['V17 /offline during apply', ['S', '/offline:o.xml'], 36, 'Use of /offline is not supported during apply'],
    ['V17 /offlinewinold during apply', ['S', '/offlinewinold:C:\\Windows.old'], 36, 'Use of /offline is not supported during apply'],
    ['V19 no store', ['/i:a.xml'], 11, 'The store parameter is required but not specified'],
    ['V25 Config.xml passed with /i', ['S', '/i:cfg.xml', '/config:CFG.XML'], 28, 'Script file is invalid for /i'],
    ['/mu with a wildcard', ['S', '/mu:contoso\\*:fabrikam\\*'], 11, 'The source-to-target user account mapping is invalid for /mu'],
  ]
  for (const [name, argv, code, message] of loadCases) {
    it(`LoadState ${name} → ${code}`, () => {
      const v = ls(...argv)
      expect(v.length).to.be.greaterThan(0)
      expect(v[0].message).to.equal(message)
      expect(v[0].returnCode).to.equal(code)
    })
  }

  it('accepts valid LoadState command lines', () => {
    expect(ls('S', '/i:MigDocs.xml', '/lac:pw', '/lae', '/md:contoso:fabrikam', '/c', '/v:5')).to.deep.equal([])
    expect(ls('S', '/hardlink', '/nocompress')).to.deep.equal([])
    expect(ls('S', '/decrypt:AES_256', '/keyfile:k')).to.deep.equal([])
  })

  it('validates UsmtUtils key options', () => {
    expect(validateUsmtUtils(parseUsmtUtilsArgs(['/verify', 'f', '/key:k']))[0].message).to.equal('/key or /keyfile used without enabling encryption')
    expect(validateUsmtUtils(parseUsmtUtilsArgs(['/extract', 'f', 'd', '/decrypt']))[0].message).to.equal('/encrypt requires /key or /keyfile')
    expect(validateUsmtUtils(parseUsmtUtilsArgs(['/verify', 'f', '/decrypt:BLOWFISH', '/key:k']))[0].message).to.equal('Specified encryption algorithm is not supported')
    expect(validateUsmtUtils(parseUsmtUtilsArgs(['/verify', 'f', '/decrypt', '/key:k']))).to.deep.equal([])
  })

  it('assertValidOptions throws USM0202 naming the rule and return code', () => {
    const v = ss('S', '/hardlink')
    expect(() => assertValidOptions('scanstate', v)).to.throw(UsmtStepsError, /hardlink requires \/nocompress \(USMT return code 11, rule V1\)/)
    expect(() => assertValidOptions('scanstate', [])).not.to.throw()
  })
})
