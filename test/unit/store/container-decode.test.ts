import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { ContainerReader, ContainerWriter, type MigEntry } from '../../../src/store/container.js'
import type { DigestThread } from '../../../src/store/digest-thread.js'
import { tempDir } from '../../helpers/fixtures.js'
import { makeTree, META, rewriteCatalog, sha } from './helpers.js'

// The decode pipeline (src/store/container-decode.ts): frames are read, decoded on the frame workers, hashed on the
// digest thread and given to the sink, all at once. Small frames and a small window put many frames of several
// files in flight, so these tests exercise the two loops stopping each other.
const FRAME = 16 << 10

async function container(dir: string, secret?: string): Promise<{ mig: string; files: ReturnType<typeof makeTree> }> {
  const files = makeTree(path.join(dir, 'src'), { big: 200_000 })
  const mig = path.join(dir, 'USMT.MIG')
  const w = await ContainerWriter.create(mig, { secret, kdf: 'pbkdf2', frameSize: FRAME, window: 3 })
  for (const f of files) await w.addFile(f)
  await w.finish({ ...META, encrypted: secret !== undefined })
  return { mig, files }
}

/** A sink that keeps every file's content and says which files began and ended, in order. */
function recorder(): { began: string[]; ended: string[]; content: Map<string, Buffer[]>; sink: Parameters<ContainerReader['decode']>[1] } {
  const began: string[] = []
  const ended: string[] = []
  const content = new Map<string, Buffer[]>()
  return {
    began, ended, content, sink: {
      begin: async (e) => { began.push(e.path); content.set(e.path, []) },
      data: async (e, c) => { content.get(e.path)?.push(Buffer.from(c)) },
      end: async (e) => { ended.push(e.path) },
    },
  }
}

const byOffset = (r: ContainerReader): MigEntry[] => [...r.entries].sort((a, b) => a.offset - b.offset)

describe('store/container-decode: reading, decoding, hashing and writing at once', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  it('a file whose content does not match its catalog digest is never ended: USM0212, or reported to onCorrupt while the others end', async () => {
    const { mig, files } = await container(tmp.dir)
    // Its stored frames are intact (their digest and every frame check pass); only the content digest differs.
    const victim = 'C:\\Users\\bob\\Documents\\big.bin'
    writeFileSync(mig, rewriteCatalog(readFileSync(mig), (cat) => {
      const e = cat.files.find((f) => f.path === victim) as Record<string, unknown>
      e.sha256 = createHash('sha256').update('something else').digest('hex')
    }))
    const r = await ContainerReader.open(mig)
    try {
      expect((r.entries.find((e) => e.path === victim) as MigEntry).frames).to.be.greaterThan(3)
      const first = recorder()
      const err = await r.decode(r.entries, first.sink, 2).then(() => null, (e: unknown) => e)
      expect((err as { code?: string }).code).to.equal('USM0212')
      expect((err as Error).message).to.contain(`${victim}: content does not match its catalog digest`)
      expect(first.began).to.include(victim)
      expect(first.ended).to.not.include(victim)

      const second = recorder()
      const corrupt: string[] = []
      await r.decode(r.entries, second.sink, 2, (e, e2) => corrupt.push(`${e.path} ${e2.code}`))
      expect(corrupt).to.deep.equal([`${victim} USM0212`])
      expect([...second.ended].sort()).to.deep.equal(files.map((f) => f.path).filter((p) => p !== victim).sort())
      for (const f of files.filter((x) => x.path !== victim)) {
        expect(createHash('sha256').update(Buffer.concat(second.content.get(f.path) ?? [])).digest('hex'), f.path).to.equal(sha(f.localPath))
      }
    } finally {
      await r.close()
    }
  })

  it('the sink\'s error stops reading and delivering at once, and every slot comes back: the same reader decodes again', async () => {
    const { mig, files } = await container(tmp.dir, 'k')
    const r = await ContainerReader.open(mig, 'k')
    try {
      const order = byOffset(r)
      const stopAt = order[2].path
      // Again and again: a slot not given back each time would leave none for the decodes after.
      for (let i = 0; i < 8; i++) {
        const rec = recorder()
        const failing = { ...rec.sink, data: async (e: MigEntry, c: Buffer) => { if (e.path === stopAt) throw new Error('the disk went away'); await rec.sink.data(e, c) } }
        const err = await r.decode(r.entries, failing, 2).then(() => null, (e: unknown) => e)
        expect((err as Error).message).to.equal('the disk went away')
        expect(rec.ended).to.deep.equal(order.slice(0, 2).map((e) => e.path))
        expect(rec.began).to.deep.equal(order.slice(0, 3).map((e) => e.path))
      }
      const again = recorder()
      await r.decode(r.entries, again.sink, 2)
      expect(again.ended).to.deep.equal(order.map((e) => e.path))
      for (const f of files) expect(sha(f.localPath), f.path).to.equal(createHash('sha256').update(Buffer.concat(again.content.get(f.path) ?? [])).digest('hex'))
    } finally {
      await r.close()
    }
  })

  it('a digest thread that dies stops the decode with its error: no file is ended without its digest', async () => {
    const { mig } = await container(tmp.dir, 'k')
    const r = await ContainerReader.open(mig, 'k')
    try {
      const order = byOffset(r)
      // A file with more frames than can be hashed ahead of its first write (window 2).
      const at = order.findIndex((e) => e.frames > 4)
      expect(at).to.be.greaterThan(0)
      const rec = recorder()
      const killing = {
        ...rec.sink,
        begin: async (e: MigEntry) => {
          // The reader's own digest thread, ended as a crash or an out-of-memory kill would end it.
          if (e.path === order[at].path) await (r as unknown as { digestThread: DigestThread }).digestThread.close()
          await rec.sink.begin(e)
        },
      }
      const err = await r.decode(r.entries, killing, 2).then(() => null, (e: unknown) => e)
      expect((err as Error).message).to.match(/^the content digest thread stopped \(exit code \d+\)$/)
      expect(rec.ended).to.deep.equal(order.slice(0, at).map((e) => e.path))
      const later = await r.decode(r.entries, recorder().sink).then(() => null, (e: unknown) => e)
      expect((later as Error).message, 'a later decode on the same reader').to.equal((err as Error).message)
    } finally {
      await r.close()
    }
  })
})
