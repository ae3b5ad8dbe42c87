import { expect } from 'chai'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { listedCandidates, proveListed, readListedFiles, recordListedFiles, type ListedPlacement } from '../../../src/steps/listed-proof.js'
import { codeOf } from '../../helpers/errors.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('steps/listed-proof', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir('usmt-steps-listed-') })
  afterEach(() => t.cleanup())

  const place = (over: Partial<ListedPlacement> = {}): ListedPlacement => ({
    userMap: [], systemDrive: 'C:', hasDrive: (d) => d === 'C:', toLocal: (w) => (/^C:\\/i.test(w) ? path.join(t.dir, 'C', ...w.slice(3).split('\\')) : null), ...over,
  })

  it('looks where USMT puts a file: its path, the /mu profile (and name.DOMAIN), the system drive for a missing drive, collision renames', () => {
    const c = listedCandidates('D:\\Users\\old\\Docs\\r.txt', place({ userMap: [{ from: 'CORP\\old', to: 'CORP\\new' }] }))
    expect(c.slice(0, 1)).to.deep.equal(['D:\\Users\\old\\Docs\\r.txt'])
    expect(c).to.include.members(['C:\\Users\\old\\Docs\\r.txt', 'C:\\Users\\new\\Docs\\r.txt', 'C:\\Users\\new.CORP\\Docs\\r.txt', 'C:\\Users\\new\\Docs\\r(1).txt', 'C:\\Users\\new\\Docs\\r (2).txt'])
    expect(listedCandidates('C:\\data\\noext', place())).to.include.members(['C:\\data\\noext(1)', 'C:\\data\\noext (9)'])
    expect(listedCandidates('C:\\Users\\older\\x.txt', place({ userMap: [{ from: 'CORP\\old', to: 'CORP\\new' }] }))).to.not.include('C:\\Users\\new\\x.txt')
  })

  it('records size and time of each listed file, proves them by size, and finds missing and changed ones', async () => {
    const dir = path.join(t.dir, 'C', 'Users', 'ann')
    mkdirSync(dir, { recursive: true })
    for (const [n, text] of [['a.txt', 'aaa'], ['b.txt', 'bbbb'], ['c.txt', 'cc']]) writeFileSync(path.join(dir, n), text)
    const list = path.join(t.dir, 'list.txt')
    writeFileSync(list, ['a.txt', 'b.txt', 'c.txt', 'gone.txt'].map((n) => `C:\\Users\\ann\\${n}\r\n`).join(''))
    const out = path.join(t.dir, 'store', 'Logs', 'usmt-steps-listed.jsonl')
    const rec = await recordListedFiles(list, place().toLocal, out)
    expect(rec).to.deep.equal({ files: 3, unreadable: ['C:\\Users\\ann\\gone.txt'] })
    const entries = readListedFiles(out)
    expect(entries.map((e) => [e.path, e.size])).to.deep.equal([['C:\\Users\\ann\\a.txt', 3], ['C:\\Users\\ann\\b.txt', 4], ['C:\\Users\\ann\\c.txt', 2]])
    writeFileSync(path.join(dir, 'b.txt'), 'longer now')
    writeFileSync(path.join(dir, 'c(1).txt'), 'cc')
    writeFileSync(path.join(dir, 'c.txt'), 'destination own')
    rmSync(path.join(dir, 'a.txt'))
    const proof = await proveListed(entries, place())
    expect(proof.verified).to.equal(1)
    expect(proof.methods.size).to.equal(1)
    expect(proof.missing.map((m) => m.path)).to.deep.equal(['C:\\Users\\ann\\a.txt'])
    expect(proof.changed).to.deep.equal([{ path: 'C:\\Users\\ann\\b.txt', source: 'C:\\Users\\ann\\b.txt', why: 'size 10 bytes, captured 4' }])
  })

  it('a record with a line removed, added or changed is USM0320, even with the count fixed up', async () => {
    mkdirSync(path.join(t.dir, 'C'), { recursive: true })
    writeFileSync(path.join(t.dir, 'C', 'x.txt'), 'x')
    const list = path.join(t.dir, 'list.txt')
    writeFileSync(list, 'C:\\x.txt\r\n')
    const out = path.join(t.dir, 'listed.jsonl')
    await recordListedFiles(list, place().toLocal, out)
    const text = readFileSync(out, 'utf8')
    const lines = text.split('\n')
    writeFileSync(out, [lines[0], lines[1], '["C:\\\\evil.exe",1,0]', JSON.stringify({ end: true, count: 2 }), lines[3], ''].join('\n'))
    expect(codeOf(() => readListedFiles(out))).to.equal('USM0320')
    writeFileSync(out, text.replace('"C:\\\\x.txt",1,', '"C:\\\\x.txt",2,'))
    expect(codeOf(() => readListedFiles(out))).to.equal('USM0320')
    writeFileSync(out, text.split('\nsha256:')[0])
    expect(codeOf(() => readListedFiles(out))).to.equal('USM0320')
    writeFileSync(out, text)
    expect(readListedFiles(out)).to.have.length(1)
  })
})
