import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { stepsMarkdown } from '../../../src/templates/docs.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'

describe('template commands', () => {
  let tmp: ReturnType<typeof tempDir>
  before(() => { tmp = tempDir() })
  after(() => tmp.cleanup())

  it('template configmgr writes the sequence XML that template validate accepts', async () => {
    const out = path.join(tmp.dir, 'refresh.xml')
    writeFileSync(path.join(tmp.dir, 'policy.json'), JSON.stringify({ users: { skipDisabled: true }, stores: { preferredStore: 'hardlink' } }))
    const r = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', 'ABC00012', '--usmt-in-package', '--policy', 'policy.json', '--out', out, '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const xml = readFileSync(out, 'utf8')
    expect(xml).to.match(/^<sequence version="3\.10">/)
    expect(xml).to.include('smsswd.exe /run:ABC00012 usmt-steps.cmd plan --scenario refresh --policy policy.json')
    const v = await runCli(['template', 'validate', out, '--json'])
    expect(v.exitCode, v.stdout).to.equal(0)
    const doc = JSON.parse(v.stdout) as { status: string; result: { ok: boolean; steps: Array<{ id: string }> } }
    expect(doc.status).to.equal('success')
    expect(doc.result.steps.map((s) => s.id)).to.deep.equal(['users', 'plan', 'store-request', 'capture', 'store-release', 'report', 'store-request', 'restore', 'store-release', 'report'])
    // The policy the steps name is checked against each step: a flat (old-style) file fails users first.
    writeFileSync(path.join(tmp.dir, 'policy.json'), JSON.stringify({ skipDisabled: true, preferredStore: 'hardlink' }))
    const flat = await runCli(['template', 'validate', out, '--json'])
    expect(flat.exitCode).to.equal(3)
    const err = (JSON.parse(flat.stdout) as { error: { code: string; message: string } }).error
    expect(err.code).to.equal('USM0510')
    expect(err.message).to.contain('policy policy.json fails for users').and.to.contain('put skipDisabled under "users:"').and.to.contain('policy policy.json fails for plan')
  })

  it('template validate fails with USM0604 and lists the problems', async () => {
    const out = path.join(tmp.dir, 'broken.xml')
    const r = await runCli(['template', 'configmgr', '--scenario', 'replace-source', '--package-id', 'ABC00012', '--usmt-package-id', 'ABC00013', '--out', out])
    expect(r.exitCode).to.equal(0)
    writeFileSync(out, readFileSync(out, 'utf8').replace(/usmt-steps\.cmd store release --type capture/g, 'usmt-steps.cmd store release --type sideways'))
    const v = await runCli(['template', 'validate', out, '--json'])
    expect(v.exitCode).to.equal(3)
    const doc = JSON.parse(v.stdout) as { error: { code: string; data: { problems: Array<{ message: string }> } } }
    expect(doc.error.code).to.equal('USM0604')
    expect(doc.error.data.problems.map((p) => p.message)).to.include('--type must be one of capture, restore (found "sideways")')
  })

  it('template configmgr --format powershell writes a UTF-8 BOM script; --format json is the model', async () => {
    const ps1 = path.join(tmp.dir, 'New.ps1')
    expect((await runCli(['template', 'configmgr', '--scenario', 'replace-destination', '--format', 'powershell', '--out', ps1])).exitCode).to.equal(0)
    const bytes = readFileSync(ps1)
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf])
    const script = bytes.toString('utf8')
    expect(script).to.include('New-CMTSStepRequestStateStore')
    // Without IDs the script takes both packages as mandatory parameters and uses them for every step.
    expect(script).to.match(/\[Parameter\(Mandatory\)\]\[ValidatePattern\('\^\[A-Za-z0-9\]\{3\}\[0-9A-Fa-f\]\{5\}\$'\)\]\r\n {4}\[string\]\$PackageId,/)
    expect(script).to.include('[string]$UsmtPackageId\r\n)')
    expect(script).to.include('-PackageId $PackageId -SuccessCode')
    expect(script).to.include("New-CMTSStepDownloadPackageContent -Name 'Download the USMT package'")
    expect(script).to.include("-AddPackage @((Get-CMPackage -Id $UsmtPackageId -Fast)) -LocationOption TaskSequenceWorkingFolder -DestinationVariable 'USMTStepsUsmtPackage'")
    expect(script).not.to.match(/UST0000[AB]/)
    const given = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--format', 'powershell', '--package-id', 'ABC00012', '--usmt-in-package'])
    expect(given.stdout).to.include("[string]$PackageId = 'ABC00012'").and.not.to.include('UsmtPackageId').and.not.to.include('Mandatory')
    // XML without a package or a USMT source is refused with the code that says what to add.
    const noPkg = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--usmt-in-package', '--json'])
    expect((JSON.parse(noPkg.stdout) as { error: { code: string } }).error.code).to.equal('USM0608')
    const noUsmt = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', 'ABC00012', '--json'])
    expect((JSON.parse(noUsmt.stdout) as { error: { code: string; message: string } }).error).to.include({ code: 'USM0609' })
    const j = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', 'ABC00012', '--usmt-in-package', '--format', 'json', '--json'])
    const model = JSON.parse((JSON.parse(j.stdout) as { result: { content: string } }).result.content) as { attrs: string[][] }
    expect(model.attrs).to.deep.equal([['version', '3.10']])
  })

  it('template mdt writes the ts.xml groups and the CustomSettings.ini lines', async () => {
    const dir = path.join(tmp.dir, 'mdt')
    const r = await runCli(['template', 'mdt', '--scenario', 'refresh', '--ud-share', '\\\\MDT01\\MigData$', '--out-dir', dir])
    expect(r.exitCode, r.stderr).to.equal(0)
    const ini = readFileSync(path.join(dir, 'CustomSettings.usmt-steps.ini'), 'utf8')
    expect(ini).to.include('Priority=DeploymentType, Default\r\n')
    expect(ini).to.include('UDShare=\\\\MDT01\\MigData$\r\n')
    expect(ini).to.match(/\[REPLACE\][^[]*UserDataLocation=NETWORK/)
    const xml = readFileSync(path.join(dir, 'usmt-steps-refresh.ts.xml'), 'utf8')
    expect(xml).to.include('<sequence version="3.00"')
    expect(xml).to.include('"%DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps.cmd" capture')
    const bad = await runCli(['template', 'mdt', '--scenario', 'refresh', '--ud-share', 'MigData'])
    expect(bad.exitCode).to.equal(2)
  })

  it('template steps --markdown is the steps table generated into the README', async () => {
    const r = await runCli(['template', 'steps', '--markdown'])
    expect(r.exitCode).to.equal(0)
    const table = stepsMarkdown(loadTaskSteps())
    expect(r.stdout.trim()).to.equal(table)
    expect(readFileSync(path.join(PROJECT_ROOT, 'docs', 'readme', '05-steps.md'), 'utf8')).to.include('<!-- GENERATED:STEPS -->')
    expect(readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8')).to.include(table)
  })
})
