/**
 * Issue #20 item 1: wildcard matching is linear. `*` used to become a backtracking `.*` regular expression,
 * so `C:\Data\* [*a*a*a*a*a*a*a*a*b]` against one 60-character name took 87 s. These tests run the hostile
 * patterns with a spy on regular expressions (a wildcard turned into `.*` is refused on the spot) and count
 * the character comparisons of the matcher against a generous linear budget — no timed assertion.
 */
import { expect } from 'chai'
import { compilePattern, compareSpecificity, compileWildcard, parsePattern, wildcardMatches } from '../../../src/engine/pattern.js'
import { userPatternMatches } from '../../../src/engine/users.js'
import { compileObjectPattern } from '../../../src/portable/policy.js'
import { extractSelected } from '../../../src/portable/usmtutils.js'
import { userMatcher } from '../../../src/steps/safety.js'
import { collect, inc, makeMachine, migration } from './helpers.js'

const HOSTILE_LEAF = '*a*a*a*a*a*a*a*a*b'
const TEN_STARS = '*a*a*a*a*a*a*a*a*a*a*b'
const NAME_60 = 'a'.repeat(60)

/**
 * Run `fn` (sync or async) while any regular expression with more than three `.*` in its body — a
 * many-star wildcard turned into a backtracking regex — throws instead of running.
 */
async function withoutWildcardRegex<T>(fn: () => T | Promise<T>): Promise<T> {
  const proto = RegExp.prototype
  const origExec = Object.getOwnPropertyDescriptor(proto, 'exec')!
  const origTest = Object.getOwnPropertyDescriptor(proto, 'test')!
  const guard = (re: RegExp): void => {
    if (re.source.split('.*').length > 4) throw new Error(`backtracking wildcard regex used: /${re.source}/`)
  }
  Object.defineProperty(proto, 'exec', { ...origExec, value(this: RegExp, s: string) { guard(this); return (origExec.value as RegExp['exec']).call(this, s) } })
  Object.defineProperty(proto, 'test', { ...origTest, value(this: RegExp, s: string) { guard(this); return (origTest.value as RegExp['test']).call(this, s) } })
  try {
    return await fn()
  } finally {
    Object.defineProperty(proto, 'exec', origExec)
    Object.defineProperty(proto, 'test', origTest)
  }
}

describe('engine: linear wildcard matching (issue #20 item 1)', () => {
  it('matches like a glob: * any run (also across \\), ? only when enabled, anchored both ends', () => {
    const cases: Array<[string, string, boolean, boolean?]> = [
      ['*', '', true], ['a*', 'a', true], ['*a', 'ba', true], ['a*b', 'ab', true], ['a*b', 'a', false],
      ['*a*a*b', 'xaxab', true], ['*a*a*b', 'aab', true], ['*a*a*b', 'ab', false], ['a*a', 'a', false],
      ['c:\\*\\x', 'c:\\a\\b\\x', true], ['ab?', 'abc', false], ['ab?', 'abc', true, true], ['ab?', 'ab?', true],
      ['*.txt', 'notes.TXT', false], ['**', 'anything', true], ['a**b', 'ab', true], ['?*?', 'x', false, true],
    ]
    for (const [p, t, want, q] of cases) expect(compileWildcard(p, { question: q })(t), `${p} ~ ${t}`).to.equal(want)
    expect(wildcardMatches('DOM*\\A?N', 'dom1\\ann')).to.equal(true)
  })

  it('agrees with a reference regular expression on 3,000 random small cases', () => {
    let seed = 7
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n
    for (let i = 0; i < 3000; i++) {
      const p = Array.from({ length: rnd(7) }, () => 'ab*?'[rnd(4)]).join('')
      const t = Array.from({ length: rnd(8) }, () => 'ab'[rnd(2)]).join('')
      const ref = new RegExp(`^${p.replace(/\?/g, '.').replace(/\*/g, '.*')}$`, 's').test(t)
      expect(compileWildcard(p, { question: true })(t), `${p} ~ ${t}`).to.equal(ref)
    }
  })

  it('stays within pattern×name comparisons on the hostile patterns (no backtracking)', () => {
    for (const [pattern, name] of [[HOSTILE_LEAF, NAME_60], [TEN_STARS, NAME_60], ['*a*a*a*a*a*a*a*a*ac*b', `${'a'.repeat(10_000)}b`]] as const) {
      const steps = { count: 0 }
      expect(compileWildcard(pattern, { steps })(name)).to.equal(false)
      expect(steps.count, `${pattern} on ${name.length} chars`).to.be.at.most(pattern.length * name.length)
    }
  })

  it('compiled file patterns, user patterns, errorControl and /extract selections use no backtracking regex', async () => {
    await withoutWildcardRegex(() => {
      const p = compilePattern(parsePattern(`C:\\Data\\* [${HOSTILE_LEAF}]`))
      expect(p.matchesLeaf(NAME_60)).to.equal(false)
      expect(p.matchesLeaf(`${NAME_60}b`)).to.equal(true)
      const node = compilePattern(parsePattern(`C:\\*a*a*a*a*a*a*a*a*b\\* [x]`))
      expect(node.matchesDir(`c:\\${NAME_60}`)).to.equal(false)
      expect(node.matchesDir(`c:\\${NAME_60}b\\deeper`)).to.equal(true)
      expect(userPatternMatches(`DOM\\${TEN_STARS}`, { account: `DOM\\${NAME_60}`, profile: 'C:\\Users\\x' }, 'PC')).to.equal(false)
      expect(userMatcher([`DOM\\${TEN_STARS}`])(`DOM\\${NAME_60}`)).to.equal(false)
      expect(compileObjectPattern(`C:\\${TEN_STARS}\\* [${TEN_STARS}]`).test(`C:\\${NAME_60}\\${NAME_60}`)).to.equal(false)
      expect(extractSelected(`C:\\p\\${NAME_60}`, [TEN_STARS], [])).to.equal(false)
    })
  })

  it('a rule with the issue pattern evaluates a 60-character name without a backtracking regex', async () => {
    const m = makeMachine({ C: [`Data\\${NAME_60}`, `Data\\${NAME_60}b`] })
    try {
      const xml = m.xml('hostile.xml', migration('hostile', [{ name: 'Hostile', rules: inc(`C:\\Data\\* [${HOSTILE_LEAF}]`) }]))
      const r = await withoutWildcardRegex(() => collect({ ruleFiles: [xml], volumes: m.volumes, users: [] }))
      expect(r.included.map((f) => f.toLowerCase())).to.deep.equal([`c:\\data\\${NAME_60}b`])
    } finally {
      m.cleanup()
    }
  })
})

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
