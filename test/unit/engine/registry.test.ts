/**
 * Registry rules over real offline hives (built with hivex): every documented registry example of usmt.md
 * (§6.3 pattern table, §7.7 R1–R4, §7.9 IN-1, §7.10 UX-3, §7.13 CX-1 and CX-3) and MigApp.xml on the sample.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { explainPaths, prepare, scan, type Prepared } from '../../../src/engine/index.js'
import { buildVersionedExe } from '../../../src/engine/pe.js'
import type { RegistryDecision } from '../../../src/engine/registry.js'
import { readUsersFile } from '../../../src/engine/users.js'
import { resetHiveToolsProbes } from '../../../src/registry/hivex.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { parseJsonOutput, PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'
import { writeHive, type HiveSpec } from '../../helpers/hives.js'
import { makeMachine, migration } from './helpers.js'

const reg = (kind: string, ...patterns: string[]): string => `<${kind}><objectSet>${patterns.map((p) => `<pattern type="Registry">${p}</pattern>`).join('')}</objectSet></${kind}>`
const ANN = { account: 'PC\\ann', profile: 'C:\\Users\\ann', lastUse: new Date().toISOString() }

function decisions(p: Prepared): RegistryDecision[] {
  const out: RegistryDecision[] = []
  const it = scan(p, { include() {}, exclude() {}, warning() {}, registry: (d) => out.push(d) })
  while (!it.next().done) { /* collect */ }
  return out
}

const CMD = 'Microsoft\\Command Processor'
const SOFTWARE: HiveSpec = {
  [`\\${CMD}`]: { DefaultColor: 7, AutoRun: 'cls', CompletionChar: 9 },
  [`\\${CMD}\\Sub`]: { Deep: 1 },
  '\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Cache': { Persistent: 1, Other: 2 },
  '\\USMTTESTKEY\\A': { x: 'ax' },
  '\\USMTTESTKEY\\A\\B': { y: 'by' },
  '\\MyApp': { win32_version: '8.0' },
  '\\MyApp\\Installer': { EXEPATH: 'C:\\Program Files\\MyApp\\myapp.exe' },
  '\\Wow6432Node\\Contoso\\Office': { Lang: '1033' },
}
const NTUSER: HiveSpec = {
  '\\Software\\MyApp': { ShowTips: 1, Display: 'x', Other: 'left' },
  '\\Software\\MyApp\\Toolbar': { Buttons: Buffer.from([1, 2]) },
  '\\Software\\MyApp\\Toolbar\\Deep': { Size: 3 },
  '\\Software\\MyApp\\ListView': { Columns: 4 },
  '\\Software\\USMTTESTKEY': { MyKey: 'top' },
  '\\Software\\USMTTESTKEY\\Inner': { MyKey: 'inner', NotMine: 'no' },
  '\\testReg': { a: 'a' },
  '\\Keyboard Layout\\Toggle': { '': '1', Hotkey: '2' },
}

async function withMachine<T>(rules: string, fn: (p: Prepared) => T, opts: { exe?: boolean; exeVersion?: string } = {}): Promise<T> {
  const files = ['Users\\ann\\Documents\\a.txt', 'Windows\\SysWOW64\\x.dll']
  if (opts.exe) files.push('Program Files\\MyApp\\myapp.exe')
  const m = makeMachine({ C: files })
  try {
    writeHive(path.join(m.root, 'C', 'Windows', 'System32', 'config', 'SOFTWARE'), SOFTWARE)
    writeHive(path.join(m.root, 'C', 'Users', 'ann', 'NTUSER.DAT'), NTUSER)
    if (opts.exeVersion) writeFileSync(path.join(m.root, 'C', 'Program Files', 'MyApp', 'myapp.exe'), buildVersionedExe(opts.exeVersion, opts.exeVersion))
    const xml = m.xml('rules.xml', rules)
    return fn(prepare({ ruleFiles: [xml], volumes: m.volumes, users: [ANN] }))
  } finally {
    m.cleanup()
  }
}

const captured = (ds: RegistryDecision[]): string[] => ds.filter((d) => d.included).map((d) => `${d.value.key} [${d.value.name}]`).sort()

describe('engine registry rules over offline hives (usmt.md registry examples)', function () {
  this.timeout(60_000)

  it('IN-1: a single value HKLM\\…\\Internet Settings\\Cache [Persistent]', async () => {
    const ds = await withMachine(migration('test', [{ name: 'IN1', type: 'Application', rules: reg('include', 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Cache [Persistent]') }]), decisions)
    expect(captured(ds)).to.deep.equal(['HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Cache [Persistent]'])
  })

  it('R1: include Command Processor\\* [*], exclude [DefaultColor] → everything but DefaultColor', async () => {
    const ds = await withMachine(migration('t', [{ name: 'R1', rules: reg('include', `HKLM\\Software\\${CMD}\\* [*]`) + reg('exclude', `HKLM\\Software\\${CMD} [DefaultColor]`) }]), decisions)
    expect(captured(ds)).to.deep.equal([`HKLM\\SOFTWARE\\${CMD} [AutoRun]`, `HKLM\\SOFTWARE\\${CMD} [CompletionChar]`, `HKLM\\SOFTWARE\\${CMD}\\Sub [Deep]`])
    expect(ds.find((d) => d.value.name === 'DefaultColor')).to.deep.include({ included: false, reason: 'excluded by rule' })
  })

  it('R2: include [DefaultColor], exclude \\* [*] → only DefaultColor (the include is more specific)', async () => {
    const ds = await withMachine(migration('t', [{ name: 'R2', rules: reg('include', `HKLM\\Software\\${CMD} [DefaultColor]`) + reg('exclude', `HKLM\\Software\\${CMD}\\* [*]`) }]), decisions)
    expect(captured(ds)).to.deep.equal([`HKLM\\SOFTWARE\\${CMD} [DefaultColor]`])
  })

  it('R3: identical include and exclude → DefaultColor is not migrated (tie goes to the exclude)', async () => {
    const ds = await withMachine(migration('t', [{ name: 'R3', rules: reg('include', `HKLM\\Software\\${CMD} [DefaultColor]`) + reg('exclude', `HKLM\\Software\\${CMD} [DefaultColor]`) }]), decisions)
    expect(captured(ds)).to.deep.equal([])
  })

  it('R4: two components with opposite rules → everything under Command Processor migrates', async () => {
    const ds = await withMachine(migration('t', [
      { name: 'C1', rules: reg('include', `HKLM\\Software\\${CMD} [DefaultColor]`) + reg('exclude', `HKLM\\Software\\${CMD}\\* [*]`) },
      { name: 'C2', rules: reg('include', `HKLM\\Software\\${CMD}\\* [*]`) + reg('exclude', `HKLM\\Software\\${CMD} [DefaultColor]`) },
    ]), decisions)
    expect(captured(ds)).to.have.length(4)
    expect(ds.find((d) => d.value.name === 'DefaultColor')?.component).to.equal('C1')
  })

  it('UX-3: unconditionalExclude HKCU\\*[*] beats include HKCU\\testReg[*]', async () => {
    const ds = await withMachine(migration('miguser', [{ name: 'Test', context: 'User', rules: reg('include', 'HKCU\\testReg[*]') + reg('unconditionalExclude', 'HKCU\\*[*]') }]), decisions)
    expect(captured(ds)).to.deep.equal([])
    expect(ds.find((d) => d.value.key === 'HKCU\\testReg')).to.deep.include({ included: false, reason: 'unconditionalExclude', user: 'PC\\ann' })
  })

  it('CX-3: HKCU\\Software\\USMTTESTKEY\\* [MyKey] (every MyKey below) and HKLM\\Software\\USMTTESTKEY\\* [*] (the whole tree)', async () => {
    const ds = await withMachine(migration('testfilemig', [{ name: 'Registry Migration Test', type: 'System', context: 'UserAndSystem', rules: reg('include', 'HKCU\\Software\\USMTTESTKEY\\* [MyKey]', 'HKLM\\Software\\USMTTESTKEY\\* [*]') }]), decisions)
    expect(captured(ds)).to.deep.equal([
      'HKCU\\Software\\USMTTESTKEY [MyKey]', 'HKCU\\Software\\USMTTESTKEY\\Inner [MyKey]',
      'HKLM\\SOFTWARE\\USMTTESTKEY\\A [x]', 'HKLM\\SOFTWARE\\USMTTESTKEY\\A\\B [y]',
    ])
    expect(ds.find((d) => d.value.key.endsWith('Inner') && d.value.name === 'MyKey')?.user).to.equal('PC\\ann')
  })

  it('CX-1: detection by DoesObjectExist("Registry") and DoesFileVersionMatch on GetStringContent; Toolbar\\*, ListView\\*, [ShowTips] without [Display]', async () => {
    const cx1 = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/cx1">
  <component context="UserAndSystem" type="Application">
    <displayName>MyApp</displayName>
    <environment context="System">
      <variable name="myAppExePath"><script>MigXMLHelper.GetStringContent("Registry","HKLM\\Software\\MyApp\\Installer [EXEPATH]")</script></variable>
    </environment>
    <role role="Settings">
      <detects>
        <detect><condition>MigXmlHelper.DoesObjectExist("Registry","HKLM\\Software\\MyApp [win32_version]")</condition></detect>
        <detect>
          <condition>MigXmlHelper.DoesFileVersionMatch("%MyAppExePath%","ProductVersion","8.*")</condition>
          <condition>MigXmlHelper.DoesFileVersionMatch("%MyAppExePath%","ProductVersion","9.*")</condition>
        </detect>
      </detects>
      <rules context="User">
        ${reg('include', 'HKCU\\Software\\MyApp\\Toolbar\\* [*]', 'HKCU\\Software\\MyApp\\ListView\\* [*]', 'HKCU\\Software\\MyApp [ShowTips]')}
        ${reg('exclude', 'HKCU\\Software\\MyApp [Display]')}
      </rules>
    </role>
  </component>
</migration>`
    // myapp.exe is not a versioned PE here: the version detect fails, so the component is not detected.
    const notDetected = await withMachine(cx1, decisions, { exe: true })
    expect(captured(notDetected)).to.deep.equal([])
    expect(notDetected.every((d) => d.reason === 'component not detected')).to.equal(true)
    // The documented case: win32_version exists AND myapp.exe (from the EXEPATH value) is version 8.x → detected:
    // everything under Toolbar and ListView, [ShowTips] of MyApp, and not [Display] (excluded) nor [Other] (not named).
    const detected = await withMachine(cx1, decisions, { exe: true, exeVersion: '8.2.0.1' })
    expect(captured(detected)).to.deep.equal([
      'HKCU\\Software\\MyApp [ShowTips]', 'HKCU\\Software\\MyApp\\ListView [Columns]', 'HKCU\\Software\\MyApp\\Toolbar [Buttons]', 'HKCU\\Software\\MyApp\\Toolbar\\Deep [Size]',
    ])
    // Version 10 matches neither 8.* nor 9.*: not detected again.
    expect(captured(await withMachine(cx1, decisions, { exe: true, exeVersion: '10.0.0.0' }))).to.deep.equal([])
  })

  it('the default value: HKCU\\Keyboard Layout\\Toggle [] names only the default value', async () => {
    const ds = await withMachine(migration('t', [{ name: 'Toggle', context: 'User', rules: reg('include', 'HKCU\\Keyboard Layout\\Toggle []') }]), decisions)
    expect(captured(ds)).to.deep.equal(['HKCU\\Keyboard Layout\\Toggle []'])
  })

  it('%HklmWowSoftware%: a variable-rooted location follows the environment (Wow6432Node on 64-bit)', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/wow">
  <component context="System" type="Application">
    <displayName>Office Lang</displayName>
    <environment>
      <conditions><condition>MigXmlHelper.IsNative64Bit()</condition></conditions>
      <variable name="HklmWowSoftware"><text>HKLM\\SOFTWARE\\Wow6432Node</text></variable>
    </environment>
    <role role="Settings"><rules>${reg('include', '%HklmWowSoftware%\\Contoso\\Office [Lang]')}</rules></role>
  </component>
</migration>`
    const ds = await withMachine(xml, decisions)
    expect(captured(ds)).to.deep.equal(['HKLM\\SOFTWARE\\Wow6432Node\\Contoso\\Office [Lang]'])
  })

  it('rules explain names the deciding rule for a registry value', async () => {
    const r = await withMachine(migration('t', [{ name: 'R1', rules: reg('include', `HKLM\\Software\\${CMD}\\* [*]`) + reg('exclude', `HKLM\\Software\\${CMD} [DefaultColor]`) }]),
      (p) => explainPaths(p, [`HKEY_LOCAL_MACHINE\\SOFTWARE\\${CMD} [DefaultColor]`, `HKLM\\Software\\${CMD} [AutoRun]`]))
    expect(r[0]).to.deep.include({ captured: false, decidedBy: `rules.xml:7 exclude HKLM\\Software\\${CMD} [DefaultColor]`, exists: true })
    expect(r[1]).to.deep.include({ captured: true, component: 'R1', decidedBy: `rules.xml:7 include HKLM\\Software\\${CMD}\\* [*]` })
  })

  describe('MigApp.xml on the sample machine', function () {
    before(function () {
      requireSharedFixtures(this, 'usmt-xml/MigApp.xml')
    })
    const S = path.join(PROJECT_ROOT, 'samples', 'machine')
    const sample = (): Prepared => prepare({
      ruleFiles: [sharedFixture('usmt-xml/MigApp.xml')], volumes: VolumeMap.parse([`C=${path.join(S, 'C')}`, `D=${path.join(S, 'D')}`]),
      users: readUsersFile(path.join(S, 'users.json')), now: new Date('2025-06-01'),
    })

    it('detects WinZip, Skype, Chrome and Firefox from the hives and lists their settings per user', () => {
      const p = sample()
      expect([...new Set(p.units.filter((u) => u.detected && u.component.parent === null).map((u) => u.name))].sort())
        .to.deep.equal(['Google Chrome', 'Mozilla Firefox', 'Skype', 'WinZip'])
      const ds = decisions(p)
      const byUser = (u: string): string[] => ds.filter((d) => d.included && d.user === u).map((d) => `${d.component}: ${d.value.key} [${d.value.name}]`).sort()
      expect(byUser('PC\\ann')).to.have.length(8)
      expect(byUser('PC\\ann')).to.include('WinZip: HKCU\\Software\\Nico Mak Computing\\WinZip\\directories [zDefDir]')
      expect(byUser('CONTOSO\\jdoe')).to.deep.equal([
        'Skype: HKCU\\Software\\Skype\\Installer [InstallPath]', 'Skype: HKCU\\Software\\Skype\\Phone\\UI\\General [Language]', 'Skype: HKCU\\Software\\Skype\\Phone\\UI\\General [Theme]',
      ])
      // Not named by MigApp: stays behind. Excluded by MigApp: reported with the rule.
      expect(ds.some((d) => d.value.key.includes('Contoso') || d.value.name === 'LastOpened')).to.equal(false)
      expect(ds.filter((d) => !d.included).map((d) => d.value.name).sort()).to.deep.equal(['Display', 'Main', 'Plugins Root', 'Plugins Root'])
    })

    it('reads the machine\'s and every user\'s hives with one hivex process (not one per hive)', () => {
      // A `perl` first on PATH that counts its starts, then runs the real one.
      const shim = mkdtempSync(path.join(os.tmpdir(), 'usmt-perl-shim-'))
      const starts = path.join(shim, 'starts')
      const real = execFileSync('sh', ['-c', 'command -v perl'], { encoding: 'utf8' }).trim()
      writeFileSync(path.join(shim, 'perl'), `#!/bin/sh\necho start >> '${starts}'\nexec '${real}' "$@"\n`, { mode: 0o755 })
      const saved = process.env.PATH
      process.env.PATH = `${shim}${path.delimiter}${saved ?? ''}`
      try {
        const p = prepare({
          ruleFiles: [sharedFixture('usmt-xml/MigApp.xml')], volumes: VolumeMap.parse([`C=${path.join(S, 'C')}`, `D=${path.join(S, 'D')}`]),
          users: readUsersFile(path.join(S, 'users.json')), now: new Date('2025-06-01'), hiveToolsMissing: () => null,
        })
        // Not vacuous: the machine's SOFTWARE and at least two profiles' NTUSER.DAT were read.
        const read = p.registry?.hives.map((h) => h.winPath).join(' | ') ?? ''
        expect(read).to.match(/SOFTWARE/)
        expect(p.registry?.users.size).to.be.greaterThan(1)
        expect(readFileSync(starts, 'utf8').trim().split('\n')).to.have.length(1)
      } finally {
        process.env.PATH = saved
        rmSync(shim, { recursive: true, force: true })
      }
    })

    it('probes only what reading needs: perl with Win::Hivex, never hivexregedit (a write tool, 0.2 s to start)', () => {
      const shim = mkdtempSync(path.join(os.tmpdir(), 'usmt-tools-shim-'))
      const log = path.join(shim, 'starts')
      for (const tool of ['perl', 'hivexregedit']) {
        const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim()
        writeFileSync(path.join(shim, tool), `#!/bin/sh\necho ${tool} >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 })
      }
      const saved = process.env.PATH
      process.env.PATH = `${shim}${path.delimiter}${saved ?? ''}`
      resetHiveToolsProbes()
      try {
        const p = sample()
        expect(p.registry?.users.size).to.be.greaterThan(1) // the hives were read
        expect(readFileSync(log, 'utf8').trim().split('\n')).to.deep.equal(['perl', 'perl']) // the probe, then the one read
      } finally {
        process.env.PATH = saved
        resetHiveToolsProbes()
        rmSync(shim, { recursive: true, force: true })
      }
    })

    it('without the offline registry tools (Windows): no hive is read, every registry rule and condition is reported as not evaluated with the reason', () => {
      const WHY = 'the offline registry tools (hivex) do not run on Windows'
      const without = prepare({
        ruleFiles: [sharedFixture('usmt-xml/MigApp.xml')], volumes: VolumeMap.parse([`C=${path.join(S, 'C')}`, `D=${path.join(S, 'D')}`]),
        users: readUsersFile(path.join(S, 'users.json')), now: new Date('2025-06-01'), hiveToolsMissing: () => WHY,
      })
      expect(without.registry).to.equal(undefined)
      expect(decisions(without)).to.deep.equal([])
      const objects = without.notEvaluated.filter((n) => n.type === 'Registry')
      const conditions = without.notEvaluated.filter((n) => n.kind === 'condition' && /Registry/.test(n.pattern))
      expect(objects.length).to.be.greaterThan(10)
      expect(conditions.length).to.be.greaterThan(3)
      for (const n of [...objects, ...conditions]) expect(n.why).to.include(WHY)
      // The same machine with the tools: nothing about the registry is left unevaluated.
      expect(sample().notEvaluated.filter((n) => n.type === 'Registry' || (n.why ?? '').startsWith('the registry is not evaluated'))).to.deep.equal([])
    })

    it('rules estimate counts the settings per user and component beside the files, and says what it did not evaluate', async () => {
      const argv = ['rules', 'estimate', '--rules', sharedFixture('usmt-xml/MigApp.xml'), '--volume', `C=${path.join(S, 'C')}`, '--volume', `D=${path.join(S, 'D')}`, '--users', path.join(S, 'users.json')]
      const doc = parseJsonOutput<{ result: { totals: { settings?: number }; byUser: Record<string, { settings?: number }>; byComponent: Record<string, { settings?: number }>; notEvaluated: unknown[] } }>((await runCli([...argv, '--json'])).stdout).result
      expect(doc.totals.settings).to.equal(12)
      expect(doc.byUser['CONTOSO\\jdoe'].settings).to.equal(3)
      expect(doc.byComponent.WinZip.settings).to.equal(7)
      expect(doc.notEvaluated.length).to.be.greaterThan(0)
      const text = (await runCli(argv)).stdout
      expect(text).to.match(/CONTOSO\\jdoe +\d+ files +\S+ \S+ +3 settings/)
      expect(text).to.match(/, 12 registry values for \d+ users; \d+ rule items not evaluated/)
    })

    it('explain: WinZip [Display] is excluded by MigApp.xml\'s exclude, [ShowTips] captured by its WinZip\\* [*] include', () => {
      const r = explainPaths(sample(), ['HKCU\\Software\\Nico Mak Computing\\WinZip\\WinZip [Display]', 'HKCU\\Software\\Nico Mak Computing\\WinZip\\WinZip [ShowTips]'])
      const ann = r.filter((x) => x.user === 'PC\\ann')
      expect(ann[0].decidedBy).to.match(/^MigApp\.xml:\d+ exclude HKCU\\Software\\Nico Mak Computing\\WinZip\\WinZip \[Display\]$/)
      expect(ann[1]).to.deep.include({ captured: true, component: 'WinZip' })
      expect(ann[1].decidedBy).to.match(/^MigApp\.xml:\d+ include HKCU\\Software\\Nico Mak Computing\\WinZip\\WinZip\\\* \[\*\]$/)
    })
  })
})
