import { expect } from 'chai'
import { registerStandIns, startTaskSequence, tsClient } from './configmgr.js'
import { json, wineLane, type Lane } from './lane.js'

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
})
