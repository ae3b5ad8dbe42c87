import { expect } from 'chai'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { copySampleMachine, doubleCalls, doubleEnv, makeUsmtPackage, writeEnv } from './helpers.js'

function allFiles(dir: string): string[] {
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n)
    if (statSync(p).isDirectory()) out.push(...allFiles(p))
    else out.push(p)
  }
  return out
}

describe('capture/restore: secrets never leak, offline (WinPE) capture', function () {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir('usmt-steps-sec-') })
  afterEach(() => t.cleanup())

  it('the key and the local-account password appear in no log, no output, no run record and no child argv', async () => {
    const KEY = 'Zq7-unique-store-key-4471'
    const PASSWORD = 'Pw-local-accounts-9931'
    const usmt = makeUsmtPackage(path.join(t.dir, 'usmt'))
    const logs = path.join(t.dir, 'logs')
    const store = path.join(t.dir, 'share', 'PC01')
    const envFile = writeEnv(path.join(t.dir, 'env.json'), {
      _SMSTSLogPath: logs, OSDStateStorePath: store, DeploymentType: 'REPLACE', _SMSTSMachineName: 'PC01',
      USMTStepsEncryptionKey: KEY, OSDMigrateLocalAccounts: 'true', OSDMigrateLocalAccountPassword: PASSWORD,
      // MDT's habit of putting the key on the command line is corrected, not passed on.
      LoadStateArgs: `/v:5 /c /lac /encrypt /key:${KEY}`,
    })
    const env = doubleEnv(t.dir)
    const outputs: string[] = []
    for (const step of ['capture', 'restore']) {
      for (const json of [true, false]) {
        const r = await runCli([step, '--ts-env', `json:${envFile}`, '--usmt-dir', usmt, '--engine', 'microsoft', ...(json ? ['--json'] : []), '--verbose'], { env })
        expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
        outputs.push(r.stdout, r.stderr)
      }
    }
    const calls = doubleCalls(t.dir)
    expect(calls.map((c) => c.tool)).to.include.members(['scanstate.exe', 'loadstate.exe', 'usmtutils.exe'])
    const load = calls.find((c) => c.tool === 'loadstate.exe')!
    expect(load.argv).to.include('/lac')
    expect(load.argv).to.not.include('/lae')
    const files = [...allFiles(logs), ...allFiles(store), path.join(t.dir, 'double.log')]
    expect(files.some((f) => f.endsWith('usmt-steps-capture.json'))).to.equal(true)
    expect(files.some((f) => f.endsWith('scanstate-progress.log'))).to.equal(true)
    const haystacks = [...outputs, ...files.map((f) => readFileSync(f, 'utf8')), ...calls.map((c) => JSON.stringify(c.argv))]
    for (const secret of [KEY, PASSWORD, Buffer.from(KEY).toString('base64')]) {
      for (const h of haystacks) expect(h.includes(secret), `secret found in: ${h.slice(0, 200)}`).to.equal(false)
    }
    // The stores are encrypted with the key from the variable (through the key file).
    expect(readFileSync(path.join(store, 'USMT', 'USMT.MIG'), 'utf8')).to.contain('DOUBLE-ENCRYPTED AES_256')
  })

  it('opting in puts the password on loadstate\'s command line (USMT\'s only form) and enables the accounts', async () => {
    const usmt = makeUsmtPackage(path.join(t.dir, 'usmt'))
    const store = path.join(t.dir, 'store')
    mkdirSync(path.join(store, 'USMT'), { recursive: true })
    writeFileSync(path.join(store, 'USMT', 'USMT.MIG'), 'DOUBLE-MIG')
    const envFile = writeEnv(path.join(t.dir, 'env.json'), {
      _SMSTSLogPath: path.join(t.dir, 'logs'), OSDStateStorePath: store, USMTStepsEncrypt: 'false',
      OSDMigrateLocalAccounts: 'true', OSDMigrateLocalAccountPassword: 'Opt-in-pw-1', USMTStepsLacPasswordOnCommandLine: 'true',
    })
    const r = await runCli(['restore', '--ts-env', `json:${envFile}`, '--usmt-dir', usmt, '--engine', 'microsoft', '--json'], { env: doubleEnv(t.dir) })
    expect(r.exitCode, r.stdout).to.equal(0)
    const load = doubleCalls(t.dir).find((c) => c.tool === 'loadstate.exe')!
    expect(load.argv).to.include.members(['/lac:Opt-in-pw-1', '/lae'])
    expect(r.stdout).to.not.contain('Opt-in-pw-1')
    expect(readFileSync(path.join(t.dir, 'logs', 'usmt-steps-restore.json'), 'utf8')).to.not.contain('Opt-in-pw-1')
  })

  it('in Windows PE captures the offline Windows with /offlineWinDir, USMT_WORKING_DIR and MIG_OFFLINE_PLATFORM_ARCH', async () => {
    const machine = copySampleMachine(path.join(t.dir, 'machine'))
    mkdirSync(path.join(machine, 'C', 'Windows', 'System32', 'config'), { recursive: true })
    writeFileSync(path.join(machine, 'C', 'Windows', 'System32', 'config', 'SOFTWARE'), 'regf')
    const usmt = makeUsmtPackage(path.join(t.dir, 'usmt'))
    const envFile = writeEnv(path.join(t.dir, 'env.json'), {
      _SMSTSLogPath: path.join(t.dir, 'logs'), _SMSTSInWinPE: 'true', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink',
    })
    const r = await runCli(['capture', '--ts-env', `json:${envFile}`, '--usmt-dir', usmt, '--engine', 'microsoft', '--volume', `C=${path.join(machine, 'C')}`, '--volume', `D=${path.join(machine, 'D')}`, '--json'], { env: doubleEnv(t.dir) })
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const out = parseJsonOutput<{ result: { offline: { winDir: string; platformArch: string }; storeKind: string } }>(r.stdout)
    expect(out.result.offline).to.deep.equal({ winDir: 'C:\\Windows', platformArch: '64' })
    expect(out.result.storeKind).to.equal('hardlink')
    const scan = doubleCalls(t.dir)[0]
    expect(scan.argv).to.include.members(['C:\\_SMSTaskSequence\\UserState', '/offlineWinDir:C:\\Windows', '/hardlink', '/nocompress', '/efs:hardlink'])
    expect(scan.env.MIG_OFFLINE_PLATFORM_ARCH).to.equal('64')
    expect(scan.env.USMT_WORKING_DIR).to.equal('C:\\Windows\\Temp')
  })

  it('refuses a hard-link store on another volume than the profiles (KB 2269650)', async () => {
    const machine = copySampleMachine(path.join(t.dir, 'machine'))
    const usmt = makeUsmtPackage(path.join(t.dir, 'usmt'))
    const envFile = writeEnv(path.join(t.dir, 'env.json'), { _SMSTSLogPath: path.join(t.dir, 'logs'), OSDStateStorePath: 'D:\\StateStore', USMTStepsStoreType: 'hardlink' })
    const r = await runCli(['capture', '--ts-env', `json:${envFile}`, '--usmt-dir', usmt, '--engine', 'microsoft', '--volume', `C=${path.join(machine, 'C')}`, '--volume', `D=${path.join(machine, 'D')}`, '--json'], { env: doubleEnv(t.dir) })
    expect(r.exitCode).to.equal(3)
    const err = parseJsonOutput<{ error: { code: string; message: string } }>(r.stdout).error
    expect(err.code).to.equal('USM0307')
    expect(err.message).to.contain('on D: but the profiles are on C:')
    expect(doubleCalls(t.dir)).to.have.length(0)
  })

  it('fails a refresh capture that left out an orphaned profile or cloud-only files (USM0308, exit 23), warns by policy', async () => {
    const usmt = makeUsmtPackage(path.join(t.dir, 'usmt'))
    const store = path.join(t.dir, 'store')
    const envFile = writeEnv(path.join(t.dir, 'env.json'), { _SMSTSLogPath: path.join(t.dir, 'logs'), OSDStateStorePath: store, USMTStepsEncrypt: 'false' })
    const scenario = {
      users: [{ user: 'CONTOSO\\ann', included: true }, { user: 'S-1-5-21-1111111111-2222222222-3333333333-1107', included: false }],
      ignored: [{ objectName: 'C:\\Users\\ann\\OneDrive - Contoso\\plan.docx', errorCode: 395 }],
    }
    const r = await runCli(['capture', '--ts-env', `json:${envFile}`, '--usmt-dir', usmt, '--engine', 'microsoft', '--json'], { env: doubleEnv(t.dir, scenario) })
    expect(r.exitCode).to.equal(23)
    const err = parseJsonOutput<{ error: { code: string; message: string } }>(r.stdout).error
    expect(err.code).to.equal('USM0308')
    expect(err.message).to.contain('S-1-5-21-1111111111-2222222222-3333333333-1107')
    expect(err.message).to.contain('1 cloud-only file(s)')
    const warned = await runCli(['capture', '--ts-env', `json:${envFile}`, '--usmt-dir', usmt, '--engine', 'microsoft', '--at-risk', 'warn', '--json'], { env: doubleEnv(t.dir, scenario) })
    expect(warned.exitCode).to.equal(0)
    expect(parseJsonOutput<{ warnings: string[] }>(warned.stdout).warnings.join('\n')).to.contain('the capture left out')
  })
})
