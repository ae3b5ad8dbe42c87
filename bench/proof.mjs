#!/usr/bin/env node
// Cost of the restore's proof against the restore itself, on BENCH_FILES small files (default 200,000):
//   - compressed store: loadstate (decompress + write every file) vs the proof (stat + SHA-256 of every file)
//   - hard-link store:  loadstate (one link per file) vs the proof (stat of the destination and of the store's link)
// Each proof also includes reading the store catalog and pairing it with loadstate's --applied list.
// Both run in this process through tsx (the same code as src/), after a capture made for the purpose.
// Run:  node --import tsx bench/proof.mjs        (BENCH_FILES=20000 for a quick run; BENCH_KB per file, default 2)
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { availableParallelism, tmpdir } from 'node:os'
import * as path from 'node:path'

const FILES = Number(process.env.BENCH_FILES ?? 200000)
const KB = Number(process.env.BENCH_KB ?? 2)
const { runScanState } = await import('../src/portable/scanstate.ts')
const { runLoadState } = await import('../src/portable/loadstate.ts')
const { VolumeMap } = await import('../src/windows/volume-map.ts')
const { proveRestoredFiles } = await import('../src/steps/proof-step.ts')

const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), 'usmt-proof-bench-'))
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const quietCtx = {
  logger: { info() {}, warn() {}, verbose() {}, notice() {}, error() {} },
  progress: { update() {} },
}
const portable = (argv, volumes, extra = {}) => ({ argv, cwd: work, volumes, version: 'bench', out: () => undefined, ...extra })
const time = async (fn) => {
  const t = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  const r = await fn()
  const c = process.cpuUsage(cpu0)
  return { r, secs: Number(process.hrtime.bigint() - t) / 1e9, cpu: (c.user + c.system) / 1e6 }
}

console.log(`usmt-steps proof benchmark — ${FILES} files of ${KB} KB, ${availableParallelism()} cores, node ${process.version}, load ${loadavg()}`)
try {
  // The source machine: C:\Users\bench\Documents\dNNN\fNNNNN.txt, 500 files a folder.
  const c = path.join(work, 'C')
  const docs = path.join(c, 'Users', 'bench', 'Documents')
  const blob = randomBytes(KB * 1024 + 4096)
  for (let i = 0; i < FILES; i++) {
    const d = path.join(docs, `d${String(Math.floor(i / 500)).padStart(4, '0')}`)
    if (i % 500 === 0) mkdirSync(d, { recursive: true })
    const off = i % 4096
    writeFileSync(path.join(d, `f${i}.txt`), blob.subarray(off, off + KB * 1024))
  }
  // A profile that was used (else it is not migrated), with a real hive: registry rules read it since #17.
  copyFileSync(path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'samples', 'machine', 'C', 'Users', 'jdoe', 'NTUSER.DAT'), path.join(c, 'Users', 'bench', 'NTUSER.DAT'))
  const users = path.join(work, 'users.json')
  writeFileSync(users, JSON.stringify([{ account: 'PC\\bench', profile: 'C:\\Users\\bench', sid: 'S-1-5-21-1-2-3-1001' }]))
  const rules = path.join(work, 'rules.xml')
  writeFileSync(rules, `<?xml version="1.0"?><migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/bench"><component type="Documents" context="User"><displayName>Bench</displayName><role role="Data"><rules><include><objectSet><pattern type="File">%CSIDL_PERSONAL%\\* [*]</pattern></objectSet></include></rules></role></component></migration>`)

  const rows = []
  for (const kind of ['compressed', 'hardlink']) {
    const src = VolumeMap.parse([`C=${c}`], [], work)
    const store = kind === 'hardlink' ? path.join(c, 'StateStore') : path.join(work, 'store-compressed')
    const switches = kind === 'hardlink' ? ['/hardlink', '/nocompress'] : []
    const cap = await time(() => runScanState(portable([store, `/i:${rules}`, '/o', '/c', ...switches], src, { usersFile: users })))
    if (cap.r.returnCode !== 0 || cap.r.files !== FILES) throw new Error(`capture (${kind}) returned ${cap.r.returnCode} (${cap.r.files} files): ${cap.r.message}`)
    // Restore into an empty destination on the same volume (a hard-link restore links back from the store).
    const dest = path.join(c, 'restored')
    rmSync(dest, { recursive: true, force: true })
    mkdirSync(dest)
    const destVolumes = VolumeMap.parse([`C=${kind === 'hardlink' ? c : dest}`], [], work)
    if (kind === 'hardlink') rmSync(path.join(c, 'Users'), { recursive: true, force: true })
    const applied = path.join(work, `applied-${kind}.jsonl`)
    const res = await time(() => runLoadState(portable([store, '/c', '/lac', ...switches], destVolumes, { appliedFile: applied })))
    if (res.r.returnCode !== 0) throw new Error(`restore (${kind}) returned ${res.r.returnCode}: ${res.r.message}`)
    const proof = await time(() => proveRestoredFiles(quietCtx, { engine: 'portable', storeLocal: store, appliedFile: applied, volumes: destVolumes }))
    const p = proof.r
    if (p.verified !== FILES || p.missing.length || p.changed.length) throw new Error(`proof (${kind}): ${p.verified} verified, ${p.missing.length} missing, ${p.changed.length} changed`)
    rows.push({ kind, restore: res, proof, methods: p.methods, bytesRead: p.bytesRead })
    console.log(`${kind.padEnd(11)} capture ${cap.secs.toFixed(1).padStart(6)} s | restore ${res.secs.toFixed(1).padStart(6)} s (cpu ${res.cpu.toFixed(1)} s) | proof ${proof.secs.toFixed(1).padStart(6)} s (cpu ${proof.cpu.toFixed(1)} s) | proof/restore ${(proof.secs / res.secs).toFixed(2)}x | ${JSON.stringify(p.methods)}, ${(p.bytesRead / 1048576).toFixed(0)} MB read`)
    rmSync(store, { recursive: true, force: true })
    rmSync(dest, { recursive: true, force: true })
  }
  console.log(`load average at end: ${loadavg()}`)
  console.log(JSON.stringify({ files: FILES, kb: KB, rows: rows.map((r) => ({ kind: r.kind, restoreSecs: r.restore.secs, proofSecs: r.proof.secs, ratio: r.proof.secs / r.restore.secs, methods: r.methods, bytesRead: r.bytesRead })) }))
} finally {
  rmSync(work, { recursive: true, force: true })
}
