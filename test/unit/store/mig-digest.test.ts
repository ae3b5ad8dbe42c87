import { expect } from 'chai'
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import * as path from 'node:path'
import { MIG_DIGEST_FILE, MIG_FILE } from '../../../src/store/layout.js'
import { readMigDigest, writeMigDigest } from '../../../src/store/mig-digest.js'
import { openStore } from '../../../src/store/store.js'
import { tempDir } from '../../helpers/fixtures.js'
import { captureCompressed, sha } from './helpers.js'

describe('store/mig-digest: the container\'s SHA-256, recorded by the capture beside it', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  for (const secret of [undefined, 'store-secret']) {
    it(`a compressed capture${secret ? ' (encrypted)' : ''} records the SHA-256 of the whole container as it is on the disk; the store accounts for the record`, async () => {
      const mig = await captureCompressed(path.join(tmp.dir, 'store'), path.join(tmp.dir, 'src'), secret)
      const size = readFileSync(mig).length
      const rec = JSON.parse(readFileSync(path.join(path.dirname(mig), MIG_DIGEST_FILE), 'utf8')) as Record<string, unknown>
      expect(rec).to.include({ format: 'usmt-steps-mig-digest', file: MIG_FILE, size, sha256: sha(mig) })
      expect(readMigDigest(mig, size)).to.deep.equal({ sha256: sha(mig) })
      const store = await openStore(path.join(tmp.dir, 'store'), secret !== undefined ? { secret } : {})
      try {
        expect(await store.extras(), 'the record is part of the store, not an extra file').to.deep.equal([])
      } finally {
        await store.close()
      }
    })
  }

  it('is not used for a container it was not made for: another size, another store id, another format, no record, a broken one', async () => {
    const mig = await captureCompressed(path.join(tmp.dir, 'store'), path.join(tmp.dir, 'src'))
    const size = readFileSync(mig).length
    const recFile = path.join(path.dirname(mig), MIG_DIGEST_FILE)
    const good = readFileSync(recFile, 'utf8')
    expect(readMigDigest(mig, size + 1)).to.deep.equal({ unusable: `${MIG_DIGEST_FILE} is for a container of ${size} bytes, ${MIG_FILE} has ${size + 1}` })
    // Another capture's container copied over this one (same size here, another store id).
    const fd = openSync(mig, 'r+')
    writeSync(fd, Buffer.alloc(16, 0xab), 0, 16, 20)
    closeSync(fd)
    expect(readMigDigest(mig, size)).to.have.property('unusable').that.matches(/is for another container \(store id [0-9a-f]{32}\)$/)
    writeFileSync(mig, Buffer.alloc(size, 1))
    expect(readMigDigest(mig, size)).to.deep.equal({ unusable: `${MIG_FILE} is not a portable container` })
    writeFileSync(recFile, good.replace('"sha256":"', '"sha256":"zz'))
    expect(readMigDigest(mig, size)).to.deep.equal({ unusable: `${MIG_DIGEST_FILE} is not a digest record` })
    writeFileSync(recFile, '{ broken')
    expect(readMigDigest(mig, size)).to.deep.equal({ unusable: `${MIG_DIGEST_FILE} is unreadable` })
    expect(readMigDigest(path.join(tmp.dir, 'elsewhere', MIG_FILE), size)).to.deep.equal({ unusable: `no ${MIG_DIGEST_FILE}` })
  })

  it('never writes over an existing record', () => {
    const mig = path.join(tmp.dir, MIG_FILE)
    const d = { size: 1, storeId: Buffer.alloc(16), sha256: '0'.repeat(64) }
    writeMigDigest(mig, d)
    expect(() => writeMigDigest(mig, d)).to.throw().with.property('code', 'EEXIST')
  })
})
