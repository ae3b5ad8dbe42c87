#!/usr/bin/env node
// bench/smb.mjs — upload and download a 1 GiB store file against one Samba (signing mandatory, SMB3), in one run,
// every contestant into and out of a store folder of its own (`<folder>\USMT\USMT.MIG`, folders made in the same
// connection, as the store step makes them):
//   bare   `smbclient -U user -c 'mkdir …; put'` and `-c get` (password in PASSWD), the protocol alone: the reference
//   flags  the same smbclient with exactly the options our transport adds (-A auth file, -t 60, LC_ALL=C, …)
//   ours   SmbclientTransport.putFiles (with its folders)/getFile (what the store steps call), a transport of its own each
//          time, closed after (its smbclient session ends, so its CPU is counted)                     partial path
//   step   the store step in this process: StoreService.releaseCapture (upload, sha256 manifest, size check,
//          record) and requestRestore with a local path (download, manifest check, record), each with a service
//          of its own, closed after                                                                    partial path
//   cli    the same steps as a task sequence runs them, end to end: `bin/run.js store release --type capture
//          --local-path` of a staged store, and `bin/run.js store request --type restore --local-path`
//   cliForeign  the same, with a file the restore does not authenticate (random bytes, as Microsoft's USMT.MIG is to
//          it), which the upload hashes for the manifest while it sends it, and the download hashes against the
//          manifest after it arrives
// The staged store of step and cli is what the capture leaves: USMT.MIG and the SHA-256 record beside it
// (src/store/mig-digest.ts), which the upload puts into the manifest without reading the container again.
// The store file is the portable scanstate's encrypted store of 1 GiB of random data, made once before the rounds;
// the download checks its size and leaves its content to the restore, which authenticates every frame as it reads.
// Reports MB/s per contestant (median and best of the rounds), the ratio to bare, and the CPU time the client side
// used (this process + its children: smbclient, the CLI), which other load on the machine hardly changes. The goal
// (issue #15: ≥ 0.9× bare) is printed beside the end-to-end rows of the portable store (cli) only; cliForeign is
// printed against bare and against the OS tools doing its work (bare put or get, and `openssl dgst -sha256`), no goal.
// Fairness: contestants rotate their position every round (use a multiple of the contestants' count), and before
// each timed operation settle() (bench/lib/measure.mjs) writes back dirty pages and waits until this VM has returned
// the memory the previous operation freed, so no transfer pays for another's dirty pages or reuses the pages another
// just freed; one untimed warm-up round comes first. BENCH_SMB_ONLY=bare,cli,… runs some contestants only.
// Run: npm run build && node --import tsx bench/smb.mjs [--mb 1024] [--rounds 6]. BENCH_NODE=/path/to/node runs the
// CLI on another Node. Needs the Debian packages samba and smbclient. Starts its own smbd (scripts/ci/start-smbd.sh)
// and stops it. Prints the load average before and after.
import { execa } from 'execa'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchNode, cliEnv, settle, stats } from './lib/measure.mjs'
import { DATA_RULES } from './lib/trees.mjs'
import { policyFromObject } from '../src/plan/policy.ts'
import { MIG_DIGEST_FILE } from '../src/store/layout.ts'
import { StoreService } from '../src/share-store/service.ts'
import { SmbclientTransport } from '../src/share-store/smbclient.ts'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def }
const MB = arg('mb', 1024)
const ROUNDS = arg('rounds', 5)
const load = () => readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ')
const loadBefore = load()
const base = mkdtempSync(path.join(os.tmpdir(), 'usmt-bench-smb-'))
chmodSync(base, 0o755) // the share's unix user must be able to reach the share folder
const port = await new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) }) })
const user = process.getuid?.() === 0 ? 'smbtest' : os.userInfo().username
const password = 'Bench-pass1!'
const env = { SMB_BASE: path.join(base, 'smb'), SMB_PORT: String(port), SMB_PASS: password, SMB_USER: user, SMB_SHARES: 'migstore' }
let stopped = false
process.on('exit', () => { if (!stopped) try { execFileSync('bash', [path.join(root, 'scripts/ci/stop-smbd.sh')], { env: { ...process.env, ...env } }) } catch { /* already gone */ } })
const start = await execa('bash', [path.join(root, 'scripts/ci/start-smbd.sh'), 'mandatory'], { env, reject: false })
if (start.exitCode !== 0) { console.error(start.stdout, start.stderr); process.exit(1) }

// The store moved is a real one: the portable scanstate's encrypted store of MB MiB of random data (what a replace over
// SMB moves on Linux), so the download takes the product's path for it (size checked; the restore authenticates its
// frames). `foreign.mig` is random bytes of the same size, which the download hashes against the manifest (as it
// would Microsoft's USMT.MIG): the cliForeign contestant.
const data = path.join(base, 'pc', 'Data')
mkdirSync(data, { recursive: true })
const chunk = randomBytes(8 * 1024 * 1024)
// Files of 64 MiB (the last one shorter), each 8 MiB block made different by its first bytes.
for (let f = 0, left = MB * 1024 * 1024; left > 0; f++) {
  const fd = openSync(path.join(data, `file${f}.bin`), 'w')
  for (let i = 0; i < 8 && left > 0; i++, left -= chunk.length) {
    chunk.writeUInt32LE((f << 3) | i, 0)
    writeSync(fd, chunk, 0, Math.min(left, chunk.length))
  }
  closeSync(fd)
}
const rulesFile = path.join(base, 'data.xml')
writeFileSync(rulesFile, DATA_RULES)
const keyFile = path.join(base, 'key.txt')
writeFileSync(keyFile, 'bench key\n')
const ownStore = path.join(base, 'own-store')
execFileSync(benchNode(), [path.join(root, 'bin', 'run.js'), 'scanstate', '--volume', `C=${path.join(base, 'pc')}`, '--computer', 'PC', ownStore, `/i:${rulesFile}`, '/encrypt', `/keyfile:${keyFile}`, '/o'], { env: cliEnv(), stdio: 'ignore' })
rmSync(path.join(base, 'pc'), { recursive: true, force: true })
const src = path.join(ownStore, 'USMT', 'USMT.MIG')
const srcDigest = path.join(ownStore, 'USMT', MIG_DIGEST_FILE)
const size = statSync(src).size
statSync(srcDigest) // the capture recorded the container's SHA-256 (it is staged with it)
const foreign = path.join(base, 'foreign.mig')
{
  const fd = openSync(foreign, 'w')
  for (let left = size; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length))
  closeSync(fd)
}
const unc = '\\\\127.0.0.1\\migstore'
const credentials = { username: user, password, source: 'bench' }
const transport = new SmbclientTransport({ unc, port, credentials })
const policy = policyFromObject({ shares: [{ path: unc, port, maxClients: 1000 }] }, 'bench')
const newService = () => new StoreService({ policy, transport: 'smbclient', credentials, computer: { computerName: 'BENCH', smbiosGuid: null, macAddresses: [] } })
const service = newService()
// A service (or transport) used for one timed operation and closed in it: its smbclient session is reaped, so
// the client CPU below counts it, as it counts the CLI's.
const once = async (make, fn) => {
  const x = make()
  try {
    return await fn(x)
  } finally {
    await x.close()
  }
}
const newTransport = () => new SmbclientTransport({ unc, port, credentials })
const bareArgs = ['//127.0.0.1/migstore', '-p', String(port), '--configfile=/dev/null', '--max-protocol=SMB3', '--option=client min protocol=SMB3', '--client-protection=sign', '-U', user]
const smbclient = async (args, cmd, extraEnv) => {
  const r = await execa('smbclient', [...args, '-c', cmd], { env: extraEnv, reject: false, stdin: 'ignore' })
  if (r.exitCode !== 0 || /NT_STATUS/.test(r.stdout + r.stderr)) throw new Error(`smbclient failed: ${r.stdout}${r.stderr}`)
}
const dl = path.join(base, 'down.mig')
// Every contestant moves the file where a store keeps it, `<store folder>\USMT\USMT.MIG`, into folders it creates in
// the same connection, as the store step does. (A file put into the share's root folder took 1.3–1.7× as long as the
// same file put into a new folder, 2026-12-07: 2.4–3.7 s against 1.7–2.7 s, interleaved, whatever came first; the
// bare reference used to put into the root while the steps put into their store folder.)
const STORE_FILE = 'USMT/USMT.MIG'
const win = (dir) => `${dir}\\${STORE_FILE.replace('/', '\\')}`
const mkdirs = (dir) => `mkdir "${dir}"; mkdir "${dir}\\USMT"`
const stageRoot = path.join(base, 'stage')
const restoreRoot = path.join(base, 'restore')
let stepStore = null

const contestants = {
  bare: { up: (dir) => smbclient(bareArgs, `${mkdirs(dir)}; put "${src}" "${win(dir)}"`, { PASSWD: password }), down: (dir) => smbclient(bareArgs, `get "${win(dir)}" "${dl}"`, { PASSWD: password }) },
  flags: { up: (dir) => smbclient(transport.baseArgs(), `${mkdirs(dir)}; put "${src}" "${win(dir)}"`, { LC_ALL: 'C' }), down: (dir) => smbclient(transport.baseArgs(), `get "${win(dir)}" "${dl}"`, { LC_ALL: 'C' }) },
  ours: { up: (dir) => once(newTransport, (t) => t.putFiles([{ localPath: src, path: `${dir}/${STORE_FILE}` }], [dir, `${dir}/USMT`])), down: (dir) => once(newTransport, (t) => t.getFile(`${dir}/${STORE_FILE}`, dl)) },
  step: {
    // The staged store is the same bytes (a hard link to the source), so no contestant reads a colder file.
    prepareUp: async () => {
      const rec = await service.requestCapture({ encrypted: false })
      const stage = path.join(stageRoot, rec.id)
      mkdirSync(path.join(stage, 'USMT'), { recursive: true })
      linkSync(src, path.join(stage, 'USMT', 'USMT.MIG'))
      linkSync(srcDigest, path.join(stage, 'USMT', MIG_DIGEST_FILE))
      stepStore = { rec, stage }
    },
    up: () => once(newService, (s) => s.releaseCapture(stepStore.rec.path, { localPath: stepStore.stage })),
    down: () => once(newService, (s) => s.requestRestore({ localPath: path.join(restoreRoot, stepStore.rec.id) })),
    verify: () => statSync(path.join(restoreRoot, stepStore.rec.id, 'USMT', 'USMT.MIG')).size,
    cleanup: async () => {
      await service.releaseRestore(stepStore.rec.path)
      await transport.removeTree(stepStore.rec.id)
      rmSync(stepStore.stage, { recursive: true, force: true })
      rmSync(path.join(restoreRoot, stepStore.rec.id), { recursive: true, force: true })
    },
  },
}
// The CLI steps: a policy file, a task-sequence environment (JSON) with MDT's share account, as the tests run them.
const bin = path.join(root, 'bin', 'run.js')
if (!statSync(path.join(root, 'dist', 'bundle', 'usmt-steps.mjs'), { throwIfNoEntry: false })) throw new Error('run `npm run build` first (dist/bundle/ is missing)')
const policyFile = path.join(base, 'policy.json')
writeFileSync(policyFile, JSON.stringify({ stores: { shares: [{ path: unc, port, maxClients: 1000 }] } }))
const tsEnv = path.join(base, 'ts-env.json')
const cliLogs = path.join(base, 'cli-logs')
mkdirSync(cliLogs)
const cliRun = async (args) => {
  const r = await execa(benchNode(), [bin, ...args, '--policy', policyFile, '--ts-env', `json:${tsEnv}`, '--log-dir', cliLogs, '--transport', 'smbclient', '--retry-time', '0', '--json'], { env: cliEnv(), reject: false, stdin: 'ignore' })
  if (r.exitCode !== 0) throw new Error(`usmt-steps ${args.join(' ')} exited ${r.exitCode}: ${r.stdout}${r.stderr}`)
}
// cli moves the portable store, cliForeign the foreign file of the same size (see above).
const cliContestant = (file) => {
  let store = null
  return {
    prepareUp: async () => {
      writeFileSync(tsEnv, JSON.stringify({ _SMSTSMachineName: 'BENCHCLI', UserID: user, UserPassword: password, UserDomain: 'WORKGROUP' }))
      await cliRun(['store', 'request', '--type', 'capture'])
      const id = JSON.parse(readFileSync(tsEnv, 'utf8')).USMTStepsStoreId
      const stage = path.join(stageRoot, id)
      mkdirSync(path.join(stage, 'USMT'), { recursive: true })
      linkSync(file, path.join(stage, 'USMT', 'USMT.MIG'))
      if (file === src) linkSync(srcDigest, path.join(stage, 'USMT', MIG_DIGEST_FILE))
      store = { id, stage }
    },
    up: () => cliRun(['store', 'release', '--local-path', store.stage]),
    down: () => cliRun(['store', 'request', '--type', 'restore', '--local-path', path.join(restoreRoot, store.id)]),
    verify: () => statSync(path.join(restoreRoot, store.id, 'USMT', 'USMT.MIG')).size,
    cleanup: async () => {
      await cliRun(['store', 'release'])
      await transport.removeTree(store.id)
      rmSync(store.stage, { recursive: true, force: true })
      rmSync(path.join(restoreRoot, store.id), { recursive: true, force: true })
    },
  }
}
contestants.cli = cliContestant(src)
contestants.cliForeign = cliContestant(foreign)
// BENCH_SMB_ONLY=bare,cli runs some of the contestants (bare always: it is the reference).
const only = process.env.BENCH_SMB_ONLY?.split(',')
const names = Object.keys(contestants).filter((n) => !only || n === 'bare' || only.includes(n))
const results = Object.fromEntries(names.flatMap((n) => [[`${n}Up`, []], [`${n}Down`, []]]))
// CPU seconds used by this process and its reaped children (smbclient): /proc/self/stat utime+stime+cutime+cstime.
// Unlike wall time it hardly moves with other load on the machine, so it shows what the client side really costs.
const cpuSeconds = () => readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).reduce((a, x) => a + Number(x), 0) / 100
const cpu = Object.fromEntries(names.flatMap((n) => [[`${n}Up`, []], [`${n}Down`, []]]))
let lastCpu = 0
const bareHash = []
const bareUpHash = []
const time = async (fn) => {
  settle()
  const c = cpuSeconds()
  const t = process.hrtime.bigint()
  await fn()
  const wall = Number(process.hrtime.bigint() - t) / 1e9
  lastCpu = cpuSeconds() - c
  return wall
}

for (let r = -1; r < ROUNDS; r++) {
  const order = names.map((_, i) => names[(i + Math.max(r, 0)) % names.length])
  for (const who of order) {
    const c = contestants[who]
    const remote = `${who}-${r + 1}`
    await c.prepareUp?.()
    const up = await time(() => c.up(remote))
    const upCpu = lastCpu
    // The work an upload of a file without a capture's record adds, done by the OS tool right after bare's put (the
    // pages still cached, as the step finds them): `openssl dgst -sha256` of the file (printed beside cliForeign).
    if (who === 'bare' && r >= 0) {
      const t = process.hrtime.bigint()
      execFileSync('openssl', ['dgst', '-sha256', src], { stdio: 'ignore' })
      bareUpHash.push(Number(process.hrtime.bigint() - t) / 1e9)
    }
    rmSync(dl, { force: true })
    const down = await time(() => c.down(remote))
    const downCpu = lastCpu
    const got = c.verify ? c.verify() : statSync(dl).size
    if (got !== size) throw new Error(`${who}: downloaded ${got} bytes, expected ${size}`)
    // The work a download of a file the restore does not authenticate adds, done by the OS tool right after bare's
    // get (the pages still cached, as the step finds them): `openssl dgst -sha256` of the file. bare get + this is
    // the reference for that work (printed beside cliForeign, no goal).
    if (who === 'bare' && r >= 0) {
      const t = process.hrtime.bigint()
      execFileSync('openssl', ['dgst', '-sha256', dl], { stdio: 'ignore' })
      bareHash.push(Number(process.hrtime.bigint() - t) / 1e9)
    }
    if (c.cleanup) await c.cleanup()
    else await transport.removeTree(remote)
    if (r >= 0) {
      results[`${who}Up`].push(up)
      results[`${who}Down`].push(down)
      cpu[`${who}Up`].push(upCpu)
      cpu[`${who}Down`].push(downCpu)
    }
  }
}
await service.close()
await transport.close()
await execa('bash', [path.join(root, 'scripts/ci/stop-smbd.sh')], { env, reject: false })
stopped = true
rmSync(base, { recursive: true, force: true })

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const best = (a) => Math.min(...a)
const mbps = (s) => +(size / 1024 / 1024 / s).toFixed(1)
const row = (dir) => Object.fromEntries(names.map((n) => {
  const a = results[`${n}${dir}`]
  const b = results[`bare${dir}`]
  return [n, {
    medianMBps: mbps(median(a)), bestMBps: mbps(best(a)), ratioMedian: +(median(b) / median(a)).toFixed(3), ratioBest: +(best(b) / best(a)).toFixed(3),
    // each round's own ratio (the two measured seconds apart): median and range
    ratioPaired: ((p) => `${p.median.toFixed(3)} (${p.min.toFixed(3)}–${p.max.toFixed(3)})`)(stats(a.map((x, i) => b[i] / x))),
    clientCpuSeconds: +median(cpu[`${n}${dir}`]).toFixed(2),
  }]
}))
const report = {
  file: `${MB} MiB`, rounds: ROUNDS, server: 'smbd 127.0.0.1, signing mandatory, SMB3', node: process.version, cpus: os.cpus().length,
  loadBefore, loadAfter: load(), upload: row('Up'), download: row('Down'), rawSeconds: results, rawClientCpuSeconds: cpu, bareHashSeconds: bareHash, bareUploadHashSeconds: bareUpHash,
}
console.log(JSON.stringify(report, null, 2))
for (const dir of ['upload', 'download']) {
  console.log(`${dir}: ${names.map((n) => `${n} ${report[dir][n].medianMBps} MB/s (${report[dir][n].ratioMedian}×, paired ${report[dir][n].ratioPaired}×, best ${report[dir][n].ratioBest}×, client CPU ${report[dir][n].clientCpuSeconds} s)`).join('; ')}`)
  const step = dir === 'upload' ? 'release' : 'request --type restore'
  if (names.includes('cli')) {
    const c = report[dir].cli
    console.log(`${dir}, end to end (usmt-steps store ${step}), the portable store: ${c.ratioMedian}× bare (median of ${ROUNDS}), goal ≥ 0.9× → ${c.ratioMedian >= 0.9 ? 'MET' : 'NOT MET'}`)
  }
  if (names.includes('cliForeign')) {
    // A file without a capture's record (Microsoft's USMT.MIG) is hashed too: against bare alone, and against the OS
    // tools doing that work (bare, then openssl dgst -sha256 of the cached file). No goal: bare does less work.
    const [bareRuns, hashes, verb] = dir === 'upload' ? [results.bareUp, bareUpHash, 'put'] : [results.bareDown, bareHash, 'get']
    const floor = stats(bareRuns.map((d, i) => d + hashes[i]))
    const foreign = median(results[dir === 'upload' ? 'cliForeignUp' : 'cliForeignDown'])
    console.log(`${dir}, end to end (usmt-steps store ${step}), a file the restore does not authenticate (hashed ${dir === 'upload' ? 'while it is sent' : 'after download'}): ${report[dir].cliForeign.ratioMedian}× bare; against bare ${verb} then openssl dgst -sha256 ${floor.median.toFixed(2)} s (${floor.min.toFixed(2)}–${floor.max.toFixed(2)}; the hash ${median(hashes).toFixed(2)} s), cliForeign ${foreign.toFixed(2)} s: ${(floor.median / foreign).toFixed(3)}× of the OS tools doing the same work (no goal)`)
  }
}
console.log(`load average before ${loadBefore}, after ${report.loadAfter}; CLI on ${execFileSync(benchNode(), ['--version'], { encoding: 'utf8' }).trim()}`)
