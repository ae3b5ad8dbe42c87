import { expect } from 'chai'
import { linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { EXIT_CODES } from '../../../src/runtime/exit-codes.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { windowsPackage } from '../../helpers/win-package.js'
import { json, sampleMachine, SAMPLE_RULES, wineLane, type Lane } from './lane.js'

interface Entry { path: string; type: string; bytes: number; user: string | null }
interface Preview { result: { included: Entry[]; excluded: Entry[]; notEvaluated: Array<{ type: string; pattern: string; why: string }>; totals: { files: number; bytes: number } } }

/**
 * The Windows package on a Windows runtime (Wine 8): usmt-steps.cmd → the package's node.exe → the bundle, with
 * process.platform === 'win32', drive letters, `\` paths and cmd.exe's quoting. Output goes to files (node.exe
 * under Wine cannot write to a Unix pipe).
 */
describe('Wine lane: the Windows package runs under Wine (usmt-steps.cmd, node.exe, cmd.exe)', function () {
  this.timeout(600000)
  let l: Lane

  before(async () => { l = await wineLane() })

  it('usmt-steps.cmd --version runs the package\'s x64 Node 22 as a win32 program', async () => {
    const r = await l.usmt(['--version'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout.trim()).to.match(/^usmt-steps\/\d+\.\d+\.\d+ win32-x64 node-v22\.\d+\.\d+$/)
  })

  it('exit-codes --json: the exit-code table, through cmd /c', async () => {
    const r = await l.usmt(['exit-codes', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const doc = json<{ status: string; result: Array<{ name: string; code: number }> }>(r)
    expect(doc.status).to.equal('success')
    expect(doc.result.map((c) => [c.name, c.code])).to.deep.equal(Object.entries(EXIT_CODES).map(([n, c]) => [n, c.code]))
  })

  it('rules preview on a mapped drive letter gives exactly the files the same preview gives on Linux; the registry rules are reported as not evaluated (no hivex on Windows)', async () => {
    const machine = sampleMachine(l, 'preview machine')
    const m = l.w.mapDrive('M', path.join(machine, 'C'))
    const n = l.w.mapDrive('N', path.join(machine, 'D'))
    const r = await l.usmt(['rules', 'preview', '--rules', l.w.z(SAMPLE_RULES), '--volume', `C=${m}\\`, '--volume', `D=${n}\\`,
      '--users', l.w.z(path.join(machine, 'users.json')), '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const onWine = json<Preview>(r).result
    const linux = await runCli(['rules', 'preview', '--rules', SAMPLE_RULES, '--volume', `C=${path.join(machine, 'C')}`, '--volume', `D=${path.join(machine, 'D')}`,
      '--users', path.join(machine, 'users.json'), '--json'])
    expect(linux.exitCode, linux.stderr).to.equal(0)
    const onLinux = parseJsonOutput<Preview>(linux.stdout).result
    const files = (xs: Entry[]): Entry[] => xs.filter((x) => x.type !== 'registry')
    expect(onWine.included).to.deep.equal(files(onLinux.included))
    expect(onWine.excluded).to.deep.equal(files(onLinux.excluded))
    // Linux read the sample hives; Windows cannot (hivex is Linux-only) and says so for each registry rule.
    expect(onLinux.included.filter((x) => x.type === 'registry').length).to.be.greaterThan(0)
    const registry = onWine.notEvaluated.filter((n) => n.type === 'Registry')
    expect(registry.map((n) => n.pattern)).to.include('HKCU\\Software\\Contoso\\App\\* [*]')
    for (const n of registry) expect(n.why).to.include('the offline registry tools (hivex) do not run on Windows')
    expect(onWine.included.map((f) => f.path)).to.include('C:\\Users\\ann\\Documents\\Résumé – Zoë ✓.txt')
    expect(onWine.totals.files).to.be.greaterThan(30)
  })

  it('exit codes come back through cmd /c (0, 2 usage, 4 read-only variable, USMT return codes from the portable tools)', async () => {
    const envFile = path.join(l.work, 'exit codes', 'env – ü.json')
    mkdirSync(path.dirname(envFile), { recursive: true })
    writeFileSync(envFile, '{}')
    const ok = await l.usmt(['env', 'set', 'Greeting=Grüße aus Århus – ✓ & <ok>', '--ts-env', `json:${l.w.z(envFile)}`])
    expect(ok.exitCode, ok.stdout + ok.stderr).to.equal(0)
    // The non-ASCII value and cmd's metacharacters crossed cmd.exe and node.exe's argv intact.
    expect(JSON.parse(readFileSync(envFile, 'utf8'))).to.deep.equal({ Greeting: 'Grüße aus Århus – ✓ & <ok>' })
    const usage = await l.usmt(['env', 'get', '--no-such-flag'])
    expect(usage.exitCode).to.equal(EXIT_CODES.usage.code)
    const readOnly = await l.usmt(['env', 'set', '_SMSTSLogPath=X:\\x', '--ts-env', `json:${l.w.z(envFile)}`])
    expect(readOnly.exitCode).to.equal(EXIT_CODES.tsEnv.code)
    // scanstate with an /i file that does not exist: USMT's own return code 28 (script file not found), not ours.
    const scan = await l.usmt(['scanstate', l.w.z(path.join(l.work, 'exit codes', 'store')), `/i:${l.w.z(path.join(l.work, 'missing.xml'))}`, '/o'])
    expect(scan.exitCode, scan.stdout + scan.stderr).to.equal(28)
    expect(scan.stdout + scan.stderr).to.include('Return code: 28')
  })

  it('the launcher chooses node.exe by PROCESSOR_ARCHITEW6432, else PROCESSOR_ARCHITECTURE, and refuses 32-bit Windows', async () => {
    // arch.cmd sets the two variables (an empty second argument removes PROCESSOR_ARCHITEW6432) and calls the launcher
    // named by USMT_STEPS_LAUNCHER, as a task sequence would start it from a 32-bit or 64-bit cmd.exe.
    const arch = path.join(l.work, 'arch.cmd')
    writeFileSync(arch, '@echo off\r\nset PROCESSOR_ARCHITECTURE=%1\r\nset PROCESSOR_ARCHITEW6432=%2\r\ncall "%USMT_STEPS_LAUNCHER%" --version\r\nexit /b %ERRORLEVEL%\r\n')
    const run = (launcher: string, a: string, w6432 = '') => l.w.cmd(`"${l.w.z(arch)}" ${a} ${w6432}`, { env: { USMT_STEPS_LAUNCHER: launcher } })
    // A 32-bit cmd.exe on 64-bit Windows (WOW64): x86 + AMD64 → node\x64.
    const wow = await run(l.launcher, 'x86', 'AMD64')
    expect(wow.exitCode, wow.stderr).to.equal(0)
    expect(wow.stdout).to.match(/win32-x64 node-v22\./)
    // 32-bit Windows: refused before any Node starts.
    const x86 = await run(l.launcher, 'x86')
    expect(x86.exitCode).to.equal(1)
    expect(x86.stderr).to.include('usmt-steps needs 64-bit Windows on x64 or ARM64; this processor is "x86"')
    // ARM64: Wine here runs x64 programs only, so a launcher copy whose node\arm64 holds the x64 node.exe shows that
    // ARM64 picks node\arm64 (the real node\arm64\node.exe is checked to be an ARM64 program in the package suite).
    const pkg = await windowsPackage()
    const arm = path.join(l.work, 'arm64 launcher')
    mkdirSync(path.join(arm, 'node', 'arm64'), { recursive: true })
    for (const f of ['usmt-steps.cmd', 'launch.cjs']) writeFileSync(path.join(arm, f), readFileSync(path.join(pkg, f)))
    linkSync(path.join(pkg, 'node', 'x64', 'node.exe'), path.join(arm, 'node', 'arm64', 'node.exe'))
    const armLauncher = `${l.w.z(arm)}\\usmt-steps.cmd`
    const armRun = await run(armLauncher, 'ARM64')
    expect(armRun.exitCode, armRun.stderr).to.equal(0)
    expect(armRun.stdout).to.match(/^usmt-steps\//)
    // x64 Windows with only node\arm64 present: the launcher looked for node\x64 (and did not find it).
    const armOnAmd = await run(armLauncher, 'AMD64')
    expect(armOnAmd.exitCode).to.not.equal(0)
  })
})
