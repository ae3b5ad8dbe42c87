#!/usr/bin/env node
// Capture/restore benchmark of the portable USMT tools against the classic Unix tools, in one run:
//   1. hard-link capture of BENCH_FILES small files (default 200,000) vs `cp -al`
//   2. compressed + encrypted capture of ~BENCH_MB of mixed data (default 2048) vs `tar -cf - DIR | gzip -6`
//   3. restore of that store vs `tar -xzf`
// Reports wall time, ratios and peak memory (max RSS from /usr/bin/time -v).
// Run:  node --import tsx bench/capture.mjs      (sizes: BENCH_FILES=20000 BENCH_MB=256 node --import tsx bench/capture.mjs)
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FILES = Number(process.env.BENCH_FILES ?? 200000)
const MB = Number(process.env.BENCH_MB ?? 2048)
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), 'usmt-bench-'))
const results = []

function timed(label, cmd, args, opts = {}) {
  const t = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 1 << 26, shell: false })
  const secs = Number(process.hrtime.bigint() - t) / 1e9
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024
  if (r.status !== 0 && !(opts.okCodes ?? []).includes(r.status)) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`)
  results.push({ label, secs, rssMB: rss })
  console.log(`${label.padEnd(58)} ${secs.toFixed(2).padStart(8)} s   peak ${rss.toFixed(0).padStart(5)} MB`)
  return secs
}

const RULES = `<?xml version="1.0"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/bench">
  <component type="Documents" context="System"><displayName>Bench</displayName><role role="Data"><rules>
    <include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include>
  </rules></role></component>
</migration>`
writeFileSync(path.join(work, 'rules.xml'), RULES)
const node = (op, ...a) => [process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'capture-child.mjs'), op, ...a]]

console.log(`usmt-steps capture benchmark — ${availableParallelism()} cores, node ${process.version}, work dir ${work}`)
try {
  // 1. Hard links.
  const small = path.join(work, 'small', 'C')
  const data = path.join(small, 'Data')
  process.stdout.write(`generating ${FILES} small files… `)
  const perDir = 500
  for (let d = 0; d * perDir < FILES; d++) {
    const dir = path.join(data, `dir${Math.floor(d / 20)}`, `sub${d}`)
    mkdirSync(dir, { recursive: true })
    for (let i = 0; i < perDir && d * perDir + i < FILES; i++) writeFileSync(path.join(dir, `file${i}.txt`), `content ${d}/${i}\n`)
  }
  console.log('done')
  const cpSecs = timed(`cp -al (${FILES} files)`, 'cp', ['-al', data, path.join(work, 'small', 'cp-copy')])
  const storeSecs = timed(`store layer only: hard-link store of ${FILES} files`, ...node('storeonly', data, path.join(work, 'small', 'store-only')))
  const hlSecs = timed(`scanstate /hardlink /nocompress (rules + store, ${FILES} files)`, ...node('scanstate', small, path.join(work, 'small', 'store'), `/i:${path.join(work, 'rules.xml')}`, '/hardlink', '/nocompress', '/o'))
  rmSync(path.join(work, 'small'), { recursive: true, force: true })

  // 2. Compressed + encrypted.
  const big = path.join(work, 'big', 'C')
  const bdata = path.join(big, 'Data')
  process.stdout.write(`generating ~${MB} MB of mixed data… `)
  let written = 0
  let n = 0
  const words = 'the quick brown fox jumps over lazy dog report budget forecast meeting notes customer invoice project status'.split(' ')
  const textChunk = (size) => {
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
  let f = 0
  while (written < MB * 1048576) {
    const kind = f % 10
    const size = kind < 5 ? 4096 + ((f * 7919) % 200000) : kind < 8 ? 1 << (20 + (f % 4)) : 16 << 20
    const content = kind < 4 ? textChunk(size) : kind < 6 ? semi(size) : randomBytes(size)
    const dir = path.join(bdata, `folder${f % 37}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, `file${f}.${kind < 4 ? 'log' : kind < 6 ? 'dat' : 'jpg'}`), content)
    written += size
    f++
  }
  console.log(`${f} files, ${(written / 1048576).toFixed(0)} MB`)
  const tgz = path.join(work, 'big', 'data.tgz')
  const tarSecs = timed(`tar -cf - DIR | gzip -6 (${(written / 1048576).toFixed(0)} MB)`, 'sh', ['-c', `tar -cf - -C "${big}" Data | gzip -6 > "${tgz}"`])
  const keyFile = path.join(work, 'key.txt')
  writeFileSync(keyFile, 'benchmark key\n')
  const store = path.join(work, 'big', 'store')
  const capSecs = timed('scanstate compressed + encrypted (AES-256-GCM)', ...node('scanstate', big, store, `/i:${path.join(work, 'rules.xml')}`, '/encrypt', `/keyfile:${keyFile}`, '/o'))
  const tgzSize = Number(execFileSync('stat', ['-c', '%s', tgz], { encoding: 'utf8' }))
  const migSize = Number(execFileSync('stat', ['-c', '%s', path.join(store, 'USMT', 'USMT.MIG')], { encoding: 'utf8' }))
  // 3. Restore.
  const untar = path.join(work, 'big', 'untar')
  mkdirSync(untar)
  const untarSecs = timed('tar -xzf', 'tar', ['-xzf', tgz, '-C', untar])
  const restoreSecs = timed('loadstate (verify every file, then restore)', ...node('loadstate', path.join(work, 'big', 'dest'), store, '/decrypt', `/keyfile:${keyFile}`))

  console.log('\nratios (lower is better for usmt-steps)')
  console.log(`  hard-link store layer / cp -al        ${(storeSecs / cpSecs).toFixed(2)}×   (goal ≤ 1.2×)`)
  console.log(`  scanstate /hardlink (with rules) / cp -al ${(hlSecs / cpSecs).toFixed(2)}×`)
  console.log(`  compressed+encrypted / tar|gzip -6     ${(capSecs / tarSecs).toFixed(2)}×   (goal ≤ 0.7×); size ${(migSize / 1048576).toFixed(0)} MB vs ${(tgzSize / 1048576).toFixed(0)} MB`)
  console.log(`  restore / tar -xzf                     ${(restoreSecs / untarSecs).toFixed(2)}×`)
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ files: FILES, mb: MB, results, migSize, tgzSize }, null, 2))
} finally {
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true })
}
