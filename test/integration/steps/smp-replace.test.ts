import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { copySampleMachine, writeEnv } from './helpers.js'

interface Out { status: string; result: Record<string, unknown>; warnings: string[]; error?: { code: string; message: string; actions: string[] } }

/**
 * A replace to a state migration point store (the folder Request State Store hands out): usmt-steps capture replaces
 * the native Capture User State step, which is what encrypts SMP stores, so capture always encrypts an SMP store
 * with the admin's key (a hidden collection variable), refuses before writing anything without one, and restore on
 * the new computer finds the same variable. The /mu mapping usmt-steps users wrote travels in the store to loadstate.
 */
describe('replace to an SMP-style store: always encrypted, restorable, /mu reaches loadstate', function () {
  let t: ReturnType<typeof tempDir>
  before(function () { requireSharedFixtures(this, 'usmt-xml', 'MigDocs.xml') })
  beforeEach(() => { t = tempDir('usmt-steps-smp-') })
  afterEach(() => t.cleanup())

  it('captures encrypted (even with USMTStepsEncrypt=false), refuses without a key before any write, restores with the /mu mapping', async () => {
    const xml = sharedFixture('usmt-xml')
    const old = copySampleMachine(path.join(t.dir, 'old'))
    const smpStore = path.join(t.dir, 'SMPSTOREa1b2$', 'B0C1D2E3')
    mkdirSync(smpStore, { recursive: true })
    const KEY = 'Collection-hidden-key-42'
    const common = { DeploymentType: 'REPLACE', USMTStepsStoreType: 'smp', OSDStateStorePath: smpStore, USMTStepsEncrypt: 'false' }
    const capArgs = ['--volume', `C=${path.join(old, 'C')}`, '--engine', 'portable', '--usmt-dir', xml, '--users', path.join(old, 'users.json'), '--at-risk', 'warn', '--json']

    const noKey = writeEnv(path.join(t.dir, 'old-nokey.json'), { ...common, _SMSTSLogPath: path.join(t.dir, 'l0'), _SMSTSMachineName: 'OLDPC' })
    const refused = await runCli(['capture', '--ts-env', `json:${noKey}`, ...capArgs])
    expect(refused.exitCode).to.not.equal(0)
    expect(parseJsonOutput<Out>(refused.stdout).error?.code).to.equal('USM0303')
    expect(parseJsonOutput<Out>(refused.stdout).error?.actions.join(' ')).to.include('hidden collection variable')
    expect(readdirSync(smpStore), 'nothing written to the SMP store').to.deep.equal([])

    const oldEnv = writeEnv(path.join(t.dir, 'old.json'), {
      ...common, _SMSTSLogPath: path.join(t.dir, 'l1'), _SMSTSMachineName: 'OLDPC', USMTStepsEncryptionKey: KEY,
      USMTStepsUserMapArgs: '/mu:PC\\ann:CONTOSO\\anna',
    })
    const cap = await runCli(['capture', '--ts-env', `json:${oldEnv}`, ...capArgs])
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    expect(parseJsonOutput<Out>(cap.stdout).result).to.include({ storeKind: 'compressed', encrypted: true })
    const mig = readFileSync(path.join(smpStore, 'USMT', 'USMT.MIG'))
    expect(mig.includes(Buffer.from('ann'))).to.equal(false)

    // The new computer: a fresh disk; the key comes from the same hidden collection variable; no USMTStepsUserMapArgs here.
    const fresh = path.join(t.dir, 'new', 'C')
    mkdirSync(path.join(fresh, 'Users'), { recursive: true })
    const newEnv = writeEnv(path.join(t.dir, 'new.json'), { ...common, _SMSTSLogPath: path.join(t.dir, 'l2'), _SMSTSMachineName: 'NEWPC', USMTStepsEncryptionKey: KEY, OSDMigrateLocalAccounts: 'true' })
    const res = await runCli(['restore', '--ts-env', `json:${newEnv}`, '--volume', `C=${fresh}`, '--engine', 'portable', '--usmt-dir', xml, '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const ro = parseJsonOutput<Out>(res.stdout)
    expect(ro.result).to.include({ storeKind: 'compressed', encrypted: true })
    const loadLog = readFileSync(path.join(t.dir, 'l2', 'loadstate.log'), 'utf8')
    expect(loadLog).to.match(/Command line: .*\/mu:PC\\ann:CONTOSO\\anna/)
    expect(existsSync(path.join(fresh, 'Users'))).to.equal(true)
  })
})
