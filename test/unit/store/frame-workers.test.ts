import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { ContainerReader, ContainerWriter, HEADER_SIZE, type MigEntry, type StoreCodec } from '../../../src/store/container.js'
import type { SourceFile } from '../../../src/store/types.js'
import { tempDir } from '../../helpers/fixtures.js'
import { META } from './helpers.js'
import { codeOfAsync as codeOf } from '../../helpers/errors.js'

// Frames are read into shared-memory slots that are reused for the whole run, compressed and encrypted on worker
// threads with one zstd context reused frame after frame (src/store/frame-workers.ts). These tests use tiny frames
// and a small window so that every slot and context is reused many times.
const FRAME = 4096
const z = zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }
const hasZstd = typeof z.zstdDecompressSync === 'function'
const codecs: StoreCodec[] = hasZstd ? ['deflate', 'zstd'] : ['deflate']

/** Files whose sizes sit on and around frame boundaries, with text, repeated and random content. */
function boundaryFiles(root: string): Array<SourceFile & { content: Buffer }> {
  const sizes = [0, 1, 63, 64, 65, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME - 1, 2 * FRAME, 2 * FRAME + 1, 5 * FRAME + 17, 9 * FRAME]
  const out: Array<SourceFile & { content: Buffer }> = []
  let n = 0
  for (const size of sizes) {
    for (const kind of ['text', 'same', 'random']) {
      const content = kind === 'random' ? randomBytes(size)
        : kind === 'same' ? Buffer.alloc(size, n & 0xff)
          : Buffer.from(Array.from({ length: Math.ceil(size / 20) + 1 }, (_, i) => `line ${n}.${i} ok\n`).join('')).subarray(0, size)
      const local = path.join(root, `f${n}-${kind}-${size}.bin`)
      mkdirSync(root, { recursive: true })
      writeFileSync(local, content)
      out.push({
        path: `C:\\Data\\f${n}-${kind}-${size}.bin`, localPath: local, user: null, component: 'Test', bytes: size,
        mtimeMs: 1_700_000_000_000, atimeMs: 1_700_000_000_000, birthtimeMs: 1_700_000_000_000,
        attributes: { readOnly: false, hidden: false, system: false }, content,
      })
      n++
    }
  }
  return out
}

async function decodeAll(r: ContainerReader, window?: number): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer[]>()
  await r.decode(r.entries, {
    begin: async (e) => { out.set(e.path, []) },
    // A chunk lives in a reused slot: keep a copy.
    data: async (e, c) => { out.get(e.path)?.push(Buffer.from(c)) },
    end: async () => undefined,
  }, window)
  return new Map([...out].map(([k, v]) => [k, Buffer.concat(v)]))
}

/** Each frame of an entry: [header flags, payload] read straight from the container. */
function framesOf(mig: Buffer, e: MigEntry): Array<{ at: number; flags: number; payload: Buffer }> {
  const frames = []
  let at = e.offset
  for (let i = 0; i < e.frames; i++) {
    const len = mig.readUInt32LE(at)
    frames.push({ at, flags: mig.readUInt8(at + 4), payload: mig.subarray(at + 5, at + 5 + len) })
    at += 5 + len
  }
  return frames
}

describe('store/frame-workers: frames in reused slots on worker threads', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  for (const codec of codecs) {
    for (const secret of [undefined, 'k']) {
      it(`${codec} ${secret ? 'encrypted' : 'unencrypted'}: files of every size around the frame boundaries round-trip byte-exact`, async () => {
        const files = boundaryFiles(path.join(tmp.dir, 'src'))
        const mig = path.join(tmp.dir, 'USMT.MIG')
        const w = await ContainerWriter.create(mig, { secret, kdf: 'pbkdf2', codec, frameSize: FRAME, window: 3, workers: 2 })
        for (const f of files) await w.addFile(f)
        await w.finish({ ...META, encrypted: secret !== undefined })
        const r = await ContainerReader.open(mig, secret)
        try {
          expect((await r.verifyStored()).filter((x) => !x.ok)).to.deep.equal([])
          for (const window of [1, 4]) {
            const decoded = await decodeAll(r, window)
            for (const f of files) {
              const got = decoded.get(f.path)
              expect(got, f.path).to.not.equal(undefined)
              expect((got as Buffer).equals(f.content), `${f.path} (window ${window})`).to.equal(true)
            }
          }
          const raw = readFileSync(mig)
          for (const e of r.entries) {
            expect(e.frames, e.path).to.equal(Math.max(1, Math.ceil(e.size / FRAME)))
            // Every compressed frame is a complete frame of its own (the reused context starts a new one each time).
            if (!secret) {
              const parts = framesOf(raw, e).map((f) => (f.flags & 1 ? (codec === 'zstd' ? (z.zstdDecompressSync as (b: Buffer) => Buffer)(f.payload) : zlib.inflateRawSync(f.payload)) : f.payload))
              expect(createHash('sha256').update(Buffer.concat(parts)).digest('hex'), e.path).to.equal(e.sha256)
            }
          }
        } finally {
          await r.close()
        }
      })
    }
  }

  it('a frame that cannot be decompressed fails its file with USM0212, and the same reader decodes the others afterwards', async () => {
    const codec = codecs[codecs.length - 1]
    const files = boundaryFiles(path.join(tmp.dir, 'src'))
    const mig = path.join(tmp.dir, 'USMT.MIG')
    const w = await ContainerWriter.create(mig, { codec, frameSize: FRAME, window: 3 })
    for (const f of files) await w.addFile(f)
    await w.finish(META)
    const r0 = await ContainerReader.open(mig)
    const victim = r0.entries.find((e) => e.path.includes('-text-') && e.frames > 2) as MigEntry
    await r0.close()
    const raw = readFileSync(mig)
    const second = framesOf(raw, victim)[1]
    expect(second.flags & 1, 'the text frame is compressed').to.equal(1)
    second.payload.fill(0xa5, 0, Math.min(16, second.payload.length))
    writeFileSync(mig, raw)
    const r = await ContainerReader.open(mig)
    try {
      expect(await codeOf(decodeAll(r))).to.equal('USM0212')
      const results = await r.verifyStored()
      expect(results.filter((x) => !x.ok).map((x) => x.entry.path)).to.deep.equal([victim.path])
      const others = r.entries.filter((e) => e.path !== victim.path)
      const out = new Map<string, Buffer[]>()
      await r.decode(others, {
        begin: async (e) => { out.set(e.path, []) },
        data: async (e, c) => { out.get(e.path)?.push(Buffer.from(c)) },
        end: async () => undefined,
      })
      for (const f of files.filter((x) => x.path !== victim.path)) expect(Buffer.concat(out.get(f.path) ?? []).equals(f.content), f.path).to.equal(true)
    } finally {
      await r.close()
    }
  })

  if (hasZstd) {
    it('version 3 (encrypted zstd, no stored-frames digest): swapped, moved or altered frames fail authentication with USM0212', async () => {
      const files = boundaryFiles(path.join(tmp.dir, 'src'))
      const mig = path.join(tmp.dir, 'USMT.MIG')
      const w = await ContainerWriter.create(mig, { secret: 'k', kdf: 'pbkdf2', codec: 'zstd', frameSize: FRAME, window: 3 })
      for (const f of files) await w.addFile(f)
      await w.finish({ ...META, encrypted: true })
      const clean = readFileSync(mig)
      expect(clean.readUInt16LE(8)).to.equal(3)
      const r0 = await ContainerReader.open(mig, 'k')
      const entries = r0.entries
      await r0.close()
      expect(entries.every((e) => e.storedSha256 === ''), 'no stored-frames digest in version 3').to.equal(true)
      // Two frames of the same length: the repeated-byte file's full frames compress to the same size.
      const same = entries.find((e) => e.path.includes('-same-') && e.frames >= 3) as MigEntry
      const [a, b] = framesOf(clean, same)
      expect(a.payload.length).to.equal(b.payload.length)
      const attempts: Array<[string, Buffer]> = []
      const swapped = Buffer.from(clean)
      clean.copy(swapped, a.at, b.at, b.at + 5 + b.payload.length)
      clean.copy(swapped, b.at, a.at, a.at + 5 + a.payload.length)
      attempts.push(['swapped within a file', swapped])
      // The same frame of another file with the same content and length (another store position).
      const twin = entries.find((e) => e !== same && e.path.includes('-same-') && e.frames >= 2 && framesOf(clean, e)[0].payload.length === a.payload.length)
      if (twin) {
        const moved = Buffer.from(clean)
        const t = framesOf(clean, twin)[0]
        clean.copy(moved, a.at, t.at, t.at + 5 + t.payload.length)
        attempts.push(['moved from another file', moved])
      }
      const flipped = Buffer.from(clean)
      flipped[a.at + 5 + Math.floor(a.payload.length / 2)] ^= 1
      attempts.push(['one bit flipped', flipped])
      const flag = Buffer.from(clean)
      flag[a.at + 4] ^= 2 // the end-of-file marker
      attempts.push(['its flags changed', flag])
      for (const [what, bytes] of attempts) {
        writeFileSync(mig, bytes)
        const r = await ContainerReader.open(mig, 'k')
        try {
          expect(await codeOf(decodeAll(r)), what).to.equal('USM0212')
          expect((await r.verifyStored()).filter((x) => !x.ok).map((x) => x.entry.path), what).to.deep.equal([same.path])
        } finally {
          await r.close()
        }
      }
      expect(HEADER_SIZE).to.equal(128)
    })
  }
})
