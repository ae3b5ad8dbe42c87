/**
 * The proof after the restore, on real stores written by the portable tools: a clean round trip proves every
 * stored file; a file removed or altered between loadstate and the proof (through the restore service's hook,
 * which only a caller of the service can set) is reported as missing/changed with its path and fails the step
 * under the default policy, keeping the store.
 */
import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import type { StepContext } from '../../../src/cli/step-command.js'
import Restore from '../../../src/commands/restore.js'
import { runRestore } from '../../../src/steps/restore.js'
import type { RestoreHooks } from '../../../src/steps/proof-step.js'
import type { ProofPlan } from '../../../src/steps/proof.js'
import { openStore } from '../../../src/store/store.js'
import { parseJsonOutput, runCli, type CommandClass } from '../../helpers/cli.js'
import { copySampleMachine, readEnv, writeEnv, stepSuite } from './helpers.js'

interface Bad { path: string; source: string; why: string }
interface Proof { checked: boolean; verified: number; missing: Bad[]; changed: Bad[]; methods: Record<string, number> }
interface Out { status: string; result: { proof?: Proof; storeRemoved?: boolean; storeKept?: string }; warnings: string[]; error?: { code: string; exitCode: number; message: string; data?: { proof?: Proof } } }

/** The restore command with hooks injected through the service's API (not a flag, variable or environment). */
function hookedRestore(hooks: RestoreHooks): CommandClass {
  return class HookedRestore extends Restore {
    static override id = 'restore'
    protected override async execute(ctx: StepContext): ReturnType<typeof runRestore> {
      return runRestore(ctx, hooks)
    }
  }
}

describe('restore: every stored file proven on the destination', function () {
  const s = stepSuite('usmt-steps-proof-')

  /** Capture the sample into an encrypted compressed store; an empty new machine to restore to. */
  const replace = async (): Promise<{ share: string; newC: string; envNew: string; envOld: string; key: string; stored: number }> => {
    const oldPc = copySampleMachine(path.join(s.dir, 'old'))
    const newC = path.join(s.dir, 'new', 'C')
    mkdirSync(path.join(newC, 'Users'), { recursive: true })
    const share = path.join(s.dir, 'share', 'OLDPC')
    const key = 'proof-key-8812'
    const vars = { OSDStateStorePath: share, USMTStepsStoreType: 'share', DeploymentType: 'REPLACE', USMTStepsEncryptionKey: key }
    const envOld = writeEnv(path.join(s.dir, 'old.json'), { ...vars, _SMSTSLogPath: path.join(s.dir, 'old-logs'), _SMSTSMachineName: 'OLDPC' })
    const envNew = writeEnv(path.join(s.dir, 'new.json'), { ...vars, _SMSTSLogPath: path.join(s.dir, 'new-logs'), _SMSTSMachineName: 'NEWPC', OSDMigrateLocalAccounts: 'true' })
    const cap = await runCli(['capture', '--ts-env', `json:${envOld}`, '--volume', `C=${path.join(oldPc, 'C')}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(oldPc, 'users.json'), '--json'])
    expect(cap.exitCode, cap.stdout).to.equal(0)
    const store = await openStore(share, { secret: key })
    const stored = store.catalog.files.length
    await store.close()
    return { share, newC, envNew, envOld, key, stored }
  }
  const restoreArgs = (r: { envNew: string; newC: string }): string[] => ['restore', '--ts-env', `json:${r.envNew}`, '--volume', `C=${r.newC}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json']

  it('compressed store: verified equals the files stored, by content (SHA-256 from the catalog)', async () => {
    const r = await replace()
    const res = await runCli(restoreArgs(r))
    expect(res.exitCode, res.stdout).to.equal(0)
    const proof = parseJsonOutput<Out>(res.stdout).result.proof as Proof
    expect(r.stored).to.be.greaterThan(20)
    expect(proof).to.deep.include({ checked: true, verified: r.stored, missing: [], changed: [] })
    expect(proof.methods).to.deep.equal({ content: r.stored, 'same-file': 0, 'size-time': 0, size: 0 })
    expect(readEnv(r.envNew)).to.include({ USMTStepsProofVerified: String(r.stored), USMTStepsProofMissing: '0', USMTStepsProofChanged: '0' })
    // The old PC's report, run after the new PC restored (whose record is now in the store too), is filed under the old PC's name.
    const rep = await runCli(['report', '--ts-env', `json:${r.envOld}`, '--json'])
    expect(rep.exitCode, rep.stdout).to.equal(0)
    const doc = parseJsonOutput<{ result: { summary: { computer: string; steps: Array<{ step: string; computer: string }> }; store?: string } }>(rep.stdout).result
    expect(doc.summary.steps.map((s) => `${s.step}@${s.computer}`)).to.include.members(['capture@OLDPC', 'restore@NEWPC'])
    expect(doc.summary.computer).to.equal('OLDPC')
    expect(doc.store).to.match(/usmt-steps-reports[\\/]OLDPC_\d{8}T\d{6}Z[\\/]report\.html$/)
  })

  it('a file removed and one altered before the proof: missing and changed with their paths, exit 23 (USM0318), store kept', async () => {
    const r = await replace()
    let seen: ProofPlan | undefined
    const hooks: RestoreHooks = {
      beforeProof: (plan) => {
        seen = plan
        const report = plan.items.find((i) => i.destination === 'C:\\Users\\ann\\Documents\\Report.docx')
        const contract = plan.items.find((i) => i.destination === 'C:\\Users\\jdoe\\Documents\\Contract.docx')
        if (!report || !contract) throw new Error('the restored files are not in the plan')
        rmSync(report.local)
        writeFileSync(contract.local, 'X'.repeat(contract.size))
      },
    }
    const res = await runCli(restoreArgs(r).slice(1), { command: hookedRestore(hooks) })
    expect(seen).to.not.equal(undefined)
    expect(res.exitCode, res.stdout).to.equal(23)
    const out = parseJsonOutput<Out>(res.stdout)
    expect(out.error?.code).to.equal('USM0318')
    expect(out.error?.message).to.contain('missing C:\\Users\\ann\\Documents\\Report.docx').and.contain('changed C:\\Users\\jdoe\\Documents\\Contract.docx')
    const proof = out.error?.data?.proof as Proof
    expect(proof.missing.map((m) => m.path)).to.deep.equal(['C:\\Users\\ann\\Documents\\Report.docx'])
    expect(proof.changed).to.deep.equal([{ path: 'C:\\Users\\jdoe\\Documents\\Contract.docx', source: 'C:\\Users\\jdoe\\Documents\\Contract.docx', why: 'content differs from the captured file (SHA-256)' }])
    expect(proof.verified).to.equal(r.stored - 2)
    expect(readEnv(r.envNew)).to.include({ USMTStepsProofVerified: String(r.stored - 2), USMTStepsProofMissing: '1', USMTStepsProofChanged: '1' })
    expect(existsSync(path.join(r.share, 'USMT', 'USMT.MIG'))).to.equal(true)
    // The report of the new computer: its own Proof section with the bad paths; the error is listed once.
    const rep = await runCli(['report', '--ts-env', `json:${r.envNew}`, '--json'])
    expect(rep.exitCode, rep.stdout).to.equal(0)
    const sum = parseJsonOutput<{ result: { summary: { proof: { verified: number; missing: Array<{ path: string }>; changed: Array<{ path: string }> }; problems: Array<{ kind: string; step: string }> } } }>(rep.stdout).result.summary
    expect(sum.proof.missing.map((m) => m.path)).to.deep.equal(['C:\\Users\\ann\\Documents\\Report.docx'])
    expect(sum.proof.changed.map((m) => m.path)).to.deep.equal(['C:\\Users\\jdoe\\Documents\\Contract.docx'])
    expect(sum.problems.filter((p) => p.kind === 'step' && p.step === 'restore')).to.deep.equal([])
    const page = readFileSync(path.join(s.dir, 'new-logs', 'usmt-steps-report.html'), 'utf8')
    expect(page).to.contain('id="proof"').and.contain('C:\\Users\\ann\\Documents\\Report.docx')
  })

  it('USMTStepsProofPolicy=warn: the same differences are a warning, the step succeeds and the store is kept', async () => {
    const r = await replace()
    writeEnv(r.envNew, { ...readEnv(r.envNew), USMTStepsProofPolicy: 'warn' })
    const res = await runCli(restoreArgs(r).slice(1), { command: hookedRestore({ beforeProof: (plan) => { rmSync(plan.items[0].local) } }) })
    expect(res.exitCode, res.stdout).to.equal(0)
    const out = parseJsonOutput<Out>(res.stdout)
    expect(out.status).to.equal('warning')
    expect(out.result.proof?.missing).to.have.length(1)
    expect(out.warnings.join('\n')).to.contain('1 missing and 0 changed')
  })

  it('hard-link store (refresh): every file is the store\'s own link (same inode), proven without reading; then the store is removed', async () => {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: path.join(s.dir, 'logs'), _SMSTSMachineName: 'PC', OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink', OSDMigrateLocalAccounts: 'true' })
    const cap = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--at-risk', 'warn', '--json'])
    expect(cap.exitCode, cap.stdout).to.equal(0)
    const store = await openStore(path.join(c, '_SMSTaskSequence', 'UserState'))
    const stored = store.catalog.files.length
    await store.close()
    for (const n of ['Users', 'Data', 'EngineeringDrafts', 'Tools']) rmSync(path.join(c, n), { recursive: true, force: true })
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout).to.equal(0)
    const out = parseJsonOutput<Out>(res.stdout)
    expect(out.result.proof).to.deep.include({ checked: true, verified: stored, missing: [], changed: [] })
    expect(out.result.proof?.methods).to.deep.equal({ content: 0, 'same-file': stored, 'size-time': 0, size: 0 })
    expect(out.result.storeRemoved).to.equal(true)
  })
})
