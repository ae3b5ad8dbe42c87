import { expect } from 'chai'
import { compilePattern, compareSpecificity, parsePattern } from '../../../src/engine/pattern.js'

describe('engine/pattern: USMT pattern syntax, matching and specificity', () => {
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
