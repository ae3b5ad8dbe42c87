#!/usr/bin/env node
// Capture/restore benchmark of the portable USMT tools against the classic Unix tools, in one run:
//   1. hard-link capture of BENCH_FILES small files (default 200,000) vs `cp -al`, with the floor of any Node
//      implementation (a bare readdir + mkdir + link loop) and the rule engine's scan alone (scanstate /p);
//      each measured BENCH_REPEAT times (default 3), interleaved, the median is reported
//   2. compressed + encrypted capture of ~BENCH_MB of mixed data (default 2048) vs `tar -cf - DIR | gzip -6`
//   3. restore of that store vs `tar -xzf`
// Reports wall time, CPU time (user + system), ratios, peak memory (max RSS from /usr/bin/time -v) and the
// machine load (/proc/loadavg) before and after.
// The code under test is the built dist/ (`npm run build` first) or BENCH_DIST=DIR (a tsc outDir);
// BENCH_TSX=1 runs src/ through tsx instead (slower start-up, not what ships).
// Run:  npm run build && node bench/capture.mjs       (sizes: BENCH_FILES=20000 BENCH_MB=256 BENCH_REPEAT=1)
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FILES = Number(process.env.BENCH_FILES ?? 200000)
const MB = Number(process.env.BENCH_MB ?? 2048)
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3))
const TSX = process.env.BENCH_TSX === '1'
const DIST = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'))
if (!TSX && !existsSync(path.join(DIST, 'portable', 'scanstate.js'))) {
  console.error(`${DIST} holds no built portable tools: run \`npm run build\` (or set BENCH_DIST, or BENCH_TSX=1)`)
  process.exit(2)
}
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), 'usmt-bench-'))
const results = []
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

function timed(label, cmd, args, opts = {}) {
  const t = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 1 << 26, shell: false, env: { ...process.env, BENCH_DIST: DIST } })
  const secs = Number(process.hrtime.bigint() - t) / 1e9
  const num = (re) => Number(re.exec(r.stderr)?.[1] ?? 0)
  const rss = num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024
  const cpu = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)
  if (r.status !== 0 && !(opts.okCodes ?? []).includes(r.status)) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`)
  const row = { label, secs, cpu, rssMB: rss }
  results.push(row)
  if (!opts.quiet) console.log(`${label.padEnd(62)} ${secs.toFixed(2).padStart(8)} s  cpu ${cpu.toFixed(2).padStart(6)} s  peak ${rss.toFixed(0).padStart(5)} MB`)
  return row
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]

const RULES = `<?xml version="1.0"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/bench">
  <component type="Documents" context="System"><displayName>Bench</displayName><role role="Data"><rules>
    <include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include>
  </rules></role></component>
</migration>`
writeFileSync(path.join(work, 'rules.xml'), RULES)
const node = (op, ...a) => [process.execPath, [...(TSX ? ['--import', 'tsx'] : []), path.join(ROOT, 'bench', 'capture-child.mjs'), op, ...a]]

console.log(`usmt-steps capture benchmark — ${availableParallelism()} cores, node ${process.version}, code ${TSX ? 'src/ through tsx' : DIST}, work dir ${work}`)
console.log(`load average at start: ${loadavg()}`)
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
  const small_ = path.join(work, 'small')
  const rows = { cp: [], floor: [], store: [], scan: [], hl: [] }
  const measure = (key, label, cmd, args, cleanup) => {
    const row = timed(label, cmd, args, { quiet: true })
    rows[key].push(row)
    if (cleanup) rmSync(cleanup, { recursive: true, force: true })
  }
  for (let i = 0; i < REPEAT; i++) {
    measure('cp', 'cp -al', 'cp', ['-al', data, path.join(small_, 'cp-copy')], path.join(small_, 'cp-copy'))
    measure('floor', 'bare Node loop', ...node('floor', data, path.join(small_, 'floor-copy')), path.join(small_, 'floor-copy'))
    measure('store', 'store layer', ...node('storeonly', data, path.join(small_, 'store-only')), path.join(small_, 'store-only'))
    measure('scan', 'scanstate /p', ...node('scanstate', small, path.join(small_, 'estimate'), `/i:${path.join(work, 'rules.xml')}`, `/p:${path.join(work, 'estimate.xml')}`))
    measure('hl', 'scanstate /hardlink', ...node('scanstate', small, path.join(small_, 'store'), `/i:${path.join(work, 'rules.xml')}`, '/hardlink', '/nocompress', '/o'), path.join(small_, 'store'))
  }
  const show = (key, label) => {
    const r = rows[key]
    const row = { label, secs: median(r.map((x) => x.secs)), min: Math.min(...r.map((x) => x.secs)), cpu: median(r.map((x) => x.cpu)), rssMB: Math.max(...r.map((x) => x.rssMB)) }
    console.log(`${label.padEnd(62)} ${row.secs.toFixed(2).padStart(8)} s  (min ${row.min.toFixed(2)})  cpu ${row.cpu.toFixed(2).padStart(6)} s  peak ${row.rssMB.toFixed(0).padStart(5)} MB`)
    return row
  }
  console.log(`hard links, ${FILES} files, median of ${REPEAT}:`)
  const cp = show('cp', `cp -al (${FILES} files)`)
  const floor = show('floor', 'floor: bare Node readdir + mkdir + link loop')
  const storeOnly = show('store', 'store layer: walk + hard-link store + streamed catalog')
  const scanOnly = show('scan', 'scanstate /p (rule engine scan only, no store)')
  const hl = show('hl', 'scanstate /hardlink /nocompress (rules + store)')
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
  const tar = timed(`tar -cf - DIR | gzip -6 (${(written / 1048576).toFixed(0)} MB)`, 'sh', ['-c', `tar -cf - -C "${big}" Data | gzip -6 > "${tgz}"`])
  const keyFile = path.join(work, 'key.txt')
  writeFileSync(keyFile, 'benchmark key\n')
  const store = path.join(work, 'big', 'store')
  const cap = timed('scanstate compressed + encrypted (AES-256-GCM)', ...node('scanstate', big, store, `/i:${path.join(work, 'rules.xml')}`, '/encrypt', `/keyfile:${keyFile}`, '/o'))
  const tgzSize = Number(execFileSync('stat', ['-c', '%s', tgz], { encoding: 'utf8' }))
  const migSize = Number(execFileSync('stat', ['-c', '%s', path.join(store, 'USMT', 'USMT.MIG')], { encoding: 'utf8' }))
  // 3. Restore.
  const untar = path.join(work, 'big', 'untar')
  mkdirSync(untar)
  const untar_ = timed('tar -xzf', 'tar', ['-xzf', tgz, '-C', untar])
  const restore = timed('loadstate (verify every file, then restore)', ...node('loadstate', path.join(work, 'big', 'dest'), store, '/decrypt', `/keyfile:${keyFile}`))

  console.log('\nratios (lower is better for usmt-steps; wall time, CPU time in brackets)')
  const ratio = (a, b) => `${(a.secs / b.secs).toFixed(2)}× (cpu ${(a.cpu / b.cpu).toFixed(2)}×)`
  console.log(`  floor (bare Node loop) / cp -al               ${ratio(floor, cp)}`)
  console.log(`  hard-link store layer / cp -al                ${ratio(storeOnly, cp)}   (goal ≤ 1.2×)`)
  console.log(`  hard-link store layer / floor                 ${ratio(storeOnly, floor)}`)
  console.log(`  scanstate /p (rules only) / cp -al            ${ratio(scanOnly, cp)}`)
  console.log(`  scanstate /hardlink (with rules) / cp -al     ${ratio(hl, cp)}`)
  console.log(`  compressed+encrypted / tar|gzip -6           ${ratio(cap, tar)}   (goal ≤ 0.7×); size ${(migSize / 1048576).toFixed(0)} MB vs ${(tgzSize / 1048576).toFixed(0)} MB`)
  console.log(`  restore / tar -xzf                            ${ratio(restore, untar_)}`)
  console.log(`load average at the end: ${loadavg()}`)
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ files: FILES, mb: MB, repeat: REPEAT, results, migSize, tgzSize }, null, 2))
} finally {
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true })
}
