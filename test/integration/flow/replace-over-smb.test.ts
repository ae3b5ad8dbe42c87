import { expect } from 'chai'
import { createHash, randomBytes } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, PROJECT_ROOT, runCli, type CliResult } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { requireSamba, startSamba, type SambaServer } from '../../helpers/samba.js'
import { redactor } from '../../../src/runtime/redact.js'
import type { StoreRecord } from '../../../src/share-store/records.js'

/**
 * The whole replace scenario, as a task sequence runs it, over a real Samba (signing mandatory, SMB3 only):
 *
 *   old PC: plan --scenario replace → store request --type capture → capture → store release --type capture
 *   admin:  store associate --source OLDPC --destination NEWPC
 *   new PC: store request --type restore → restore (OSDMigrateLocalAccounts=true) → store release --type restore
 *
 * The old PC logs on with the network access account (_SMSTSReserved1-000/_SMSTSReserved2-000, as ConfigMgr
 * sets them), the new PC with MDT's UserID/UserPassword. Every file the rules select on the old PC must be on the
 * new PC byte for byte, and neither the store key nor the SMB password may appear anywhere a step writes.
 */

interface Doc { status: string; result: Record<string, unknown>; warnings: string[]; error?: { code: string; message: string } }

const SAMPLE = path.join(PROJECT_ROOT, 'samples', 'machine')
const RULES = path.join(PROJECT_ROOT, 'samples', 'rules', 'usmt-steps-sample.xml')

function walk(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else out.push(p)
  }
  return out
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

/**
 * Each step of a task sequence is its own process with its own redactor. runCli runs the steps in this process,
 * so the redactor is emptied before each step: a step that failed to register a secret it reads could otherwise
 * be covered by a secret an earlier step registered.
 */
function freshRedactor(secrets: readonly string[]): void {
  redactor.reset()
  expect(redactor.size, 'redactor emptied').to.equal(0)
  for (const s of secrets) expect(redactor.redact(s), 'redactor emptied').to.equal(s)
}

/** Watches /proc for the children the steps start (smbclient, the portable scanstate/loadstate) and keeps their argv. */
function watchChildren(markers: readonly string[]): { all: () => string[]; stop: () => Promise<void> } {
  const seen = new Set<string>()
  let running = true
  const loop = (async () => {
    while (running) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
          if (/smbclient|scanstate|loadstate|usmtutils/.test(cmd) && markers.some((m) => cmd.includes(m))) seen.add(cmd)
        } catch { /* the process ended */ }
      }
      await new Promise((r) => setTimeout(r, 15))
    }
  })()
  return { all: () => [...seen], stop: async () => { running = false; await loop } }
}

describe('replace scenario over a real Samba: plan → request → capture → release → associate → request → restore → release', function () {
  this.timeout(600000)
  let smb: SambaServer
  let t: ReturnType<typeof tempDir>

  before(async function () {
    requireSamba(this)
    smb = await startSamba({ shares: ['migstore'] })
    t = tempDir('usmt-steps-flow-')
  })
  after(async () => {
    await smb?.dispose()
    t?.cleanup()
  })

  it('moves every file the rules select to the new PC, byte for byte, with no secret in any output', async () => {
    const KEY = 'Flow-store-key-7c1e9a2f'
    const PASSWORD = smb.password
    const oldPc = path.join(t.dir, 'old-pc')
    cpSync(SAMPLE, oldPc, { recursive: true })
    const newPc = path.join(t.dir, 'new-pc')
    mkdirSync(path.join(newPc, 'C', 'Users'), { recursive: true })
    mkdirSync(path.join(newPc, 'D'), { recursive: true })
    const oldVolumes = ['--volume', `C=${path.join(oldPc, 'C')}`, '--volume', `D=${path.join(oldPc, 'D')}`]
    const newVolumes = ['--volume', `C=${path.join(newPc, 'C')}`, '--volume', `D=${path.join(newPc, 'D')}`]
    const users = path.join(oldPc, 'users.json')

    const policy = path.join(t.dir, 'policy.yaml')
    writeFileSync(policy, [
      'stores:',
      '  allowedStores: [share]',
      '  encryptNetworkStores: true',
      '  retention: { restoredDays: 3, abandonedDays: 14 }',
      '  shares:',
      `    - path: '${smb.unc()}'`,
      `      port: ${smb.port}`,
      '      maxClients: 10',
      '      minFree: 1MB',
      '',
    ].join('\n'))
    const common = { USMTStepsPolicy: policy, USMTStepsStoreTransport: 'smbclient', USMTStepsEncryptionKey: KEY, OSDStateSMPRetryTime: '0' }
    const envOld = path.join(t.dir, 'old-env.json')
    writeFileSync(envOld, JSON.stringify({
      ...common, _SMSTSMachineName: 'OLDPC', _SMSTSLogPath: path.join(t.dir, 'old-logs'),
      // ConfigMgr's network access account (the -000 suffix since ConfigMgr supports several accounts).
      '_SMSTSReserved1-000': smb.user, '_SMSTSReserved2-000': PASSWORD, OSDStateFallbackToNAA: 'true',
    }, null, 2))
    const envNew = path.join(t.dir, 'new-env.json')
    writeFileSync(envNew, JSON.stringify({
      ...common, _SMSTSMachineName: 'NEWPC', _SMSTSLogPath: path.join(t.dir, 'new-logs'), OSDMigrateLocalAccounts: 'true',
      UserID: smb.user, UserDomain: 'WORKGROUP', UserPassword: PASSWORD,
    }, null, 2))
    const envAdmin = path.join(t.dir, 'admin-env.json')
    writeFileSync(envAdmin, JSON.stringify({ ...common, _SMSTSLogPath: path.join(t.dir, 'admin-logs'), UserID: smb.user, UserPassword: PASSWORD }, null, 2))
    const vars = (f: string): Record<string, string> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, string>
    const record = (id: string): StoreRecord => JSON.parse(readFileSync(path.join(smb.shareDir(), id, 'store.json'), 'utf8')) as StoreRecord

    const outputs: Array<{ step: string; text: string }> = []
    let dataKey = ''
    const children = watchChildren([String(smb.port), t.dir])
    const step = async (name: string, argv: string[], env: string): Promise<Doc> => {
      freshRedactor([KEY, PASSWORD])
      const r: CliResult = await runCli([...argv, '--ts-env', `json:${env}`, '--json'])
      outputs.push({ step: name, text: r.stdout }, { step: name, text: r.stderr })
      expect(r.exitCode, `${name}: ${r.stdout}${r.stderr}`).to.equal(0)
      return parseJsonOutput<Doc>(r.stdout)
    }

    try {
      // What the rules select on the old PC, before anything runs: Windows path → sha256.
      const preview = await step('rules preview', ['rules', 'preview', '--rules', RULES, ...oldVolumes, '--users', users], envOld)
      // Files only: the sample rules also select registry settings (type 'registry'), which are not files on a volume.
      const included = (preview.result as { included: Array<{ path: string; bytes: number; type: string }> }).included.filter((f) => f.type === 'file')
      const expected = new Map(included.map((f) => [f.path, sha(path.join(oldPc, f.path[0], ...f.path.slice(3).split('\\')))]))
      expect(expected.size).to.be.greaterThan(20)
      expect([...expected.keys()].some((p) => p.startsWith('D:\\'))).to.equal(true)
      const selectedBytes = included.reduce((a, f) => a + f.bytes, 0)

      // ---- old PC
      const plan = await step('plan', ['plan', '--scenario', 'replace', ...oldVolumes, '--rules', RULES, '--users', users], envOld)
      expect(plan.result).to.include({ storeType: 'share', storePath: null, rule: 'network-policy-share', scenario: 'replace' })
      expect((plan.result.inputs as { estimateBytes: number }).estimateBytes, 'plan estimated the store with the engine').to.equal(selectedBytes)
      expect(vars(envOld)).to.include({ USMTStepsStoreType: 'share', USMTStepsStoreRequest: 'true', USMTStepsEncrypt: 'true', USMTStepsScenario: 'replace', USMTStepsPlanEstimateBytes: String(selectedBytes) })
      expect(vars(envOld).OSDStateStorePath ?? '', 'store request sets it').to.equal('')

      const stage = path.join(t.dir, 'old-stage')
      const req = await step('store request (capture)', ['store', 'request', '--type', 'capture', '--local-path', stage], envOld)
      const id = (req.result.store as StoreRecord).id
      expect(vars(envOld)).to.include({ OSDStateStorePath: `${smb.unc()}\\${id}`, USMTStepsStoreLocalPath: stage, USMTStepsStoreRequestType: 'capture', USMTStepsStoreId: id })
      expect(record(id)).to.deep.include({ state: 'requested', encrypted: true, destination: null })
      expect(record(id).source.computerName).to.equal('OLDPC')
      // A key of its own (issue #19): next to the store only its data key wrapped by the escrow key (KEY), and the
      // same document in the staging folder, where the capture finds it.
      const keyDoc = JSON.parse(readFileSync(path.join(smb.shareDir(), id, 'store-key.json'), 'utf8')) as { storeId: string; escrow: { escrowId: string } }
      expect(keyDoc.storeId).to.equal(id)
      expect(readFileSync(path.join(stage, 'store-key.json'), 'utf8')).to.equal(readFileSync(path.join(smb.shareDir(), id, 'store-key.json'), 'utf8'))

      const cap = await step('capture', ['capture', ...oldVolumes, '--engine', 'portable', '--rules', RULES, '--users', users, '--computer', 'PC'], envOld)
      expect(cap.result).to.include({ storeKind: 'compressed', encrypted: true, storePath: stage })
      expect(existsSync(path.join(stage, 'USMT', 'USMT.MIG'))).to.equal(true)
      expect(existsSync(path.join(smb.shareDir(), id, 'USMT')), 'capture wrote the staging folder, not the share').to.equal(false)

      const relCap = await step('store release (capture)', ['store', 'release'], envOld)
      expect((relCap.result.store as StoreRecord).state).to.equal('captured')
      const captured = record(id)
      expect(captured.state).to.equal('captured')
      expect(captured.capturedAt).to.be.a('string')
      const manifest = JSON.parse(readFileSync(path.join(smb.shareDir(), id, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; size: number; sha256: string }> }
      for (const f of walk(stage)) {
        const rel = path.relative(stage, f).split(path.sep).join('/')
        const entry = manifest.files.find((m) => m.path === rel)
        expect(entry, `${rel} is in the manifest`).to.not.equal(undefined)
        expect(sha(path.join(smb.shareDir(), id, rel)), `${rel} on the share`).to.equal(entry?.sha256)
      }
      expect(manifest.files.map((m) => m.path)).to.include('USMT/USMT.MIG')
      expect(readFileSync(path.join(t.dir, 'old-logs', 'usmt-steps.log'), 'utf8')).to.match(/has its own data key \(store-key\.json\); opened with the escrow key/)

      // ---- the admin recovers the store's data key with the escrow key, from a key file only
      const escrowFile = path.join(t.dir, 'escrow.key')
      writeFileSync(escrowFile, KEY, { mode: 0o600 })
      const dataKeyFile = path.join(t.dir, 'store.key')
      const rec = await step('store recover-key', ['store', 'recover-key', '--store', `${smb.unc()}\\${id}`, '--escrow-key-file', escrowFile, '--out', dataKeyFile], envAdmin)
      expect(rec.result).to.deep.include({ storeId: id, out: dataKeyFile, escrowId: keyDoc.escrow.escrowId })
      dataKey = readFileSync(dataKeyFile, 'utf8')
      expect(dataKey).to.have.length(43)
      expect(dataKey).to.not.equal(KEY)
      // The data key opens the store; the escrow key, never used on data, does not; nor does another store's key.
      const mig = path.join(smb.shareDir(), id, 'USMT', 'USMT.MIG')
      const verify = async (keyFile: string): Promise<number> => (await runCli(['usmtutils', '/verify', mig, '/decrypt', `/keyfile:${keyFile}`])).exitCode
      expect(await verify(dataKeyFile), 'the data key opens its store').to.equal(0)
      expect(await verify(escrowFile), 'the escrow key does not open the data').to.not.equal(0)
      const otherKey = path.join(t.dir, 'other.key')
      writeFileSync(otherKey, randomBytes(32).toString('base64url'), { mode: 0o600 })
      expect(await verify(otherKey), 'another store\'s key does not open it').to.not.equal(0)

      // ---- the admin associates the computers (the SMP's computer association, kept on the share)
      await step('store associate', ['store', 'associate', '--source', 'OLDPC', '--destination', 'NEWPC'], envAdmin)
      expect(existsSync(path.join(smb.shareDir(), '.usmt-steps', 'associations', 'OLDPC__NEWPC.json'))).to.equal(true)

      // ---- new PC
      const down = path.join(t.dir, 'new-stage')
      const rr = await step('store request (restore)', ['store', 'request', '--type', 'restore', '--local-path', down], envNew)
      expect(rr.result).to.include({ storePath: `${smb.unc()}\\${id}`, association: 'OLDPC__NEWPC' })
      expect(vars(envNew)).to.include({ OSDStateStorePath: `${smb.unc()}\\${id}`, USMTStepsStoreLocalPath: down, USMTStepsStoreRequestType: 'restore', USMTStepsEncrypt: 'true' })
      expect(sha(path.join(down, 'USMT', 'USMT.MIG'))).to.equal(sha(path.join(stage, 'USMT', 'USMT.MIG')))
      expect(record(id).history.map((h) => h.event)).to.deep.equal(['requested', 'captured', 'restore-requested'])

      const res = await step('restore', ['restore', ...newVolumes, '--engine', 'portable', '--rules', RULES], envNew)
      expect(res.result).to.include({ storeKind: 'compressed', encrypted: true, verified: true, storePath: down })
      expect(res.result.users).to.include.members(['PC\\ann', 'CONTOSO\\jdoe'])

      const relRes = await step('store release (restore)', ['store', 'release'], envNew)
      const restored = record(id)
      expect((relRes.result.store as StoreRecord).state).to.equal('restored')
      expect(restored).to.deep.include({ state: 'restored', slot: null })
      expect(Date.parse(restored.retainUntil ?? '') - Date.parse(restored.restoredAt ?? '')).to.equal(3 * 86_400_000)
      expect(restored.history.map((h) => h.event)).to.deep.equal(['requested', 'captured', 'restore-requested', 'restored'])
      expect(readdirSync(path.join(smb.shareDir(), '.usmt-steps', 'slots'))).to.deep.equal([])
      // The store on the share now holds both sides' logs: the restore's were uploaded at release.
      expect(readdirSync(path.join(smb.shareDir(), id, 'Logs'))).to.include.members(['scanstate.log', 'usmt-steps-capture.json', 'loadstate.log', 'loadstate-progress.log'])
      expect(readFileSync(path.join(smb.shareDir(), id, 'Logs', 'loadstate.log'))).to.deep.equal(readFileSync(path.join(t.dir, 'new-logs', 'loadstate.log')))

      // Every file the rules selected on the old PC is on the new PC, byte for byte.
      const notBack = [...expected].filter(([p, sum]) => {
        const local = path.join(newPc, p[0], ...p.slice(3).split('\\'))
        return !existsSync(local) || sha(local) !== sum
      }).map(([p]) => p)
      expect(notBack, 'selected files not back byte for byte').to.deep.equal([])
    } finally {
      await children.stop()
    }

    // ---- no secret anywhere: stdout/--json of every step, every log and run record, the staging folders,
    // the share (store record, manifest, copied logs), and the argv of every child seen in /proc.
    const argvSeen = children.all()
    expect(argvSeen.some((a) => a.includes('smbclient')), 'smbclient children were observed').to.equal(true)
    expect(argvSeen.some((a) => /scanstate/.test(a)), 'the portable scanstate child was observed').to.equal(true)
    const files = [...walk(path.join(t.dir, 'old-logs')), ...walk(path.join(t.dir, 'new-logs')), ...walk(path.join(t.dir, 'admin-logs')),
      ...walk(path.join(t.dir, 'old-stage')), ...walk(path.join(t.dir, 'new-stage')), ...walk(smb.shareDir())]
    expect(files.filter((f) => /usmt-steps-(capture|restore)\.json$/.test(f)).length, 'run records were written').to.be.greaterThan(1)
    expect(files.some((f) => f.endsWith('scanstate.log')) && files.some((f) => f.endsWith('loadstate.log'))).to.equal(true)
    expect(dataKey, 'the data key was recovered').to.have.length(43)
    const secrets = [KEY, PASSWORD, Buffer.from(KEY).toString('base64'), Buffer.from(PASSWORD).toString('base64'), dataKey, Buffer.from(dataKey).toString('base64'), Buffer.from(dataKey).toString('hex')]
    const haystacks = [
      ...outputs.map((o) => ({ where: `${o.step} output`, text: Buffer.from(o.text) })),
      ...files.map((f) => ({ where: f, text: readFileSync(f) })),
      ...argvSeen.map((a) => ({ where: `argv ${a.slice(0, 120)}`, text: Buffer.from(a) })),
    ]
    for (const h of haystacks) for (const s of secrets) expect(h.text.includes(s), `secret found in ${h.where}`).to.equal(false)
  })
})
