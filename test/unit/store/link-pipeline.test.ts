import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { LinkPipeline, startLinkThread } from '../../../src/store/link-pipeline.js'
import type { SourceFile } from '../../../src/store/types.js'
import { tempDir, until } from '../../helpers/fixtures.js'

const MODULE = fileURLToPath(new URL('../../../src/store/link-pipeline.ts', import.meta.url))

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
    const line = (i: number): string => `row ${i} ${all[i].file.path}`
    try {
      // The thread cannot have started yet (its start takes tens of milliseconds): the first batch is linked
      // here, before flush() returns — its links exist without waiting for anything.
      all.slice(0, 8).forEach(({ file, dest }, i) => pipe.push(i === 0 ? path.dirname(dest) : '', file.localPath, dest, line(i), i))
      expect(statSync(all[0].dest).ino).to.equal(statSync(all[0].file.localPath).ino)
      expect(statSync(all[7].dest).ino).to.equal(statSync(all[7].file.localPath).ino)
      expect(pipe.threadReady).to.equal(false)
      // Once the thread is running, the next batches go to it; a file that failed before linking keeps its place.
      await until(() => pipe.threadReady)
      for (let i = 8; i < all.length; i++) {
        if (i === 20) pipe.pushFailed(line(i), i, new Error('cannot be stored'))
        else pipe.push('', all[i].file.localPath, all[i].dest, line(i), i)
      }
      const lines: string[] = []
      const failed: Array<[number, string]> = []
      let bytes = 0
      for await (const b of pipe.outcomes()) {
        expect(b.count).to.equal(8)
        // Every file's line comes back, in order, each after a line break (failed files' lines too).
        const text = b.lines.toString('utf8')
        expect(text.startsWith('\n')).to.equal(true)
        const batch = text.slice(1).split('\n')
        expect(batch).to.have.length(b.count)
        for (const f of b.failed) failed.push([lines.length + f.index, (f.error as NodeJS.ErrnoException).code ?? (f.error as Error).message])
        lines.push(...batch)
        bytes += b.bytes
      }
      expect(lines).to.deep.equal(all.map((_, i) => line(i)))
      expect(failed).to.deep.equal([[3, 'ENOENT'], [20, 'cannot be stored'], [30, 'ENOENT']])
      expect(bytes).to.equal((39 * 40) / 2)
      for (const [i, { file, dest }] of all.entries()) if (i !== 3 && i !== 20 && i !== 30) expect(statSync(dest).ino, file.path).to.equal(statSync(file.localPath).ino)
    } finally {
      await pipe.close()
    }
  })

  it('takes the thread startLinkThread started earlier: ready from its first batch, which is linked there; the next pipeline starts its own', async () => {
    const all = sources(tmp.dir, 16)
    const early = startLinkThread()
    await until(() => early.ready)
    expect(early.ready).to.equal(true)
    const pipe = new LinkPipeline(8)
    let next: LinkPipeline | undefined
    try {
      // A thread of its own could not be running yet: this one is the thread started before.
      expect(pipe.threadReady).to.equal(true)
      all.forEach(({ file, dest }, i) => pipe.push(i === 0 ? path.dirname(dest) : '', file.localPath, dest, `row ${i}`, 1))
      let linked = 0
      for await (const b of pipe.outcomes()) linked += b.count - b.failed.length
      expect(linked).to.equal(16)
      for (const { file, dest } of all) expect(statSync(dest).ino, file.path).to.equal(statSync(file.localPath).ino)
      // The early thread went to one pipeline only.
      next = new LinkPipeline(8)
      expect(next.threadReady).to.equal(false)
    } finally {
      await pipe.close()
      await next?.close()
    }
  })

  it('a thread started early and never used does not keep the process alive', function () {
    this.timeout(30_000)
    // The process ends by itself once its own work is done (an idle link thread is unreferenced).
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
import { startLinkThread } from ${JSON.stringify(MODULE)}
const t = startLinkThread()
const started = Date.now()
while (!t.ready && Date.now() - started < 10000) await new Promise((r) => setTimeout(r, 10))
console.log(JSON.stringify({ ready: t.ready }))
`], { encoding: 'utf8', timeout: 20_000 })
    expect(JSON.parse(out.trim())).to.deep.equal({ ready: true })
  })

  it("carries names in any script as UTF-8 and grows a batch's buffers for long paths", async () => {
    const dir = path.join(tmp.dir, 'Ünïcode – 東京')
    mkdirSync(dir)
    const long = path.join(dir, `${'x'.repeat(200)}.txt`)
    writeFileSync(long, 'long')
    const store = path.join(tmp.dir, 'store')
    const pipe = new LinkPipeline(300)
    try {
      // 300 files whose lines and triples together exceed the batch buffers' first 64 KiB.
      for (let i = 0; i < 300; i++) pipe.push(i === 0 ? store : '', long, path.join(store, `${i} – ü ${'y'.repeat(150)}`), `ü東 ${i} ${'z'.repeat(300)}`, 4)
      const got: string[] = []
      for await (const b of pipe.outcomes()) {
        expect(b.failed).to.deep.equal([])
        got.push(...b.lines.toString('utf8').slice(1).split('\n'))
      }
      expect(got).to.have.length(300)
      expect(got[299]).to.equal(`ü東 299 ${'z'.repeat(300)}`)
      expect(statSync(path.join(store, `299 – ü ${'y'.repeat(150)}`)).ino).to.equal(statSync(long).ino)
    } finally {
      await pipe.close()
    }
  })
})
