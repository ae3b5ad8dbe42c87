import { expect } from 'chai'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseJsonOutput, PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { estimateStore } from '../../../src/plan/estimate.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

interface PlanDoc {
  status: string
  result?: { storeType: string; rule: string; reasons: string[]; rejected: Array<{ reason: string }>; variables: Record<string, string>; inputs: { estimateBytes: number | null; estimateSource: string | null } }
  error?: { code: string; data: { decision: { rejected: Array<{ reason: string }>; inputs: { estimateBytes: number | null } } } }
}

const SAMPLE_C = path.join(PROJECT_ROOT, 'samples', 'machine', 'C')
const SAMPLE_USERS = path.join(PROJECT_ROOT, 'samples', 'machine', 'users.json')
const SAMPLE_RULES = path.join(PROJECT_ROOT, 'samples', 'rules', 'usmt-steps-sample.xml')

/** Bytes of the regular files below a folder; junctions (symlinks here) are not followed, as USMT does not. */
function bytesBelow(dir: string): number {
  let n = 0
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e)
    const s = lstatSync(p)
    n += s.isDirectory() ? bytesBelow(p) : s.isFile() ? s.size : 0
  }
  return n
}

describe('plan: the size estimate from the rule engine (--volume, --rules, --users)', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-plan-est-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, data: unknown): string => {
    const f = path.join(dir, name)
    writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data))
    return f
  }
  const plan = async (argv: string[], vars: Record<string, string> = {}): Promise<{ exitCode: number; doc: PlanDoc; env: Record<string, string> }> => {
    const env = write(`env-${Math.random().toString(36).slice(2)}.json`, vars)
    const r = await runCli(['plan', '--ts-env', `json:${env}`, ...argv, '--json', '--log-dir', dir])
    return { exitCode: r.exitCode, doc: parseJsonOutput<PlanDoc>(r.stdout), env: JSON.parse(readFileSync(env, 'utf8')) as Record<string, string> }
  }

  it('with --rules: the same number rules estimate reports, recorded with its source and written for store request', async () => {
    const est = await runCli(['rules', 'estimate', '--rules', SAMPLE_RULES, '--volume', `C=${SAMPLE_C}`, '--users', SAMPLE_USERS, '--json'])
    const expected = (JSON.parse(est.stdout) as { result: { totals: { bytes: number; files: number } } }).result.totals
    expect(expected.files).to.be.greaterThan(10)
    const policy = write('policy.yaml', 'stores:\n  shares: [\\\\fs1\\migstore]\n')
    const r = await plan(['--scenario', 'replace', '--policy', policy, '--volume', `C=${SAMPLE_C}`, '--rules', SAMPLE_RULES, '--users', SAMPLE_USERS])
    expect(r.exitCode, JSON.stringify(r.doc)).to.equal(0)
    expect(r.doc.result?.inputs.estimateBytes).to.equal(expected.bytes)
    expect(r.doc.result?.inputs.estimateSource).to.match(new RegExp(`^engine: ${expected.files} files of 4 user\\(s\\) on C:, rules usmt-steps-sample\\.xml$`))
    expect(r.doc.result?.reasons.join('\n')).to.contain(`size estimate ${expected.bytes} bytes (engine: ${expected.files} files`)
    expect(r.env.USMTStepsPlanEstimateBytes).to.equal(String(expected.bytes))
  })

  it('rules come from USMTStepsRules (the variable capture reads) when --rules is absent', async () => {
    const withFlag = await plan(['--volume', `C=${SAMPLE_C}`, '--rules', SAMPLE_RULES, '--users', SAMPLE_USERS, '--scenario', 'replace', '--policy', write('p.yaml', 'stores:\n  shares: [\\\\fs1\\m]\n')])
    const fromVar = await plan(['--volume', `C=${SAMPLE_C}`, '--users', SAMPLE_USERS, '--scenario', 'replace', '--policy', write('p2.yaml', 'stores:\n  shares: [\\\\fs1\\m]\n')], { USMTStepsRules: SAMPLE_RULES })
    expect(fromVar.doc.result?.inputs.estimateBytes).to.equal(withFlag.doc.result?.inputs.estimateBytes)
    expect(fromVar.doc.result?.inputs.estimateSource).to.contain('rules usmt-steps-sample.xml')
  })

  it('without rules: every file of every migrated profile (an upper bound), said so', async () => {
    const e = await estimateStore({ volumes: VolumeMap.parse([`C=${SAMPLE_C}`]), ruleFiles: [], usersFile: SAMPLE_USERS })
    // newhire never logged on and is not migrated; the four others are, with every file of their profiles.
    const expected = ['ann', 'jdoe', 'olduser', 'KimAkers'].reduce((a, u) => a + bytesBelow(path.join(SAMPLE_C, 'Users', u)), 0)
    expect(e.bytes).to.equal(expected)
    expect(e.users).to.equal(4)
    expect(e.source).to.match(/no --rules: an upper bound/)
    const withRules = await estimateStore({ volumes: VolumeMap.parse([`C=${SAMPLE_C}`]), ruleFiles: [SAMPLE_RULES], usersFile: SAMPLE_USERS })
    expect(withRules.bytes).to.be.greaterThan(0).and.lessThan(e.bytes)
  })

  it('the hard-link free-space check uses the engine\'s size: one byte short is refused, exactly enough is taken', async () => {
    // A machine whose profile holds 3 MiB; the policy needs free ≥ 0 + 1.0 × estimate so the estimate alone decides.
    const c = path.join(dir, 'C')
    mkdirSync(path.join(c, 'Users', 'bob', 'Documents'), { recursive: true })
    writeFileSync(path.join(c, 'Users', 'bob', 'NTUSER.DAT'), Buffer.alloc(4096, 1))
    writeFileSync(path.join(c, 'Users', 'bob', 'Documents', 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7))
    const size = 3 * 1024 * 1024 + 4096
    const policy = write('policy.yaml', 'stores:\n  hardLink: { minFree: 0, overheadRatio: 1.0 }\n  fallbackToNetwork: false\n')
    const facts = (free: number): string => write(`facts-${free}.json`, { systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 10 * size, freeBytes: free, bitLocker: 'off' }] })
    const vars = { _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState' }
    const short = await plan(['--facts', facts(size - 1), '--policy', policy, '--volume', `C=${c}`], vars)
    expect(short.exitCode).to.equal(14)
    expect(short.doc.error?.code).to.equal('USM0403')
    expect(short.doc.error?.data.decision.inputs.estimateBytes).to.equal(size)
    expect(short.doc.error?.data.decision.rejected[0].reason).to.match(/needs 4 MB \(0 bytes reserve \+ 100% of the 4 MB estimate\)/)
    const enough = await plan(['--facts', facts(size), '--policy', policy, '--volume', `C=${c}`], vars)
    expect(enough.exitCode, JSON.stringify(enough.doc)).to.equal(0)
    expect(enough.doc.result).to.include({ storeType: 'hardlink', rule: 'refresh-hardlink' })
  })

  it('a given estimate wins and the engine is not asked (--estimate-bytes, USMTStepsEstimateBytes, the facts)', async () => {
    // A rules file that does not exist would fail the engine: a given estimate must never reach it.
    const missing = path.join(dir, 'missing.xml')
    const policy = write('p.yaml', 'stores:\n  shares: [\\\\fs1\\m]\n')
    const base = ['--scenario', 'replace', '--policy', policy, '--volume', `C=${SAMPLE_C}`, '--rules', missing]
    const flag = await plan([...base, '--estimate-bytes', '12345'])
    expect(flag.doc.result?.inputs).to.include({ estimateBytes: 12345, estimateSource: '--estimate-bytes' })
    const variable = await plan(base, { USMTStepsEstimateBytes: '777' })
    expect(variable.doc.result?.inputs).to.include({ estimateBytes: 777, estimateSource: 'USMTStepsEstimateBytes' })
    const facts = write('facts.json', { volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 100, freeBytes: 50 }], estimateBytes: 42 })
    const fromFacts = await plan([...base, '--facts', facts])
    expect(fromFacts.doc.result?.inputs).to.include({ estimateBytes: 42, estimateSource: 'facts' })
    // …and without any estimate the engine runs and the missing rules file is reported.
    const broken = await plan(base)
    expect(broken.exitCode).to.not.equal(0)
    expect(JSON.stringify(broken.doc)).to.contain('missing.xml')
  })

  it('without --volume there is no estimate (the Windows probe does not map volumes)', async () => {
    const facts = write('facts.json', { volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 100e9, freeBytes: 50e9 }] })
    const r = await plan(['--facts', facts, '--rules', SAMPLE_RULES], { _SMSTSUserStatePath: 'C:\\S' })
    expect(r.doc.result?.inputs).to.include({ estimateBytes: null, estimateSource: null })
    expect(r.env.USMTStepsPlanEstimateBytes ?? '').to.equal('')
  })
})
