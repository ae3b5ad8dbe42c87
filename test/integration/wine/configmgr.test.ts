import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'
import { readThroughCom, registerStandIns, startTaskSequence, tsClient } from './configmgr.js'
import { json, sampleMachine, wineLane, type Lane } from './lane.js'

interface Out<R = Record<string, unknown>> { status: string; result: R; warnings: string[]; error?: { code: string; message: string } }

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

  it('auto-detection: configmgr when Microsoft.SMS.TSEnvironment answers (no --ts-env)', async () => {
    const ts = startTaskSequence(l, 'auto', { _SMSTSMachineName: 'AUTO-PC' })
    const inTs = await l.usmt(['env', 'list', '--json'], { env: ts.env })
    expect(inTs.exitCode, inTs.stdout + inTs.stderr).to.equal(0)
    expect(json<Out<{ environment: string; variables: Record<string, string> }>>(inTs).result).to.deep.include({ environment: 'configmgr (via wsh)', variables: { _SMSTSMachineName: 'AUTO-PC' } })
  })

  it('env set/get/list --ts-env configmgr: through COM, and a value written by the step is read back by another COM client', async () => {
    const ts = startTaskSequence(l, 'explicit', { _SMSTSMachineName: 'EXPLICIT-PC' })
    const set = await l.usmt(['env', 'set', 'Greeting=Grüße – ✓ & <ok>', 'Empty=', '--ts-env', 'configmgr', '--json'], { env: ts.env })
    expect(set.exitCode, set.stdout + set.stderr).to.equal(0)
    expect(json<Out>(set).result).to.deep.include({ environment: 'configmgr (via wsh)' })
    expect(await readThroughCom(l, ts, ['Greeting'])).to.deep.equal({ Greeting: 'Grüße – ✓ & <ok>' })
    const get = await l.usmt(['env', 'get', 'Greeting', '--ts-env', 'configmgr', '--json'], { env: ts.env })
    expect(get.exitCode, get.stdout + get.stderr).to.equal(0)
    expect(JSON.stringify(json<Out>(get).result)).to.include('Grüße – ✓ & <ok>')
    const readOnly = await l.usmt(['env', 'set', '_SMSTSMachineName=X', '--ts-env', 'configmgr'], { env: ts.env })
    expect(readOnly.exitCode).to.equal(4)
    expect(ts.variables()._SMSTSMachineName).to.equal('EXPLICIT-PC')
  })

  it('a refresh under ConfigMgr through COM: plan, capture and restore read and write their variables through Microsoft.SMS.TSEnvironment and drive the progress dialog with its nine arguments', async function () {
    requireSharedFixtures(this, 'usmt-xml', 'MigDocs.xml')
    const machine = sampleMachine(l, 'configmgr refresh')
    const c = path.join(machine, 'C')
    const h = l.w.mapDrive('R', c)
    const logs = path.join(l.work, 'configmgr refresh logs')
    const ts = startTaskSequence(l, 'refresh', {
      _SMSTSLogPath: l.w.z(logs), _SMSTSMachineName: 'PC', _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', DeploymentType: 'REFRESH',
      OSDMigrateLocalAccounts: 'true', _SMSTSOrgName: 'Contoso IT', _SMSTSPackageName: 'Windows 11 refresh', _SMSTSCurrentActionName: 'Capture User State',
      _SMSTSNextInstructionPointer: '7', _SMSTSInstructionTableSize: '40', _SMSTSShowProgressUI: 'true',
    })
    const facts = path.join(l.work, 'configmgr facts.json')
    writeFileSync(facts, JSON.stringify({ inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 2 ** 38, freeBytes: 2 ** 36, bitLocker: 'off' }] }))
    const cm = ['--ts-env', 'configmgr', '--json']
    const plan = await l.usmt(['plan', '--facts', l.w.z(facts), ...cm], { env: ts.env })
    expect(plan.exitCode, plan.stdout + plan.stderr).to.equal(0)
    expect(await readThroughCom(l, ts, ['USMTStepsStoreType', 'OSDStateStorePath'])).to.deep.equal({ USMTStepsStoreType: 'hardlink', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState' })

    const usmt = ['--volume', `C=${h}\\`, '--engine', 'portable', '--usmt-dir', l.w.z(sharedFixture('usmt-xml')), '--progress', 'ts']
    const cap = await l.usmt(['capture', ...usmt, '--users', l.w.z(path.join(machine, 'users.json')), '--at-risk', 'warn', ...cm], { env: ts.env })
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    // The catalog is sealed with a key that went to scanstate in a key file: on a Windows whose C: the volume map
    // redirects (C=R:\\), the key file must not sit in a temp folder on C: (the tool would look for it on R:).
    expect(json<Out>(cap).result).to.include({ engine: 'portable', storeKind: 'hardlink', catalogSealed: true })
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    expect(existsSync(path.join(store, 'USMT'))).to.equal(true)
    const resume = readFileSync(path.join(c, 'Users', 'ann', 'Documents', 'Résumé – Zoë ✓.txt'))
    // The refresh wipes the old Windows; the hard-link store stays.
    for (const n of readdirSync(c)) if (n !== '_SMSTaskSequence') rmSync(path.join(c, n), { recursive: true, force: true })

    const res = await l.usmt(['restore', ...usmt, ...cm], { env: ts.env })
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    expect(json<Out>(res).result).to.include({ storeKind: 'hardlink', storeRemoved: true, catalogSeal: 'verified' })
    expect(readFileSync(path.join(c, 'Users', 'ann', 'Documents', 'Résumé – Zoë ✓.txt'))).to.deep.equal(resume)
    expect(existsSync(store)).to.equal(false)

    // What the steps wrote, read back through COM by another client, as the next step of the sequence would.
    const back = await readThroughCom(l, ts, ['USMTStepsLastStep', 'USMTStepsLastResult', 'USMTStepsStoreRemoved', 'USMTStepsLastExitCode'])
    expect(back).to.deep.equal({ USMTStepsLastStep: 'restore', USMTStepsLastResult: back.USMTStepsLastResult === 'Warning' ? 'Warning' : 'Success', USMTStepsStoreRemoved: 'true', USMTStepsLastExitCode: '0' })
    // The progress dialog: only ShowActionProgress/CloseProgressDialog, each ShowActionProgress with the nine documented arguments.
    const calls = ts.progressCalls()
    const shows = calls.filter((x) => x.method === 'ShowActionProgress')
    expect(shows.length).to.be.greaterThan(1)
    for (const x of shows) {
      expect(x.args.map((a) => typeof a)).to.deep.equal(['string', 'string', 'string', 'string', 'number', 'number', 'string', 'number', 'number'])
      expect(x.args.slice(0, 6)).to.deep.equal(['Contoso IT', 'Windows 11 refresh', '', 'Capture User State', 7, 40])
      expect(x.args[8]).to.equal(100)
    }
    expect(shows.map((x) => String(x.args[6])).join('\n')).to.match(/Captur/i)
    expect(calls.every((x) => x.method === 'ShowActionProgress' || x.method === 'CloseProgressDialog')).to.equal(true)
  })
})
