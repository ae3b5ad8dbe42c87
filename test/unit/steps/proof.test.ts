import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseApplied, planProof, proveRestore, type ProofCatalogEntry } from '../../../src/steps/proof.js'

const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

describe('steps/proof: every stored file checked on the destination', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'h18-proof-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const put = (rel: string, text: string): string => {
    const p = path.join(dir, rel)
    mkdirSync(path.dirname(p), { recursive: true })
    writeFileSync(p, text)
    return p
  }

  it('content proof: verified, missing and changed (same size, other bytes) with the paths', async () => {
    put('dest/a.txt', 'alpha')
    put('dest/c.txt', 'gamma')
    const entries: ProofCatalogEntry[] = [
      { path: 'C:\\Users\\ann\\a.txt', size: 5, mtimeMs: 0, sha256: sha('alpha') },
      { path: 'C:\\Users\\ann\\b.txt', size: 4, mtimeMs: 0, sha256: sha('beta') },
      { path: 'C:\\Users\\ann\\c.txt', size: 5, mtimeMs: 0, sha256: sha('GAMMA') },
      { path: 'C:\\Users\\old\\d.txt', size: 1, mtimeMs: 0, sha256: sha('d') },
    ]
    const applied = parseApplied([
      JSON.stringify(['C:\\Users\\ann\\a.txt', 'C:\\Users\\ann\\a.txt', 'restored', path.join(dir, 'dest/a.txt')]),
      JSON.stringify(['C:\\Users\\ann\\b.txt', 'C:\\Users\\ann\\b.txt', 'restored', path.join(dir, 'dest/b.txt')]),
      JSON.stringify(['C:\\Users\\ann\\c.txt', 'C:\\Users\\ann\\c.txt', 'restored', null]),
    ].join('\n'))
    const plan = await planProof(entries, applied, { toLocal: (w) => (w.endsWith('c.txt') ? path.join(dir, 'dest/c.txt') : null) })
    expect(plan.notRestored).to.equal(1)
    const proof = await proveRestore(plan.items, { skipped: plan.skipped, notRestored: plan.notRestored, method: 'content' })
    expect(proof.verified).to.equal(1)
    expect(proof.methods.content).to.equal(1)
    expect(proof.missing).to.deep.equal([{ path: 'C:\\Users\\ann\\b.txt', source: 'C:\\Users\\ann\\b.txt', why: 'not on the destination' }])
    expect(proof.changed).to.deep.equal([{ path: 'C:\\Users\\ann\\c.txt', source: 'C:\\Users\\ann\\c.txt', why: 'content differs from the captured file (SHA-256)' }])
    expect(proof.bytesRead).to.equal(5)
  })

  it('a file loadstate skipped with an error is missing; a merge rule that kept the destination file is left out on purpose', async () => {
    const entries: ProofCatalogEntry[] = [{ path: 'C:\\a', size: 1, mtimeMs: 0, sha256: sha('a') }, { path: 'C:\\b', size: 1, mtimeMs: 0, sha256: sha('b') }]
    const applied = parseApplied(`${JSON.stringify(['C:\\a', 'C:\\a', 'skipped-error', null, 5])}\n${JSON.stringify(['C:\\b', 'C:\\b', 'kept-destination', null])}\n`)
    const plan = await planProof(entries, applied, { toLocal: () => null })
    const proof = await proveRestore(plan.items, { skipped: plan.skipped, notRestored: plan.notRestored, method: 'content' })
    expect(proof.missing).to.deep.equal([{ path: 'C:\\a', source: 'C:\\a', why: 'loadstate could not write it (error 5) and skipped it' }])
    expect(proof.notRestored).to.equal(1)
    expect(proof.verified).to.equal(0)
  })

  it('hard-link proof: same inode as the store\'s link without reading; a copy is checked by size and time', async () => {
    const stored = put('store/USMT/File/C/Users/ann/a.txt', 'alpha')
    linkSync(stored, path.join(dir, 'a-linked.txt'))
    const copy = put('b-copy.txt', 'beta')
    const t = new Date('2025-01-02T03:04:05.000Z')
    utimesSync(copy, t, t)
    put('store/USMT/File/C/Users/ann/b.txt', 'beta')
    const touched = put('c-touched.txt', 'gamma')
    put('store/USMT/File/C/Users/ann/c.txt', 'gamma')
    const entries: ProofCatalogEntry[] = [
      { path: 'C:\\Users\\ann\\a.txt', size: 5, mtimeMs: statSync(stored).mtimeMs, storePath: 'C/Users/ann/a.txt' },
      { path: 'C:\\Users\\ann\\b.txt', size: 4, mtimeMs: t.getTime(), storePath: 'C/Users/ann/b.txt' },
      { path: 'C:\\Users\\ann\\c.txt', size: 5, mtimeMs: t.getTime(), storePath: 'C/Users/ann/c.txt' },
    ]
    const local: Record<string, string> = { 'a.txt': path.join(dir, 'a-linked.txt'), 'b.txt': copy, 'c.txt': touched }
    const applied = entries.map((e) => ({ source: e.path, destination: e.path, action: 'restored' as const, local: local[path.win32.basename(e.path)] }))
    const plan = await planProof(entries, applied, { storeFileDir: path.join(dir, 'store/USMT/File'), toLocal: () => null })
    const proof = await proveRestore(plan.items, { method: 'hardlink' })
    expect(proof.verified).to.equal(2)
    expect(proof.methods).to.deep.equal({ content: 0, 'same-file': 1, 'size-time': 1, size: 0 })
    expect(proof.changed.map((c) => c.path)).to.deep.equal(['C:\\Users\\ann\\c.txt'])
    expect(proof.changed[0].why).to.match(/^modified .* captured 2025-01-02T03:04:05.000Z$/)
    expect(proof.bytesRead).to.equal(0)
  })
})
