import { expect } from 'chai'
import * as path from 'node:path'
import { insideAny } from '../../../src/portable/scanstate.js'

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
})
