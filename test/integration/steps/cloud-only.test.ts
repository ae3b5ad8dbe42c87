/**
 * Cloud-only files found before the capture (sample machine + an attributes file marking ann's OneDrive files
 * as placeholders), for each value of USMTStepsCloudOnlyPolicy, with the portable scanstate — which, like
 * USMT running as SYSTEM, gets error 395 (ERROR_CLOUD_FILE_ACCESS_DENIED) when it reads a placeholder.
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { summarizeProgress } from '../../../src/usmt/index.js'
import { copySampleMachine, readEnv, writeEnv, stepSuite } from './helpers.js'

interface Out { status: string; result: Record<string, unknown> & { cloudOnly?: Record<string, unknown> }; warnings: string[]; error?: { code: string; exitCode: number; message: string; data?: Record<string, unknown> } }

const CLOUD = ['C:\\Users\\ann\\OneDrive\\Shared\\synced.docx', 'C:\\Users\\ann\\Documents\\Projects\\plan.docx']

describe('capture: cloud-only files found from their attributes, before scanstate (portable engine)', function () {
  const s = stepSuite('usmt-steps-cloud-')

  const setup = (): { machine: string; attrs: string; env: string; logs: string } => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const attrs = path.join(s.dir, 'attributes.json')
    const sample = JSON.parse(readFileSync(path.join(machine, 'attributes.json'), 'utf8')) as Record<string, string>
    writeFileSync(attrs, JSON.stringify({ ...sample, [CLOUD[0]]: 'Archive, RecallOnDataAccess, Unpinned', [CLOUD[1]]: 'Archive, SparseFile, ReparsePoint, Offline, 4194304' }))
    const logs = path.join(s.dir, 'logs')
    const env = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: logs, _SMSTSMachineName: 'PC', OSDStateStorePath: path.join(s.dir, 'store'), USMTStepsEncrypt: 'false' })
    return { machine, attrs, env, logs }
  }
  const capture = (m: ReturnType<typeof setup>, extra: string[]): ReturnType<typeof runCli> => runCli([
    'capture', '--ts-env', `json:${m.env}`, '--volume', `C=${path.join(m.machine, 'C')}`, '--engine', 'portable', '--usmt-dir', s.xml,
    '--users', path.join(m.machine, 'users.json'), '--attributes', m.attrs, '--at-risk', 'warn', ...extra, '--json',
  ])
  const scanErrors = (logs: string): string[] => summarizeProgress(readFileSync(path.join(logs, 'scanstate-progress.log'), 'utf8')).errors.map((e) => e.objectName)

  it('without the check, scanstate errors on them (what the check prevents)', async () => {
    const m = setup()
    // The same sample through the portable scanstate directly, with /c: the placeholders come back as error 395.
    const r = await runCli(['scanstate', path.join(s.dir, 'raw'), '/i:' + path.join(s.xml, 'MigDocs.xml'), '/c', '/o', `/progress:${path.join(s.dir, 'raw.prg')}`,
      `--volume=C=${path.join(m.machine, 'C')}`, `--users=${path.join(m.machine, 'users.json')}`, `--attributes=${m.attrs}`])
    expect(r.exitCode).to.equal(3)
    const errors = summarizeProgress(readFileSync(path.join(s.dir, 'raw.prg'), 'utf8')).errors
    expect(errors.filter((e) => e.errorCode === 395).map((e) => e.objectName)).to.have.members(CLOUD)
  })

  it('fail (the default): stops before scanstate writes anything, per user, in the error and TS variables (exit 23, USM0317)', async () => {
    const m = setup()
    const r = await capture(m, [])
    expect(r.exitCode, r.stdout).to.equal(23)
    const out = parseJsonOutput<Out>(r.stdout)
    expect(out.error?.code).to.equal('USM0317')
    expect(out.error?.message).to.contain('2 cloud-only file(s)').and.contain('PC\\ann: 2 cloud-only file(s)').and.contain('C:\\Users\\ann\\OneDrive\\Shared')
    const cloud = out.error?.data?.cloudOnly as { users: Array<{ user: string; files: number; folders: string[] }>; action: string }
    expect(cloud.action).to.equal('failed')
    expect(cloud.users).to.have.length(1)
    expect(cloud.users[0]).to.include({ user: 'PC\\ann', files: 2 })
    expect(cloud.users[0].folders).to.deep.equal(['C:\\Users\\ann\\Documents\\Projects', 'C:\\Users\\ann\\OneDrive\\Shared'])
    expect(readEnv(m.env)).to.include({ USMTStepsCloudOnlyFiles: '2', USMTStepsCloudOnlyAction: 'failed' })
    expect(() => readFileSync(path.join(m.logs, 'scanstate-progress.log'))).to.throw()
    expect(readFileSync(path.join(m.logs, 'usmt-steps.log'), 'utf8')).to.contain('PC\\ann: 2 cloud-only file(s)')
  })

  for (const policy of ['warn', 'exclude'] as const) {
    it(`${policy}: captures everything else; the placeholders are excluded explicitly and nothing about them is in scanstate's error list`, async () => {
      const m = setup()
      const r = await capture(m, ['--cloud-only', policy])
      expect(r.exitCode, r.stdout).to.equal(0)
      const out = parseJsonOutput<Out>(r.stdout)
      expect(out.result.cloudOnly).to.deep.include({ policy, action: policy === 'warn' ? 'warned' : 'excluded', files: 2, source: 'attributes-file', checked: true })
      expect(out.result.usmtReturnCode).to.equal(0)
      expect(scanErrors(m.logs)).to.deep.equal([])
      const listed = readFileSync(path.join(m.logs, 'scanstate-listfiles.txt'), 'utf8')
      for (const f of CLOUD) expect(listed).not.to.contain(f)
      expect(listed).to.contain('C:\\Users\\ann\\Documents\\Report.docx')
      const warned = out.warnings.some((w) => w.includes('2 cloud-only file(s)'))
      expect(warned).to.equal(policy === 'warn')
      expect(out.status).to.equal(policy === 'warn' ? 'warning' : out.status)
      expect(readEnv(m.env)).to.include({ USMTStepsCloudOnlyFiles: '2', USMTStepsCloudOnlyAction: out.result.cloudOnly?.action as string })
      expect(readFileSync(path.join(m.logs, 'usmt-steps.log'), 'utf8')).to.contain('PC\\ann: 2 cloud-only file(s)')
      if (policy !== 'exclude') return
      // The report: its own section, and the Users table says why profiles are at risk (Entra ID, cloud-only files).
      const rep = await runCli(['report', '--ts-env', `json:${m.env}`, '--json'])
      expect(rep.exitCode, rep.stdout).to.equal(0)
      const sum = parseJsonOutput<{ result: { summary: { cloudOnly: { files: number; action: string; users: Array<{ user: string }> }; users: Array<{ user: string; reason?: string }> }; paths?: unknown } }>(rep.stdout).result.summary
      expect(sum.cloudOnly).to.deep.include({ files: 2, action: 'excluded' })
      const reason = (u: string): string | undefined => sum.users.find((x) => x.user === u)?.reason
      expect(reason('AzureAD\\KimAkers')).to.equal('Entra ID (Azure AD) account: USMT does not support migrating Microsoft Entra ID accounts')
      expect(reason('PC\\ann')).to.equal('2 cloud-only file(s) left in the cloud (exclude)')
      expect(reason('CONTOSO\\jdoe')).to.equal(undefined)
      const page = readFileSync(path.join(m.logs, 'usmt-steps-report.html'), 'utf8')
      expect(page).to.contain('<th>Reason</th>').and.contain('id="cloud-only"').and.contain('C:\\Users\\ann\\OneDrive\\Shared')
    })
  }
})
