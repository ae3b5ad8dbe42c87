import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { doubleCalls, doubleEnv, makeUsmtPackage, readEnv, writeEnv } from './helpers.js'

interface Out { status: string; result: Record<string, unknown>; warnings: string[]; error?: { code: string; exitCode: number; message: string; actions: string[] } }

describe('capture/restore driving Microsoft\'s USMT (strict double)', function () {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir('usmt-steps-ms-') })
  afterEach(() => t.cleanup())

  function base(extra: Record<string, string> = {}): { envFile: string; usmt: string; logs: string; store: string } {
    const usmt = makeUsmtPackage(path.join(t.dir, 'usmt'))
    const logs = path.join(t.dir, 'logs')
    const store = path.join(t.dir, 'share', 'PC01')
    const envFile = writeEnv(path.join(t.dir, 'env.json'), { _SMSTSLogPath: logs, OSDStateStorePath: store, USMTStepsStoreType: 'share', _SMSTSMachineName: 'PC01', ...extra })
    return { envFile, usmt, logs, store }
  }

  it('captures an encrypted compressed network store through a key file and restores it', async () => {
    const b = base({ USMTStepsEncryptionKey: 'S3cret-Key-Of-The-Store' })
    const env = doubleEnv(t.dir)
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    const out = parseJsonOutput<Out>(cap.stdout)
    expect(out.result).to.include({ storeKind: 'compressed', encrypted: true, algorithm: 'AES_256', usmtReturnCode: 0, engine: 'microsoft' })
    const calls = doubleCalls(t.dir)
    const scan = calls.find((c) => c.tool === 'scanstate.exe')!
    expect(scan.argv).to.include('/encrypt:AES_256')
    expect(scan.argv.some((a) => /^\/keyfile:/.test(a))).to.equal(true)
    expect(scan.keyFile?.mode).to.equal('600')
    expect(scan.argv).to.include.members(['/o', '/c', '/v:5', '/efs:copyraw'])
    const keyfileArg = scan.argv.find((a) => a.startsWith('/keyfile:'))!.slice('/keyfile:'.length)
    expect(existsSync(keyfileArg), 'key file removed after the run').to.equal(false)
    expect(readdirSync(path.join(b.store, 'Logs'))).to.include.members(['scanstate.log', 'scanstate-progress.log'])
    expect(existsSync(path.join(b.logs, 'scanstate.log'))).to.equal(true)
    const vars = readEnv(b.envFile)
    expect(vars).to.include({ USMTStepsUsmtReturnCode: '0', USMTStepsCaptureStoreKind: 'compressed', USMTStepsCaptureEncrypted: 'true', USMTStepsLastResult: 'Success' })

    const res = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const r = parseJsonOutput<Out>(res.stdout)
    expect(r.result).to.include({ storeKind: 'compressed', encrypted: true, verified: true, usmtReturnCode: 0 })
    const load = doubleCalls(t.dir).find((c) => c.tool === 'loadstate.exe')!
    expect(load.argv).to.include('/decrypt:AES_256')
    expect(load.argv.some((a) => a.startsWith('/keyfile:'))).to.equal(true)
    const verify = doubleCalls(t.dir).find((c) => c.tool === 'usmtutils.exe')!
    expect(verify.argv[0]).to.equal('/verify:catalog')
  })

  it('the proof of a Microsoft store: /listfiles sizes recorded at capture; after loadstate every listed file is found by size (a collision rename too), and a file loadstate did not write back fails the restore (USM0318)', async () => {
    const drives = path.join(t.dir, 'drives')
    const docs = path.join(drives, 'C', 'Users', 'ann', 'Documents')
    mkdirSync(docs, { recursive: true })
    const files = { 'a.txt': 'alpha', 'b.txt': 'bravo bravo', 'c.docx': 'charlie'.repeat(50) }
    for (const [n, text] of Object.entries(files)) writeFileSync(path.join(docs, n), text)
    const listed = Object.keys(files).map((n) => `C:\\Users\\ann\\Documents\\${n}`)
    const b = base({ USMTStepsEncryptionKey: 'Proof-Key-Of-The-Store' })
    const volume = ['--volume', `C=${path.join(drives, 'C')}`]
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', ...volume, '--json'], { env: doubleEnv(t.dir, { files: listed }) })
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    const record = readFileSync(path.join(b.store, 'Logs', 'usmt-steps-listed.jsonl'), 'utf8')
    expect(record).to.include('"C:\\\\Users\\\\ann\\\\Documents\\\\c.docx",350,').and.match(/\nsha256:[0-9a-f]{64}\n$/)
    expect(readFileSync(path.join(b.logs, 'usmt-steps.log'), 'utf8')).to.include('recorded the size and time of 3 listed file(s)')

    // The OS is replaced: the profile is gone; the new OS already has its own b.txt there, so USMT writes b(1).txt.
    rmSync(path.join(drives, 'C', 'Users'), { recursive: true })
    mkdirSync(docs, { recursive: true })
    writeFileSync(path.join(docs, 'b.txt'), 'the new OS\'s own file')
    const res = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', ...volume, '--json'], { env: doubleEnv(t.dir) })
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const proof = (parseJsonOutput<Out>(res.stdout).result.proof as { checked: boolean; verified: number; missing: unknown[]; changed: unknown[]; methods: Record<string, number>; method: string })
    expect(proof).to.deep.include({ checked: true, verified: 3, missing: [], changed: [] })
    expect(proof.methods.size).to.equal(3)
    expect(proof.method).to.include('/listfiles')
    expect(readFileSync(path.join(docs, 'b(1).txt'), 'utf8')).to.equal('bravo bravo')
    expect(readEnv(b.envFile)).to.include({ USMTStepsProofChecked: 'true', USMTStepsProofVerified: '3', USMTStepsProofMissing: '0', USMTStepsProofChanged: '0' })

    // loadstate "succeeds" but did not write c.docx back: the proof says so and the step fails, keeping the store.
    rmSync(path.join(drives, 'C', 'Users'), { recursive: true })
    const lost = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', ...volume, '--json'],
      { env: doubleEnv(t.dir, { dropOnRestore: ['C:\\Users\\ann\\Documents\\c.docx'] }) })
    expect(lost.exitCode, lost.stdout).to.equal(23)
    const err = parseJsonOutput<Out>(lost.stdout).error
    expect(err?.code).to.equal('USM0318')
    expect(err?.message).to.include('missing C:\\Users\\ann\\Documents\\c.docx')
    expect(existsSync(path.join(b.store, 'USMT', 'USMT.MIG'))).to.equal(true)

    // A record changed after the capture (a line removed and the count fixed up) is refused, never a silent pass.
    const lines = record.split('\n')
    const forged = [lines[0], lines[1], lines[2], JSON.stringify({ end: true, count: 2 })].join('\n')
    writeFileSync(path.join(b.store, 'Logs', 'usmt-steps-listed.jsonl'), `${forged}\nsha256:${'0'.repeat(64)}\n`)
    const tampered = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', ...volume, '--json'], { env: doubleEnv(t.dir) })
    expect(parseJsonOutput<Out>(tampered.stdout).error?.code).to.equal('USM0320')
  })

  it('refuses a network capture without a key (USM0303, exit 3) before running anything', async () => {
    const b = base()
    const env = doubleEnv(t.dir)
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(cap.exitCode).to.equal(3)
    expect(parseJsonOutput<Out>(cap.stdout).error?.code).to.equal('USM0303')
    expect(doubleCalls(t.dir)).to.have.length(0)
  })

  for (const [rc, name] of [[29, 'USMT_FAILED_MIGSTARTUP'], [71, 'USMT_INIT_OPERATING_ENVIRONMENT_FAILED'], [72, 'USMT_UNABLE_DOMIGRATION']] as const) {
    it(`maps scanstate return code ${rc} to USM0305 / exit 21 with the documented meaning`, async () => {
      const b = base({ USMTStepsEncrypt: 'false' })
      const env = doubleEnv(t.dir, { returnCode: rc })
      const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
      expect(cap.exitCode).to.equal(21)
      const out = parseJsonOutput<Out>(cap.stdout)
      expect(out.error?.code).to.equal('USM0305')
      expect(out.error?.message).to.contain(`returned ${rc} (${name})`)
      expect(readEnv(b.envFile)).to.include({ USMTStepsUsmtReturnCode: String(rc), USMTStepsLastResult: 'Failed', USMTStepsLastErrorCode: 'USM0305' })
    })
  }

  it('return code 3: a warning listing the ignored errors, or exit 22 when the policy says so', async () => {
    const b = base({ USMTStepsEncrypt: 'false' })
    const env = doubleEnv(t.dir, { ignored: [{ objectName: 'C:\\Users\\ann\\Documents\\locked.pst', errorCode: 32 }] })
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(cap.exitCode).to.equal(0)
    const out = parseJsonOutput<Out>(cap.stdout)
    expect(out.status).to.equal('warning')
    expect(out.result).to.include({ usmtReturnCode: 3, ignoredErrors: 1 })
    expect(out.warnings.join('\n')).to.contain('locked.pst')
    writeEnv(b.envFile, { ...readEnv(b.envFile), USMTStepsFailOnIgnoredErrors: 'true' })
    const again = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(again.exitCode).to.equal(22)
    expect(parseJsonOutput<Out>(again.stdout).error?.code).to.equal('USM0306')
  })

  it('without /c the first error aborts (61) as USMT does', async () => {
    const b = base({ USMTStepsEncrypt: 'false', OSDMigrateContinueOnLockedFiles: 'false' })
    const env = doubleEnv(t.dir, { ignored: [{ objectName: 'C:\\Users\\ann\\a.pst', errorCode: 32 }] })
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(cap.exitCode).to.equal(21)
    expect(parseJsonOutput<Out>(cap.stdout).error?.message).to.contain('61 (USMT_MIGRATION_STOPPED_NONFATAL)')
    expect(doubleCalls(t.dir)[0].argv).to.not.include('/c')
  })

  it('refuses invalid option combinations before anything runs', async () => {
    const b = base({ USMTStepsEncrypt: 'false', OSDMigrateAdditionalCaptureOptions: '/hardlink /vsc' })
    const env = doubleEnv(t.dir)
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(cap.exitCode).to.not.equal(0)
    expect(['USM0302', 'USM0202']).to.include(parseJsonOutput<Out>(cap.stdout).error?.code)
    expect(doubleCalls(t.dir)).to.have.length(0)
  })

  it('a usmt-steps package built with USMT: its own USMT\\ folder is found first, before the USMT package of the step', async () => {
    // The step's USMT package, downloaded by Download Package Content into the variable named by its ID.
    const b = base({ USMTStepsEncryptionKey: 'Own-USMT-Key', _OSDMigrateUsmtPackageID: 'ABC00012', ABC00012: path.join(t.dir, 'downloaded', 'ABC00012') })
    // What `npm run package -- --usmt-dir` lays out, and what launch.cjs says in USMT_STEPS_PACKAGE_DIR.
    const pkg = path.join(t.dir, 'usmt-steps package')
    makeUsmtPackage(path.join(pkg, 'USMT'))
    // That package holds USMT for another architecture: never reached while the package's own USMT\ is there.
    makeUsmtPackage(path.join(t.dir, 'downloaded', 'ABC00012'), 'x86')
    const env = { ...doubleEnv(t.dir), USMT_STEPS_PACKAGE_DIR: pkg }
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--engine', 'microsoft', '--arch', 'amd64', '--json'], { env })
    expect(cap.exitCode, cap.stdout + cap.stderr).to.equal(0)
    expect(parseJsonOutput<Out>(cap.stdout).result.usmt).to.equal(path.join(pkg, 'USMT', 'amd64'))
    expect(doubleCalls(t.dir).find((c) => c.tool === 'scanstate.exe')).to.not.equal(undefined)
    // Without it, the step's USMT package is searched (and here holds x86 only: the clear architecture error).
    const other = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--engine', 'microsoft', '--arch', 'amd64', '--json'], { env: doubleEnv(t.dir) })
    expect(parseJsonOutput<Out>(other.stdout).error?.code).to.equal('USM0301')
  })

  it('a wrong-architecture USMT is a clear error (USM0301, exit 20)', async () => {
    const b = base({ USMTStepsEncrypt: 'false' })
    makeUsmtPackage(path.join(t.dir, 'x86only'), 'x86')
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', path.join(t.dir, 'x86only'), '--engine', 'microsoft', '--arch', 'amd64', '--json'], { env: doubleEnv(t.dir) })
    expect(cap.exitCode).to.equal(20)
    const err = parseJsonOutput<Out>(cap.stdout).error!
    expect(err.code).to.equal('USM0301')
    expect(err.message).to.contain('x86 only')
    // An amd64 folder holding an x86 binary is caught by its PE header.
    mkdirSync(path.join(t.dir, 'mixed'))
    makeUsmtPackage(path.join(t.dir, 'mixed'), 'x86', 'amd64')
    const cap2 = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', path.join(t.dir, 'mixed'), '--engine', 'microsoft', '--arch', 'amd64', '--json'], { env: doubleEnv(t.dir) })
    expect(parseJsonOutput<Out>(cap2.stdout).error?.message).to.contain('built for x86')
  })

  it('restore of a missing or incomplete store fails (USM0304, exit 10), unless allowed', async () => {
    const b = base({ USMTStepsEncrypt: 'false' })
    const env = doubleEnv(t.dir)
    const res = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(res.exitCode).to.equal(10)
    expect(parseJsonOutput<Out>(res.stdout).error?.code).to.equal('USM0304')
    mkdirSync(path.join(b.store, 'USMT'), { recursive: true })
    const inc = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env })
    expect(inc.exitCode).to.equal(10)
    expect(parseJsonOutput<Out>(inc.stdout).error?.message).to.contain('did not finish')
    const ok = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--allow-missing', '--json'], { env })
    expect(ok.exitCode).to.equal(0)
    expect(parseJsonOutput<Out>(ok.stdout).status).to.equal('warning')
    expect(doubleCalls(t.dir).filter((c) => c.tool === 'loadstate.exe')).to.have.length(0)
  })

  it('a corrupt compressed store is rejected by usmtutils /verify before loadstate runs (USM0311, exit 11)', async () => {
    const b = base({ USMTStepsEncrypt: 'false' })
    mkdirSync(path.join(b.store, 'USMT'), { recursive: true })
    writeFileSync(path.join(b.store, 'USMT', 'USMT.MIG'), 'DOUBLE-MIG')
    const res = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env: doubleEnv(t.dir, { verifyCode: 42 }) })
    expect(res.exitCode).to.equal(11)
    expect(parseJsonOutput<Out>(res.stdout).error?.code).to.equal('USM0311')
    expect(doubleCalls(t.dir).map((c) => c.tool)).to.deep.equal(['usmtutils.exe'])
    expect(existsSync(path.join(b.store, 'USMT', 'USMT.MIG'))).to.equal(true)
  })

  it('a failed restore keeps the store and says how to restore by hand', async () => {
    const b = base({ USMTStepsEncrypt: 'false' })
    mkdirSync(path.join(b.store, 'USMT'), { recursive: true })
    writeFileSync(path.join(b.store, 'USMT', 'USMT.MIG'), 'DOUBLE-MIG')
    const res = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env: doubleEnv(t.dir, { returnCode: 71 }) })
    expect(res.exitCode).to.equal(21)
    const err = parseJsonOutput<Out>(res.stdout).error!
    expect(err.actions.join('\n')).to.contain(`The store was kept at ${b.store}`)
    expect(err.actions.join('\n')).to.match(/To restore by hand: .*loadstate\.exe/)
    expect(existsSync(path.join(b.store, 'Logs', 'loadstate.log'))).to.equal(true)
  })

  it('hard-link restore removes the store with usmtutils /rd; code 35 asks for a restart (3010)', async () => {
    const b = base({ USMTStepsStoreType: 'hardlink', USMTStepsEncrypt: 'false' })
    for (const scenario of [{ rdCode: 0 }, { rdCode: 35 }]) {
      mkdirSync(path.join(b.store, 'USMT', 'File'), { recursive: true })
      writeFileSync(path.join(b.store, 'USMT', 'catalog.mig'), 'x')
      writeFileSync(path.join(b.store, 'USMT', 'hardlink.main'), '')
      const res = await runCli(['restore', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env: doubleEnv(t.dir, scenario) })
      const out = parseJsonOutput<Out>(res.stdout)
      if (scenario.rdCode === 0) {
        expect(res.exitCode, res.stdout).to.equal(0)
        expect(out.result).to.include({ storeRemoved: true })
        expect(existsSync(b.store)).to.equal(false)
      } else {
        expect(res.exitCode).to.equal(3010)
        expect(out.result).to.include({ storeRemoved: false, rebootRequired: true })
        expect(readEnv(b.envFile).SMSTSRebootRequested).to.equal('HD')
      }
    }
    const load = doubleCalls(t.dir).find((c) => c.tool === 'loadstate.exe')!
    expect(load.argv).to.include.members(['/hardlink', '/nocompress'])
  })

  it('warns about variables one typing error away from a known name', async () => {
    const b = base({ USMTStepsEncrypt: 'false', OSDMigrageAdditionalCaptureOptions: '/uel:30' })
    const cap = await runCli(['capture', '--ts-env', `json:${b.envFile}`, '--usmt-dir', b.usmt, '--engine', 'microsoft', '--json'], { env: doubleEnv(t.dir) })
    expect(cap.exitCode).to.equal(0)
    expect(parseJsonOutput<Out>(cap.stdout).warnings.join('\n')).to.contain('OSDMigrageAdditionalCaptureOptions is not read by usmt-steps; did you mean OSDMigrateAdditionalCaptureOptions?')
    expect(readFileSync(path.join(b.logs, 'usmt-steps.log'), 'utf8')).to.contain('did you mean OSDMigrateAdditionalCaptureOptions')
  })
})
