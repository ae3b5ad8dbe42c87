import { expect } from 'chai'
import * as path from 'node:path'
import { insideAny, sourceNameChecker, sourceNameProblem } from '../../../src/portable/scanstate.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

describe('portable/scanstate: files the capture leaves out', () => {
  it('insideAny: the store folder and everything below it, and the log files themselves, nothing else', () => {
    const root = path.resolve('/vol/C')
    const inside = insideAny([path.join(root, '_SMSTaskSequence', 'UserState'), path.join(root, 'scan.log'), `${path.join(root, 'trailing')}${path.sep}`])
    expect(inside(path.join(root, '_SMSTaskSequence', 'UserState'))).to.equal(true)
    expect(inside(path.join(root, '_SMSTaskSequence', 'UserState', 'USMT', 'File', 'C', 'a.txt'))).to.equal(true)
    expect(inside(path.join(root, 'scan.log'))).to.equal(true)
    expect(inside(path.join(root, 'trailing', 'x'))).to.equal(true)
    expect(inside(path.join(root, '_SMSTaskSequence', 'UserStateOther', 'a.txt'))).to.equal(false)
    expect(inside(path.join(root, 'scan.log.old'))).to.equal(false)
    expect(inside(path.join(root, '_SMSTaskSequence'))).to.equal(false)
    expect(inside(path.join(root, 'Users', 'ann', 'a.txt'))).to.equal(false)
  })

  it('sourceNameChecker (folders checked once, then names) answers exactly as sourceNameProblem, in walk order', () => {
    const root = path.resolve('/vol/C')
    const volumes = new VolumeMap([{ letter: 'C:', root, removable: false }])
    const file = (win: string, local = path.join(root, ...win.slice(3).split('\\'))): { path: string; localPath: string } => ({ path: win, localPath: local })
    const files = [
      file('C:\\a.txt'), file('C:\\Users\\ann\\a.txt'), file('C:\\Users\\ann\\CON'), file('C:\\Users\\ann\\b. '),
      file('C:\\Users\\ann\\ok.txt', path.join(root, 'Users', 'ann', 'back\\slash')), file('C:\\Users\\ann\\c.txt'),
      file('C:\\Users\\nul\\x.txt'), file('C:\\Users\\nul\\y.txt'), file('C:\\Bad?\\x.txt'), file('C:\\Users\\ann\\d.txt'),
      file('C:\\Users\\bob\\e.txt', path.join(root, 'Users', 'b\\ob', 'e.txt')), file('C:\\Users\\bob\\f.txt', path.join(root, 'Users', 'b\\ob', 'f.txt')),
      file('C:\\Link\\g.txt', path.resolve('/elsewhere/target/g.txt')), file('C:\\Link\\h?.txt', path.resolve('/elsewhere/target/h.txt')),
      file('C:\\Users\\ann\\line\nbreak.txt'), file('C:\\Users\\ann\\last.txt'),
    ]
    const check = sourceNameChecker(volumes)
    const expected = files.map((f) => sourceNameProblem(f, volumes))
    // Not vacuous: good names and every kind of problem (Windows name, folder, local name with a backslash).
    expect(expected.filter((x) => x === null).length).to.be.greaterThan(4)
    expect(expected.filter((x) => x !== null).length).to.be.greaterThan(6)
    expect(files.map((f) => check(f))).to.deep.equal(expected)
  })
})
