/**
 * Issue #20 item 7: stores are classified by their content. A hard-link store made by portable `scanstate`
 * (no usmt-steps-store.json beside USMT\) used to be taken for an uncompressed store: /hardlink was dropped,
 * loadstate returned 27 and the restore step exited 10 ("no store"). The restore step now reads the kind from
 * the store's catalog and restores it.
 */
import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { inspectStore } from '../../../src/store/layout.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { copySampleMachine, writeEnv, stepSuite } from './helpers.js'

describe('steps: stores classified by content (item 7) and Windows input paths (item 12) — issue #20', function () {
  this.timeout(180000)
  const s = stepSuite('usmt-steps-kind-')

  it('a portable scanstate hard-link store without usmt-steps-store.json is classified as hard-link by its catalog and restored with /hardlink /nocompress', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    const scan = await runCli(['scanstate', '--volume', `C=${c}`, '--computer', 'PC', '--users', path.join(machine, 'users.json'), 'C:\\_SMSTaskSequence\\UserState',
      `/i:${path.join(s.xml, 'MigDocs.xml')}`, `/i:${path.join(s.xml, 'MigUser.xml')}`, '/hardlink', '/nocompress', '/c', '--progress', 'none'])
    expect(scan.exitCode, scan.stdout).to.be.oneOf([0, 3])
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    expect(existsSync(path.join(store, 'usmt-steps-store.json'))).to.equal(false)
    expect(inspectStore(store)).to.include({ kind: 'hardlink', complete: true })
    const docs = path.join(c, 'Users', 'ann', 'Documents')
    const sample = existsSync(docs) ? path.join(docs, readdirSync(docs).filter((n) => statSync(path.join(docs, n)).isFile()).sort()[0]) : undefined
    const content = sample ? readFileSync(sample) : undefined
    if (sample) rmSync(sample)
    const logs = path.join(s.dir, 'logs')
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: logs, _SMSTSMachineName: 'PC', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', DeploymentType: 'REFRESH', OSDMigrateLocalAccounts: 'true' })
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const doc = parseJsonOutput<{ result: Record<string, unknown>; warnings: string[] }>(res.stdout)
    expect(doc.result).to.include({ storeKind: 'hardlink' })
    // Captured without a seal key (issue #20 item 5): still restored, and said to be unsealed, never silently.
    expect(doc.result).to.include({ catalogSeal: 'unsealed' })
    expect(doc.warnings.join('\n')).to.include('catalog is not sealed')
    const record = JSON.parse(readFileSync(path.join(logs, 'usmt-steps-restore.json'), 'utf8')) as { commands: Array<{ commandLine: string }> }
    expect(record.commands.map((x) => x.commandLine).join('\n')).to.match(/usmt-steps loadstate .*\/hardlink \/nocompress/)
    if (sample && content) expect(readFileSync(sample).equals(content), sample).to.equal(true)
  })

  it('issue #20 item 12: a --rules file given as a Windows path resolves through the volume map; an unmapped drive is USM0003', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    writeFileSync(path.join(c, 'extra-rules.xml'), readFileSync(path.join(s.xml, 'MigDocs.xml')))
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: path.join(s.dir, 'logs'), _SMSTSMachineName: 'PC', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink' })
    const base = ['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--at-risk', 'warn', '--json']
    const bad = await runCli([...base, '--rules', 'D:\\extra-rules.xml'])
    const doc = parseJsonOutput<{ status: string; error?: { code: string; message: string } }>(bad.stdout)
    expect(doc.error?.code, bad.stdout).to.equal('USM0003')
    expect(doc.error?.message).to.include('map drive D:')
    // The store path goes through the same map: an unmapped drive is USM0003, for capture and restore.
    for (const [step, argv] of [
      ['capture', ['capture', '--ts-env', `json:${envFile}`, '--store', 'D:\\UserState', ...base.slice(3)]],
      ['restore', ['restore', '--ts-env', `json:${envFile}`, '--store', 'D:\\UserState', '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json']],
    ] as const) {
      const r = await runCli([...argv])
      const d = parseJsonOutput<{ error?: { code: string; message: string } }>(r.stdout)
      expect(d.error?.code, `${step}: ${r.stdout}`).to.equal('USM0003')
      expect(d.error?.message, step).to.include('map drive D:')
    }
    expect(existsSync(path.join(s.dir, 'D:\\UserState')) || existsSync(path.join(process.cwd(), 'D:\\UserState'))).to.equal(false)
    const ok = await runCli([...base, '--rules', 'C:\\extra-rules.xml'])
    expect(ok.exitCode, ok.stdout + ok.stderr).to.be.oneOf([0, 3])
    expect(readFileSync(path.join(s.dir, 'logs', 'scanstate.log'), 'utf8')).to.include(`Script file specified: ${path.join(c, 'extra-rules.xml')}`)
  })
})
