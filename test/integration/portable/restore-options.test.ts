import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { decodeFileCatalog } from '../../../src/store/catalog.js'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { summarizeProgress } from '../../../src/usmt/progress-log.js'
import { tempDir } from '../../helpers/fixtures.js'
import { prepareMachine, RULES, sha, tool } from './helpers.js'

interface LoadResult {
  returnCode: number
  message: string
  ignoredErrors: number
  files: Array<{ source: string; destination: string; action: string; error?: number }>
  accounts: Array<{ source: string; migrated: boolean; reason: string }>
}

const KINDS = [
  { name: 'compressed', flags: [] as string[] },
  { name: 'mirror', flags: ['/nocompress'] },
  { name: 'hard-link', flags: ['/hardlink', '/nocompress'] },
]

describe('portable loadstate: /c and ErrorControl on restore, /uel, and scanstate /genconfig', function () {
  this.timeout(300000)
  let tmp: ReturnType<typeof tempDir>
  let n = 0
  before(() => { tmp = tempDir('usmt-ropt-') })
  after(() => tmp.cleanup())

  const capture = async (extra: string[]): Promise<{ dir: string; m: ReturnType<typeof prepareMachine>; store: string; listed: string[] }> => {
    const dir = path.join(tmp.dir, `case${n++}`)
    const m = prepareMachine(dir)
    const store = path.join(dir, 'store')
    const list = path.join(dir, 'list.txt')
    const scan = await tool<{ returnCode: number; message: string }>(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : []), store, `/i:${m.rules}`, `/listfiles:${list}`, ...extra])
    expect(scan.exitCode, scan.result.message).to.equal(0)
    return { dir, m, store, listed: readFileSync(list, 'utf8').split('\r\n').filter(Boolean) }
  }

  for (const kind of KINDS) {
    it(`${kind.name}: a destination file that cannot be written is skipped with /c (3) and stops the restore without it (61)`, async () => {
      const { dir, m, store, listed } = await capture(kind.flags)
      const blocked = listed.filter((w) => w.toLowerCase().startsWith('c:\\engineeringdrafts\\'))
      expect(blocked.length, 'files captured below C:\\EngineeringDrafts').to.be.greaterThan(1)
      /** A destination where C:\EngineeringDrafts is a file, so nothing can be written below it. */
      const destination = (name: string): string => {
        const c = path.join(dir, name, 'C')
        mkdirSync(c, { recursive: true })
        writeFileSync(path.join(c, 'EngineeringDrafts'), 'a file where the folder should be')
        return c
      }
      const run = async (name: string, extra: string[]): Promise<{ r: Awaited<ReturnType<typeof tool<LoadResult>>>; c: string; progress: ReturnType<typeof summarizeProgress>; log: ReturnType<typeof parseUsmtLog> }> => {
        const c = destination(name)
        const r = await tool<LoadResult>(['loadstate', '--volume', `C=${c}`, '--computer', 'PC', store, `/i:${m.rules}`, '/lac', ...kind.flags,
          `/l:${path.join(dir, `${name}.log`)}`, `/progress:${path.join(dir, `${name}.progress`)}`, ...extra])
        return { r, c, progress: summarizeProgress(readFileSync(path.join(dir, `${name}.progress`), 'utf8')), log: parseUsmtLog(readFileSync(path.join(dir, `${name}.log`), 'utf8')) }
      }

      const ok = await run('with-c', ['/c'])
      expect(ok.r.exitCode, ok.r.result.message).to.equal(3)
      expect(ok.r.result.message).to.equal('At least one error was skipped as a result of /c.')
      expect(ok.r.result.ignoredErrors).to.equal(blocked.length)
      expect(ok.r.result.files.filter((f) => f.action === 'skipped-error').map((f) => f.source).sort()).to.deep.equal([...blocked].sort())
      expect(ok.progress.errors.map((e) => e.objectName).sort()).to.deep.equal([...blocked].sort())
      for (const e of ok.progress.errors) {
        expect(e).to.include({ type: 'UnableToApply', action: 'Ignore' })
        expect([3, 183]).to.include(e.errorCode)
      }
      expect(ok.progress.final).to.deep.equal({ errorCode: 3, ignoredErrors: blocked.length, message: 'At least one error was skipped as a result of /c.' })
      expect(ok.progress.percent).to.equal(100)
      expect(ok.log.outcome).to.include({ kind: 'success-with-errors', ignoredErrors: blocked.length })
      expect(ok.log.summary.reduce((s, x) => s + x.recurrence, 0)).to.equal(blocked.length)
      expect(ok.log.summary.every((x) => !x.causedAbort)).to.equal(true)
      // Everything else is back, byte for byte; the file in the way is untouched.
      const others = listed.filter((w) => !blocked.includes(w))
      expect(others.length).to.be.greaterThan(5)
      for (const w of others) {
        const rel = w.slice(3).split('\\')
        expect(sha(path.join(ok.c, ...rel)), w).to.equal(sha(path.join(m.c, ...rel)))
      }
      expect(readFileSync(path.join(ok.c, 'EngineeringDrafts'), 'utf8')).to.equal('a file where the folder should be')

      const stop = await run('without-c', [])
      expect(stop.r.exitCode).to.equal(61)
      expect(stop.r.result.message).to.equal('Processing stopped due to an I/O error')
      expect(stop.progress.errors).to.have.length(1)
      expect(stop.progress.errors[0]).to.include({ type: 'UnableToApply', action: 'Abort' })
      expect(stop.progress.final?.errorCode).to.equal(61)
      expect(stop.log.outcome?.kind).to.equal('failed')
      expect(stop.log.summary[0]).to.include({ causedAbort: true })
      expect(readFileSync(path.join(dir, 'without-c.log'), 'utf8')).to.include('you can use /c to ignore these errors')

      // ErrorControl: a <nonFatal> rule skips without /c; a <fatal> rule stops even with /c.
      const cfg = (body: string): string => {
        const f = path.join(dir, `cfg${n++}.xml`)
        writeFileSync(f, `<Configuration><Policies><ErrorControl><fileError>${body}</fileError></ErrorControl></Policies></Configuration>`)
        return f
      }
      expect((await run('nonfatal', [`/config:${cfg('<nonFatal errorCode="any">C:\\EngineeringDrafts\\* [*]</nonFatal>')}`])).r.exitCode).to.equal(3)
      expect((await run('fatal', ['/c', `/config:${cfg('<fatal errorCode="any">C:\\EngineeringDrafts\\* [*]</fatal>')}`])).r.exitCode).to.equal(61)
      expect((await run('other-path', [`/config:${cfg('<nonFatal errorCode="any">C:\\Users\\* [*]</nonFatal>')}`])).r.exitCode).to.equal(61)
    })
  }

  it('records each user\'s last use at capture and honours /uel on restore', async () => {
    const { dir, m, store } = await capture(['/nocompress'])
    expect(m.users, 'the sample machine lists its users with their last use').to.be.a('string')
    const cat = decodeFileCatalog(readFileSync(path.join(store, 'USMT', 'Catalog.json')), 'catalog')
    const given = JSON.parse(readFileSync(m.users as string, 'utf8')) as Array<{ account: string; lastUse?: string }>
    const captured = cat.meta.users.map((u) => u.account)
    expect(captured.length).to.be.greaterThan(1)
    for (const u of cat.meta.users) expect(u.lastUse, u.account).to.equal(given.find((g) => g.account === u.account)?.lastUse)
    // /uel:DATE: only users whose recorded last use is on or after that day are restored.
    const cutoff = '2025/05/21'
    const since = new Date(2025, 4, 21).getTime()
    const within = cat.meta.users.filter((u) => Date.parse(u.lastUse as string) >= since).map((u) => u.account)
    expect(within.length).to.be.greaterThan(0)
    expect(within.length).to.be.lessThan(captured.length)
    const c = path.join(dir, 'dest', 'C')
    mkdirSync(c, { recursive: true })
    const r = await tool<LoadResult>(['loadstate', '--volume', `C=${c}`, '--computer', 'PC', store, `/i:${m.rules}`, '/nocompress', '/lac', `/uel:${cutoff}`, `/progress:${path.join(dir, 'uel.progress')}`])
    expect(r.exitCode, r.result.message).to.equal(0)
    expect(r.result.accounts.filter((a) => a.migrated).map((a) => a.source).sort()).to.deep.equal([...within].sort())
    for (const a of r.result.accounts.filter((x) => !x.migrated)) expect(a.reason).to.match(/outside \/uel:2025\/05\/21$/)
    const progress = summarizeProgress(readFileSync(path.join(dir, 'uel.progress'), 'utf8'))
    expect(progress.detectedUsers.filter((u) => u.included).map((u) => u.user).sort()).to.deep.equal([...within].sort())
    const owners = new Set(r.result.files.map((f) => cat.files.find((e) => e.path === f.source)?.user ?? null))
    expect([...owners].filter((o) => o !== null).sort()).to.deep.equal([...within].sort())
    // /ui beats /uel.
    const left = captured.find((a) => !within.includes(a)) as string
    const r2 = await tool<LoadResult>(['loadstate', '--volume', `C=${path.join(dir, 'dest2', 'C')}`, '--computer', 'PC', store, '/nocompress', '/lac', `/uel:${cutoff}`, `/ui:${left}`])
    expect(r2.result.accounts.filter((a) => a.migrated).map((a) => a.source).sort()).to.deep.equal([...within, left].sort())
  })

  it('without --users the last use is the NTUSER.DAT modification time', async () => {
    const dir = path.join(tmp.dir, `case${n++}`)
    const c = path.join(dir, 'C')
    for (const [rel, text] of [['Users/kim/Documents/a.txt', 'a'], ['Users/kim/NTUSER.DAT', 'hive'], ['Users/lee/Documents/b.txt', 'b'], ['Users/lee/NTUSER.DAT', 'hive']]) {
      mkdirSync(path.dirname(path.join(c, rel)), { recursive: true })
      writeFileSync(path.join(c, rel), text)
    }
    const kim = new Date('2025-03-04T05:06:07.000Z')
    utimesSync(path.join(c, 'Users', 'kim', 'NTUSER.DAT'), kim, kim)
    const rules = path.join(dir, 'rules.xml')
    writeFileSync(rules, RULES)
    const store = path.join(dir, 'store')
    expect((await tool(['scanstate', '--volume', `C=${c}`, '--computer', 'PC', store, `/i:${rules}`, '/hardlink', '/nocompress'])).exitCode).to.equal(0)
    const cat = decodeFileCatalog(readFileSync(path.join(store, 'USMT', 'Catalog.json')), 'catalog')
    expect(cat.meta.users.find((u) => u.account === 'PC\\kim')?.lastUse).to.equal(kim.toISOString())
    expect(cat.meta.users.find((u) => u.account === 'PC\\lee')?.lastUse).to.equal(statSync(path.join(c, 'Users', 'lee', 'NTUSER.DAT')).mtime.toISOString())
  })

  it('/genconfig writes the components by section, lists only detected ones, and the file drives a capture', async () => {
    const dir = path.join(tmp.dir, `case${n++}`)
    const m = prepareMachine(dir)
    const rules = path.join(dir, 'gen-rules.xml')
    writeFileSync(rules, RULES.replace('</migration>', `
  <component type="Application" context="System">
    <displayName>Contoso App</displayName>
    <role role="Settings">
      <detects><detect><condition>MigXmlHelper.DoesObjectExist("File","C:\\Program Files\\Contoso App [app.exe]")</condition></detect></detects>
      <rules><include><objectSet><pattern type="File">C:\\Program Files\\Contoso App\\* [*.dotx]</pattern></objectSet></include></rules>
    </role>
  </component>
  <component type="Application" context="System">
    <displayName>Fabrikam Suite</displayName>
    <role role="Settings">
      <detects><detect><condition>MigXmlHelper.DoesObjectExist("File","C:\\Program Files\\Fabrikam [suite.exe]")</condition></detect></detects>
      <rules><include><objectSet><pattern type="File">C:\\Program Files\\Fabrikam\\* [*]</pattern></objectSet></include></rules>
    </role>
  </component>
  <component type="System" context="System">
    <displayName>Hosts File</displayName>
    <role role="Settings">
      <rules><include><objectSet><pattern type="File">C:\\Windows\\System32\\drivers\\etc [hosts]</pattern></objectSet></include></rules>
    </role>
  </component>
</migration>`))
    const hasContoso = existsSync(path.join(m.c, 'Program Files', 'Contoso App', 'app.exe'))
    const cfg = path.join(dir, 'Config.xml')
    const gen = await tool<{ returnCode: number; genConfig?: string }>(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', `/genconfig:${cfg}`, `/i:${rules}`])
    expect(gen.exitCode).to.equal(0)
    expect(gen.result.genConfig).to.equal(cfg)
    const text = readFileSync(cfg, 'utf8')
    const section = (name: string): string => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1] ?? ''
    expect(section('Documents')).to.include('displayname="Shared Data" migrate="yes" ID="http://www.microsoft.com/migration/1.0/migxmlext/roundtrip/shared data/data"')
    expect(section('Documents')).to.include('displayname="Profile Files"')
    expect(section('WindowsComponents')).to.include('ID="http://www.microsoft.com/migration/1.0/migxmlext/roundtrip/hosts file/settings"')
    expect(section('Applications').includes('Contoso App')).to.equal(hasContoso)
    expect(text).to.not.include('Fabrikam Suite')
    // Again without /o: the file exists.
    expect((await tool(['scanstate', '--volume', `C=${m.c}`, `/genconfig:${cfg}`, `/i:${rules}`])).exitCode).to.equal(41)
    // Switch a component off in the generated file and capture with it.
    writeFileSync(cfg, text.replace('displayname="Shared Data" migrate="yes"', 'displayname="Shared Data" migrate="no"'))
    const store = path.join(dir, 'store')
    const list = path.join(dir, 'list.txt')
    const scan = await tool(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : []), store, `/i:${rules}`, `/config:${cfg}`, `/listfiles:${list}`])
    expect(scan.exitCode).to.equal(0)
    const listed = readFileSync(list, 'utf8').split('\r\n').filter(Boolean)
    expect(listed.some((w) => w.startsWith('C:\\Users\\'))).to.equal(true)
    expect(listed.some((w) => w.startsWith('C:\\Data\\') || w.startsWith('C:\\EngineeringDrafts\\'))).to.equal(false)
    expect(listed).to.include('C:\\Windows\\System32\\drivers\\etc\\hosts')
  })
})
