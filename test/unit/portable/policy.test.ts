import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { splitToolArgv } from '../../../src/portable/common.js'
import { collisionName, mapAccount } from '../../../src/portable/loadstate.js'
import { compileObjectPattern, decideFileError, readConfigPolicy, win32Code } from '../../../src/portable/policy.js'
import { extractSelected } from '../../../src/portable/usmtutils.js'
import { UsmtFailure } from '../../../src/usmt/return-codes.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('portable/policy and helpers', () => {
  it('matches ErrorControl object patterns case-insensitively', () => {
    expect(compileObjectPattern('* [*]').test('C:\\any\\file.txt')).to.equal(true)
    const users = compileObjectPattern('C:\\Users\\* [*]')
    expect(users.test('c:\\users\\ann\\Documents\\a.docx')).to.equal(true)
    expect(users.test('C:\\Data\\a.docx')).to.equal(false)
    const pst = compileObjectPattern('C:\\Users\\* [*.pst]')
    expect(pst.test('C:\\Users\\ann\\mail.PST')).to.equal(true)
    expect(pst.test('C:\\Users\\ann\\mail.pst.bak')).to.equal(false)
    expect(compileObjectPattern('C:\\Data [readme.txt]').test('C:\\Data\\sub\\readme.txt')).to.equal(false)
  })

  it('reads <ErrorControl> in document order and decides as documented (first match wins)', () => {
    const { dir, cleanup } = tempDir()
    try {
      const f = path.join(dir, 'Config.xml')
      writeFileSync(f, `<?xml version="1.0"?><Configuration><Policies><ErrorControl><fileError>
        <nonFatal errorCode="33">* [*]</nonFatal><fatal errorCode="any">C:\\Users\\* [*]</fatal></fileError>
        <registryError><nonFatal errorCode="5">HKCU\\SOFTWARE\\Microsoft\\* [*]</nonFatal></registryError></ErrorControl>
        <HardLinkStoreControl><fileLocked><createHardLink>c:\\Users\\* [*]</createHardLink><errorHardLink>C:\\* [*]</errorHardLink></fileLocked></HardLinkStoreControl>
        </Policies></Configuration>`)
      const p = readConfigPolicy(f)
      expect(p.fileErrors.map((r) => [r.kind, r.errorCode, r.pattern])).to.deep.equal([['nonFatal', 33, '* [*]'], ['fatal', 'any', 'C:\\Users\\* [*]']])
      expect(p.registryErrors).to.have.length(1)
      expect(p.createHardLink).to.deep.equal(['c:\\Users\\* [*]'])
      expect(p.errorHardLink).to.deep.equal(['C:\\* [*]'])
      // The documented example: locked files (33) anywhere are ignored; any other error under C:\Users is fatal.
      expect(decideFileError(p, 'C:\\Users\\ann\\x.pst', 33, false).ignore).to.equal(true)
      expect(decideFileError(p, 'C:\\Users\\ann\\x.pst', 5, true).ignore).to.equal(false)
      expect(decideFileError(p, 'C:\\Data\\x.txt', 5, true)).to.deep.equal({ ignore: true, rule: null })
      expect(decideFileError(p, 'C:\\Data\\x.txt', 5, false)).to.deep.equal({ ignore: false, rule: null })
      writeFileSync(f, '<migration/>')
      expect(() => readConfigPolicy(f)).to.throw(UsmtFailure, 'Error reading Config.xml')
      expect(() => readConfigPolicy(path.join(dir, 'missing.xml'))).to.throw(UsmtFailure, 'File argument is invalid for /config')
    } finally {
      cleanup()
    }
  })

  it('maps Node error codes to Win32 codes', () => {
    expect(win32Code({ code: 'ENOENT' })).to.equal(2)
    expect(win32Code({ code: 'EACCES' })).to.equal(5)
    expect(win32Code({ code: 'EBUSY' })).to.equal(32)
    expect(win32Code({ code: 'ENOSPC' })).to.equal(112)
  })

  it('names collisions name(1).ext and remaps accounts with /mu before /md (first rule wins)', () => {
    expect(collisionName('C:\\Data\\SampleB.txt', 1)).to.equal('C:\\Data\\SampleB(1).txt')
    expect(collisionName('C:\\Data\\Makefile', 2)).to.equal('C:\\Data\\Makefile(2)')
    const o = { md: [{ from: 'corporate', to: 'fabrikam', raw: '' }, { from: 'corporate', to: 'farnorth', raw: '' }, { from: 'con*', to: 'fabrikam', raw: '' }], mu: [{ from: 'contoso\\user1', to: 'fabrikam\\user9', raw: '' }] }
    expect(mapAccount('CORPORATE\\ann', o)).to.equal('fabrikam\\ann')
    expect(mapAccount('contoso\\user1', o)).to.equal('fabrikam\\user9')
    expect(mapAccount('contoso\\user2', o)).to.equal('fabrikam\\user2')
    expect(mapAccount('other\\bob', o)).to.equal('other\\bob')
  })

  it('selects /extract files with include winning over exclude', () => {
    expect(extractSelected('C:\\p\\myProject.exe', ['myProject.*'], ['*.exe'])).to.equal(true)
    expect(extractSelected('C:\\p\\tool.exe', ['myProject.*'], ['*.exe'])).to.equal(false)
    expect(extractSelected('C:\\p\\tool.exe', [], ['*.exe'])).to.equal(false)
    expect(extractSelected('C:\\p\\a.txt', [], [])).to.equal(true)
  })

  it('splits usmt-steps flags from USMT arguments in order', () => {
    expect(splitToolArgv(['--volume', 'C=x', 'S', '/i:a.xml', '--json', '-l', 'log', '--users=u.json', '/i:b.xml'], ['volume', 'users'], ['json']))
      .to.deep.equal(['S', '/i:a.xml', '-l', 'log', '/i:b.xml'])
  })
})
