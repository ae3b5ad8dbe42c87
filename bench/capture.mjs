#!/usr/bin/env node
// bench/capture: compressed + encrypted capture and its restore through the real CLI (bin/run.js scanstate /
// loadstate, what a task sequence runs), against the OS tools doing the same work, interleaved:
//   capture  scanstate /encrypt /keyfile (AES-256-GCM, zstd where the runtime has it)   vs tar -cf - DIR | zstd -T2 -3
//   restore  loadstate /decrypt /keyfile of that store                                  vs tar --zstd -xf of that archive
// on ~BENCH_MB MB (default 2048) of mixed data (text logs, semi-compressible blocks, random media), BENCH_ROUNDS
// rounds (default 3). Prints median (min–max) wall and CPU, the ratios beside the goals (issue #15: capture ≤ 1.5× at
// a size within 5 %, restore ≤ 1.5×), the sizes, the store's codec and the load average. Needs zstd (Debian: zstd).
// The codec follows the Node that runs the CLI: BENCH_NODE=/path/to/node22 for zstd (scripts/ci/node-matrix.sh
// fetches Node 22/24 into build/cache/node/); Node 20 writes DEFLATE stores.
// Run: npm run build && BENCH_NODE=build/cache/node/22.23.3/package/bin/node node bench/capture.mjs
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { benchNode, cliEnv, header, interleave, loadavg, ratioRow, ROOT } from './lib/measure.mjs'
import { DATA_RULES } from './lib/trees.mjs'

const MB = Number(process.env.BENCH_MB ?? 2048)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const node = path.resolve(benchNode())
const bin = path.join(ROOT, 'bin', 'run.js')
execFileSync('zstd', ['--version'], { stdio: 'ignore' }) // needs the zstd tool (apt-get install zstd)
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'usmt-bench-capture-'))
const env = cliEnv()
try {
  // Mixed data: 40 % text logs, 20 % semi-compressible blocks, 40 % random (media), 4 KiB to 16 MiB per file.
  const src = path.join(work, 'src')
  const data = path.join(src, 'Data')
  const words = 'the quick brown fox jumps over lazy dog report budget forecast meeting notes customer invoice project status'.split(' ')
  let n = 0
  const text = (size) => {
    const parts = []
    let len = 0
    while (len < size) {
      const line = `${new Date(1.7e12 + n * 1000).toISOString()} INFO ${words[(n * 7) % words.length]} ${words[(n * 13) % words.length]} id=${(n * 2654435761) % 1000003} value=${(n % 977) * 3.14159}\n`
      parts.push(line)
      len += line.length
      n++
    }
    return Buffer.from(parts.join('')).subarray(0, size)
  }
  const semi = (size) => {
    const block = randomBytes(4096)
    const out = Buffer.alloc(size)
    for (let o = 0; o < size; o += 4096) { block.copy(out, o); block[(o / 4096) % 4096] ^= 0x5a }
    return out
  }
  let written = 0
  let f = 0
  while (written < MB * 1048576) {
    const kind = f % 10
    const size = kind < 5 ? 4096 + ((f * 7919) % 200000) : kind < 8 ? 1 << (20 + (f % 4)) : 16 << 20
    const content = kind < 4 ? text(size) : kind < 6 ? semi(size) : randomBytes(size)
    const dir = path.join(data, `folder${f % 37}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, `file${f}.${kind < 4 ? 'log' : kind < 6 ? 'dat' : 'jpg'}`), content)
    written += size
    f++
  }
  const rules = path.join(work, 'rules.xml')
  writeFileSync(rules, DATA_RULES)
  const key = path.join(work, 'key.txt')
  writeFileSync(key, 'benchmark key\n')
  const store = path.join(work, 'store')
  const archive = path.join(work, 'data.tar.zst')
  const dest = path.join(work, 'dest')
  const untar = path.join(work, 'untar')
  header(`compressed + encrypted capture and restore, ${f} files, ${(written / 1048576).toFixed(0)} MiB, ${rounds} interleaved rounds, CLI on ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`)
  // Each round writes its output anew, as the first does: the previous round's archive or store is removed before it
  // (untimed). Left in place, the two sides did different work: `zstd -f` truncates the old archive first, while
  // `scanstate /o` keeps the old store until the new one is complete (it never deletes a store before the new one is
  // made), so it wrote 2 GiB into pages this VM had to find anew (5.8–6.1 s against 3.1–3.9 s, 2026-12-06).
  const cap = interleave([
    { name: 'tar|zstd', cmd: 'sh', args: ['-c', `tar -cf - -C "${src}" Data | zstd -T2 -3 -q -f -o "${archive}"`], before: () => rmSync(archive, { force: true }) },
    { name: 'capture', cmd: node, args: [bin, 'scanstate', '--volume', `C=${src}`, '--computer', 'PC', store, `/i:${rules}`, '/encrypt', `/keyfile:${key}`, '/o'], env, before: () => rmSync(store, { recursive: true, force: true }) },
  ], rounds, { settle: true })
  const mig = path.join(store, 'USMT', 'USMT.MIG')
  const migSize = statSync(mig).size
  const zstSize = statSync(archive).size
  const head = Buffer.alloc(106)
  const fd = openSync(mig, 'r')
  readSync(fd, head, 0, 106, 0)
  closeSync(fd)
  const codec = head.readUInt16LE(8) === 1 ? 'DEFLATE' : head.readUInt8(104) === 1 ? 'zstd' : `codec ${head.readUInt8(104)}`
  const rest = interleave([
    { name: 'tar -xf', cmd: 'tar', args: ['--zstd', '-xf', archive, '-C', untar], before: () => { rmSync(untar, { recursive: true, force: true }); mkdirSync(untar) } },
    { name: 'restore', cmd: node, args: [bin, 'loadstate', '--volume', `C=${dest}`, store, '/decrypt', `/keyfile:${key}`], env, before: () => rmSync(dest, { recursive: true, force: true }) },
  ], rounds, { settle: true })
  const sizeDiff = (migSize / zstSize - 1) * 100
  for (const k of ['wall', 'cpu']) console.log(ratioRow(`capture (${codec}, encrypted) vs tar|zstd -T2 -3`, cap.capture, cap['tar|zstd'], k, k === 'wall' ? 1.5 : undefined))
  console.log(`${'store size vs archive size'.padEnd(44)} ${(migSize / 1048576).toFixed(0)} MiB vs ${(zstSize / 1048576).toFixed(0)} MiB (${sizeDiff >= 0 ? '+' : ''}${sizeDiff.toFixed(1)} %)  goal within 5 % → ${Math.abs(sizeDiff) <= 5 ? 'MET' : 'NOT MET'}`)
  for (const k of ['wall', 'cpu']) console.log(ratioRow('restore (one read) vs tar --zstd -xf', rest.restore, rest['tar -xf'], k, k === 'wall' ? 1.5 : undefined))
  console.log(`load average at the end: ${loadavg()}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
