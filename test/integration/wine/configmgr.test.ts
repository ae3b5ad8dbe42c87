import { expect } from 'chai'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'
import { readThroughCom, registerStandIns, startTaskSequence, tsClient } from './configmgr.js'
import { json, sampleMachine, wineLane, type Lane } from './lane.js'

interface Out<R = Record<string, unknown>> { status: string; result: R; warnings: string[]; error?: { code: string; message: string } }

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? files(p, base) : [path.relative(base, p)]
  }).sort()
}

/**
 * ConfigMgr for real on a Windows runtime: the product's own COM bridge (cscript + the fixed JScript helper,
 * PowerShell being absent as in WinPE) talks to Microsoft.SMS.TSEnvironment and Microsoft.SMS.TSProgressUI, here
 * served by stand-ins registered as COM classes in the Wine prefix (test/doubles/*.double.wsc). A test client reads
 * what the steps wrote back through COM, as the next step of a task sequence would.
 */
describe('Wine lane: ConfigMgr task-sequence environment through COM (stand-in COM servers, the product\'s cscript bridge)', function () {
  this.timeout(900000)
  let l: Lane

  before(async () => {
    l = await wineLane()
    await registerStandIns(l)
  })

  it('the stand-ins are registered COM classes and as strict as the real objects', async () => {
    const ts = startTaskSequence(l, 'strict', { _SMSTSLogPath: 'C:\\Windows\\Temp' })
    const r = await tsClient(l, ts, 'strict')
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const got = Object.fromEntries(r.stdout.split(/\r?\n/).filter((x) => x.includes('=')).map((x) => x.trim().split('=')))
    expect(got).to.deep.equal({
      'set-readonly': '0x80070005', 'set-bad-name': '0x80070057', 'set-too-long': '0x80070057', 'set-4000': 'ok', 'undefined-is-empty': 'ok',
      'progress-8-args': '0x80070057', 'progress-string-step': '0x80070057', 'progress-over-max': '0x80070057', 'progress-9-args': 'ok', close: 'ok',
    })
    expect(ts.variables()).to.deep.equal({ _SMSTSLogPath: 'C:\\Windows\\Temp', LongValue: 'x'.repeat(4000) })
    expect(ts.progressCalls()).to.deep.equal([
      { method: 'ShowActionProgress', args: ['o', 't', '', 'a', 1, 2, 'x', 50, 100] },
      { method: 'CloseProgressDialog', args: [] },
    ])
    // Outside a task sequence the class answers nothing (as Microsoft's is unregistered when TSManager is not running).
    const none = await tsClient(l, undefined, 'read;0041')
    expect(none.stdout.trim()).to.equal('ERR;0x80040154')
  })

  it('env list/get/set --ts-env configmgr read and write through COM (cscript bridge, no //E on Wine), secrets masked', async () => {
    const ts = startTaskSequence(l, 'env', {
      _SMSTSLogPath: 'C:\\Windows\\Temp\\SMSTSLog', _SMSTSMachineName: 'PC', OSDStateStorePath: '\\\\srv\\state$\\Zoë;PC', OSDMigrateLocalAccountPassword: 'P@ss-Wine-7781',
    })
    const list = await l.usmt(['env', 'list', '--ts-env', 'configmgr', '--json'], { env: ts.env })
    expect(list.exitCode, list.stdout + list.stderr).to.equal(0)
    const doc = json<Out<{ environment: string; variables: Record<string, string> }>>(list)
    expect(doc.result.environment).to.equal('configmgr (via wsh)')
    expect(doc.result.variables).to.include({ _SMSTSMachineName: 'PC', OSDStateStorePath: '\\\\srv\\state$\\Zoë;PC' })
    expect(list.stdout + list.stderr).to.not.include('P@ss-Wine-7781')

    const set = await l.usmt(['env', 'set', 'Greeting=Grüße aus Århus – ✓; $(x) & <y>', 'OSDStateStorePath=', '--ts-env', 'configmgr'], { env: ts.env })
    expect(set.exitCode, set.stdout + set.stderr).to.equal(0)
    expect(ts.variables()).to.include({ Greeting: 'Grüße aus Århus – ✓; $(x) & <y>' })
    expect(ts.variables()).to.not.have.property('OSDStateStorePath')
    expect(await readThroughCom(l, ts, ['greeting', 'OSDStateStorePath'])).to.deep.equal({ greeting: 'Grüße aus Århus – ✓; $(x) & <y>', OSDStateStorePath: '' })

    const get = await l.usmt(['env', 'get', 'GREETING', '--ts-env', 'configmgr', '--json'], { env: ts.env })
    expect(get.exitCode, get.stdout + get.stderr).to.equal(0)
    expect(JSON.stringify(json<Out>(get).result)).to.include('Grüße aus Århus – ✓; $(x) & <y>')

  })

  it('auto-detection: configmgr when Microsoft.SMS.TSEnvironment answers (no --ts-env)', async () => {
    const ts = startTaskSequence(l, 'auto', { _SMSTSMachineName: 'AUTO-PC' })
    const inTs = await l.usmt(['env', 'list', '--json'], { env: ts.env })
    expect(inTs.exitCode, inTs.stdout + inTs.stderr).to.equal(0)
    expect(json<Out<{ environment: string; variables: Record<string, string> }>>(inTs).result).to.deep.include({ environment: 'configmgr (via wsh)', variables: { _SMSTSMachineName: 'AUTO-PC' } })
  })

  it('refresh through COM on the Windows C: drive of the prefix: plan (--facts) → capture → wipe → restore; variables read and written through COM, progress shown with nine arguments, files back byte for byte', async function () {
    requireSharedFixtures(this, 'usmt-xml', 'MigDocs.xml')
    // The sample machine's profiles and data on the Windows C: drive itself (no --volume mapping), as on a real PC.
    const original = sampleMachine(l, 'configmgr original')
    const c = l.w.cDrive()
    const users = ['ann', 'jdoe', 'olduser']
    for (const u of users) cpSync(path.join(original, 'C', 'Users', u), path.join(c, 'users', u), { recursive: true, preserveTimestamps: true })
    const logs = path.join(l.work, 'X drive')
    mkdirSync(path.join(logs, 'Windows', 'Temp', 'SMSTSLog'), { recursive: true })
    const x = l.w.mapDrive('X', logs)
    const ts = startTaskSequence(l, 'refresh', {
      _SMSTSLogPath: `${x}\\Windows\\Temp\\SMSTSLog`, _SMSTSMachineName: 'PC', _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', DeploymentType: 'REFRESH',
      OSDMigrateLocalAccounts: 'true', _SMSTSShowProgressUI: 'true', _SMSTSOrgName: 'Contoso IT – Zoë', _SMSTSPackageName: 'Windows 11 refresh',
      _SMSTSCurrentActionName: 'Capture user state', _SMSTSNextInstructionPointer: '7', _SMSTSInstructionTableSize: '21',
    })
    const facts = path.join(l.work, 'facts.json')
    writeFileSync(facts, JSON.stringify({ inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 2 ** 38, freeBytes: 2 ** 36, bitLocker: 'off' }] }))
    const xml = l.w.z(sharedFixture('usmt-xml'))

    const plan = await l.usmt(['plan', '--ts-env', 'configmgr', '--facts', l.w.z(facts), '--json'], { env: ts.env })
    expect(plan.exitCode, plan.stdout + plan.stderr).to.equal(0)
    expect(await readThroughCom(l, ts, ['USMTStepsStoreType', 'OSDStateStorePath'])).to.deep.equal({ USMTStepsStoreType: 'hardlink', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState' })

    // Auto-detected task sequence (no --ts-env), as a Run Command Line step runs it.
    const cap = await l.usmt(['capture', '--engine', 'portable', '--usmt-dir', xml, '--users', l.w.z(path.join(original, 'users.json')), '--at-risk', 'warn', '--json'], { env: ts.env })
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    expect(json<Out>(cap).result).to.include({ engine: 'portable', storeKind: 'hardlink' })
    expect(await readThroughCom(l, ts, ['USMTStepsLastStep', 'USMTStepsLastResult', 'USMTStepsLastExitCode'])).to.deep.include({ USMTStepsLastStep: 'capture', USMTStepsLastExitCode: '0' })
    expect(readdirSync(path.join(logs, 'Windows', 'Temp', 'SMSTSLog'))).to.include('usmt-steps.log')

    const calls = ts.progressCalls()
    const shown = calls.filter((call) => call.method === 'ShowActionProgress')
    expect(shown.length, JSON.stringify(calls)).to.be.greaterThan(0)
    for (const call of shown) {
      expect(call.args).to.have.length(9)
      expect(call.args.slice(0, 6)).to.deep.equal(['Contoso IT – Zoë', 'Windows 11 refresh', '', 'Capture user state', 7, 21])
      expect(call.args[8]).to.equal(100)
      expect(call.args[7]).to.be.within(0, 100)
    }

    // The new OS: the profiles are gone, the hard-link store is kept.
    for (const u of users) rmSync(path.join(c, 'users', u), { recursive: true, force: true })
    const res = await l.usmt(['restore', '--ts-env', 'configmgr', '--engine', 'portable', '--usmt-dir', xml, '--json'], { env: ts.env })
    expect([0, 3010], res.stdout + res.stderr).to.include(res.exitCode)
    expect(json<Out>(res).result).to.include({ storeKind: 'hardlink' })
    const back = await readThroughCom(l, ts, ['USMTStepsLastStep', 'USMTStepsLastResult'])
    expect(back.USMTStepsLastStep).to.equal('restore')
    expect(back.USMTStepsLastResult).to.be.oneOf(['Success', 'Warning'])
    const userDocs = files(path.join(original, 'C', 'Users')).filter((f) => /^(ann|jdoe|olduser)\/(Documents|Desktop|Pictures)\//.test(f))
    expect(userDocs).to.include('ann/Documents/Résumé – Zoë ✓.txt')
    for (const f of userDocs) {
      expect(existsSync(path.join(c, 'users', f)), f).to.equal(true)
      expect(readFileSync(path.join(c, 'users', f)), f).to.deep.equal(readFileSync(path.join(original, 'C', 'Users', f)))
    }
  })
})
