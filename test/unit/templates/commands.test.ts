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
    const r = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', 'ABC00012', '--policy', 'policy.json', '--out', out, '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const xml = readFileSync(out, 'utf8')
    expect(xml).to.match(/^<sequence version="3\.10">/)
    expect(xml).to.include('smsswd.exe /run:ABC00012 usmt-steps.cmd plan --scenario refresh --policy policy.json')
    const v = await runCli(['template', 'validate', out, '--json'])
    expect(v.exitCode, v.stdout).to.equal(0)
    const doc = JSON.parse(v.stdout) as { status: string; result: { ok: boolean; steps: Array<{ id: string }> } }
    expect(doc.status).to.equal('success')
    expect(doc.result.steps.map((s) => s.id)).to.deep.equal(['users', 'plan', 'store-request', 'capture', 'store-release', 'report', 'store-request', 'restore', 'store-release', 'report'])
  })

  it('template validate fails with USM0604 and lists the problems', async () => {
    const out = path.join(tmp.dir, 'broken.xml')
    const r = await runCli(['template', 'configmgr', '--scenario', 'replace-source', '--out', out])
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
    expect(bytes.toString('utf8')).to.include('New-CMTSStepRequestStateStore')
    const j = await runCli(['template', 'configmgr', '--scenario', 'refresh', '--format', 'json', '--json'])
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
