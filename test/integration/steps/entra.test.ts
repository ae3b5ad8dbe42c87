/** The sample machine's Entra ID profile (AzureAD\KimAkers, S-1-12-1-…): reported by users and capture, and a refresh stops by default. */
import { expect } from 'chai'
import * as path from 'node:path'
import { ENTRA_REASON } from '../../../src/directory/entra.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { copySampleMachine, writeEnv, stepSuite } from './helpers.js'

interface Out { status: string; result: { atRisk?: string[]; atRiskDetails?: Array<{ kind: string; user: string; reason: string }>; profiles?: Array<{ account?: string; decision: string; reason: string }> }; warnings: string[]; error?: { code: string; exitCode: number; message: string } }

describe('Entra ID profiles on the sample machine', function () {
  const s = stepSuite('usmt-steps-entra-')

  it('users: reported with the reason; orphans=fail stops the step before capture (USM0509), exclude leaves it out knowingly', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const env = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: path.join(s.dir, 'logs') })
    const args = ['users', '--json', '--ts-env', `json:${env}`, '--volume', `C=${path.join(machine, 'C')}`, '--users', path.join(machine, 'users.json'), '--computer', 'PC', '--directory', 'none']
    const r = await runCli(args)
    expect(r.exitCode, r.stdout).to.equal(23)
    const err = parseJsonOutput<Out>(r.stdout).error
    expect(err?.code).to.equal('USM0509')
    expect(err?.message).to.contain('1 Entra ID profile(s) would be lost').and.contain(`C:\\Users\\KimAkers (AzureAD\\KimAkers: ${ENTRA_REASON})`)
    const ok = await runCli([...args, '--orphans', 'exclude'])
    expect(ok.exitCode, ok.stdout).to.equal(0)
    const kim = parseJsonOutput<Out>(ok.stdout).result.profiles?.find((p) => p.account === 'AzureAD\\KimAkers')
    expect(kim).to.deep.include({ decision: 'skip' })
    expect(kim?.reason).to.contain(ENTRA_REASON)
  })

  it('capture: a refresh stops before the wipe by default (USM0308, exit 23); --at-risk warn goes on and reports it', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    const env = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: path.join(s.dir, 'logs'), _SMSTSMachineName: 'PC', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink' })
    const args = ['capture', '--ts-env', `json:${env}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--json']
    const r = await runCli(args)
    expect(r.exitCode, r.stdout).to.equal(23)
    const err = parseJsonOutput<Out>(r.stdout).error
    expect(err?.code).to.equal('USM0308')
    expect(err?.message).to.contain(`AzureAD\\KimAkers (C:\\Users\\KimAkers): ${ENTRA_REASON}`)
    const warned = await runCli([...args, '--at-risk', 'warn'])
    expect(warned.exitCode, warned.stdout).to.equal(0)
    const out = parseJsonOutput<Out>(warned.stdout)
    expect(out.result.atRiskDetails).to.deep.include({ kind: 'entra-profile', user: 'AzureAD\\KimAkers', reason: ENTRA_REASON, what: `AzureAD\\KimAkers (C:\\Users\\KimAkers): ${ENTRA_REASON}` })
    expect(out.warnings.join('\n')).to.contain('AzureAD\\KimAkers')
  })
})
