/**
 * Registry round trip with MigApp.xml over the sample machine's hives: scanstate captures the detected
 * applications' settings into every store kind, loadstate writes them into a destination with fresh hives;
 * checked with hivexget. Unselected values stay behind; a value the destination already has is overwritten
 * (the documented default for the registry: the source wins).
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { blankHive } from '../../../src/registry/blank-hive.js'
import { settingsFromLog } from '../../../src/report/log-analysis.js'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { parseJsonOutput, spawnCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { writeHive } from '../../helpers/hives.js'
import { SAMPLE, tool } from './helpers.js'

interface ScanResult { returnCode: number; files: number; settings: number; message: string }
interface LoadResult { returnCode: number; message: string; settings: Array<{ source: string; hive: string; user: string | null; action: string }>; notes: string[] }

const get = (hive: string, key: string, name: string): string | null => {
  try {
    return execFileSync('hivexget', [hive, key, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

const KINDS = [
  { name: 'compressed + encrypted', scan: ['/encrypt', '/key:reg-key'], load: ['/decrypt', '/key:reg-key'] },
  { name: 'mirror', scan: ['/nocompress'], load: ['/nocompress'] },
  { name: 'hard-link', scan: ['/hardlink', '/nocompress'], load: ['/hardlink', '/nocompress'] },
]

describe('portable registry round trip (MigApp.xml, sample hives → fresh hives)', function () {
  this.timeout(300_000)
  let tmp: ReturnType<typeof tempDir>
  before(function () {
    requireSharedFixtures(this, 'usmt-xml/MigApp.xml')
    tmp = tempDir('usmt-reg-rt-')
  })
  after(() => tmp?.cleanup())

  for (const kind of KINDS) {
    it(`${kind.name}: selected values come back (hivexget), unselected stay behind, existing values are overwritten`, async () => {
      const dir = path.join(tmp.dir, kind.name.replace(/[^a-z]+/gi, '_'))
      const store = path.join(dir, 'store')
      // The hard-link store must sit on the volume of the data: scan a copy beside it.
      const src = path.join(dir, 'src')
      mkdirSync(src, { recursive: true })
      execFileSync('cp', ['-a', path.join(SAMPLE, 'C'), src])
      const migApp = sharedFixture('usmt-xml/MigApp.xml')
      const scanLog = path.join(dir, 'scan.log')
      const scan = await tool<ScanResult>(['scanstate', '--volume', `C=${path.join(src, 'C')}`, '--users', path.join(SAMPLE, 'users.json'), store, `/i:${migApp}`, '/o', `/l:${scanLog}`, ...kind.scan])
      expect(scan.exitCode, scan.result.message).to.equal(0)
      expect(scan.result.settings).to.equal(12)
      // The report counts settings per user and application from the capture's log.
      expect(settingsFromLog(parseUsmtLog(readFileSync(scanLog, 'utf8'))).sort((a, b) => `${a.user}${a.component}`.localeCompare(`${b.user}${b.component}`))).to.deep.equal([
        { user: 'CONTOSO\\jdoe', component: 'Skype', settings: 3 },
        { user: 'PC\\ann', component: 'Skype', settings: 2 },
        { user: 'PC\\ann', component: 'WinZip', settings: 6 },
        { user: 'PC\\olduser', component: 'WinZip', settings: 1 },
      ])
      // The store never holds the values in clear text when it is encrypted.
      if (kind.name.includes('encrypted')) expect(readFileSync(path.join(store, 'USMT', 'USMT.MIG')).includes(Buffer.from('Documents', 'utf16le'))).to.equal(false)

      // Destination: fresh hives; ann's hive already holds a WinZip value that the source overwrites.
      const dest = path.join(dir, 'dest', 'C')
      mkdirSync(path.join(dest, 'Users', 'jdoe'), { recursive: true })
      writeFileSync(path.join(dest, 'Users', 'jdoe', 'NTUSER.DAT'), blankHive())
      mkdirSync(path.join(dest, 'Users', 'Default'), { recursive: true })
      writeHive(path.join(dest, 'Users', 'ann', 'NTUSER.DAT'), { '\\Software\\Nico Mak Computing\\WinZip\\WinZip': { ShowTips: 'destination' }, '\\Software\\Keep': { Mine: 'yes' } })
      const load = await tool<LoadResult>(['loadstate', '--volume', `C=${dest}`, store, `/i:${migApp}`, ...kind.load])
      expect(load.exitCode, load.result.message).to.equal(0)
      // PC\olduser is a local account missing on the destination (no /lac): its setting stays in the store.
      expect(load.result.settings).to.have.length(11)

      const ann = path.join(dest, 'Users', 'ann', 'NTUSER.DAT')
      expect(get(ann, '\\Software\\Nico Mak Computing\\WinZip\\directories', 'zDefDir')).to.equal('C:\\Users\\ann\\Documents')
      expect(get(ann, '\\Software\\Nico Mak Computing\\WinZip\\WinZip', 'AlwaysOnTop')).to.equal('1')
      expect(get(ann, '\\Software\\Nico Mak Computing\\WinZip\\WinZip', 'ShowTips')).to.equal('0')
      expect(load.result.settings.find((s) => s.source.endsWith('WinZip\\WinZip [ShowTips]') && s.user === 'PC\\ann')?.action).to.equal('overwritten')
      expect(get(ann, '\\Software\\Keep', 'Mine')).to.equal('yes')
      // Excluded by MigApp, or named by no rule: not restored.
      expect(get(ann, '\\Software\\Nico Mak Computing\\WinZip\\WinZip', 'Display')).to.equal(null)
      expect(get(ann, '\\Software\\Nico Mak Computing\\WinZip\\directories', 'LastOpened')).to.equal(null)
      expect(get(ann, '\\Software\\Contoso\\App', 'LastProject')).to.equal(null)
      expect(get(ann, '\\Software\\Skype\\PluginManager', 'Plugins Root')).to.equal(null)
      const jdoe = path.join(dest, 'Users', 'jdoe', 'NTUSER.DAT')
      expect(get(jdoe, '\\Software\\Skype\\Phone\\UI\\General', 'Language')).to.equal('de')
      expect(get(jdoe, '\\Software\\Skype\\Phone\\UI\\General', 'Theme')).to.equal('2')
      expect(load.result.settings.some((x) => x.user === 'PC\\olduser')).to.equal(false)
    })
  }

  it('a runtime without the offline registry tools (as on Windows): loadstate restores the files, applies no value, names each one and returns 3', async () => {
    const dir = path.join(tmp.dir, 'no-tools')
    const store = path.join(dir, 'store')
    const migApp = sharedFixture('usmt-xml/MigApp.xml')
    const scan = await tool<ScanResult>(['scanstate', '--volume', `C=${path.join(SAMPLE, 'C')}`, '--users', path.join(SAMPLE, 'users.json'), store, `/i:${migApp}`, '/o', '/nocompress'])
    expect(scan.exitCode, scan.result.message).to.equal(0)
    expect(scan.result.settings).to.equal(12)
    const dest = path.join(dir, 'dest', 'C')
    const ann = path.join(dest, 'Users', 'ann', 'NTUSER.DAT')
    writeHive(ann, { '\\Software\\Nico Mak Computing\\WinZip\\WinZip': { ShowTips: 'destination' } })
    const hiveBefore = readFileSync(ann)
    // The CLI's own child, with a PATH that has no perl and no hivexregedit: the tools are really missing.
    const empty = path.join(dir, 'empty-path')
    mkdirSync(empty, { recursive: true })
    const log = path.join(dir, 'load.log')
    const r = await spawnCli(['loadstate', '--volume', `C=${dest}`, store, `/i:${migApp}`, '/nocompress', `/l:${log}`, '--json', '--progress', 'none'], { env: { PATH: empty } })
    expect(r.exitCode, r.stdout + r.stderr).to.equal(3)
    const doc = parseJsonOutput<{ result: LoadResult & { registryNotApplied: number; files: Array<{ action: string }> } }>(r.stdout)
    expect(doc.result.registryNotApplied).to.equal(11)
    expect(doc.result.settings).to.deep.equal([])
    expect(doc.result.message).to.equal('11 registry values in the store were not applied: the offline registry tools are not installed (perl: not found on PATH)')
    expect(doc.result.files.filter((f) => f.action === 'restored').length).to.equal(scan.result.files).and.to.be.greaterThan(0)
    expect(readFileSync(ann)).to.deep.equal(hiveBefore)
    const text = readFileSync(log, 'utf8')
    expect(text).to.include('Registry HKCU\\Software\\Nico Mak Computing\\WinZip\\WinZip [ShowTips] (PC\\ann): not applied')
    expect(text.match(/: not applied: /g)).to.have.length(11)
  })

  it('/p counts the registry values in the store size (they travel in every store kind)', async () => {
    const dir = path.join(tmp.dir, 'estimate')
    mkdirSync(dir, { recursive: true })
    const migApp = sharedFixture('usmt-xml/MigApp.xml')
    const vol = ['--volume', `C=${path.join(SAMPLE, 'C')}`, '--users', path.join(SAMPLE, 'users.json')]
    const est = await tool<{ estimate: { storeBytes: number } }>(['scanstate', ...vol, path.join(dir, 'store'), `/i:${migApp}`, '/o', '/nocompress', `/p:${path.join(dir, 'size.xml')}`])
    expect(est.exitCode).to.equal(0)
    const preview = await tool<{ included: Array<{ type: string; bytes: number }> }>(['rules', 'preview', '--rules', migApp, ...vol])
    const cluster = (n: number): number => Math.ceil(n / 4096) * 4096
    const fileBytes = preview.result.included.filter((x) => x.type === 'file').reduce((n, x) => n + cluster(x.bytes), 0)
    expect(preview.result.included.filter((x) => x.type === 'registry')).to.have.length(12)
    // 12 small values: one more cluster than the files alone.
    expect(est.result.estimate.storeBytes).to.equal(fileBytes + 4096)
  })
})
