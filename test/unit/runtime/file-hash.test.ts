import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { sha256File } from '../../../src/runtime/file-hash.js'

describe('sha256File', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-hash-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('hashes empty files, files shorter than its buffer and files spanning several buffers', async () => {
    for (const size of [0, 1, (1 << 20) - 1, 1 << 20, 3 * (1 << 20) + 5]) {
      const data = randomBytes(size)
      const f = path.join(dir, `f${size}`)
      writeFileSync(f, data)
      expect(await sha256File(f), `${size} bytes`).to.equal(createHash('sha256').update(data).digest('hex'))
    }
  })

  it('a missing file is an ENOENT error', async () => {
    const err = await sha256File(path.join(dir, 'none')).then(() => null, (e: NodeJS.ErrnoException) => e)
    expect(err?.code).to.equal('ENOENT')
  })
})
