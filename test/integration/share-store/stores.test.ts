import { expect } from 'chai'
import { randomBytes, createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { execa } from 'execa'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { requireSamba, startSamba, type SambaServer } from '../../helpers/samba.js'
import { policyFromObject } from '../../../src/plan/policy.js'
import { StoreService } from '../../../src/share-store/service.js'
import { defaultSmbRunner, SmbclientTransport, type SmbRunner } from '../../../src/share-store/smbclient.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { TransportError } from '../../../src/share-store/transport.js'
import type { StoreRecord } from '../../../src/share-store/records.js'

describe('share stores over a real Samba (signing mandatory, SMB3 only)', function () {
  this.timeout(600000)
  let smb: SambaServer
  let dir: string

  before(async function () {
    requireSamba(this)
    smb = await startSamba({ shares: ['migstore', 'second'] })
  })
  after(async () => { await smb?.dispose() })
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-stores-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const creds = () => ({ username: smb.user, password: smb.password, source: 'test' })
  const shareDoc = (share: string, extra: Record<string, unknown> = {}) => ({ path: smb.unc(share), port: smb.port, ...extra })
  const service = (computer: string, doc: Record<string, unknown>, extra: Partial<ConstructorParameters<typeof StoreService>[0]> = {}) =>
    new StoreService({ policy: policyFromObject(doc, 'test'), transport: 'smbclient', computer: { computerName: computer, smbiosGuid: null, macAddresses: [] }, credentials: creds(), ...extra })
  const writePolicy = (doc: Record<string, unknown>): string => {
    const f = path.join(dir, 'policy.json')
    writeFileSync(f, JSON.stringify({ stores: doc }))
    return f
  }
  const writeEnv = (vars: Record<string, string>): string => {
    const f = path.join(dir, `env-${randomBytes(3).toString('hex')}.json`)
    writeFileSync(f, JSON.stringify({ UserID: smb.user, UserPassword: smb.password, UserDomain: 'WORKGROUP', ...vars }))
    return f
  }
  const stage = (name: string, bytes: number): { dir: string; sha: string } => {
    const d = path.join(dir, name)
    mkdirSync(path.join(d, 'USMT'), { recursive: true })
    const data = randomBytes(bytes)
    writeFileSync(path.join(d, 'USMT', 'USMT.MIG'), data)
    writeFileSync(path.join(d, 'USMT', 'mig;info.xml'), '<info/>')
    return { dir: d, sha: createHash('sha256').update(data).digest('hex') }
  }
  const recordOnDisk = (share: string, id: string): StoreRecord => JSON.parse(readFileSync(path.join(smb.shareDir(share), id, 'store.json'), 'utf8')) as StoreRecord
  const cli = async (argv: string[], env: string): Promise<{ exitCode: number; doc: { status: string; result: Record<string, unknown>; error?: { code: string; message: string } }; stdout: string; stderr: string }> => {
    const r = await runCli([...argv, '--ts-env', `json:${env}`, '--json', '--log-dir', dir, '--transport', 'smbclient', '--retry-time', '0'])
    return { exitCode: r.exitCode, doc: parseJsonOutput(r.stdout), stdout: r.stdout, stderr: r.stderr }
  }

  it('connects as the Connect To Network Folder account (SMSConnectNetworkFolderAccount/Password) when MDT credentials are absent, and never shows its password', async () => {
    const policy = writePolicy({ shares: [shareDoc('migstore')] })
    const env = path.join(dir, 'cnf-env.json')
    writeFileSync(env, JSON.stringify({ _SMSTSMachineName: 'CNFPC', SMSConnectNetworkFolderAccount: `WORKGROUP\\${smb.user}`, SMSConnectNetworkFolderPassword: smb.password }))
    const req = await cli(['store', 'request', '--type', 'capture', '--policy', policy, '--verbose'], env)
    expect(req.exitCode, req.stdout + req.stderr).to.equal(0)
    const id = (JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>).USMTStepsStoreId
    expect(recordOnDisk('migstore', id)).to.deep.include({ state: 'requested' })
    const log = readFileSync(path.join(dir, 'usmt-steps.log'), 'utf8')
    expect(log).to.include('share credentials: SMSConnectNetworkFolderAccount/SMSConnectNetworkFolderPassword')
    for (const out of [req.stdout, req.stderr, log]) expect(out).to.not.include(smb.password)
  })

  it('capture → release → associate → restore → release → prune, through the CLI steps', async () => {
    const policy = writePolicy({ shares: [shareDoc('migstore')], retention: { restoredDays: 0 } })
    const assoc = await cli(['store', 'associate', '--source', 'OLDPC', '--destination', 'NEWPC', '--users', 'CONTOSO\\ann', '--policy', policy], writeEnv({}))
    expect(assoc.exitCode, assoc.stdout).to.equal(0)
    expect(existsSync(path.join(smb.shareDir(), '.usmt-steps', 'associations', 'OLDPC__NEWPC.json'))).to.equal(true)

    const srcEnv = writeEnv({ _SMSTSMachineName: 'OLDPC' })
    const req = await cli(['store', 'request', '--type', 'capture', '--policy', policy], srcEnv)
    expect(req.exitCode, req.stdout).to.equal(0)
    const vars = JSON.parse(readFileSync(srcEnv, 'utf8')) as Record<string, string>
    const id = vars.USMTStepsStoreId
    expect(vars.OSDStateStorePath).to.equal(`${smb.unc()}\\${id}`)
    expect(recordOnDisk('migstore', id)).to.deep.include({ state: 'requested', destination: 'NEWPC', users: ['CONTOSO\\ann'] })

    // restore is refused while the store is not captured
    const early = await cli(['store', 'request', '--type', 'restore', '--policy', policy, '--local-path', path.join(dir, 'r0')], writeEnv({ _SMSTSMachineName: 'NEWPC' }))
    expect(early.exitCode).to.equal(10)
    expect(early.doc.error?.code).to.equal('USM0414')

    const staged = stage('capture', 3 * 1024 * 1024)
    const rel = await cli(['store', 'release', '--policy', policy, '--local-path', staged.dir], srcEnv)
    expect(rel.exitCode, rel.stdout).to.equal(0)
    expect(recordOnDisk('migstore', id)).to.deep.include({ state: 'captured', manifest: { files: 2, bytes: 3 * 1024 * 1024 + 7 } })
    expect(readFileSync(path.join(smb.shareDir(), id, 'USMT', 'mig;info.xml'), 'utf8')).to.equal('<info/>')

    const ver = await cli(['store', 'verify', '--deep', '--policy', policy], srcEnv)
    expect(ver.exitCode, ver.stdout).to.equal(0)
    writeFileSync(path.join(smb.shareDir(), id, 'USMT', 'mig;info.xml'), '<evil/>')
    const bad = await cli(['store', 'verify', '--deep', '--policy', policy], srcEnv)
    expect(bad.exitCode).to.equal(11)
    expect(bad.doc.error?.message).to.match(/mig;info\.xml content differs/)
    writeFileSync(path.join(smb.shareDir(), id, 'USMT', 'mig;info.xml'), '<info/>')
    // An extra file (not in the manifest sealed at release) is reported, not passed over (issue #20 item 6).
    writeFileSync(path.join(smb.shareDir(), id, 'USMT', 'evil.exe'), 'MZ')
    const extra = await cli(['store', 'verify', '--policy', policy], srcEnv)
    expect(extra.exitCode).to.equal(11)
    expect(extra.doc.error?.message).to.match(/USMT\/evil\.exe is an extra file the capture did not write/)
    rmSync(path.join(smb.shareDir(), id, 'USMT', 'evil.exe'))

    const dstEnv = writeEnv({ _SMSTSMachineName: 'NEWPC' })
    const restoreDir = path.join(dir, 'restore')
    const rr = await cli(['store', 'request', '--type', 'restore', '--policy', policy, '--local-path', restoreDir], dstEnv)
    expect(rr.exitCode, rr.stdout).to.equal(0)
    const dvars = JSON.parse(readFileSync(dstEnv, 'utf8')) as Record<string, string>
    expect(dvars).to.include({ OSDStateStorePath: `${smb.unc()}\\${id}`, USMTStepsStoreUsers: 'CONTOSO\\ann', USMTStepsStoreRequestType: 'restore' })
    expect(createHash('sha256').update(readFileSync(path.join(restoreDir, 'USMT', 'USMT.MIG'))).digest('hex')).to.equal(staged.sha)

    const slotsBefore = readdirSync(path.join(smb.shareDir(), '.usmt-steps', 'slots'))
    const rel2 = await cli(['store', 'release', '--policy', policy], dstEnv)
    expect(rel2.exitCode, rel2.stdout).to.equal(0)
    expect(recordOnDisk('migstore', id).state).to.equal('restored')
    expect(readdirSync(path.join(smb.shareDir(), '.usmt-steps', 'slots')).length).to.equal(slotsBefore.length - 1)

    const list = await cli(['store', 'list', '--policy', policy], writeEnv({}))
    const shares = list.doc.result.shares as Array<{ stores: Array<{ id: string; state: string }>; associations: unknown[] }>
    expect(shares[0].stores.find((s) => s.id === id)?.state).to.equal('restored')
    expect(shares[0].associations).to.have.length(1)

    const dry = await cli(['store', 'prune', '--dry-run', '--policy', policy], writeEnv({}))
    expect((dry.doc.result.deleted as unknown[]).length).to.be.greaterThan(0)
    expect(existsSync(path.join(smb.shareDir(), id))).to.equal(true)
    const pr = await cli(['store', 'prune', '--policy', policy], writeEnv({}))
    expect(pr.exitCode).to.equal(0)
    expect((pr.doc.result.deleted as Array<{ store: string }>).map((d) => d.store)).to.include(`${smb.unc()}\\${id}`)
    expect(existsSync(path.join(smb.shareDir(), id))).to.equal(false)
  })

  // A store damaged on the share after release (same size): the download hashes what the restore would not check
  // itself and fails it with USM0415; the portable container is checked for size only, and the restore that reads it
  // refuses the damaged file (USM0212) — the damage is caught once either way, and no restore reports success.
  it('a store damaged on the share: a foreign file fails the download (USM0415); the portable container fails the restore that reads it (USM0212)', async () => {
    const policy = writePolicy({ shares: [shareDoc('migstore')] })
    const flipByte = (file: string, at: number): void => {
      const b = readFileSync(file)
      b[at] ^= 0xff
      writeFileSync(file, b)
    }
    const released = async (computer: string, fill: (stageDir: string) => Promise<void>): Promise<{ env: string; id: string }> => {
      const env = writeEnv({ _SMSTSMachineName: computer })
      expect((await cli(['store', 'request', '--type', 'capture', '--policy', policy], env)).exitCode).to.equal(0)
      const id = (JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>).USMTStepsStoreId
      const stageDir = path.join(dir, `stage-${computer}`)
      await fill(stageDir)
      const rel = await cli(['store', 'release', '--policy', policy, '--local-path', stageDir], env)
      expect(rel.exitCode, rel.stdout).to.equal(0)
      return { env, id }
    }

    const foreign = await released('FOREIGNPC', async (d) => { stage(path.basename(d), 256 * 1024) })
    flipByte(path.join(smb.shareDir(), foreign.id, 'USMT', 'USMT.MIG'), 100_000)
    const bad = await cli(['store', 'request', '--type', 'restore', '--policy', policy, '--local-path', path.join(dir, 'down-foreign')], foreign.env)
    expect(bad.exitCode, bad.stdout).to.equal(11)
    expect(bad.doc.error?.code).to.equal('USM0415')
    expect(bad.doc.error?.message).to.match(/USMT\/USMT\.MIG of .* differs from the manifest after download/)

    // A real portable store: scanstate of two files, encrypted with a key file.
    const src = path.join(dir, 'pc')
    mkdirSync(path.join(src, 'Data'), { recursive: true })
    const big = randomBytes(3 * 1024 * 1024)
    writeFileSync(path.join(src, 'Data', 'big.bin'), big)
    writeFileSync(path.join(src, 'Data', 'small.txt'), 'small and intact')
    const rules = path.join(dir, 'data.xml')
    writeFileSync(rules, '<?xml version="1.0"?><migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/t"><component type="Documents" context="System"><displayName>T</displayName><role role="Data"><rules><include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include></rules></role></component></migration>')
    const key = path.join(dir, 'key.txt')
    writeFileSync(key, 'test key\n')
    const own = await released('OWNPC', async (d) => {
      const r = await runCli(['scanstate', '--volume', `C=${src}`, '--computer', 'PC', d, `/i:${rules}`, '/encrypt', `/keyfile:${key}`, '/o'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    })
    const mig = path.join(smb.shareDir(), own.id, 'USMT', 'USMT.MIG')
    flipByte(mig, Math.floor(statSync(mig).size / 2))
    const down = path.join(dir, 'down-own')
    const rr = await cli(['store', 'request', '--type', 'restore', '--policy', policy, '--local-path', down, '--verbose'], own.env)
    expect(rr.exitCode, rr.stdout).to.equal(0)
    expect(readFileSync(path.join(dir, 'usmt-steps.log'), 'utf8')).to.match(/USMT\/USMT\.MIG \(\d+ bytes\): size checked, content authenticated by the restore as it reads it/)
    const dest = path.join(dir, 'newpc')
    mkdirSync(dest)
    const res = await runCli(['loadstate', '--volume', `C=${dest}`, down, '/decrypt', `/keyfile:${key}`])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(42) // USMT: the store contains corrupted files
    expect(res.stdout).to.match(/C:\\Data\\big\.bin: frame \d+ failed authentication/)
    expect(existsSync(path.join(dest, 'Data', 'big.bin')) && readFileSync(path.join(dest, 'Data', 'big.bin')).equals(big), 'the damaged file is not restored as if whole').to.equal(false)
  })

  it('no store for this computer → USM0413 (storeMissing)', async () => {
    const policy = writePolicy({ shares: [shareDoc('migstore')] })
    const r = await cli(['store', 'request', '--type', 'restore', '--policy', policy, '--local-path', path.join(dir, 'x')], writeEnv({ _SMSTSMachineName: 'NOBODY' }))
    expect(r.exitCode).to.equal(10)
    expect(r.doc.error?.code).to.equal('USM0413')
  })

  it('store request adds plan\'s estimate (USMTStepsPlanEstimateBytes) to the share\'s minimum; an admin\'s USMTStepsEstimateBytes wins', async () => {
    const policy = writePolicy({ shares: [shareDoc('second', { maxClients: 500 })] })
    const huge = String(1024 ** 5)
    const refused = await cli(['store', 'request', '--policy', policy, '--retry-count', '0'], writeEnv({ _SMSTSMachineName: 'ESTPC', USMTStepsPlanEstimateBytes: huge }))
    expect(refused.exitCode, refused.stdout).to.equal(13)
    expect(refused.doc.error?.code).to.equal('USM0410')
    expect(refused.doc.error?.message).to.contain(`+ estimate ${huge}`)
    const admin = await cli(['store', 'request', '--policy', policy, '--retry-count', '0'], writeEnv({ _SMSTSMachineName: 'ESTPC', USMTStepsPlanEstimateBytes: huge, USMTStepsEstimateBytes: '1048576' }))
    expect(admin.exitCode, admin.stdout).to.equal(0)
    expect(readFileSync(path.join(dir, 'usmt-steps.log'), 'utf8')).to.match(/store \S+ created \(slot/)
  })

  it('50 concurrent capture requests across 10 computers → one winner each: 10 stores, 10 slots, the others get the winner\'s store (#20 item 10)', async () => {
    const doc = { shares: [shareDoc('second', { maxClients: 200 })] }
    const slotsDir = path.join(smb.shareDir('second'), '.usmt-steps', 'slots')
    const slotsBefore = existsSync(slotsDir) ? readdirSync(slotsDir).length : 0
    const services = Array.from({ length: 50 }, (_, i) => service(`PC${i % 10}`, doc))
    const recs = await Promise.all(services.map((s) => s.requestCapture({ encrypted: false })))
    await Promise.all(services.map((s) => s.close()))
    const ids = new Set(recs.map((r) => r.id))
    expect(ids.size).to.equal(10)
    expect(new Set(recs.map((r) => r.slot)).size).to.equal(10)
    for (let c = 0; c < 10; c++) {
      const mine = recs.filter((r) => r.source.computerName === `PC${c}`)
      expect(mine).to.have.length(5)
      expect(new Set(mine.map((r) => r.id)).size, `PC${c}`).to.equal(1)
      expect(mine.filter((r) => !r.reused), `PC${c}: exactly one request created the store`).to.have.length(1)
    }
    const onDisk = readdirSync(smb.shareDir('second')).filter((n) => /^PC\d-/.test(n))
    expect(onDisk.sort()).to.deep.equal([...ids].sort())
    expect(readdirSync(slotsDir)).to.have.length(slotsBefore + 10)
    for (const id of ids) expect(recordOnDisk('second', id)).to.deep.include({ id, state: 'requested' })
    // The claims name the winners' stores; after release (capture) the computer's next request gets a new store.
    const pc0 = recs.find((r) => r.source.computerName === 'PC0') as StoreRecord
    expect(JSON.parse(readFileSync(path.join(smb.shareDir('second'), '.usmt-steps', 'claims', 'PC0', 'claim.json'), 'utf8'))).to.deep.include({ storeId: pc0.id })
    const staged = stage('pc0', 1024)
    const s0 = service('PC0', doc)
    await s0.releaseCapture(pc0.path, { localPath: staged.dir })
    expect(existsSync(path.join(smb.shareDir('second'), '.usmt-steps', 'claims', 'PC0'))).to.equal(false)
    const next = await s0.requestCapture({ encrypted: false })
    expect(next.id).to.not.equal(pc0.id)
    expect(next.reused).to.equal(undefined)
    await s0.close()
  })

  it('a claim whose request has not placed its store yet → USM0422 (in progress), nothing created; a claim left by a crash is taken over after 10 minutes', async () => {
    const doc = { shares: [shareDoc('second', { maxClients: 200 })] }
    const claims = path.join(smb.shareDir('second'), '.usmt-steps', 'claims')
    mkdirSync(path.join(claims, 'BUSYPC'), { recursive: true })
    const before = readdirSync(smb.shareDir('second')).sort()
    const slotsBefore = readdirSync(path.join(smb.shareDir('second'), '.usmt-steps', 'slots')).length
    const waits: number[] = []
    const busy = service('BUSYPC', doc, { claimWaitMs: 0, retryCount: 0, sleep: async (ms) => { waits.push(ms) } })
    try {
      await busy.requestCapture({ encrypted: false })
      expect.fail('expected USM0422')
    } catch (err) {
      expect((err as UsmtStepsError).code, (err as Error).message).to.equal('USM0422')
      expect((err as Error).message).to.match(/BUSYPC.*in progress/)
    }
    expect(readdirSync(smb.shareDir('second')).sort()).to.deep.equal(before)
    expect(readdirSync(path.join(smb.shareDir('second'), '.usmt-steps', 'slots'))).to.have.length(slotsBefore)
    // eleven minutes later the empty claim is stale (its requester crashed): the request takes it over
    const later = service('BUSYPC', doc, { claimWaitMs: 0, retryCount: 0, now: () => new Date(Date.now() + 11 * 60_000) })
    const rec = await later.requestCapture({ encrypted: false })
    expect(rec.reused).to.equal(undefined)
    expect(JSON.parse(readFileSync(path.join(claims, 'BUSYPC', 'claim.json'), 'utf8'))).to.deep.include({ storeId: rec.id })
    await later.close()
  })

  it('maxClients holds under concurrency; a full share falls through to the next; unreachable shares are skipped', async () => {
    rmSync(path.join(smb.shareDir('second'), '.usmt-steps'), { recursive: true, force: true })
    const doc = { shares: [shareDoc('migstore', { port: 1 }), shareDoc('second', { maxClients: 3 })] }
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => service(`MAX${i}`, doc, { retryCount: 0 }).requestCapture({ encrypted: false })))
    const okOnes = results.filter((r): r is PromiseFulfilledResult<StoreRecord> => r.status === 'fulfilled')
    expect(okOnes).to.have.length(3)
    expect(okOnes.every((r) => r.value.share === smb.unc('second'))).to.equal(true)
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
      expect((r.reason as UsmtStepsError).code).to.equal('USM0410')
      expect((r.reason as Error).message).to.match(/CONNECTION_REFUSED|full/)
    }
    // min free space: a share that cannot keep 1 PB free is skipped too
    const full = service('SPACE', { shares: [shareDoc('second', { minFree: '1024TB' })] }, { retryCount: 0 })
    try {
      await full.requestCapture({ encrypted: false })
      expect.fail('expected USM0410')
    } catch (err) {
      expect((err as UsmtStepsError).code).to.equal('USM0410')
      expect((err as Error).message).to.match(/bytes free/)
    }
  })

  it('retries OSDStateSMPRetryCount times OSDStateSMPRetryTime apart while the share is down', async () => {
    await smb.stop()
    const waits: number[] = []
    const s = service('RETRY', { shares: [shareDoc('migstore')] }, {
      retryCount: 3, retrySeconds: 7,
      sleep: async (ms) => { waits.push(ms); if (waits.length === 2) await smb.restart() },
    })
    const rec = await s.requestCapture({ encrypted: false })
    await s.close()
    expect(waits).to.deep.equal([7000, 7000])
    expect(rec.state).to.equal('requested')
  })

  it('a wrong password fails with USM0411 without retrying', async () => {
    const waits: number[] = []
    const s = new StoreService({
      policy: policyFromObject({ shares: [shareDoc('migstore')] }, 't'), transport: 'smbclient', retryCount: 5, sleep: async (ms) => { waits.push(ms) },
      computer: { computerName: 'AUTH', smbiosGuid: null, macAddresses: [] }, credentials: { username: smb.user, password: 'wrong-pass', source: 'test' },
    })
    try {
      await s.requestCapture({ encrypted: false })
      expect.fail('expected USM0411')
    } catch (err) {
      expect((err as UsmtStepsError).code).to.equal('USM0411')
      expect((err as UsmtStepsError).exitCode).to.equal(13)
    }
    expect(waits).to.deep.equal([])
  })

  it('killing smbd mid-upload fails the release with USM0412, leaves the store uncaptured, and a retry after restart completes', async () => {
    const policy = writePolicy({ shares: [shareDoc('migstore')] })
    const env = writeEnv({ _SMSTSMachineName: 'KILLPC' })
    const req = await cli(['store', 'request', '--policy', policy], env)
    expect(req.exitCode, req.stdout).to.equal(0)
    const id = (JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>).USMTStepsStoreId
    const staged = stage('big', 400 * 1024 * 1024)
    const remote = path.join(smb.shareDir(), id, 'USMT', 'USMT.MIG')
    let killedAt = -1
    const watcher = (async () => {
      for (let i = 0; i < 2000; i++) {
        const size = existsSync(remote) ? statSync(remote).size : 0
        if (size > 8 * 1024 * 1024) {
          killedAt = size
          await smb.kill()
          return
        }
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    const rel = await cli(['store', 'release', '--policy', policy, '--local-path', staged.dir], env)
    await watcher
    expect(killedAt, 'the upload was seen in progress').to.be.greaterThan(0)
    expect(killedAt).to.be.lessThan(400 * 1024 * 1024)
    expect(rel.exitCode, rel.stdout).to.equal(13)
    expect(rel.doc.error?.code).to.equal('USM0412')
    expect(recordOnDisk('migstore', id).state).to.equal('requested')
    expect(existsSync(path.join(smb.shareDir(), id, 'manifest.json'))).to.equal(false)

    await smb.restart()
    const again = await cli(['store', 'release', '--policy', policy, '--local-path', staged.dir], env)
    expect(again.exitCode, again.stdout).to.equal(0)
    const rec = recordOnDisk('migstore', id)
    expect(rec.state).to.equal('captured')
    expect(createHash('sha256').update(readFileSync(remote)).digest('hex')).to.equal(staged.sha)
  })

  it('credentials never reach a child argv, stdout or the log (recorded argv and a live /proc scan)', async () => {
    const recorded: string[][] = []
    const runner: SmbRunner = (file, args, options) => {
      recorded.push([file, ...args])
      return defaultSmbRunner(file, args, options)
    }
    const s = service('ARGV', { shares: [shareDoc('second', { maxClients: 500 })] }, { smbRunner: runner })
    const rec = await s.requestCapture({ encrypted: false })
    const staged = stage('argv', 200 * 1024 * 1024)
    const seen: string[] = []
    let scanning = true
    const scan = (async () => {
      while (scanning) {
        for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
            if (cmd.includes('smbclient')) seen.push(cmd.replace(/\0/g, ' '))
          } catch { /* process gone */ }
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    await s.releaseCapture(rec.path, { localPath: staged.dir })
    scanning = false
    await scan
    await s.close()
    expect(recorded, 'one smbclient session for the whole request and release').to.have.length(1)
    expect(seen.length, 'smbclient children were observed in /proc').to.be.greaterThan(0)
    for (const argv of [...recorded.map((a) => a.join(' ')), ...seen]) {
      expect(argv).not.to.contain(smb.password)
      expect(argv).to.match(/-A \S+auth/)
      expect(argv).to.contain('--client-protection=sign')
    }
    // and through the CLI: stdout and the log are clean
    const policy = writePolicy({ shares: [shareDoc('second', { maxClients: 500 })] })
    const r = await cli(['store', 'list', '--policy', policy], writeEnv({}))
    expect(r.exitCode).to.equal(0)
    expect(r.stdout + r.stderr).not.to.contain(smb.password)
    expect(readFileSync(path.join(dir, 'usmt-steps.log'), 'utf8')).not.to.contain(smb.password)
    // the authentication file the children used is gone after close()
    const authFile = /-A (\S+)/.exec(recorded[0].join(' '))?.[1] ?? ''
    expect(authFile).to.match(/usmt-steps-auth-/)
    expect(existsSync(authFile)).to.equal(false)
  })

  it('fs transport on the mounted share: request → release → verify, and smbclient sees the same store', async () => {
    const policy = writePolicy({ shares: [shareDoc('second', { maxClients: 500 })] })
    const mount = smb.shareDir('second')
    const fsCli = async (argv: string[], env: string) => {
      const r = await runCli([...argv, '--ts-env', `json:${env}`, '--json', '--log-dir', dir, '--transport', 'fs', '--mount', mount, '--policy', policy])
      return { exitCode: r.exitCode, doc: parseJsonOutput<{ result: Record<string, unknown>; error?: { code: string } }>(r.stdout), stdout: r.stdout }
    }
    const env = writeEnv({ _SMSTSMachineName: 'FSPC' })
    const req = await fsCli(['store', 'request', '--type', 'capture'], env)
    expect(req.exitCode, req.stdout).to.equal(0)
    const vars = JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>
    expect(vars.USMTStepsStoreLocalPath ?? '', 'fs needs no staging copy').to.equal('')
    // scanstate writes straight into the store (on Windows through the UNC path; here the mounted folder)
    const data = randomBytes(2 * 1024 * 1024)
    mkdirSync(path.join(mount, vars.USMTStepsStoreId, 'USMT'), { recursive: true })
    writeFileSync(path.join(mount, vars.USMTStepsStoreId, 'USMT', 'USMT.MIG'), data)
    const rel = await fsCli(['store', 'release'], env)
    expect(rel.exitCode, rel.stdout).to.equal(0)
    expect(recordOnDisk('second', vars.USMTStepsStoreId)).to.deep.include({ state: 'captured', manifest: { files: 1, bytes: data.length } })
    // the same store through smbclient: the manifest's sha256 matches what the server holds
    const ver = await cli(['store', 'verify', '--deep', '--policy', policy], env)
    expect(ver.exitCode, ver.stdout).to.equal(0)
    expect(ver.doc.result).to.include({ files: 1, bytes: data.length, deep: true })
  })

  for (const session of [true, false]) it(`batch transfers ${session ? 'in the session' : 'with a process per operation (no stdbuf)'}: every file checked (a missing one fails the batch and is named)`, async () => {
    const recorded: string[][] = []
    const runner: SmbRunner = (file, args, options) => {
      recorded.push([file, ...args])
      return defaultSmbRunner(file, args, options)
    }
    const t = new SmbclientTransport({ unc: smb.unc('second'), port: smb.port, credentials: creds(), runner, session })
    const base = session ? 'B 1' : 'B 2'
    const local = path.join(dir, 'batch src')
    mkdirSync(path.join(local, 'U x', 'deep'), { recursive: true })
    const files = [['top.txt', randomBytes(10)], ['U x/a b.txt', randomBytes(5000)], ['U x/deep/c;d.txt', randomBytes(70000)], ['U x/Lebenslauf Müller – 2024 ✓.docx', randomBytes(300)]] as const
    for (const [rel, data] of files) writeFileSync(path.join(local, ...rel.split('/')), data)
    const items = files.map(([rel]) => ({ localPath: path.join(local, ...rel.split('/')), path: `${base}/${rel}` }))
    recorded.length = 0
    await t.putFiles(items, [base, `${base}/U x`, `${base}/U x/deep`])
    expect(recorded, 'one smbclient process').to.have.length(1)
    for (const [rel, data] of files) expect(readFileSync(path.join(smb.shareDir('second'), base, ...rel.split('/')))).to.deep.equal(data)
    // existing folders are fine; listTree sees every file in one session
    recorded.length = 0
    await t.putFiles([items[0]], [base, `${base}/U x`])
    expect(await t.listTree(base)).to.have.deep.members(files.map(([rel, data]) => ({ path: rel, size: data.length })))
    expect(recorded, session ? 'the session goes on' : 'a process per operation').to.have.length(session ? 0 : 2)
    // a local file that does not exist: smbclient goes on with the others, the batch still fails and names it
    const gone = { localPath: path.join(dir, 'no such file'), path: `${base}/gone.txt` }
    try {
      await t.putFiles([gone, { localPath: items[0].localPath, path: `${base}/after.txt` }])
      expect.fail('expected a transfer error')
    } catch (err) {
      expect((err as TransportError).kind).to.equal('transfer')
      expect((err as Error).message).to.contain(`not uploaded: ${base}/gone.txt`)
    }
    expect(existsSync(path.join(smb.shareDir('second'), base, 'after.txt'))).to.equal(true)
    // downloads: one session; a missing remote file fails the batch
    const back = path.join(dir, 'batch back')
    mkdirSync(path.join(back, 'deep'), { recursive: true })
    await t.getFiles([{ path: `${base}/U x/deep/c;d.txt`, localPath: path.join(back, 'deep', 'c;d.txt') }, { path: `${base}/top.txt`, localPath: path.join(back, 'top.txt') }])
    expect(readFileSync(path.join(back, 'deep', 'c;d.txt'))).to.deep.equal(files[2][1])
    try {
      await t.getFiles([{ path: `${base}/nope.txt`, localPath: path.join(back, 'nope.txt') }, { path: `${base}/top.txt`, localPath: path.join(back, 'top2.txt') }])
      expect.fail('expected an error')
    } catch (err) {
      expect((err as Error).message).to.match(/NOT_FOUND|not downloaded: B [12]\/nope\.txt/)
    }
    await t.close()
    expect(recorded, session ? 'everything in one session' : 'a process per operation').to.have.length(session ? 0 : 5)
  })

  it('the session really is SMB3 and signed (smbstatus while a download is held open)', async () => {
    const s = service('PROTO', { shares: [shareDoc('migstore')] })
    const t = s.transportFor(policyFromObject({ shares: [shareDoc('migstore')] }, 't').shares[0])
    const big = path.join(dir, 'proto.bin')
    writeFileSync(big, randomBytes(32 * 1024 * 1024))
    await t.putFile(big, 'proto.bin')
    const { stream, done } = t.getStream('proto.bin')
    stream.pause()
    // Poll until the session shows its dialect and signing: right after negotiate smbstatus may list the
    // session with "-" in the signing column (session setup not finished yet).
    const signed = /SMB3_\d+\s+\S+\s+\S*(AES-128-(GMAC|CMAC)|HMAC-SHA256)/
    let out = ''
    for (let i = 0; i < 50 && !signed.test(out); i++) {
      out = String((await execa('smbstatus', ['-s', path.join(smb.base, 'smb.conf'), '-b'], { reject: false })).stdout)
      await new Promise((r) => setTimeout(r, 100))
    }
    stream.resume()
    let n = 0
    for await (const c of stream) n += (c as Buffer).length
    await done
    await s.close()
    expect(n).to.equal(32 * 1024 * 1024)
    expect(out).to.match(/SMB3_\d+/)
    expect(out, out).to.match(signed)
  })
})
