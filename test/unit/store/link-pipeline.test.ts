import { expect } from 'chai'
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { LinkPipeline } from '../../../src/store/link-pipeline.js'
import type { SourceFile } from '../../../src/store/types.js'
import { tempDir } from '../../helpers/fixtures.js'

/** `n` source files in one folder, and where each is linked in the store (the store folder is made by the first). */
function sources(root: string, n: number): Array<{ file: SourceFile; dest: string }> {
  const src = path.join(root, 'src')
  const store = path.join(root, 'store', 'C', 'Data')
  mkdirSync(src, { recursive: true })
  const out: Array<{ file: SourceFile; dest: string }> = []
  for (let i = 0; i < n; i++) {
    const local = path.join(src, `f${i}.txt`)
    writeFileSync(local, `content ${i}`)
    out.push({
      file: { path: `C:\\Data\\f${i}.txt`, localPath: local, user: null, component: 'Test', bytes: 9, mtimeMs: 0, atimeMs: 0, birthtimeMs: 0, attributes: { readOnly: false, hidden: false, system: false } },
      dest: path.join(store, `f${i}.txt`),
    })
  }
  return out
}

describe('store/link-pipeline: hard links on a background thread, in order', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  it('links the batches completed before the thread has started on the calling thread, the rest on the thread; outcomes in order either way', async () => {
    const all = sources(tmp.dir, 40)
    all[3] = { ...all[3], file: { ...all[3].file, localPath: path.join(tmp.dir, 'vanished.txt') } }
    all[30] = { ...all[30], file: { ...all[30].file, localPath: path.join(tmp.dir, 'gone.txt') } }
    const pipe = new LinkPipeline(8)
    try {
      // The thread cannot have started yet (its start takes tens of milliseconds): the first batch is linked
      // here, before flush() returns — its links exist without waiting for anything.
      all.slice(0, 8).forEach(({ file, dest }, i) => pipe.push(file, i === 0 ? path.dirname(dest) : '', dest))
      expect(statSync(all[0].dest).ino).to.equal(statSync(all[0].file.localPath).ino)
      expect(statSync(all[7].dest).ino).to.equal(statSync(all[7].file.localPath).ino)
      expect(pipe.threadReady).to.equal(false)
      // Once the thread is running, the next batches go to it.
      for (let waited = 0; !pipe.threadReady && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10))
      for (const { file, dest } of all.slice(8)) pipe.push(file, '', dest)
      const seen: Array<{ path: string; error: unknown }> = []
      for await (const { files, errors } of pipe.outcomes()) files.forEach((f, i) => seen.push({ path: f.path, error: errors.get(i) ?? null }))
      expect(seen.map((s) => s.path)).to.deep.equal(all.map((a) => a.file.path))
      expect(seen.filter((s) => s.error !== null).map((s) => [s.path, (s.error as NodeJS.ErrnoException).code])).to.deep.equal([[all[3].file.path, 'ENOENT'], [all[30].file.path, 'ENOENT']])
      for (const [i, { file, dest }] of all.entries()) if (i !== 3 && i !== 30) expect(statSync(dest).ino, file.path).to.equal(statSync(file.localPath).ino)
    } finally {
      await pipe.close()
    }
  })
})
