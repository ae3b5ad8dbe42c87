import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { ConfigMgrTsEnvironment } from '../../../src/ts-env/configmgr-env.js'
import { openTsEnvironment } from '../../../src/ts-env/index.js'
import { mdtBase64Encode } from '../../../src/ts-env/mdt-obfuscation.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { chunkPairs, decodeResponse, encodeRequest, hexDecode, hexEncode, MAX_REQUEST_CHARS, resetWshHostKnowledge, wshArgv } from '../../../src/windows/com-bridge.js'
import { comDoubleEnv, readComDoubleState } from '../../helpers/com-double.js'
import { tempDir } from '../../helpers/fixtures.js'

/** Runs the real bridge code against the strict powershell.exe / cscript.exe double (test/doubles). */
describe('ts-env/configmgr through the COM bridge (double)', function () {
  this.timeout(60000)
  let t: ReturnType<typeof tempDir>
  let saved: NodeJS.ProcessEnv
  beforeEach(() => { t = tempDir(); saved = { ...process.env } })
  afterEach(() => { process.env = saved; t.cleanup() })

  const use = (env: Record<string, string>): void => { Object.assign(process.env, env) }

  it('encodes the wire format both ways, including non-ASCII and separators', () => {
    const s = 'C:\\Users\\Zoë;"$(x)"\u2028'
    expect(hexDecode(hexEncode(s))).to.equal(s)
    expect(encodeRequest('write', ['A', 'b;c'])).to.match(/^v1;write;[0-9a-f;]+$/)
    expect(decodeResponse(`noise\r\nOK;${hexEncode('x')}\r\n`)).to.deep.equal(['x'])
    const pairs: Array<[string, string]> = Array.from({ length: 20 }, (_, i) => [`V${i}`, 'x'.repeat(4000)])
    for (const c of chunkPairs(pairs)) expect(encodeRequest('write', c).length).to.be.at.most(MAX_REQUEST_CHARS)
    expect(chunkPairs(pairs).flat().length).to.equal(40)
  })

  for (const mode of ['powershell', 'wsh'] as const) {
    it(`reads and writes variables in a running task sequence via ${mode}`, async () => {
      const state = path.join(t.dir, 'state.json')
      const log = path.join(t.dir, 'calls.log')
      use(comDoubleEnv(state, { inTaskSequence: true, variables: { _SMSTSLogPath: 'C:\\Windows\\CCM\\Logs\\SMSTSLog', OSDStateStorePath: '\\\\srv\\s$\\PC1', Quote: '$(Remove-Item C:\\)' } }, mode, log))
      const env = await ConfigMgrTsEnvironment.open({ platform: 'win32', env: process.env })
      expect(env.get('osdstatestorepath')).to.equal('\\\\srv\\s$\\PC1')
      expect(env.get('quote')).to.equal('$(Remove-Item C:\\)')
      env.set('USMTStepsLastResult', 'Success')
      env.set('Quote', '')
      env.set('Evil', "'; Remove-Item -Recurse C:\\ ; '")
      await env.commit()
      const after = readComDoubleState(state)
      expect(after.variables).to.deep.equal({ _SMSTSLogPath: 'C:\\Windows\\CCM\\Logs\\SMSTSLog', OSDStateStorePath: '\\\\srv\\s$\\PC1', USMTStepsLastResult: 'Success', Evil: "'; Remove-Item -Recurse C:\\ ; '" })
      // Nothing but the fixed script crossed the command line: the double checked it byte for byte.
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] })
      for (const c of calls) expect(c.argv.join(' ')).to.not.include('Remove-Item')
    })
  }

  it('under MDT Lite Touch decodes the obfuscated credentials on read and encodes them on write, as ZTIUtility does', async () => {
    const state = path.join(t.dir, 'state.json')
    const stored = mdtBase64Encode(`Pässwörd-${'z'.repeat(60)}`)
    use(comDoubleEnv(state, { inTaskSequence: true, variables: { DeploymentMethod: 'UNC', UserID: 'bWR0LXN2Yw==', UserPassword: stored, OSDJoinPassword: mdtBase64Encode('J0in!'), UDShare: '\\\\srv\\MigData$' } }))
    const env = await ConfigMgrTsEnvironment.open({ platform: 'win32', env: process.env })
    expect(env.get('UserID')).to.equal('mdt-svc')
    expect(env.get('UserPassword')).to.equal(`Pässwörd-${'z'.repeat(60)}`)
    expect(env.get('OSDJoinPassword')).to.equal('J0in!')
    expect(env.list().UserID).to.equal('mdt-svc')
    env.set('UserDomain', 'CONTOSO')
    await env.commit()
    expect(readComDoubleState(state).variables.UserDomain).to.equal(mdtBase64Encode('CONTOSO'))
  })

  it('under ConfigMgr with MDT (DeploymentMethod=SCCM) keeps ConfigMgr\'s own OSDJoinPassword clear; without MDT decodes nothing', async () => {
    const state = path.join(t.dir, 'state.json')
    use(comDoubleEnv(state, { inTaskSequence: true, variables: { DeploymentMethod: 'SCCM', UserID: 'bWR0LXN2Yw==', OSDJoinPassword: 'Passw0rd' } }))
    let env = await ConfigMgrTsEnvironment.open({ platform: 'win32', env: process.env })
    expect(env.get('UserID')).to.equal('mdt-svc')
    expect(env.get('OSDJoinPassword')).to.equal('Passw0rd')
    use(comDoubleEnv(state, { inTaskSequence: true, variables: { UserID: 'bWR0LXN2Yw==' } }))
    env = await ConfigMgrTsEnvironment.open({ platform: 'win32', env: process.env })
    expect(env.get('UserID')).to.equal('bWR0LXN2Yw==')
  })

  it('fails fast with USM0011 when no task sequence is running, and auto-detection falls back', async () => {
    use(comDoubleEnv(path.join(t.dir, 'state.json'), { inTaskSequence: false, variables: {} }))
    let err: unknown
    try { await ConfigMgrTsEnvironment.open({ platform: 'win32', env: process.env }) } catch (e) { err = e }
    expect((err as UsmtStepsError).code).to.equal('USM0011')
    expect((err as Error).message).to.match(/0x80040154/)
    expect((await openTsEnvironment(undefined, { platform: 'win32', env: process.env })).kind).to.equal('env')
  })

  it('auto-detects configmgr when the COM object answers', async () => {
    use(comDoubleEnv(path.join(t.dir, 'state.json'), { inTaskSequence: true, variables: { A: '1' } }))
    expect((await openTsEnvironment(undefined, { platform: 'win32', env: process.env })).kind).to.equal('configmgr')
  })
  it('a WSH without //E:JScript (Wine 8) gets the same helper through its .js association, learnt once per process', async () => {
    const state = path.join(t.dir, 'state.json')
    const log = path.join(t.dir, 'calls.log')
    resetWshHostKnowledge()
    try {
      use(comDoubleEnv(state, { inTaskSequence: true, variables: { _SMSTSLogPath: 'X:\\Windows\\Temp\\SMSTSLog' } }, 'wsh-no-engine-switch', log))
      const env = await ConfigMgrTsEnvironment.open({ platform: 'win32', env: process.env })
      expect(env.get('_SMSTSLogPath')).to.equal('X:\\Windows\\Temp\\SMSTSLog')
      env.set('USMTStepsLastResult', 'Success')
      await env.commit()
      expect(readComDoubleState(state).variables.USMTStepsLastResult).to.equal('Success')
      const argvs = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { argv: string[] }).argv)
      // First call: //E:JScript refused; the retry without it answers; the write goes straight to the form that works.
      expect(argvs.map((a) => a.includes('//E:JScript'))).to.deep.equal([true, false, false])
      expect(wshArgv('x.js')).to.deep.equal(['//NoLogo', 'x.js'])
    } finally {
      resetWshHostKnowledge()
    }
    // Where //E works (Windows), the association is never consulted.
    expect(wshArgv('x.js')).to.deep.equal(['//NoLogo', '//E:JScript', 'x.js'])
  })
})
