import { expect } from 'chai'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { CMTRACE_LINE } from '../../../src/log/cmtrace.js'
import { EXIT_CODES } from '../../../src/runtime/exit-codes.js'
import { parseJsonOutput, runCli, spawnCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('step contract (--json, exit codes, result variables, logs, secrets)', function () {
  this.timeout(120000)
  let t: ReturnType<typeof tempDir>
  let envFile: string
  const SECRETS = { UserPassword: 'Hunter2-Pass!', '_SMSTSReserved1-000': 'CONTOSO\\naa-account', '_SMSTSReserved2-000': 'NaaPassw0rd#', USMTStepsEncryptionKey: 'k3y-Material-XYZ', OSDMigrateLocalAccountPassword: 'LocalPw!42' }

  beforeEach(() => {
    t = tempDir()
    envFile = path.join(t.dir, 'ts.json')
    writeFileSync(envFile, JSON.stringify({ _SMSTSLogPath: path.join(t.dir, 'logs'), OSDStateStorePath: 'C:\\StateStore', ...SECRETS }))
  })
  afterEach(() => t.cleanup())

  it('prints only {status, result, warnings} on stdout with --json', async () => {
    const r = await runCli(['env', 'get', 'OSDStateStorePath', '--ts-env', `json:${envFile}`, '--json'])
    expect(r.exitCode).to.equal(0)
    const doc = parseJsonOutput(r.stdout)
    expect(Object.keys(doc)).to.deep.equal(['status', 'result', 'warnings'])
    expect(doc.result).to.deep.include({ name: 'OSDStateStorePath', value: 'C:\\StateStore' })
  })

  it('prints {status:"error", error} and exits with the catalogued code', async () => {
    const r = await runCli(['env', 'set', '_SMSTSLogPath=x', '--ts-env', `json:${envFile}`, '--json'])
    expect(r.exitCode).to.equal(EXIT_CODES.tsEnv.code)
    const doc = parseJsonOutput(r.stdout)
    expect(doc.status).to.equal('error')
    expect(doc.error).to.include({ code: 'USM0012', exitCode: 4 })
  })

  it('maps a bad command line to exit 2 (USM0002)', async () => {
    const r = await runCli(['env', 'list', '--no-such-flag', '--ts-env', `json:${envFile}`])
    expect(r.exitCode).to.equal(EXIT_CODES.usage.code)
    expect(r.stderr).to.match(/USM0002/)
  })

  it('writes CMTrace lines into _SMSTSLogPath', async () => {
    await runCli(['env', 'list', '--ts-env', `json:${envFile}`])
    const lines = readFileSync(path.join(t.dir, 'logs', 'usmt-steps.log'), 'utf8').split('\r\n').filter(Boolean)
    expect(lines.length).to.be.greaterThan(2)
    for (const l of lines) expect(l).to.match(CMTRACE_LINE)
  })

  it('never lets a secret reach stdout, stderr, --json or the log (in-process and as a real process)', async () => {
    const runs = [
      await runCli(['env', 'list', '--ts-env', `json:${envFile}`]),
      await runCli(['env', 'list', '--ts-env', `json:${envFile}`, '--json', '--verbose']),
      await runCli(['env', 'get', 'UserPassword', '--ts-env', `json:${envFile}`]),
      await runCli(['env', 'get', '_SMSTSReserved2-000', '--ts-env', `json:${envFile}`, '--json']),
      await runCli(['env', 'set', `Note=${SECRETS.USMTStepsEncryptionKey}`, '_Bad=1', '--ts-env', `json:${envFile}`]),
      await runCli(['env', 'list', '--ts-env', 'env'], { env: { UserDataKey: 'Mdt-User-Data-Key-9', _SMSTSLogPath: path.join(t.dir, 'logs') } }),
      await spawnCli(['env', 'list', '--ts-env', `json:${envFile}`, '--verbose']),
      await spawnCli(['env', 'get', 'USMTStepsEncryptionKey', '--ts-env', `json:${envFile}`, '--json']),
    ]
    const logs = readdirSync(path.join(t.dir, 'logs')).map((f) => readFileSync(path.join(t.dir, 'logs', f), 'utf8')).join('\n')
    const everything = [...runs.flatMap((r) => [r.stdout, r.stderr]), logs].join('\n')
    expect(everything).to.include('********')
    for (const secret of [...Object.values(SECRETS), 'Mdt-User-Data-Key-9']) expect(everything, secret).to.not.include(secret)
  })

  it('records USMTStepsLast* result variables for a step and ends stdout with one summary line', async () => {
    const r = await runCli(['exit-codes'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.match(/3010\s+reboot/)
    // env commands are tools and do not record results; the step path is exercised by plan/capture/restore tests.
    const vars = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>
    expect(vars).to.not.have.property('USMTStepsLastStep')
  })

  it('answers --version without loading oclif', async () => {
    const r = await spawnCli(['--version'])
    expect(r.stdout).to.match(/^usmt-steps\/\d+\.\d+\.\d+ \S+ node-v\d+/)
  })
})
