import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { factsFromObject, probeWindows } from '../../../src/plan/facts.js'
import { parsePolicy } from '../../../src/plan/policy.js'

describe('plan command, policy and facts', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-plan-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const write = (name: string, data: unknown): string => {
    const f = path.join(dir, name)
    writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data))
    return f
  }
  const FACTS = { inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 100e9, freeBytes: 50e9, bitLocker: 'off' }], estimateBytes: 5e9 }

  it('prints the decision record in the issue\'s shape and writes the variables to the task sequence', async () => {
    const env = write('env.json', { _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', UserPassword: 'Hunter2!x' })
    const r = await runCli(['plan', '--ts-env', `json:${env}`, '--facts', write('facts.json', FACTS), '--json', '--log-dir', dir])
    expect(r.exitCode).to.equal(0)
    const doc = parseJsonOutput<{ status: string; result: Record<string, unknown> }>(r.stdout)
    expect(doc.status).to.equal('success')
    expect(doc.result).to.include({ storeType: 'hardlink', storePath: 'C:\\_SMSTaskSequence\\UserState', rule: 'refresh-hardlink' })
    expect(doc.result.reasons).to.be.an('array').that.is.not.empty
    expect(doc.result.variables).to.include({ OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTStepsStoreType: 'hardlink' })
    const vars = JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>
    expect(vars).to.include({ OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', USMTLocal: 'True', USMTStepsHardLink: 'true', USMTStepsLastResult: 'Success' })
    const log = readFileSync(path.join(dir, 'usmt-steps.log'), 'utf8')
    expect(log).to.match(/decision record: \{"storeType":"hardlink"/)
    expect(log).not.to.contain('Hunter2!x')
  })

  it('fails with USM0402 / exit 14 and the record in the error data when replace has no network store', async () => {
    const env = write('env.json', { DeploymentType: 'REPLACE' })
    const policy = write('policy.yaml', 'stores:\n  allowedStores: [share, smp]\n')
    const r = await runCli(['plan', '--ts-env', `json:${env}`, '--facts', write('facts.json', FACTS), '--policy', policy, '--json', '--log-dir', dir])
    expect(r.exitCode).to.equal(14)
    const doc = parseJsonOutput<{ error: { code: string; data: { decision: { rejected: unknown[] } } } }>(r.stdout)
    expect(doc.error.code).to.equal('USM0402')
    expect(doc.error.data.decision.rejected).to.have.length(3)
    expect(JSON.parse(readFileSync(env, 'utf8'))).to.include({ USMTStepsLastResult: 'Failed', USMTStepsLastErrorCode: 'USM0402' })
  })

  it('probes mapped volumes with statfs on Linux (--volume)', async () => {
    const env = write('env.json', {})
    const r = await runCli(['plan', '--ts-env', `json:${env}`, '--volume', `C=${dir}`, '--json', '--log-dir', dir])
    const doc = parseJsonOutput<{ status: string; result?: { rejected: Array<{ reason: string }> }; error?: { data: { decision: { rejected: Array<{ reason: string }> } } } }>(r.stdout)
    // a Linux temp folder is not NTFS: the hard-link candidate is rejected for that reason, from real statfs data
    const rejected = doc.result?.rejected ?? doc.error?.data.decision.rejected ?? []
    expect(rejected[0].reason).to.match(/hard-link stores need NTFS/)
  })

  it('reads the stores: section of YAML and JSON policies with sizes and rejects unknown keys', () => {
    const y = parsePolicy('stores:\n  preferredStore: share\n  shares:\n    - path: \\\\fs1\\mig\n      maxClients: 5\n      minFree: 10GB\n    - path: \\\\fs2\\mig\n      minFree: 15%\n  retention: { restoredDays: 0 }\n', 'p.yaml')
    expect(y.shares[0]).to.deep.include({ path: '\\\\fs1\\mig', maxClients: 5, minFreeBytes: 10 * 1024 ** 3 })
    expect(y.shares[1].minFreePercent).to.equal(15)
    expect(y.retention).to.deep.equal({ restoredDays: 0, abandonedDays: 14 })
    const j = parsePolicy('{"stores":{"allowedStores":["hardlink"],"hardLink":{"minFree":"1GB","overheadRatio":0.05}}}', 'p.json')
    expect(j.hardLink).to.deep.equal({ minFreeBytes: 1024 ** 3, overheadRatio: 0.05 })
    expect(() => parsePolicy('stores:\n  sharez: []', 'p.yaml')).to.throw(/unknown key "sharez" in the "stores:" section/)
    expect(() => parsePolicy('stores:\n  shares: [ "C:\\\\x" ]', 'p.yaml')).to.throw(/UNC/)
    expect(() => parsePolicy('stores:\n  preferredStore: smp\n  allowedStores: [share]', 'p.yaml')).to.throw(/not in allowedStores/)
    expect(() => parsePolicy('stores:\n  shares: [ {path: "\\\\\\\\a\\\\b", minFree: "lots"} ]', 'p.yaml')).to.throw(/size/)
  })

  it('one policy file for every step: plan ignores the users: section; a flat file says how to convert', () => {
    const both = parsePolicy('users:\n  skipDisabled: true\n  orphans: exclude\nstores:\n  preferredStore: share\n', 'p.yaml')
    expect(both.preferredStore).to.equal('share')
    expect(parsePolicy('users:\n  skipDisabled: true\n', 'p.yaml').source).to.equal('p.yaml')
    let err: unknown
    try { parsePolicy('preferredStore: share\nskipDisabled: true\n', 'old.yaml') } catch (e) { err = e }
    expect(err).to.have.property('code', 'USM0400')
    expect((err as Error).message).to.match(/old\.yaml is a flat policy file/)
    expect((err as Error).message).to.contain('put preferredStore under "stores:"').and.to.contain('put skipDisabled under "users:"')
    expect(() => parsePolicy('user:\n  skipDisabled: true\n', 'p.yaml')).to.throw(/unknown section "user"/)
  })

  it('validates facts and parses the Windows probe output (one volume collapses to an object in ConvertTo-Json)', async () => {
    expect(() => factsFromObject({ volumes: [{ letter: 'C', fileSystem: 'NTFS', totalBytes: 1, freeBytes: 2 }] }, 'f.json')).to.throw(/larger than totalBytes/)
    expect(() => factsFromObject({ volumes: {} }, 'f.json')).to.throw(/"volumes" must be a list/)
    const seen: string[][] = []
    const f = await probeWindows({
      env: { USMT_STEPS_POWERSHELL: 'powershell.exe' },
      runner: async (_host, argv) => {
        seen.push(argv)
        return { exitCode: 0, stderr: '', stdout: 'noise\r\n{"inWinPE":true,"systemDrive":"D:","profilesVolume":"D:","computerName":"MININT-1","volumes":{"letter":"D:","fileSystem":"NTFS","totalBytes":100,"freeBytes":50,"bitLocker":"suspended","label":"OS","removable":false},"source":"probe:powershell"}\r\n' }
      },
    })
    expect(f).to.deep.include({ inWinPE: true, systemDrive: 'D:', computerName: 'MININT-1', source: 'probe:powershell' })
    expect(f.volumes[0]).to.include({ letter: 'D:', bitLocker: 'suspended' })
    expect(seen[0]).to.include('-EncodedCommand')
  })
})
