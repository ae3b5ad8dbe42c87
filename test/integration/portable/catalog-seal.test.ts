/**
 * Issue #20 item 5 in the portable tools: `scanstate --seal-key-file F` seals the catalog of a hard-link or
 * uncompressed store (creating F with a random key when it does not exist); `usmtutils /verify` and `loadstate`
 * with the key refuse a catalog rewritten by the attack of the issue (delete an entry, add evil.exe, recompute
 * count and digest) with 42 and write nothing; without the key they say the seal was not checked (a warning and a
 * field in --json), and a store without a seal still restores (reported unsealed).
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { prepareMachine } from './helpers.js'

/** Drop one catalog entry (and its file), add C:\Data\evil.exe (entry and file), recompute count and digest; the seal line, if any, stays. */
function tamper(usmtDir: string): void {
  const file = path.join(usmtDir, 'Catalog.json')
  const text = readFileSync(file, 'utf8')
  const lines = text.slice(0, text.lastIndexOf('\nsha256:')).split('\n')
  const seal = lines[lines.length - 1].startsWith('seal:') ? [lines.pop() as string] : []
  const end = JSON.parse(lines.pop() as string) as { count: number }
  const rows = lines.slice(1)
  const victim = rows.findIndex((r) => r.startsWith('["C:\\\\Data\\\\'))
  expect(victim).to.be.greaterThan(-1)
  const template = JSON.parse(rows[victim]) as unknown[]
  rmSync(path.join(usmtDir, 'File', ...(template[0] as string).replace(/^C:\\/, 'C\\').split('\\')))
  rows.splice(victim, 1)
  const evil = [...template]
  evil[0] = 'C:\\Data\\evil.exe'
  evil[3] = 2
  if (evil.length > 8) evil[8] = createHash('sha256').update('MZ').digest('hex')
  rows.push(JSON.stringify(evil))
  writeFileSync(path.join(usmtDir, 'File', 'C', 'Data', 'evil.exe'), 'MZ')
  const body = [lines[0], ...rows, JSON.stringify({ ...end, count: rows.length }), ...seal].join('\n')
  writeFileSync(file, `${body}\nsha256:${createHash('sha256').update(body).digest('hex')}\n`)
}

describe('portable tools: sealed catalogs of hard-link and uncompressed stores (issue #20 item 5)', function () {
  this.timeout(180000)
  let tmp: ReturnType<typeof tempDir>
  before(() => { tmp = tempDir('usmt-seal-') })
  after(() => tmp.cleanup())

  for (const kind of [['/nocompress'], ['/hardlink', '/nocompress']]) {
    it(`${kind.join(' ')}: a rewritten catalog is refused with the key (42, nothing written) and reported as unchecked without it`, async () => {
      const dir = path.join(tmp.dir, kind.join('').replace(/\//g, ''))
      const m = prepareMachine(dir)
      const store = path.join(m.c, 'Store')
      const keyFile = path.join(dir, 'seal.key')
      const scan = await runCli(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : []), store, `/i:${m.rules}`, ...kind, '--seal-key-file', keyFile, '--progress', 'none', '--json'])
      expect(scan.exitCode, scan.stdout).to.equal(0)
      expect(parseJsonOutput<{ result: { sealed?: boolean } }>(scan.stdout).result.sealed).to.equal(true)
      expect(statSync(keyFile).mode & 0o777, 'created private').to.equal(0o600)
      const key = readFileSync(keyFile, 'utf8').trim()
      expect(scan.stdout).to.not.include(key)

      const verify = (extra: string[]): ReturnType<typeof runCli> => runCli(['usmtutils', '/verify', store, ...extra, '--progress', 'none', '--json'])
      type Verify = { result: { verify?: { seal?: string; catalog: string } }; warnings: string[] }
      const clean = await verify(['--seal-key-file', keyFile])
      expect(clean.exitCode, clean.stdout).to.equal(0)
      expect(parseJsonOutput<Verify>(clean.stdout).result.verify?.seal).to.equal('verified')

      tamper(path.join(store, 'USMT'))
      const forged = await verify(['--seal-key-file', keyFile])
      expect(forged.exitCode, forged.stdout).to.equal(42)
      expect(parseJsonOutput<Verify>(forged.stdout).result.verify?.catalog).to.equal('CORRUPTED')
      const blind = await verify([])
      expect(blind.exitCode, blind.stdout).to.equal(0)
      const blindDoc = parseJsonOutput<Verify>(blind.stdout)
      expect(blindDoc.result.verify?.seal).to.equal('unchecked')
      expect(blindDoc.warnings.join('\n')).to.include('Catalog seal: not checked')

      const restore = async (extra: string[]): Promise<{ exitCode: number; stdout: string; dest: string }> => {
        const dest = path.join(dir, `dest-${extra.length}`)
        mkdirSync(dest, { recursive: true })
        const r = await runCli(['loadstate', '--volume', `C=${dest}`, store, `/i:${m.rules}`, ...kind, '/c', ...extra, '--progress', 'none', '--json'])
        return { ...r, dest }
      }
      const refused = await restore(['--seal-key-file', keyFile])
      expect(refused.exitCode, refused.stdout).to.equal(42)
      expect(existsSync(path.join(refused.dest, 'Data')), 'nothing restored').to.equal(false)
      const unchecked = await restore([])
      expect(unchecked.exitCode, unchecked.stdout).to.be.oneOf([0, 3])
      const doc = parseJsonOutput<{ result: { catalogSeal?: string }; warnings: string[] }>(unchecked.stdout)
      expect(doc.result.catalogSeal).to.equal('unchecked')
      expect(doc.warnings.join('\n')).to.include('Catalog seal: not checked')
      // What an unchecked catalog lets through: the forged entry is restored.
      expect(existsSync(path.join(unchecked.dest, 'Data', 'evil.exe'))).to.equal(true)
    })
  }

  it('a store captured without a seal key still restores (reported unsealed); with a key it is refused; a short key file is 33', async () => {
    const dir = path.join(tmp.dir, 'unsealed')
    const m = prepareMachine(dir)
    const store = path.join(m.c, 'Store')
    const scan = await runCli(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : []), store, `/i:${m.rules}`, '/nocompress', '--progress', 'none', '--json'])
    expect(scan.exitCode, scan.stdout).to.equal(0)
    expect(parseJsonOutput<{ result: { sealed?: boolean } }>(scan.stdout).result.sealed).to.equal(false)
    const dest = path.join(dir, 'dest')
    mkdirSync(dest)
    const ok = await runCli(['loadstate', '--volume', `C=${dest}`, store, `/i:${m.rules}`, '/nocompress', '--progress', 'none', '--json'])
    expect(ok.exitCode, ok.stdout).to.equal(0)
    const doc = parseJsonOutput<{ result: { catalogSeal?: string }; warnings: string[] }>(ok.stdout)
    expect(doc.result.catalogSeal).to.equal('unsealed')
    expect(doc.warnings.join('\n')).to.include('Catalog seal: none')
    const keyFile = path.join(dir, 'seal.key')
    writeFileSync(keyFile, `${'0'.repeat(64)}\n`)
    const withKey = await runCli(['usmtutils', '/verify', store, '--seal-key-file', keyFile, '--progress', 'none'])
    expect(withKey.exitCode, withKey.stdout).to.equal(42)
    writeFileSync(keyFile, 'short\n')
    const short = await runCli(['usmtutils', '/verify', store, '--seal-key-file', keyFile, '--progress', 'none'])
    expect(short.exitCode, short.stdout).to.equal(33)
  })
})
