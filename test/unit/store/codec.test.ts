import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as zlib from 'node:zlib'
import { ContainerReader, ContainerWriter, resolveCodec, simulateNoZstd, zstdAvailable, type StoreCodec } from '../../../src/store/container.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { tempDir } from '../../helpers/fixtures.js'
import { makeTree, META, sha } from './helpers.js'
import { codeOfAsync as codeOf } from '../../helpers/errors.js'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'store')
// Both fixtures hold the same three files (key "fixture-key", PBKDF2, 64 KiB frames): v1-deflate.mig was written by
// usmt-steps before zstd existed (container version 1), v2-zstd.mig by Node 22 with the zstd codec.
const FIXTURE_FILES: Record<string, string> = {
  'C:\\Users\\ann\\Documents\\report.txt': createHash('sha256').update(Buffer.from('quarterly report\r\n'.repeat(300))).digest('hex'),
  'C:\\Users\\ann\\Documents\\empty.txt': createHash('sha256').update(Buffer.alloc(0)).digest('hex'),
  'C:\\Users\\ann\\big.log': createHash('sha256').update(Buffer.from(Array.from({ length: 40000 }, (_, i) => `line ${i}\n`).join(''))).digest('hex'),
}

async function decodeAll(r: ContainerReader): Promise<Map<string, string>> {
  const out = new Map<string, ReturnType<typeof createHash>>()
  await r.decode(r.entries, {
    begin: async (e) => { out.set(e.path, createHash('sha256')) },
    data: async (e, c) => { out.get(e.path)?.update(c) },
    end: async () => undefined,
  })
  return new Map([...out].map(([k, h]) => [k, h.digest('hex')]))
}

describe('store/container codecs (zstd where the runtime has it, DEFLATE everywhere)', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => {
    simulateNoZstd(false)
    tmp.cleanup()
  })
  const runtimeHasZstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function'

  async function roundTrip(codec: StoreCodec | 'auto', secret?: string): Promise<{ reader: ContainerReader; mig: string }> {
    const mig = path.join(tmp.dir, `${codec}-${secret ? 'enc' : 'plain'}.MIG`)
    const files = makeTree(path.join(tmp.dir, `src-${codec}-${secret ? 'enc' : 'plain'}`))
    const w = await ContainerWriter.create(mig, { secret, kdf: 'pbkdf2', codec })
    for (const f of files) await w.addFile(f)
    await w.finish({ ...META, encrypted: secret !== undefined })
    const reader = await ContainerReader.open(mig, secret)
    expect(reader.codec).to.equal(w.codec)
    expect((await reader.verifyStored()).every((x) => x.ok)).to.equal(true)
    const decoded = await decodeAll(reader)
    for (const f of files) expect(decoded.get(f.path), f.path).to.equal(sha(f.localPath))
    return { reader, mig }
  }

  it('auto picks zstd exactly where node:zlib has it, and records the codec in the header', async () => {
    expect(zstdAvailable()).to.equal(runtimeHasZstd)
    expect(resolveCodec('auto')).to.equal(runtimeHasZstd ? 'zstd' : 'deflate')
    const { reader, mig } = await roundTrip('auto', 'k')
    await reader.close()
    const header = readFileSync(mig).subarray(0, 128)
    // An encrypted zstd store is version 3 (frames authenticated, no stored-frames digest); DEFLATE stays version 1.
    expect(header.readUInt16LE(8)).to.equal(runtimeHasZstd ? 3 : 1)
    if (runtimeHasZstd) expect(header.readUInt8(104)).to.equal(1)
  })

  for (const secret of [undefined, 'correct horse battery staple']) {
    it(`DEFLATE round trip ${secret ? 'encrypted' : 'unencrypted'} writes a version-1 container (readable by older usmt-steps)`, async () => {
      const { reader, mig } = await roundTrip('deflate', secret)
      expect(reader.codec).to.equal('deflate')
      await reader.close()
      expect(readFileSync(mig).readUInt16LE(8)).to.equal(1)
    })

    it(`zstd round trip ${secret ? 'encrypted' : 'unencrypted'} (Node >= 22.15), refused with USM0221 where zstd is missing`, async function () {
      if (!runtimeHasZstd) {
        // Node 20: writing zstd is refused up front; the round trip itself runs in the Node 22/24 matrix
        // (scripts/ci/node-matrix.sh runs this suite there).
        expect(await codeOf(ContainerWriter.create(path.join(tmp.dir, 'z.MIG'), { codec: 'zstd' }))).to.equal('USM0221')
        return
      }
      const { reader, mig } = await roundTrip('zstd', secret)
      expect(reader.codec).to.equal('zstd')
      await reader.close()
      expect(readFileSync(mig).readUInt16LE(8)).to.equal(secret ? 3 : 2)
      // zstd frames really are zstd (magic 28 B5 2F FD) when not encrypted.
      if (!secret) expect(readFileSync(mig).includes(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).to.equal(true)
    })
  }

  it('reads a store written before zstd existed (container version 1, DEFLATE)', async () => {
    const r = await ContainerReader.open(path.join(FIXTURES, 'v1-deflate.mig'), 'fixture-key')
    try {
      expect(r.codec).to.equal('deflate')
      expect(Object.fromEntries(await decodeAll(r))).to.deep.equal(FIXTURE_FILES)
    } finally {
      await r.close()
    }
  })

  it('reads a zstd store where the runtime has zstd, and refuses it with USM0221 (actionable) where it does not', async () => {
    const fixture = path.join(FIXTURES, 'v2-zstd.mig')
    if (runtimeHasZstd) {
      const r = await ContainerReader.open(fixture, 'fixture-key')
      try {
        expect(r.codec).to.equal('zstd')
        expect(Object.fromEntries(await decodeAll(r))).to.deep.equal(FIXTURE_FILES)
      } finally {
        await r.close()
      }
      simulateNoZstd(true) // the same store on a runtime without zstd
    }
    let err: unknown
    try {
      await ContainerReader.open(fixture, 'fixture-key')
    } catch (e) {
      err = e
    }
    expect(err).to.be.instanceOf(UsmtStepsError)
    expect((err as UsmtStepsError).code).to.equal('USM0221')
    expect((err as UsmtStepsError).message).to.include('zstd').and.include(process.version)
  })

  for (const secret of [undefined, 'k']) {
    it(`a restore reads once: a damaged file stops decoding with USM0212 ${secret ? 'before its destination is begun (encrypted: every frame is authenticated)' : 'before it ends (unencrypted: checked against the catalog digests)'}`, async () => {
      const { reader, mig } = await roundTrip('auto', secret)
      const big = reader.entries.find((e) => e.path.endsWith('big.bin'))
      await reader.close()
      const damaged = path.join(tmp.dir, 'damaged.MIG')
      copyFileSync(mig, damaged)
      const buf = readFileSync(damaged)
      // Inside the first frame of big.bin (its payload length is in the frame header; 1 MiB of 'x' is ~70 bytes in zstd).
      const first = big?.offset ?? 0
      buf[first + 5 + Math.min(100, buf.readUInt32LE(first) - 1)] ^= 0x01
      writeFileSync(damaged, buf)
      const r = await ContainerReader.open(damaged, secret)
      try {
        const begun: string[] = []
        const ended: string[] = []
        const code = await codeOf(r.decode(r.entries, {
          begin: async (e) => { begun.push(e.path) },
          data: async () => undefined,
          end: async (e) => { ended.push(e.path) },
        }))
        expect(code).to.equal('USM0212')
        expect(ended).not.to.include(big?.path)
        if (secret) expect(begun).not.to.include(big?.path)
      } finally {
        await r.close()
      }
    })
  }
})
