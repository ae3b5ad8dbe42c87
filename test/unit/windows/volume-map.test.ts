import { expect } from 'chai'
import * as path from 'node:path'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

describe('windows/volume-map', () => {
  const map = VolumeMap.parse(['C=/mnt/c', 'd:=/mnt/d'], ['E=/media/usb'], '/')

  it('maps Windows paths to local paths and back', () => {
    expect(map.toLocal('c:\\Users\\ann\\a.txt')).to.equal(path.join('/mnt/c', 'Users', 'ann', 'a.txt'))
    expect(map.toLocal('C:\\')).to.equal('/mnt/c')
    expect(map.toLocal('F:\\x')).to.equal(null)
    expect(map.toLocal('\\\\srv\\s\\x')).to.equal(null)
    expect(map.toWindows('/mnt/d/Data/x.doc')).to.equal('D:\\Data\\x.doc')
    expect(map.toWindows('/mnt/c')).to.equal('C:\\')
    expect(map.toWindows('/elsewhere')).to.equal(null)
  })

  it('never escapes a volume root through ..', () => {
    expect(map.toLocal('C:\\..\\..\\etc\\passwd')).to.equal(null)
  })

  it('knows fixed and removable drives', () => {
    expect(map.fixed().map((v) => v.letter)).to.deep.equal(['C:', 'D:'])
    expect(map.get('e')?.removable).to.equal(true)
  })

  it('rejects malformed or duplicate mappings with a usage error', () => {
    expect(() => VolumeMap.parse(['C/mnt'])).to.throw(UsmtStepsError).with.property('code', 'USM0002')
    expect(() => VolumeMap.parse(['C=/a', 'c=/b'])).to.throw(UsmtStepsError)
  })
})
