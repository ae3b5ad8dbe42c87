import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { blankHive } from '../../../src/registry/blank-hive.js'
import { collapse, createHive, mergeHive, readHive, readHives } from '../../../src/registry/hivex.js'
import { formatRegMerge, parseRegText } from '../../../src/registry/reg-text.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

describe('registry hive adapter (hivex)', function () {
  this.timeout(30_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-hivex-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('an empty hive opens in hivex and takes keys and values of every type; hivexget reads them back', () => {
    const f = path.join(dir, 'NTUSER.DAT')
    createHive(f)
    const multi = Buffer.from('a\0b\0\0', 'utf16le')
    mergeHive(f, [
      { path: '\\Software', set: [] },
      { path: '\\Software\\Contoso', set: [
        { name: '', type: 1, data: Buffer.from('default\0', 'utf16le') },
        { name: 'Path', type: 2, data: Buffer.from('%USERPROFILE%\\x\0', 'utf16le') },
        { name: 'Count', type: 4, data: Buffer.from([7, 0, 0, 0]) },
        { name: 'Big', type: 11, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
        { name: 'List', type: 7, data: multi },
        { name: 'Blob', type: 3, data: Buffer.alloc(300, 0xab) },
        { name: 'quote"back\\slash', type: 1, data: Buffer.from('q\0', 'utf16le') },
      ] },
    ])
    expect(execFileSync('hivexget', [f, '\\Software\\Contoso', 'Count'], { encoding: 'utf8' }).trim()).to.equal('7')
    expect(execFileSync('hivexget', [f, '\\Software\\Contoso', 'Path'], { encoding: 'utf8' }).trim()).to.equal('%USERPROFILE%\\x')
    const [rec] = readHive(f, ['\\Software\\Contoso'])
    expect(rec.path).to.equal('\\Software\\Contoso')
    const byName = new Map(rec.values.map((v) => [v.name, v]))
    expect(byName.get('')?.data.toString('utf16le')).to.equal('default\0')
    expect(byName.get('Big')).to.deep.include({ type: 11 })
    expect(byName.get('List')?.data.equals(multi)).to.equal(true)
    expect(byName.get('Blob')?.data.length).to.equal(300)
    expect(byName.get('quote"back\\slash')?.type).to.equal(1)
  })

  it('reads several subtrees in one process; a missing subtree is absent, not an error', () => {
    const f = path.join(dir, 'two.hive')
    createHive(f)
    mergeHive(f, [{ path: '\\A', set: [{ name: 'x', type: 4, data: Buffer.alloc(4) }] }, { path: '\\B', set: [] }, { path: '\\B\\C', set: [] }])
    expect(readHive(f, ['\\A', '\\B\\C', '\\Nope']).map((r) => r.path)).to.deep.equal(['\\A', '\\B\\C'])
    expect(readHive(f, ['\\']).map((r) => r.path)).to.deep.equal(['\\', '\\A', '\\B', '\\B\\C'])
  })

  it('a truncated or corrupt hive is USM0116 naming the file', () => {
    const good = path.join(dir, 'good.hive')
    createHive(good)
    mergeHive(good, [{ path: '\\K', set: [{ name: 'v', type: 3, data: Buffer.alloc(5000, 1) }] }])
    const truncated = path.join(dir, 'truncated.hive')
    writeFileSync(truncated, readFileSync(good).subarray(0, 6000))
    const corrupt = path.join(dir, 'corrupt.hive')
    writeFileSync(corrupt, 'regf placeholder')
    for (const f of [truncated, corrupt]) {
      let err: unknown
      try {
        readHive(f, ['\\'])
      } catch (e) {
        err = e
      }
      expect(err).to.be.instanceOf(UsmtStepsError)
      expect((err as UsmtStepsError).code).to.equal('USM0116')
      expect((err as Error).message).to.include(f)
    }
    let werr: unknown
    try {
      mergeHive(corrupt, [{ path: '\\K', set: [] }])
    } catch (e) {
      werr = e
    }
    expect((werr as UsmtStepsError).code).to.equal('USM0116')
  })

  it('reads several hives in one process, each with its own subtrees; a corrupt one fails the read naming that file', () => {
    const a = path.join(dir, 'a.hive')
    const b = path.join(dir, 'b.hive')
    createHive(a)
    createHive(b)
    mergeHive(a, [{ path: '\\Only', set: [{ name: 'in', type: 4, data: Buffer.from([1, 0, 0, 0]) }] }, { path: '\\Other', set: [] }])
    mergeHive(b, [{ path: '\\X', set: [] }, { path: '\\X\\Y', set: [{ name: 'v', type: 3, data: Buffer.alloc(2000, 7) }] }])
    const [ra, none, rb] = readHives([{ file: a, keys: ['\\Only'] }, { file: b, keys: [] }, { file: b, keys: ['\\X'] }])
    expect(ra.map((r) => r.path)).to.deep.equal(['\\Only'])
    expect(ra[0].values[0]).to.deep.include({ name: 'in', type: 4 })
    expect(none).to.deep.equal([])
    expect(rb.map((r) => r.path)).to.deep.equal(['\\X', '\\X\\Y'])
    expect(rb[1].values[0].data.equals(Buffer.alloc(2000, 7))).to.equal(true)
    const corrupt = path.join(dir, 'corrupt-among.hive')
    writeFileSync(corrupt, 'regf placeholder')
    let err: unknown
    try {
      readHives([{ file: a, keys: ['\\'] }, { file: corrupt, keys: ['\\'] }, { file: b, keys: ['\\'] }])
    } catch (e) {
      err = e
    }
    expect((err as UsmtStepsError).code).to.equal('USM0116')
    expect((err as Error).message).to.include(corrupt)
  })

  it('the blank hive is a valid regf base block (checksum) and createHive never overwrites', () => {
    const b = blankHive()
    let x = 0
    for (let i = 0; i < 0x1fc; i += 4) x = (x ^ b.readUInt32LE(i)) >>> 0
    expect(b.readUInt32LE(0x1fc)).to.equal(x)
    const f = path.join(dir, 'exists.hive')
    writeFileSync(f, 'keep')
    expect(() => createHive(f)).to.throw(/EEXIST/)
    expect(readFileSync(f, 'utf8')).to.equal('keep')
  })

  it('regedit text: merges are written as hex and parse back to the same bytes', () => {
    const keys = [{ path: '\\K', set: [{ name: 'a"b', type: 1, data: Buffer.from('x\0', 'utf16le') }, { name: '', type: 3, data: Buffer.alloc(60, 9) }], remove: ['old'] }]
    const parsed = parseRegText(formatRegMerge(keys).replace('"old"=-\n', ''))
    expect(parsed[0].values).to.deep.equal(keys[0].set)
    expect(collapse(['\\A\\B', '\\a', '\\C'])).to.deep.equal(['\\a', '\\C'])
    expect(collapse(['\\X', '\\'])).to.deep.equal(['\\'])
  })
})
