import { expect } from 'chai'
import * as path from 'node:path'
import { localPathOf, VolumeMap } from '../../../src/windows/volume-map.js'
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

describe('localPathOf: tool path arguments (issue #20 item 12)', () => {
  const vm = new VolumeMap([{ letter: 'C:', root: '/vol/c', removable: false }])
  it('maps drive paths through the volume map and refuses unmapped drives, escapes and UNC paths on Linux', () => {
    expect(localPathOf(vm, 'C:\\Store', '/cwd', 'linux')).to.deep.equal({ path: '/vol/c/Store' })
    expect(localPathOf(vm, 'c:/logs/../scan.log', '/cwd', 'linux')).to.deep.equal({ path: '/vol/c/scan.log' })
    expect(localPathOf(vm, 'C:', '/cwd', 'linux')).to.deep.equal({ path: '/vol/c' })
    expect(localPathOf(vm, 'rel/store', '/cwd', 'linux')).to.deep.equal({ path: '/cwd/rel/store' })
    expect(localPathOf(vm, '/abs/store', '/cwd', 'linux')).to.deep.equal({ path: '/abs/store' })
    expect(localPathOf(vm, 'D:\\Store', '/cwd', 'linux')).to.have.property('problem').that.includes('drive D:, which is not mapped (mapped: C:)')
    expect(localPathOf(vm, 'C:\\..\\x', '/cwd', 'linux')).to.have.property('problem').that.includes('climbs above')
    expect(localPathOf(vm, '\\\\srv\\share\\Store', '/cwd', 'linux')).to.have.property('problem').that.includes('UNC')
  })
  it('on Windows an unmapped drive or a UNC path is used as it is', () => {
    expect(localPathOf(vm, '\\\\srv\\share\\Store', 'C:\\cwd', 'win32')).to.deep.equal({ path: '\\\\srv\\share\\Store' })
    expect(localPathOf(vm, 'C:\\Store', 'C:\\cwd', 'win32')).to.deep.equal({ path: '/vol/c/Store' })
  })
})
