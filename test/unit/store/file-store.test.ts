import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { decodeFileCatalog, encodeFileCatalog, FileCatalogWriter, storePathOf, type Catalog, type CatalogEntry, type StoreMeta } from '../../../src/store/catalog.js'
import { FileStoreReader, FileStoreWriter, placeFile } from '../../../src/store/file-store.js'
import { tempDir } from '../../helpers/fixtures.js'
import { makeTree, sha } from './helpers.js'
import { codeOf } from '../../helpers/errors.js'

const META: StoreMeta = {
  kind: 'hardlink', encrypted: false, created: '2024-01-01T00:00:00Z', computer: 'PC', tool: 'test',
  users: [{ account: 'PC\\ann', profile: 'C:\\Users\\ann', lastUse: '2025-05-20T08:30:00.000Z' }], ruleFiles: ['rules.xml'], ignoredErrors: 0,
}

/** Re-sign a version 2 catalog body after editing it (what an attacker without a key can always do). */
function resign(body: string): Buffer {
  return Buffer.from(`${body}\nsha256:${createHash('sha256').update(body).digest('hex')}\n`, 'utf8')
}

/** `body` with one edit that must change it (so that a forged-catalog check cannot pass vacuously). */
function edit(body: string, from: string | RegExp, to: string): string {
  const out = body.replace(from, to)
  expect(out, `edit ${String(from)}`).to.not.equal(body)
  return out
}

function bodyOf(buf: Buffer): string {
  const text = buf.toString('utf8')
  return text.slice(0, text.lastIndexOf('\nsha256:'))
}

describe('store/catalog: the streamed file-store catalog (version 2)', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  const entries: CatalogEntry[] = [
    { path: 'C:\\Users\\ann\\Documents\\Bericht über Köln — 2024.docx', user: 'PC\\ann', component: 'Profile Files', size: 12, mtimeMs: 1795220938515.5208, atimeMs: 1700000001000.25, birthtimeMs: 1690000000000, attributes: { readOnly: true, hidden: false, system: true } },
    { path: "C:\\Data\\it's [v2] & más, {x}.txt", user: null, component: 'Shared Data', size: 0, mtimeMs: 0, atimeMs: 0, birthtimeMs: 0, attributes: { readOnly: false, hidden: true, system: false }, sha256: 'a'.repeat(64) },
    { path: 'C:\\boot.ini', user: null, component: 'Shared Data', size: 5, mtimeMs: 1.5, atimeMs: 2.5, birthtimeMs: 3.5, attributes: { readOnly: false, hidden: false, system: false } },
  ]

  it('round-trips every field (exact timestamps, attributes, users, non-ASCII and punctuated paths) and derives store paths', () => {
    const file = path.join(tmp.dir, 'Catalog.json')
    const w = new FileCatalogWriter(file, 'hardlink')
    for (const e of entries) w.add(e)
    w.finish(META)
    const cat = decodeFileCatalog(readFileSync(file), file)
    expect(cat.version).to.equal(2)
    expect(cat.meta).to.deep.equal(META)
    expect(cat.files).to.have.length(3)
    cat.files.forEach((got, i) => {
      expect(got).to.deep.equal({ ...entries[i], storePath: storePathOf(entries[i].path) })
    })
    expect(cat.files[2].storePath).to.equal('C/boot.ini')
    // User and component names are written once (string table), not per file.
    expect(readFileSync(file, 'utf8').split('Shared Data').length - 1).to.equal(1)
  })

  it('writes while capturing: the catalog reaches the disk before finish(), in blocks', () => {
    const file = path.join(tmp.dir, 'Catalog.json')
    const w = new FileCatalogWriter(file, 'hardlink')
    let n = 0
    while (statSync(file).size === 0 && n < 100000) {
      w.add({ ...entries[2], path: `C:\\Data\\folder\\file-${n}.txt` })
      n++
    }
    expect(n, 'entries added before the first block was written').to.be.lessThan(100000)
    expect(statSync(file).size).to.be.greaterThan(500_000)
    w.finish({ ...META, users: [] })
    const cat = decodeFileCatalog(readFileSync(file), file)
    expect(cat.files).to.have.length(n)
    expect(cat.files[n - 1].path).to.equal(`C:\\Data\\folder\\file-${n - 1}.txt`)
  })

  it('encodeFileCatalog writes both versions and decodeFileCatalog reads both', () => {
    const cat: Catalog = { format: 'usmt-steps-catalog', version: 2, meta: { ...META, kind: 'mirror' }, files: entries.map((e) => ({ ...e, storePath: storePathOf(e.path) })) }
    for (const version of [1, 2] as const) {
      const back = decodeFileCatalog(encodeFileCatalog(cat, version), 'x')
      expect(back.version).to.equal(version)
      expect(back.files).to.deep.equal(cat.files)
      expect(back.meta).to.deep.equal(cat.meta)
    }
  })

  it('rejects damaged, truncated and forged catalogs', () => {
    const good = encodeFileCatalog({ format: 'usmt-steps-catalog', version: 2, meta: META, files: entries }, 2)
    const body = bodyOf(good)
    const lines = body.split('\n')
    // One flipped byte: digest mismatch.
    const flipped = Buffer.from(good)
    flipped[20] ^= 1
    expect(codeOf(() => decodeFileCatalog(flipped, 'x'))).to.equal('USM0212')
    // Cut anywhere: no digest line.
    expect(codeOf(() => decodeFileCatalog(good.subarray(0, good.length - 30), 'x'))).to.equal('USM0212')
    // A file line dropped and the digest recomputed: the end record's count does not match.
    expect(codeOf(() => decodeFileCatalog(resign([lines[0], ...lines.slice(2)].join('\n')), 'x'))).to.equal('USM0212')
    // The end record dropped (a capture that died before finishing, re-signed): refused.
    expect(codeOf(() => decodeFileCatalog(resign(lines.slice(0, -1).join('\n')), 'x'))).to.equal('USM0212')
    // A path escaping its root, or a device name, re-signed: refused as USM0217.
    expect(codeOf(() => decodeFileCatalog(resign(edit(body, 'C:\\\\boot.ini', 'C:\\\\..\\\\..\\\\etc\\\\passwd')), 'x'))).to.equal('USM0217')
    expect(codeOf(() => decodeFileCatalog(resign(edit(body, 'C:\\\\boot.ini', 'C:\\\\Data\\\\CON')), 'x'))).to.equal('USM0217')
    expect(codeOf(() => decodeFileCatalog(resign(edit(body, 'C:\\\\boot.ini', '\\\\\\\\server\\\\share\\\\x')), 'x'))).to.equal('USM0217')
    // A string index out of range.
    expect(codeOf(() => decodeFileCatalog(resign(edit(body, /^\["C:\\\\boot\.ini",-1,\d+/m, '["C:\\\\boot.ini",-1,99')), 'x'))).to.equal('USM0211')
  })
})

describe('store/file-store: hard-link and mirror stores', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  it('hard-link store: every file is a link to the source (same inode), folders are created as needed, the catalog lists them', async () => {
    const files = makeTree(path.join(tmp.dir, 'src'))
    files.push({ ...files[5], path: 'C:\\root-file.csv' })
    const usmt = path.join(tmp.dir, 'store', 'USMT')
    const w = new FileStoreWriter(usmt, 'hardlink')
    for (const f of files) w.addFileSync(f)
    expect(await w.finish(META)).to.deep.equal({ files: files.length, bytesIn: files.reduce((n, f) => n + f.bytes, 0) })
    for (const f of files) {
      const inStore = path.join(usmt, 'File', ...storePathOf(f.path).split('/'))
      expect(statSync(inStore).ino, f.path).to.equal(statSync(f.localPath).ino)
    }
    const r = await FileStoreReader.open(usmt)
    expect(r.kind).to.equal('hardlink')
    expect(r.catalog.files.map((e) => e.path)).to.deep.equal(files.map((f) => f.path))
    expect((await r.verify()).every((v) => v.ok)).to.equal(true)
  })

  it('refuses names Windows cannot hold before linking anything', () => {
    const [f] = makeTree(path.join(tmp.dir, 'src'))
    const w = new FileStoreWriter(path.join(tmp.dir, 'store', 'USMT'), 'hardlink')
    for (const bad of ['C:\\Data\\CON', 'C:\\Data\\a:b.txt', 'C:\\Data\\..', 'C:\\Data\\trailing. ', 'relative.txt']) {
      expect(codeOf(() => w.addFileSync({ ...f, path: bad })), bad).to.equal('USM0217')
    }
    expect(w.files).to.equal(0)
    w.abort()
  })

  it('a missing source is thrown as the file-system error and is not catalogued', async () => {
    const [f, g] = makeTree(path.join(tmp.dir, 'src'))
    const usmt = path.join(tmp.dir, 'store', 'USMT')
    const w = new FileStoreWriter(usmt, 'hardlink')
    expect(() => w.addFileSync({ ...f, localPath: path.join(tmp.dir, 'nope') })).to.throw().with.property('code', 'ENOENT')
    w.addFileSync(g)
    await w.finish(META)
    expect((await FileStoreReader.open(usmt)).catalog.files.map((e) => e.path)).to.deep.equal([g.path])
  })

  it('a store folder that could not be made is tried again for the next file of that folder', async () => {
    const [f, g] = makeTree(path.join(tmp.dir, 'src'))
    const usmt = path.join(tmp.dir, 'store', 'USMT')
    const w = new FileStoreWriter(usmt, 'hardlink')
    // A file where a parent of the store folder of C:\Users\ann\Documents must go: the folder cannot be made.
    const blocker = path.join(usmt, 'File', 'C', 'Users', 'ann')
    mkdirSync(path.dirname(blocker), { recursive: true })
    writeFileSync(blocker, 'in the way')
    expect(() => w.addFileSync(f)).to.throw().with.property('code', 'ENOTDIR')
    rmSync(blocker)
    w.addFileSync(g)
    await w.finish(META)
    expect(statSync(path.join(blocker, 'Documents', path.basename(g.localPath))).ino).to.equal(statSync(g.localPath).ino)
  })

  it('hard-link store linked on the background thread: outcomes in order, failures as errors, only links catalogued', async () => {
    const src = path.join(tmp.dir, 'src')
    const files: Parameters<FileStoreWriter['queueLink']>[0][] = []
    for (let i = 0; i < 2600; i++) {
      const rel = `Data/folder${i % 7}/sub${i % 3}/${i % 500 === 7 ? 'Übersicht – naïve ' : 'file'}${i}.txt`
      const local = path.join(src, ...rel.split('/'))
      mkdirSync(path.dirname(local), { recursive: true })
      writeFileSync(local, `content ${i}`)
      files.push({ path: `C:\\${rel.split('/').join('\\')}`, localPath: local, user: i % 2 ? 'PC\\ann' : null, component: 'Test', bytes: String(`content ${i}`).length, mtimeMs: 1700000000000 + i, atimeMs: 1700000000000, birthtimeMs: 1690000000000, attributes: { readOnly: false, hidden: false, system: false } })
    }
    files[10] = { ...files[10], localPath: path.join(tmp.dir, 'vanished.txt') }
    files[1500] = { ...files[1500], path: 'C:\\Data\\folder1\\AUX.txt' }
    const usmt = path.join(tmp.dir, 'store', 'USMT')
    const w = new FileStoreWriter(usmt, 'hardlink')
    for (const f of files) {
      w.queueLink(f)
      if (w.linkBacklog > 1) await w.drainLinks(0)
    }
    // Each batch: its files in order, the linked ones' paths read back from their catalog rows, the others named
    // with their user and size; the counts and bytes add up.
    const seen: Array<{ path: string; error: unknown }> = []
    let linked = 0
    let linkedBytes = 0
    let lastPaths = 0
    for await (const b of w.linkOutcomes()) {
      const paths = b.paths()
      expect(paths).to.have.length(b.linked)
      for (let i = 0, j = 0, k = 0; i < b.count; i++) {
        const f = b.failed[k]
        if (f?.index === i) {
          k++
          expect(f.user).to.equal(files[seen.length].user)
          expect(f.bytes).to.equal(files[seen.length].bytes)
          seen.push({ path: f.path, error: f.error })
        } else {
          seen.push({ path: paths[j++], error: null })
        }
      }
      expect(b.lastPath()).to.equal(seen[seen.length - 1].path)
      lastPaths++
      linked += b.linked
      linkedBytes += b.linkedBytes
    }
    expect(lastPaths).to.be.greaterThan(5)
    expect(seen.map((x) => x.path)).to.deep.equal(files.map((f) => f.path))
    expect(seen.filter((x) => x.error !== null).map((x) => x.path)).to.deep.equal([files[10].path, files[1500].path])
    expect(seen[10].error).to.have.property('code', 'ENOENT')
    expect(seen[1500].error).to.be.instanceOf(UsmtStepsError).with.property('code', 'USM0217')
    const ok = files.filter((_, i) => i !== 10 && i !== 1500)
    expect(linked).to.equal(ok.length)
    expect(linkedBytes).to.equal(ok.reduce((n, f) => n + f.bytes, 0))
    expect(await w.finish(META)).to.deep.equal({ files: ok.length, bytesIn: linkedBytes })
    const cat = (await FileStoreReader.open(usmt)).catalog
    expect(cat.files.map((e) => e.path)).to.deep.equal(ok.map((f) => f.path))
    for (const f of [ok[0], ok[1234], ok[ok.length - 1]]) {
      expect(statSync(path.join(usmt, 'File', ...storePathOf(f.path).split('/'))).ino, f.path).to.equal(statSync(f.localPath).ino)
    }
  })

  it('finish() refuses while queued links were not read, abort() stops the thread', async () => {
    const [f] = makeTree(path.join(tmp.dir, 'src'))
    const w = new FileStoreWriter(path.join(tmp.dir, 'store', 'USMT'), 'hardlink')
    w.queueLink(f)
    let thrown: unknown
    try {
      await w.finish(META)
    } catch (e) {
      thrown = e
    }
    expect(String(thrown)).to.match(/before every queued link was read/)
    await w.abort()
  })

  for (const kind of ['hardlink', 'mirror'] as const) {
    it(`${kind}: restore skips a destination it cannot write when the handler says ignore, and stops otherwise`, async () => {
      const files = makeTree(path.join(tmp.dir, 'src'))
      const usmt = path.join(tmp.dir, 'store', 'USMT')
      const w = new FileStoreWriter(usmt, kind)
      for (const f of files) await w.addFile(f)
      await w.finish({ ...META, kind })
      const r = await FileStoreReader.open(usmt)
      const dest = path.join(tmp.dir, 'dest')
      const items = r.catalog.files.map((e) => ({ entry: e, dest: path.join(dest, ...storePathOf(e.path).split('/').slice(1)) }))
      // The second destination is a folder on the destination: writing the file there cannot work (EISDIR).
      mkdirSync(path.join(items[1].dest, 'keep'), { recursive: true })
      const seen: Array<{ code?: string; dest: string }> = []
      const done = await r.restore(items, undefined, (err, _e, d) => {
        seen.push({ code: err.code, dest: d })
        return 'ignore'
      })
      expect(seen).to.deep.equal([{ code: 'EISDIR', dest: items[1].dest }])
      expect(done.map((x) => x.dest)).to.deep.equal(items.filter((_, i) => i !== 1).map((i) => i.dest))
      for (const it of items.filter((_, i) => i !== 1)) expect(sha(it.dest)).to.equal(sha(files.find((f) => f.path === it.entry.path)?.localPath as string))
      expect(existsSync(path.join(items[1].dest, 'keep')), 'the folder in the way is untouched').to.equal(true)
      const left = (dir: string): string[] => (existsSync(dir) ? readdirRec(dir) : []).filter((n) => n.includes('.usmt-steps-'))
      expect(left(dest), 'no temporary files are left').to.deep.equal([])
      // Without an ignoring handler the error ends the restore.
      let thrown: unknown
      try {
        await r.restore(items, undefined, () => 'abort')
      } catch (e) {
        thrown = e
      }
      expect(thrown).to.have.property('code', 'EISDIR')
    })
  }

  it('placeFile replaces an existing file only once the new content is complete', async () => {
    const dest = path.join(tmp.dir, 'target.txt')
    writeFileSync(dest, 'the destination computer\'s own file')
    let thrown: unknown
    try {
      await placeFile(dest, async (target) => {
        writeFileSync(target, 'half', { flag: 'wx' })
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' })
      })
    } catch (e) {
      thrown = e
    }
    expect(thrown).to.have.property('code', 'ENOSPC')
    expect(readFileSync(dest, 'utf8')).to.equal('the destination computer\'s own file')
    expect(readdirRec(tmp.dir)).to.deep.equal(['target.txt'])
    await placeFile(dest, async (target) => writeFileSync(target, 'new content', { flag: 'wx' }))
    expect(readFileSync(dest, 'utf8')).to.equal('new content')
    expect(readdirRec(tmp.dir)).to.deep.equal(['target.txt'])
    // Replacing a file by a link to itself (a hard-link restore over the original) leaves no temporary name.
    const twin = path.join(tmp.dir, 'twin.txt')
    writeFileSync(twin, 'same inode')
    rmSync(dest)
    linkSync(twin, dest)
    await placeFile(dest, async (target) => linkSync(twin, target))
    expect(statSync(dest).ino).to.equal(statSync(twin).ino)
    expect(readdirRec(tmp.dir)).to.deep.equal(['target.txt', 'twin.txt'])
    // A new file that fails half-way is removed.
    const fresh = path.join(tmp.dir, 'fresh.txt')
    await placeFile(fresh, async (target) => {
      writeFileSync(target, 'half', { flag: 'wx' })
      throw Object.assign(new Error('I/O'), { code: 'EIO' })
    }).catch(() => undefined)
    expect(existsSync(fresh)).to.equal(false)
  })
})

function readdirRec(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(path.join(d, e.name), r)
      else out.push(r)
    }
  }
  walk(dir, '')
  return out.sort()
}
