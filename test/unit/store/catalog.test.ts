/**
 * Issue #20 item 5: the catalog of a hard-link or mirror store is sealed. The attack from the issue — delete an
 * entry, add an `evil.exe` entry, recompute the count and the digest — passes a catalog checked against its own
 * digest; read with the seal key it is USM0222 before a line of it is parsed, whether the attacker kept the old
 * seal line, dropped it or computed one with another key. Stores without a seal still read (reported as unsealed).
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { decodeFileCatalog, encodeFileCatalog, FileCatalogWriter, type CatalogEntry, type StoreMeta } from '../../../src/store/catalog.js'
import { newSealKey, readSealKeyFile, sealOf } from '../../../src/store/seal.js'
import { redactor } from '../../../src/runtime/redact.js'
import { tempDir } from '../../helpers/fixtures.js'
import { codeOf } from '../../helpers/errors.js'

const META: StoreMeta = {
  kind: 'hardlink', encrypted: false, created: '2024-01-01T00:00:00Z', computer: 'PC', tool: 'test',
  users: [{ account: 'PC\\ann', profile: 'C:\\Users\\ann' }], ruleFiles: ['rules.xml'], ignoredErrors: 0,
}

const entry = (p: string, size = 5): CatalogEntry => ({
  path: p, user: 'PC\\ann', component: 'Profile Files', size, mtimeMs: 1700000000000, atimeMs: 1700000000000, birthtimeMs: 1690000000000,
  attributes: { readOnly: false, hidden: false, system: false },
})

const ENTRIES = [entry('C:\\Users\\ann\\Documents\\a.docx'), entry('C:\\Users\\ann\\Documents\\b.xlsx'), entry('C:\\Users\\ann\\Desktop\\c.txt')]

/** The lines of a catalog file before its digest line. */
function signedLines(buf: Buffer): string[] {
  const text = buf.toString('utf8')
  return text.slice(0, text.lastIndexOf('\nsha256:')).split('\n')
}

function withDigest(lines: string[]): Buffer {
  const body = lines.join('\n')
  return Buffer.from(`${body}\nsha256:${createHash('sha256').update(body).digest('hex')}\n`, 'utf8')
}

/**
 * The attack of issue #20 item 5, as an attacker who can write the store does it: drop the entry of b.xlsx, add
 * an entry for evil.exe, recompute the end record's count and the digest. `seal` says what happens to the seal
 * line: kept as it was, dropped, or recomputed with a key of the attacker's.
 */
function tamper(buf: Buffer, seal: 'keep' | 'drop' | { key: string }): Buffer {
  const lines = signedLines(buf)
  const sealLine = lines[lines.length - 1].startsWith('seal:') ? lines.pop() : undefined
  const end = JSON.parse(lines.pop() as string) as { count: number }
  const rows = lines.slice(1).filter((l) => !l.includes('b.xlsx'))
  expect(rows.length, 'one entry dropped').to.equal(lines.length - 2)
  rows.push(rows[0].replace(/"C:\\\\Users\\\\ann\\\\Documents\\\\a\.docx"/, '"C:\\\\Users\\\\ann\\\\Desktop\\\\evil.exe"'))
  expect(rows[rows.length - 1]).to.include('evil.exe')
  const out = [lines[0], ...rows, JSON.stringify({ ...end, count: rows.length })]
  if (seal === 'keep' && sealLine) out.push(sealLine)
  if (typeof seal === 'object') out.push(`seal:hmac-sha256:${sealOf(seal.key, out.join('\n'))}`)
  return withDigest(out)
}

describe('store/catalog: the sealed file-store catalog (issue #20 item 5)', () => {
  let tmp: ReturnType<typeof tempDir>
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => tmp.cleanup())

  function written(key: string | undefined, kind: 'hardlink' | 'mirror' = 'hardlink'): Buffer {
    const file = path.join(tmp.dir, `Catalog-${Math.random().toString(36).slice(2)}.json`)
    const w = new FileCatalogWriter(file, kind, key)
    for (const e of ENTRIES) w.add(kind === 'mirror' ? { ...e, sha256: 'b'.repeat(64) } : e)
    w.finish({ ...META, kind })
    return readFileSync(file)
  }

  it('the streamed writer seals the catalog (the seal line before the digest), and the seal verifies with the key only', () => {
    const key = newSealKey()
    const buf = written(key)
    const lines = signedLines(buf)
    expect(lines[lines.length - 1]).to.match(/^seal:hmac-sha256:[0-9a-f]{64}$/)
    expect(buf.toString('utf8')).to.not.include(key)
    const cat = decodeFileCatalog(buf, 'x', key)
    expect(cat.seal).to.equal('verified')
    expect(cat.files.map((f) => f.path)).to.deep.equal(ENTRIES.map((e) => e.path))
    // Without the key the catalog is read, and says its seal was not checked.
    expect(decodeFileCatalog(buf, 'x').seal).to.equal('unchecked')
    // Another store's key: the seal does not match.
    expect(codeOf(() => decodeFileCatalog(buf, 'x', newSealKey()))).to.equal('USM0222')
    // encodeFileCatalog (tools, tests) writes the same bytes as the streamed writer.
    expect(encodeFileCatalog({ format: 'usmt-steps-catalog', version: 2, meta: META, files: ENTRIES }, 2, key).equals(buf)).to.equal(true)
  })

  for (const kind of ['hardlink', 'mirror'] as const) {
    it(`${kind}: delete an entry, add evil.exe, recompute count and digest — detected with the key whatever the seal line says`, () => {
      const key = newSealKey()
      const good = written(key, kind)
      for (const how of ['keep', 'drop', { key: newSealKey() }] as const) {
        const forged = tamper(good, how)
        // The forgery is a well-formed catalog: without the key it reads, evil.exe included (what the seal is for).
        const blind = decodeFileCatalog(forged, 'x')
        expect(blind.files.map((f) => f.path), JSON.stringify(how)).to.include('C:\\Users\\ann\\Desktop\\evil.exe')
        expect(blind.seal).to.equal(how === 'drop' ? 'unsealed' : 'unchecked')
        // With the key: refused, and nothing of it is returned.
        expect(codeOf(() => decodeFileCatalog(forged, 'x', key)), JSON.stringify(how)).to.equal('USM0222')
      }
    })
  }

  it('one changed byte anywhere in a sealed body (size, time, user, metadata) is detected with the key even after the digest is recomputed', () => {
    const key = newSealKey()
    const lines = signedLines(written(key))
    const edits: Array<[number, RegExp, string]> = [
      [1, /,5,/, ',6,'],
      [2, /1700000000000/, '1700000000001'],
      [lines.length - 2, /"computer":"PC"/, '"computer":"PD"'],
      [0, /"kind":"hardlink"/, '"kind":"mirror"'],
    ]
    for (const [i, from, to] of edits) {
      const copy = [...lines]
      copy[i] = copy[i].replace(from, to)
      expect(copy[i], String(from)).to.not.equal(lines[i])
      expect(codeOf(() => decodeFileCatalog(withDigest(copy), 'x', key)), String(from)).to.equal('USM0222')
    }
  })

  it('older stores without a seal still read (reported unsealed); with a key they are refused (a seal cannot be stripped)', () => {
    const plain = written(undefined)
    expect(signedLines(plain).some((l) => l.startsWith('seal:'))).to.equal(false)
    expect(decodeFileCatalog(plain, 'x').seal).to.equal('unsealed')
    expect(codeOf(() => decodeFileCatalog(plain, 'x', newSealKey()))).to.equal('USM0222')
    // Version 1 (one JSON document) can be sealed and read the same way.
    const key = newSealKey()
    const v1 = encodeFileCatalog({ format: 'usmt-steps-catalog', version: 1, meta: META, files: ENTRIES }, 1, key)
    expect(decodeFileCatalog(v1, 'x', key).seal).to.equal('verified')
    expect(decodeFileCatalog(encodeFileCatalog({ format: 'usmt-steps-catalog', version: 1, meta: META, files: ENTRIES }, 1), 'x').seal).to.equal('unsealed')
  })

  it('a malformed seal line is a corrupted catalog (USM0212)', () => {
    const lines = signedLines(written(newSealKey()))
    lines[lines.length - 1] = 'seal:hmac-sha256:xyz'
    expect(codeOf(() => decodeFileCatalog(withDigest(lines), 'x'))).to.equal('USM0212')
  })

  it('seal key files: scanstate creates one (0600, a 256-bit random key, redacted); a missing or short key is USM0223', () => {
    const file = path.join(tmp.dir, 'seal.key')
    const made = readSealKeyFile(file, { create: true })
    expect(made.created).to.equal(true)
    expect(made.key).to.match(/^[0-9a-f]{64}$/)
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    expect(redactor.redact(`key ${made.key}`)).to.not.include(made.key)
    expect(readSealKeyFile(file)).to.deep.equal({ key: made.key, created: false })
    expect(codeOf(() => readSealKeyFile(path.join(tmp.dir, 'missing.key')))).to.equal('USM0223')
    writeFileSync(file, 'short\n')
    expect(codeOf(() => readSealKeyFile(file))).to.equal('USM0223')
  })
})
