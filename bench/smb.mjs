#!/usr/bin/env node
// bench/smb.mjs — upload and download a 1 GB store file through our smbclient transport and through a bare
// `smbclient -c put/get` of the same file, against the same Samba (signing mandatory, SMB3), in one run.
// Reports MB/s and the ratio ours/bare (goal ≥ 0.9×). Run: node --import tsx bench/smb.mjs [--mb 1024] [--rounds 3]
// Needs the Debian packages samba and smbclient. Starts its own smbd (scripts/ci/start-smbd.sh) and stops it.
import { execa } from 'execa'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SmbclientTransport } from '../src/stores/smbclient.ts'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def }
const MB = arg('mb', 1024)
const ROUNDS = arg('rounds', 3)
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

const src = path.join(base, 'store.mig')
const fd = openSync(src, 'w')
const chunk = randomBytes(8 * 1024 * 1024)
for (let i = 0; i < MB / 8; i++) writeSync(fd, chunk)
closeSync(fd)
const size = statSync(src).size
const unc = '\\\\127.0.0.1\\migstore'
const transport = new SmbclientTransport({ unc, port, credentials: { username: user, password, source: 'bench' } })
const bareArgs = ['//127.0.0.1/migstore', '-p', String(port), '--configfile=/dev/null', '--max-protocol=SMB3', '--option=client min protocol=SMB3', '--client-protection=sign', '-U', user]
const bare = async (cmd) => {
  const r = await execa('smbclient', [...bareArgs, '-c', cmd], { env: { PASSWD: password }, reject: false, stdin: 'ignore' })
  if (r.exitCode !== 0 || /NT_STATUS/.test(r.stdout + r.stderr)) throw new Error(`bare smbclient failed: ${r.stdout}${r.stderr}`)
}
const time = async (fn) => { const t = process.hrtime.bigint(); await fn(); return Number(process.hrtime.bigint() - t) / 1e9 }
const results = { bareUp: [], oursUp: [], bareDown: [], oursDown: [] }
const dl = path.join(base, 'down.mig')
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare']
  for (const who of order) {
    const remote = `${who}-${r}.mig`
    const up = who === 'bare' ? await time(() => bare(`put "${src}" "${remote}"`)) : await time(() => transport.putFile(src, remote))
    rmSync(dl, { force: true })
    const down = who === 'bare' ? await time(() => bare(`get "${remote}" "${dl}"`)) : await time(() => transport.getFile(remote, dl))
    if (statSync(dl).size !== size) throw new Error(`${who}: downloaded ${statSync(dl).size} bytes, expected ${size}`)
    await transport.removeFile(remote)
    results[`${who}Up`].push(up)
    results[`${who}Down`].push(down)
  }
}
await transport.close()
await execa('bash', [path.join(root, 'scripts/ci/stop-smbd.sh')], { env, reject: false })
stopped = true
rmSync(base, { recursive: true, force: true })
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
const mbps = (s) => size / 1024 / 1024 / s
const row = (label, b, o) => ({ label, bareMBps: +mbps(median(b)).toFixed(1), oursMBps: +mbps(median(o)).toFixed(1), ratio: +(median(b) / median(o)).toFixed(3) })
const report = { file: `${MB} MiB`, rounds: ROUNDS, server: 'smbd 127.0.0.1, signing mandatory, SMB3', node: process.version, cpus: os.cpus().length,
  upload: row('upload', results.bareUp, results.oursUp), download: row('download', results.bareDown, results.oursDown), raw: results }
console.log(JSON.stringify(report, null, 2))
console.log(`upload: ours ${report.upload.oursMBps} MB/s vs bare ${report.upload.bareMBps} MB/s → ${report.upload.ratio}×; download: ours ${report.download.oursMBps} MB/s vs bare ${report.download.bareMBps} MB/s → ${report.download.ratio}× (goal ≥ 0.9×)`)
