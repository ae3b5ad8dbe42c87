import { expect } from 'chai'
import { existsSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { createKeyFile, keyFileDir, withKeyFile } from '../../../src/steps/secrets.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

describe('steps/secrets: key files', () => {
  it('key files are private and removed afterwards, also when the work fails', async () => {
    const kf = createKeyFile('k-123')
    expect(statSync(kf.path).mode & 0o777).to.equal(0o600)
    expect(statSync(path.dirname(kf.path)).mode & 0o777).to.equal(0o700)
    expect(readFileSync(kf.path, 'utf8')).to.equal('k-123')
    kf.dispose()
    expect(existsSync(kf.path)).to.equal(false)
    let seen = ''
    try {
      await withKeyFile('k-456', async (f) => {
        seen = f as string
        throw new Error('boom')
      })
    } catch {
      /* expected */
    }
    expect(seen).to.not.equal('')
    expect(existsSync(seen)).to.equal(false)
  })
})

describe('steps/secrets: where key files go', () => {
  it('a folder the portable tools resolve to itself: not a temp folder on a drive the volume map redirects', () => {
    const mapped = VolumeMap.parse(['C=/srv/machine/C'], [], '/')
    expect(keyFileDir(mapped, '/', ['C:\\Windows\\Temp', '/var/log/usmt'])).to.equal('/var/log/usmt')
    expect(keyFileDir(VolumeMap.parse([], [], '/'), '/', ['/tmp', '/var/log/usmt'])).to.equal('/tmp')
    expect(keyFileDir(mapped, '/', ['C:\\Windows\\Temp', 'D:\\Logs'])).to.equal(undefined)
  })
})
