import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { summarizeProgress } from '../../../src/usmt/progress-log.js'
import { PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { prepareMachine, tool } from './helpers.js'

interface ScanResult { returnCode: number; files: number; message: string; ignoredErrors: number }
interface LoadResult { returnCode: number; message: string; files: Array<{ source: string; destination: string; action: string; rule?: string }>; notes: string[]; accounts: Array<{ source: string; target: string; localAccount?: string; migrated: boolean }> }

describe('portable tools: return codes, errors, restore semantics', function () {
  this.timeout(300000)
  let tmp: ReturnType<typeof tempDir>
  let n = 0
  const fresh = (): { dir: string; m: ReturnType<typeof prepareMachine>; flags: string[] } => {
    const dir = path.join(tmp.dir, `case${n++}`)
    const m = prepareMachine(dir)
    return { dir, m, flags: ['--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : [])] }
  }
  before(() => { tmp = tempDir('usmt-beh-') })
  after(() => tmp.cleanup())

  it('returns 11 with the documented text for an invalid combination, and logs it with ##ERROR##', async () => {
    const { dir, m, flags } = fresh()
    const r = await runCli(['scanstate', ...flags, path.join(dir, 'store'), `/i:${m.rules}`, '/hardlink', `/l:${path.join(dir, 'bad.log')}`, '--progress', 'none'])
    expect(r.exitCode).to.equal(11)
    expect(r.stdout).to.include('/hardlink requires /nocompress')
    const log = parseUsmtLog(readFileSync(path.join(dir, 'bad.log'), 'utf8'))
    expect(log.outcome?.kind).to.equal('failed')
    expect(log.outcome?.details[0]).to.equal('An error occurred processing the command line.')
    const u = await runCli(['scanstate', ...flags, path.join(dir, 'store'), '/bogus', '--progress', 'none'])
    expect(u.exitCode).to.equal(11)
    const l = await runCli(['loadstate', '--volume', `C=${m.c}`, path.join(dir, 'store'), '/offline:x.xml', '--progress', 'none'])
    expect(l.exitCode).to.equal(36)
    const h = await runCli(['scanstate', '/?', '--progress', 'none'])
    expect(h.exitCode).to.equal(1)
  })

  it('refuses an existing store without /o (27) and overwrites it with /o', async () => {
    const { dir, m, flags } = fresh()
    const store = path.join(dir, 'store')
    expect((await tool<ScanResult>(['scanstate', ...flags, store, `/i:${m.rules}`])).exitCode).to.equal(0)
    const again = await tool<ScanResult>(['scanstate', ...flags, store, `/i:${m.rules}`])
    expect(again.exitCode).to.equal(27)
    expect(again.result.message).to.equal("A store path can't be used because an existing store exists; specify /o to overwrite")
    expect((await tool<ScanResult>(['scanstate', ...flags, store, `/i:${m.rules}`, '/o', '/nocompress'])).exitCode).to.equal(0)
    expect(readdirSync(store)).to.deep.equal(['USMT'])
    expect(existsSync(path.join(store, 'USMT', 'Catalog.json'))).to.equal(true)
  })

  it('a file that vanishes during capture: /c ignores it (3), without /c the run stops (61) and leaves no store', async () => {
    const { dir, m } = fresh()
    const victim = path.join(m.c, 'EngineeringDrafts', 'spec.txt')
    const run = async (extra: string[], store: string): Promise<{ code: number; progress: ReturnType<typeof summarizeProgress>; log: ReturnType<typeof parseUsmtLog> }> => {
      writeFileSync(victim, 'spec')
      const { runScanState } = await import('../../../src/portable/scanstate.js')
      const { VolumeMap } = await import('../../../src/windows/volume-map.js')
      let first = true
      const r = await runScanState({
        argv: [store, `/i:${m.rules}`, `/l:${path.join(dir, 'v.log')}`, `/progress:${path.join(dir, 'v.progress')}`, ...extra],
        cwd: dir, volumes: VolumeMap.parse([`C=${m.c}`]), computer: 'PC', usersFile: m.users, version: 'test', out: () => undefined,
        onPercent: (_p, saved) => {
          if (first && saved !== 'C:\\EngineeringDrafts\\spec.txt') rmSync(victim, { force: true })
          first = false
        },
      })
      return { code: r.returnCode, progress: summarizeProgress(readFileSync(path.join(dir, 'v.progress'), 'utf8')), log: parseUsmtLog(readFileSync(path.join(dir, 'v.log'), 'utf8')) }
    }
    const ok = await run(['/c'], path.join(dir, 's1'))
    expect(ok.code).to.equal(3)
    expect(ok.progress.errors).to.deep.equal([{ type: 'UnableToOpen', objectName: 'C:\\EngineeringDrafts\\spec.txt', action: 'Ignore', errorCode: 2 }])
    expect(ok.progress.final).to.deep.equal({ errorCode: 3, ignoredErrors: 1, message: 'At least one error was skipped as a result of /c.' })
    expect(ok.log.outcome?.kind).to.equal('success-with-errors')
    expect(ok.log.summary[0]).to.include({ errorCode: 2, recurrence: 1 })
    const stop = await run([], path.join(dir, 's2'))
    expect(stop.code).to.equal(61)
    expect(stop.progress.errors[0].action).to.equal('Abort')
    expect(stop.log.outcome?.kind).to.equal('failed')
    expect(readdirSync(path.join(dir, 's2'))).to.deep.equal([])
    // ErrorControl: a fatal rule wins over /c; a nonFatal rule ignores without /c.
    const cfg = (body: string): string => {
      const f = path.join(dir, `cfg${n++}.xml`)
      writeFileSync(f, `<Configuration><Policies><ErrorControl><fileError>${body}</fileError></ErrorControl></Policies></Configuration>`)
      return f
    }
    expect((await run(['/c', `/config:${cfg('<fatal errorCode="any">C:\\EngineeringDrafts\\* [*]</fatal>')}`], path.join(dir, 's3'))).code).to.equal(61)
    expect((await run([`/config:${cfg('<nonFatal errorCode="2">* [*]</nonFatal><fatal errorCode="any">C:\\* [*]</fatal>')}`], path.join(dir, 's4'))).code).to.equal(3)
    expect((await run([`/config:${cfg('<nonFatal errorCode="5">* [*]</nonFatal>')}`], path.join(dir, 's5'))).code).to.equal(61)
  })

  it('an interrupted capture (process killed) leaves nothing loadstate or /verify accepts', async () => {
    const { dir, m, flags } = fresh()
    const big = path.join(m.c, 'Data', 'big')
    mkdirSync(big, { recursive: true })
    for (let i = 0; i < 30; i++) writeFileSync(path.join(big, `f${i}.bin`), randomBytes(4 << 20))
    const store = path.join(dir, 'store')
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'test', 'integration', 'portable', 'child-scanstate.ts'), `C=${m.c}`, store, `/i:${m.rules}`, '/encrypt', '/key:k'], { cwd: PROJECT_ROOT, stdio: 'ignore' })
    const exited = new Promise((r) => child.once('exit', r))
    const deadline = Date.now() + 60000
    while (Date.now() < deadline) {
      const parts = existsSync(store) ? readdirSync(store).filter((x) => x.startsWith('USMT.partial-')) : []
      if (parts.length && existsSync(path.join(store, parts[0], 'USMT.MIG')) && statSync(path.join(store, parts[0], 'USMT.MIG')).size > (8 << 20)) break
      await new Promise((r) => setTimeout(r, 20))
    }
    child.kill('SIGKILL')
    await exited
    const partial = readdirSync(store).find((x) => x.startsWith('USMT.partial-'))
    expect(partial, 'capture was killed mid-way').to.be.a('string')
    expect(existsSync(path.join(store, 'USMT'))).to.equal(false)
    const load = await tool<LoadResult>(['loadstate', '--volume', `C=${path.join(dir, 'dest')}`, store, '/decrypt', '/key:k'])
    expect(load.exitCode).to.equal(27)
    expect(load.result.message).to.equal('A store path is missing or has incomplete data')
    const v = await tool(['usmtutils', '/verify', path.join(store, partial as string, 'USMT.MIG'), '/decrypt', '/key:k'])
    expect(v.exitCode).to.equal(42)
    // A new capture without /o is refused; with /o it replaces the leftovers.
    expect((await tool(['scanstate', ...flags, store, `/i:${m.rules}`])).exitCode).to.equal(27)
    expect((await tool(['scanstate', ...flags, store, `/i:${m.rules}`, '/o'])).exitCode).to.equal(0)
    expect(readdirSync(store)).to.deep.equal(['USMT'])
  })

  it('corrupted, wrong-key and path-escaping stores are refused before anything is written', async () => {
    const { dir, m, flags } = fresh()
    const store = path.join(dir, 'store')
    expect((await tool(['scanstate', ...flags, store, `/i:${m.rules}`, '/encrypt', '/key:right'])).exitCode).to.equal(0)
    const dest = path.join(dir, 'dest')
    const wrong = await tool<LoadResult>(['loadstate', '--volume', `C=${dest}`, store, '/decrypt', '/key:wrong'])
    expect(wrong.exitCode).to.equal(37)
    expect((await tool(['loadstate', '--volume', `C=${dest}`, store])).exitCode).to.equal(37)
    const mig = path.join(store, 'USMT', 'USMT.MIG')
    const buf = readFileSync(mig)
    // Inside the payload of the container's first frame (the first file's, its length in the frame header at 128):
    // an encrypted frame is authenticated before any of its bytes are written.
    buf[128 + 5 + Math.min(72, buf.readUInt32LE(128) - 1)] ^= 0xff
    writeFileSync(mig, buf)
    const bad = await tool<LoadResult>(['loadstate', '--volume', `C=${dest}`, store, '/decrypt', '/key:right'])
    expect(bad.exitCode).to.equal(42)
    expect(existsSync(dest)).to.equal(false)
    const v = await tool<{ verify: { corrupted: string[] } }>(['usmtutils', '/verify:failureonly', mig, '/decrypt', '/key:right'])
    expect(v.exitCode).to.equal(42)
    expect(v.result.verify.corrupted).to.have.length(1)
    // Mirror store with a tampered catalog path (digest recomputed by the attacker).
    const s2 = path.join(dir, 'store2')
    expect((await tool(['scanstate', ...flags, s2, `/i:${m.rules}`, '/nocompress'])).exitCode).to.equal(0)
    const catFile = path.join(s2, 'USMT', 'Catalog.json')
    const { decodeFileCatalog, encodeFileCatalog } = await import('../../../src/store/catalog.js')
    const cat = decodeFileCatalog(readFileSync(catFile), catFile)
    cat.files[0].storePath = 'C/../../../../tmp/evil.txt'
    writeFileSync(catFile, encodeFileCatalog(cat))
    expect((await tool(['loadstate', '--volume', `C=${dest}`, s2, '/nocompress'])).exitCode).to.equal(42)
    expect(existsSync(dest)).to.equal(false)
  })

  it('restore semantics: collisions name(1).ext, merge priorities, locationModify, missing drive → C:, /mu, /lac reporting', async () => {
    const { dir, m, flags } = fresh()
    mkdirSync(path.join(tmp.dir, 'Dvol', 'Projects'), { recursive: true })
    writeFileSync(path.join(tmp.dir, 'Dvol', 'Projects', 'plan.txt'), 'plan on D')
    const rules = path.join(dir, 'restore-rules.xml')
    writeFileSync(rules, `<?xml version="1.0"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/restore">
  <component type="Documents" context="System"><displayName>Restore Rules</displayName><role role="Data"><rules>
    <include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern><pattern type="File">C:\\EngineeringDrafts\\* [*]</pattern><pattern type="File">D:\\Projects\\* [*]</pattern></objectSet></include>
    <merge script="MigXmlHelper.DestinationPriority()"><objectSet><pattern type="File">C:\\EngineeringDrafts\\* [*]</pattern></objectSet></merge>
    <merge script="MigXmlHelper.SourcePriority()"><objectSet><pattern type="File">C:\\Data\\Finance\\* [*]</pattern></objectSet></merge>
    <locationModify script="MigXmlHelper.RelativeMove('C:\\Data\\Music','C:\\Archive\\Music')"><objectSet><pattern type="File">C:\\Data\\Music\\* [*]</pattern></objectSet></locationModify>
  </rules></role></component>
</migration>`)
    const store = path.join(dir, 'store')
    const scan = await tool<ScanResult>(['scanstate', ...flags, '--volume', `D=${path.join(tmp.dir, 'Dvol')}`, store, `/i:${rules}`, `/i:${m.rules}`])
    expect(scan.exitCode, scan.result.message).to.equal(0)
    const dest = path.join(dir, 'dest', 'C')
    for (const [rel, text] of [['Data/readme.txt', 'existing'], ['EngineeringDrafts/spec.txt', 'keep me'], ['Data/Finance/ledger.csv', 'old ledger'], ['Users/ann/placeholder', 'x']]) {
      mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true })
      writeFileSync(path.join(dest, rel), text)
    }
    const load = await tool<LoadResult>(['loadstate', '--volume', `C=${dest}`, '--computer', 'NEWPC', store, `/i:${rules}`, `/i:${m.rules}`, '/mu:PC\\ann:PC\\anna', '/lac:S3cret!', '/l:' + path.join(dir, 'load.log')])
    expect(load.exitCode, load.result.message).to.equal(0)
    const by = (src: string) => load.result.files.find((f) => f.source === src)
    expect(by('C:\\Data\\readme.txt')).to.include({ destination: 'C:\\Data\\readme(1).txt', action: 'renamed' })
    expect(readFileSync(path.join(dest, 'Data', 'readme.txt'), 'utf8')).to.equal('existing')
    expect(by('C:\\EngineeringDrafts\\spec.txt')).to.include({ action: 'kept-destination' })
    expect(readFileSync(path.join(dest, 'EngineeringDrafts', 'spec.txt'), 'utf8')).to.equal('keep me')
    expect(by('C:\\Data\\Finance\\ledger.csv')).to.include({ action: 'overwritten' })
    expect(readFileSync(path.join(dest, 'Data', 'Finance', 'ledger.csv'), 'utf8')).not.to.equal('old ledger')
    const music = load.result.files.find((f) => f.source.startsWith('C:\\Data\\Music\\'))
    expect(music, 'a captured C:\\Data\\Music file').to.not.equal(undefined)
    // "Shared Data" (in m.rules) includes C:\Data\* without a locationModify, "Restore Rules" moves its copy:
    // the file is migrated in both places (Conflicts and precedence).
    if (music) {
      const rel = music.source.slice('C:\\Data\\Music\\'.length)
      expect(load.result.files.filter((f) => f.source === music.source).map((f) => f.destination)).to.have.members([music.source, `C:\\Archive\\Music\\${rel}`])
    }
    expect(by('D:\\Projects\\plan.txt')).to.include({ destination: 'C:\\Projects\\plan.txt' })
    expect(readFileSync(path.join(dest, 'Projects', 'plan.txt'), 'utf8')).to.equal('plan on D')
    const ann = load.result.accounts.find((a) => a.source === 'PC\\ann')
    expect(ann).to.include({ target: 'PC\\anna', localAccount: 'create-disabled' })
    const annFile = load.result.files.find((f) => f.source.startsWith('C:\\Users\\ann\\'))
    expect(annFile, 'a captured file of ann').to.not.equal(undefined)
    if (annFile) expect(annFile.destination.startsWith('C:\\Users\\anna\\')).to.equal(true)
    expect(load.result.notes.some((x) => /would be created/.test(x))).to.equal(true)
    expect(readFileSync(path.join(dir, 'load.log'), 'utf8')).not.to.include('S3cret!')
  })

  it('a hard-link store on another device than the data is refused (27) and leaves nothing behind', async function () {
    const other = '/dev/shm'
    if (!existsSync(other) || statSync(other).dev === statSync(tmp.dir).dev) this.skip()
    const { dir, m, flags } = fresh()
    const elsewhere = mkdtempSync(path.join(other, 'usmt-hl-'))
    try {
      const store = path.join(elsewhere, 'store')
      const r = await tool<ScanResult>(['scanstate', ...flags, store, `/i:${m.rules}`, '/hardlink', '/nocompress', `/l:${path.join(dir, 'hl.log')}`])
      expect(r.exitCode).to.equal(27)
      expect(r.result.message).to.equal('The store save location is read-only or does not support a requested storage option')
      expect(readFileSync(path.join(dir, 'hl.log'), 'utf8')).to.match(/is on another device than drive C:/)
      expect(existsSync(store) ? readdirSync(store) : []).to.deep.equal([])
    } finally {
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })

  it('usmtutils /extract with /i and /e, /o, and /rd of a hard-link store', async () => {
    const { dir, m, flags } = fresh()
    const store = path.join(dir, 'store')
    expect((await tool(['scanstate', ...flags, store, `/i:${m.rules}`])).exitCode).to.equal(0)
    const out = path.join(dir, 'extracted')
    const x = await tool<{ extracted: number }>(['usmtutils', '/extract', path.join(store, 'USMT', 'USMT.MIG'), out, '/i:*.txt'])
    expect(x.exitCode).to.equal(0)
    expect(x.result.extracted).to.be.greaterThan(0)
    expect(existsSync(path.join(out, 'C', 'Data', 'readme.txt'))).to.equal(true)
    expect((await tool(['usmtutils', '/extract', path.join(store, 'USMT', 'USMT.MIG'), out, '/i:*.txt'])).exitCode).to.equal(41)
    expect((await tool(['usmtutils', '/extract', path.join(store, 'USMT', 'USMT.MIG'), out, '/i:*.txt', '/o'])).exitCode).to.equal(0)
    const hl = path.join(dir, 'hl')
    expect((await tool(['scanstate', ...flags, hl, `/i:${m.rules}`, '/hardlink', '/nocompress'])).exitCode).to.equal(0)
    expect((await tool(['usmtutils', '/rd', hl, '/y'])).exitCode).to.equal(0)
    expect(existsSync(hl)).to.equal(false)
    expect(existsSync(path.join(m.c, 'Data', 'readme.txt'))).to.equal(true)
    expect((await tool(['usmtutils', '/rd', m.c])).exitCode).to.equal(27)
  })
})
