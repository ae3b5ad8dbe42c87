import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { ContainerReader, ContainerWriter, HEADER_SIZE, TRAILER_SIZE, type MigEntry } from '../../../src/store/container.js'
import { redactor } from '../../../src/runtime/redact.js'
import { readStoreKey } from '../../../src/store/crypto.js'
import { tempDir } from '../../helpers/fixtures.js'
import { makeTree, META, rewriteCatalog, sha } from './helpers.js'
import { codeOfAsync as code } from '../../helpers/errors.js'

async function write(file: string, root: string, secret?: string, kdf?: 'scrypt' | 'pbkdf2'): Promise<ReturnType<typeof makeTree>> {
  const files = makeTree(root)
  const w = await ContainerWriter.create(file, { secret, kdf, frameSize: 1 << 20 })
  for (const f of files) await w.addFile(f)
  await w.finish({ ...META, encrypted: secret !== undefined })
  return files
}

async function decodeAll(r: ContainerReader): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer[]>()
  await r.decode(r.entries, {
    begin: async (e) => { out.set(e.path, []) },
    data: async (e, c) => { out.get(e.path)?.push(Buffer.from(c)) },
    end: async () => undefined,
  })
  return new Map([...out].map(([k, v]) => [k, Buffer.concat(v)]))
}

describe('store/container (USMT.MIG)', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  for (const secret of [undefined, 'correct horse battery staple']) {
    it(`round-trips every file byte-for-byte ${secret ? 'encrypted' : 'unencrypted'}`, async () => {
      const mig = path.join(tmp.dir, 'USMT.MIG')
      const files = await write(mig, path.join(tmp.dir, 'src'), secret)
      const r = await ContainerReader.open(mig, secret)
      try {
        expect(r.encrypted).to.equal(secret !== undefined)
        expect(r.entries.map((e) => e.path).sort()).to.deep.equal(files.map((f) => f.path).sort())
        const big = r.entries.find((e) => e.path.endsWith('big.bin')) as MigEntry
        expect(big.frames).to.equal(3)
        expect((await r.verifyStored()).every((x) => x.ok)).to.equal(true)
        const decoded = await decodeAll(r)
        for (const f of files) {
          const e = r.entries.find((x) => x.path === f.path) as MigEntry
          expect(createHash('sha256').update(decoded.get(f.path) as Buffer).digest('hex')).to.equal(sha(f.localPath))
          expect(e.mtimeMs).to.equal(f.mtimeMs)
          expect(e.attributes).to.deep.equal(f.attributes)
        }
      } finally {
        await r.close()
      }
      // Compressible content really is compressed; random content is stored.
      expect(statSync(mig).size).to.be.lessThan(files.reduce((n, f) => n + f.bytes, 0))
      if (secret) expect(readFileSync(mig).includes(Buffer.from('quarterly report'))).to.equal(false)
    })
  }

  it('writes a container that reads the same whether it went to the disk directly or through the page cache', async () => {
    // output-file.test.ts covers both paths byte for byte, their fallback and their failures; here the writer's option
    // reaches its file, and a container written either way decodes to the same files.
    const files = makeTree(path.join(tmp.dir, 'src'), { big: 6_000_000 })
    const decoded: Array<Map<string, Buffer>> = []
    for (const direct of [true, false]) {
      const mig = path.join(tmp.dir, `${direct ? 'direct' : 'cache'}.MIG`)
      const w = await ContainerWriter.create(mig, { frameSize: 1 << 20, output: { direct } })
      if (!direct) expect(w.outputMode).to.equal('cache')
      for (const f of files) await w.addFile(f)
      await w.finish(META)
      const r = await ContainerReader.open(mig)
      try {
        decoded.push(await decodeAll(r))
      } finally {
        await r.close()
      }
    }
    expect(decoded[0].get(files[4].path)?.length).to.equal(files[4].bytes)
    const digests = (m: Map<string, Buffer>): string[][] => [...m].map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')])
    expect(digests(decoded[0])).to.deep.equal(digests(decoded[1]))
  })

  it('derives keys with PBKDF2 as well', async () => {
    const mig = path.join(tmp.dir, 'USMT.MIG')
    await write(mig, path.join(tmp.dir, 'src'), 'k3y-pbkdf2', 'pbkdf2')
    const r = await ContainerReader.open(mig, 'k3y-pbkdf2')
    expect((await r.verifyStored()).every((x) => x.ok)).to.equal(true)
    await r.close()
    expect(await code(ContainerReader.open(mig, 'other'))).to.equal('USM0213')
  })

  it('detects a wrong key, a missing key and a key for an unencrypted store', async () => {
    const enc = path.join(tmp.dir, 'enc.MIG')
    await write(enc, path.join(tmp.dir, 'a'), 'right key')
    expect(await code(ContainerReader.open(enc, 'wrong key'))).to.equal('USM0213')
    expect(await code(ContainerReader.open(enc))).to.equal('USM0213')
    const plain = path.join(tmp.dir, 'plain.MIG')
    await write(plain, path.join(tmp.dir, 'b'))
    expect(await code(ContainerReader.open(plain, 'some key'))).to.equal('USM0214')
  })

  it('detects truncation at any point: always USM0212 (42, as the README says), also inside the header (issue #20 item 11)', async () => {
    const mig = path.join(tmp.dir, 'USMT.MIG')
    await write(mig, path.join(tmp.dir, 'src'), 'k')
    const size = statSync(mig).size
    for (const cut of [0, 4, 10, HEADER_SIZE - 1, HEADER_SIZE + 10, Math.floor(size / 2), size - TRAILER_SIZE - 1, size - 1]) {
      const copy = path.join(tmp.dir, `cut-${cut}.MIG`)
      writeFileSync(copy, readFileSync(mig).subarray(0, cut))
      expect(await code(ContainerReader.open(copy, 'k')), `cut at ${cut}`).to.equal('USM0212')
    }
    // Another format or another container version is "not recognized" (USM0211, 27), not corruption.
    const other = readFileSync(mig)
    other[8] = 9
    writeFileSync(path.join(tmp.dir, 'v9.MIG'), other)
    expect(await code(ContainerReader.open(path.join(tmp.dir, 'v9.MIG'), 'k'))).to.equal('USM0211')
    writeFileSync(path.join(tmp.dir, 'zip.MIG'), Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(300)]))
    expect(await code(ContainerReader.open(path.join(tmp.dir, 'zip.MIG'), 'k'))).to.equal('USM0211')
    truncateSync(mig, size - 1)
    expect(await code(ContainerReader.open(mig, 'k'))).to.equal('USM0212')
  })

  for (const secret of [undefined, 'k']) {
    it(`detects a flipped byte in file data before decoding (${secret ? 'encrypted' : 'unencrypted'})`, async () => {
      const mig = path.join(tmp.dir, 'USMT.MIG')
      await write(mig, path.join(tmp.dir, 'src'), secret)
      const r0 = await ContainerReader.open(mig, secret)
      const victim = r0.entries.find((e) => e.path.endsWith('photo.jpg')) as MigEntry
      await r0.close()
      const buf = readFileSync(mig)
      buf[victim.offset + 100] ^= 0x40
      writeFileSync(mig, buf)
      const r = await ContainerReader.open(mig, secret)
      const results = await r.verifyStored()
      expect(results.filter((x) => !x.ok).map((x) => x.entry.path)).to.deep.equal([victim.path])
      expect(await code(decodeAll(r))).to.equal('USM0212')
      await r.close()
    })
  }

  it('detects a modified catalog or header', async () => {
    const mig = path.join(tmp.dir, 'USMT.MIG')
    await write(mig, path.join(tmp.dir, 'src'), 'k')
    const buf = readFileSync(mig)
    const catOff = Number(buf.readBigUInt64LE(buf.length - TRAILER_SIZE + 8))
    const c1 = Buffer.from(buf)
    c1[catOff + 20] ^= 1
    writeFileSync(mig, c1)
    expect(await code(ContainerReader.open(mig, 'k'))).to.equal('USM0212')
    const c2 = Buffer.from(buf)
    c2[104] ^= 1 // reserved header byte: covered by the digest
    writeFileSync(mig, c2)
    expect(await code(ContainerReader.open(mig, 'k'))).to.equal('USM0212')
  })

  it('rejects a catalog whose paths escape their root, even with a recomputed digest', async () => {
    const mig = path.join(tmp.dir, 'USMT.MIG')
    await write(mig, path.join(tmp.dir, 'src'))
    for (const evil of ['C:\\Users\\..\\..\\etc\\passwd', '/etc/passwd', 'C:\\Users\\CON', '\\\\server\\share\\x', 'C:\\a\\b:c']) {
      const evilFile = path.join(tmp.dir, 'evil.MIG')
      writeFileSync(evilFile, rewriteCatalog(readFileSync(mig), (cat) => { cat.files[0].path = evil }))
      expect(await code(ContainerReader.open(evilFile)), evil).to.equal('USM0217')
    }
  })

  it('refuses to capture a path that escapes its root', async () => {
    const w = await ContainerWriter.create(path.join(tmp.dir, 'x.MIG'))
    const [f] = makeTree(path.join(tmp.dir, 'src'))
    expect(await code(w.addFile({ ...f, path: 'C:\\Users\\..\\..\\x' }))).to.equal('USM0217')
    await w.abort()
  })

  it('reads key files and registers keys with the redactor', async () => {
    const kf = path.join(tmp.dir, 'key.txt')
    writeFileSync(kf, 'file-secret-value\r\n')
    expect(await readStoreKey({ keyFile: kf })).to.equal('file-secret-value')
    expect(redactor.redact('x file-secret-value y')).to.equal('x ******** y')
    writeFileSync(kf, '\n')
    expect(await code(readStoreKey({ keyFile: kf }))).to.equal('USM0219')
    expect(await code(readStoreKey({ keyFile: path.join(tmp.dir, 'missing.txt') }))).to.equal('USM0219')
  })
})
