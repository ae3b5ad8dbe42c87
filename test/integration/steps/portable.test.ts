import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { copySampleMachine, listFiles, readEnv, writeEnv, stepSuite } from './helpers.js'

interface Out { status: string; result: Record<string, unknown>; warnings: string[]; error?: { code: string; message: string; actions: string[] } }

function profileFiles(c: string): string[] {
  return listFiles(path.join(c, 'Users')).filter((f) => !/^(Default|Default User|All Users|Public)[\\/]/.test(f))
}

describe('capture/restore with the portable tools (sample machine, JSON task-sequence environment)', function () {
  const s = stepSuite('usmt-steps-port-')

  it('refresh: plan a hard-link store, capture, wipe the volume except the store, restore, verify, store removed', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    const before = profileFiles(c)
    const logs = path.join(s.dir, 'logs')
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: logs, _SMSTSMachineName: 'PC', _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', DeploymentType: 'REFRESH', OSDMigrateLocalAccounts: 'true' })
    const facts = path.join(s.dir, 'facts.json')
    writeFileSync(facts, JSON.stringify({ inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 2 ** 38, freeBytes: 2 ** 36, bitLocker: 'off' }] }))
    const plan = await runCli(['plan', '--ts-env', `json:${envFile}`, '--facts', facts, '--json'])
    expect(plan.exitCode, plan.stdout).to.equal(0)
    expect(readEnv(envFile)).to.include({ USMTStepsStoreType: 'hardlink', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState' })

    const cap = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--at-risk', 'warn', '--json'])
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    const co = parseJsonOutput<Out>(cap.stdout)
    expect(co.result).to.include({ engine: 'portable', storeKind: 'hardlink', encrypted: false })
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    expect(existsSync(path.join(store, 'USMT'))).to.equal(true)
    expect(readdirSync(path.join(store, 'Logs'))).to.include('scanstate.log')

    const captured = profileFiles(c).filter((f) => existsSync(path.join(c, 'Users', f)))
    for (const n of readdirSync(c)) if (n !== '_SMSTaskSequence') rmSync(path.join(c, n), { recursive: true, force: true })
    expect(existsSync(path.join(c, 'Users'))).to.equal(false)

    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const ro = parseJsonOutput<Out>(res.stdout)
    expect(ro.result).to.include({ storeKind: 'hardlink', storeRemoved: true })
    expect(existsSync(store)).to.equal(false)
    const after = new Set(profileFiles(c))
    const restored = captured.filter((f) => after.has(f))
    expect(before.length).to.be.greaterThan(0)
    expect(ro.result.users).to.have.members(['PC\\ann', 'CONTOSO\\jdoe', 'PC\\olduser', 'AzureAD\\KimAkers'])
    // Every user file the capture linked into the store is back (the store held them as hard links).
    const userDocs = captured.filter((f) => /^(ann|jdoe|olduser)[\\/](Documents|Desktop|Pictures)[\\/]/.test(f))
    expect(userDocs.length).to.be.greaterThan(5)
    for (const f of userDocs) expect(after.has(f), f).to.equal(true)
    expect(restored.length).to.be.greaterThan(0)
    expect(readEnv(envFile)).to.include({ USMTStepsStoreRemoved: 'true', USMTStepsLastResult: ro.status === 'warning' ? 'Warning' : 'Success' })
    const record = JSON.parse(readFileSync(path.join(logs, 'usmt-steps-restore.json'), 'utf8')) as { commands: Array<{ commandLine: string }> }
    expect(record.commands.map((x) => x.commandLine).join('\n')).to.match(/usmt-steps loadstate .*\/hardlink \/nocompress/)
    expect(record.commands.map((x) => x.commandLine).join('\n')).to.match(/usmt-steps usmtutils \/rd/)
  })

  it('replace: compressed AES-256 store in a folder standing in for a share, restored onto an empty machine', async () => {
    const oldPc = copySampleMachine(path.join(s.dir, 'old'))
    const newC = path.join(s.dir, 'new', 'C')
    mkdirSync(path.join(newC, 'Users'), { recursive: true })
    const share = path.join(s.dir, 'share', 'OLDPC')
    const KEY = 'replace-key-5519-unique'
    const vars = { OSDStateStorePath: share, USMTStepsStoreType: 'share', DeploymentType: 'REPLACE', USMTStepsEncryptionKey: KEY }
    const envOld = writeEnv(path.join(s.dir, 'old.json'), { ...vars, _SMSTSLogPath: path.join(s.dir, 'old-logs') })
    const envNew = writeEnv(path.join(s.dir, 'new.json'), { ...vars, _SMSTSLogPath: path.join(s.dir, 'new-logs'), OSDMigrateLocalAccounts: 'true' })
    const cap = await runCli(['capture', '--ts-env', `json:${envOld}`, '--volume', `C=${path.join(oldPc, 'C')}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(oldPc, 'users.json'), '--json'])
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    expect(parseJsonOutput<Out>(cap.stdout).result).to.include({ storeKind: 'compressed', encrypted: true })
    expect(existsSync(path.join(share, 'USMT', 'USMT.MIG'))).to.equal(true)

    const res = await runCli(['restore', '--ts-env', `json:${envNew}`, '--volume', `C=${newC}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    expect(parseJsonOutput<Out>(res.stdout).result).to.include({ storeKind: 'compressed', encrypted: true, verified: true })
    expect(parseJsonOutput<Out>(res.stdout).result.users).to.have.members(['PC\\ann', 'CONTOSO\\jdoe', 'PC\\olduser', 'AzureAD\\KimAkers'])
    for (const f of ['ann/Documents/Report.docx', 'jdoe/Documents/Contract.docx', 'olduser/Documents/old letter.doc']) {
      expect(readFileSync(path.join(newC, 'Users', f))).to.deep.equal(readFileSync(path.join(oldPc, 'C', 'Users', f)))
    }
    for (const dir of [path.join(s.dir, 'old-logs'), path.join(s.dir, 'new-logs'), path.join(share, 'Logs')]) {
      for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8'), f).to.not.contain(KEY)
    }
    // Wrong key: the store is refused before a file is written.
    const wrong = writeEnv(path.join(s.dir, 'wrong.json'), { ...vars, USMTStepsEncryptionKey: 'not-the-key', _SMSTSLogPath: path.join(s.dir, 'wrong-logs') })
    const other = path.join(s.dir, 'other', 'C')
    mkdirSync(other, { recursive: true })
    const bad = await runCli(['restore', '--ts-env', `json:${wrong}`, '--volume', `C=${other}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(bad.exitCode).to.equal(11)
    expect(parseJsonOutput<Out>(bad.stdout).error?.code).to.equal('USM0311')
    expect(listFiles(other)).to.deep.equal([])
  })

  it('a corrupt compressed store is refused before anything is restored; the store is kept', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'm'))
    const share = path.join(s.dir, 'share', 'PC')
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { OSDStateStorePath: share, USMTStepsStoreType: 'share', USMTStepsEncrypt: 'false', _SMSTSLogPath: path.join(s.dir, 'logs') })
    const cap = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${path.join(machine, 'C')}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--json'])
    expect(cap.exitCode, cap.stdout).to.equal(0)
    const mig = path.join(share, 'USMT', 'USMT.MIG')
    const buf = readFileSync(mig)
    buf[Math.floor(buf.length / 2)] ^= 0xff
    writeFileSync(mig, buf)
    const target = path.join(s.dir, 'target', 'C')
    mkdirSync(target, { recursive: true })
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${target}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode).to.equal(11)
    expect(listFiles(target)).to.deep.equal([])
    expect(statSync(mig).size).to.equal(buf.length)
  })

  it('refresh without /lac: local accounts left behind fail the restore (exit 23) and the hard-link store is kept', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: path.join(s.dir, 'logs'), _SMSTSMachineName: 'PC', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink', DeploymentType: 'REFRESH' })
    const cap = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--at-risk', 'warn', '--json'])
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    const annDoc = readFileSync(path.join(c, 'Users', 'ann', 'Documents', 'Report.docx'))
    for (const n of readdirSync(c)) if (n !== '_SMSTaskSequence') rmSync(path.join(c, n), { recursive: true, force: true })
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout).to.equal(23)
    const out = parseJsonOutput<Out>(res.stdout)
    expect(out.error?.code).to.equal('USM0316')
    expect(out.error?.message).to.match(/PC\\ann/).and.match(/PC\\olduser/).and.match(/\/lac/)
    expect(out.error?.actions.join(' ')).to.match(/OSDMigrateLocalAccounts=true/)
    expect(readEnv(envFile)).to.include({ USMTStepsLastResult: 'Failed', USMTStepsLastErrorCode: 'USM0316' })
    // Nothing was deleted: the store still holds ann's files, and a second restore with /lac brings them back.
    expect(existsSync(path.join(store, 'USMT'))).to.equal(true)
    writeEnv(envFile, { ...readEnv(envFile), OSDMigrateLocalAccounts: 'true' })
    const again = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(again.exitCode, again.stdout).to.equal(0)
    expect(readFileSync(path.join(c, 'Users', 'ann', 'Documents', 'Report.docx'))).to.deep.equal(annDoc)
  })

  it('with USMTStepsUsersLeftBehind=warn, users left behind give a warning and the store is kept', async () => {
    const oldPc = copySampleMachine(path.join(s.dir, 'old'))
    const newC = path.join(s.dir, 'new', 'C')
    mkdirSync(path.join(newC, 'Users'), { recursive: true })
    const share = path.join(s.dir, 'share', 'OLDPC')
    const vars = { OSDStateStorePath: share, USMTStepsStoreType: 'share', USMTStepsEncrypt: 'false', _SMSTSLogPath: path.join(s.dir, 'logs') }
    const envFile = writeEnv(path.join(s.dir, 'env.json'), vars)
    expect((await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${path.join(oldPc, 'C')}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(oldPc, 'users.json'), '--json'])).exitCode).to.equal(0)
    writeEnv(envFile, { ...readEnv(envFile), USMTStepsUsersLeftBehind: 'warn' })
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${newC}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout).to.equal(0)
    const out = parseJsonOutput<Out>(res.stdout)
    expect(out.status).to.equal('warning')
    expect(out.warnings.join(' ')).to.match(/did not restore 2 user\(s\).*store is kept/)
    expect(existsSync(path.join(share, 'USMT', 'USMT.MIG'))).to.equal(true)
  })

  it('a profile named by /ui that was never used: scanstate cannot capture it (USMT never migrates such a profile), the capture says so with that cause and does not stop', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    // newhire has no NTUSER.DAT: USMT leaves it out whatever /ui says (usmt-steps users marks it SKIP, never used).
    const envFile = writeEnv(path.join(s.dir, 'env.json'), {
      _SMSTSLogPath: path.join(s.dir, 'logs'), OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink', DeploymentType: 'REFRESH',
      OSDMigrateAdditionalCaptureOptions: '/ue:*\\* /ui:PC\\ann /ui:CONTOSO\\jdoe /ui:PC\\olduser /ui:PC\\newhire',
    })
    const cap = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--json'])
    expect(cap.exitCode, cap.stdout).to.equal(0)
    const out = parseJsonOutput<Out>(cap.stdout)
    expect(out.status).to.equal('warning')
    // The real cause, not a hint about orphaned SIDs or OneDrive.
    expect(out.warnings).to.include('not captured: PC\\newhire (C:\\Users\\newhire: never logged on (no NTUSER.DAT and no lastUse); USMT does not migrate a profile that was never used)')
    expect(out.result.atRisk).to.deep.equal([])
    rmSync(path.join(c, '_SMSTaskSequence'), { recursive: true, force: true })
    // A user excluded on purpose (by /ue, not named by /ui) is not at risk.
    writeEnv(envFile, { ...readEnv(envFile), OSDMigrateAdditionalCaptureOptions: '/ue:*\\* /ui:PC\\ann /ui:CONTOSO\\jdoe /ui:PC\\olduser /o' })
    const ok = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--json'])
    expect(ok.exitCode, ok.stdout).to.equal(0)
  })
})
