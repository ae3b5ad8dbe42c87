#!/usr/bin/env node
// bench/scale: the two walks over many small files, through the real CLI (bin/run.js, what a task sequence runs),
// at 10k, 50k and 200k files (BENCH_SIZES=10000,50000,200000), interleaved with the OS tool doing the same work:
//   rules preview --json --rules MigUser.xml over a Windows-layout tree, output to a file   vs find DIR -printf '%s\n'
//   scanstate /hardlink /nocompress of C:\Data\* [*] (hard-link store)                      vs cp -al
// Prints time (median, min–max) and peak RSS per size (the scale table), the 200k ratios beside their goals
// (issue #15: preview ≤ 1.5× find, memory flat; hard-link capture ≤ 1.2× cp -al, peak RSS at 200k within 10 % of
// 10k) and the load average. Rounds: BENCH_ROUNDS (default 3). MigUser.xml comes from USMT_STEPS_FIXTURES.
// BENCH_WORKS=preview or BENCH_WORKS=hardlink runs one of the two (with its reference) only.
// Run: npm run build && node bench/scale.mjs        BENCH_NODE=/path/to/node for another Node
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { benchNode, cliEnv, describe, header, interleave, loadavg, ratioRow, ROOT, stats } from './lib/measure.mjs'
import { DATA_RULES, windowsTree } from './lib/trees.mjs'

const sizes = (process.env.BENCH_SIZES ?? '10000,50000,200000').split(',').map(Number)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const works = (process.env.BENCH_WORKS ?? 'preview,hardlink').split(',')
const pairs = [['preview', 'find'], ['hardlink', 'cp -al']].filter(([w]) => works.includes(w))
const node = benchNode()
const bin = path.join(ROOT, 'bin', 'run.js')
const migUser = path.resolve(ROOT, process.env.USMT_STEPS_FIXTURES ?? '../shared/fixtures', 'usmt-xml', 'MigUser.xml')
if (!existsSync(migUser)) throw new Error(`MigUser.xml not found at ${migUser} (set USMT_STEPS_FIXTURES)`)
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'usmt-bench-scale-'))
const env = cliEnv()
const rules = path.join(work, 'data-rules.xml')
writeFileSync(rules, DATA_RULES)

function dataTree(dir, total) {
  for (let d = 0; d * 500 < total; d++) {
    const sub = path.join(dir, 'Data', `dir${Math.floor(d / 20)}`, `sub${d}`)
    mkdirSync(sub, { recursive: true })
    for (let i = 0; i < 500 && d * 500 + i < total; i++) writeFileSync(path.join(sub, `file${i}.txt`), `content ${d}/${i}\n`)
  }
}

header(`scale: rules preview and hard-link capture through bin/run.js, ${rounds} interleaved rounds per size`)
const table = []
const at = {}
try {
  for (const n of sizes) {
    const dir = path.join(work, String(n))
    const win = path.join(dir, 'win')
    const data = path.join(dir, 'data')
    const t0 = Date.now()
    if (works.includes('preview')) windowsTree(win, n)
    if (works.includes('hardlink')) dataTree(data, n)
    process.stdout.write(`${n} files: trees made in ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()}\n`)
    const store = path.join(dir, 'store')
    const cpOut = path.join(dir, 'cp-copy')
    const out = path.join(dir, 'preview.json')
    const s = interleave(([
      { name: 'find', cmd: 'find', args: [win, '-type', 'f', '-printf', '%s\n'], stdout: path.join(dir, 'find.txt') },
      { name: 'preview', cmd: node, args: [bin, 'rules', 'preview', '--json', '--rules', migUser, '--volume', `C=${win}`, '--progress', 'none'], env, stdout: out },
      { name: 'cp -al', cmd: 'cp', args: ['-al', path.join(data, 'Data'), cpOut], after: () => rmSync(cpOut, { recursive: true, force: true }) },
      { name: 'hardlink', cmd: node, args: [bin, 'scanstate', '--volume', `C=${data}`, '--computer', 'PC', store, `/i:${rules}`, '/hardlink', '/nocompress', '/o'], env, after: () => rmSync(store, { recursive: true, force: true }) },
    ]).filter((c) => pairs.some((p) => p.includes(c.name))), rounds, { warmup: n >= 200000 ? 0 : 1, settle: true })
    at[n] = s
    for (const [name, ref] of pairs) {
      table.push({ n, work: name, time: describe(s[name]), ref: `${ref} ${describe(s[ref])}`, ratio: (stats(s[name].map((x) => x.wall)).median / stats(s[ref].map((x) => x.wall)).median).toFixed(2), rss: stats(s[name].map((x) => x.rssMB)).max })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  console.log('\nscale table (wall: median (min–max); peak RSS: largest of the rounds)')
  console.log(`${'files'.padStart(7)}  ${'work'.padEnd(9)} ${'time'.padEnd(24)} ${'reference'.padEnd(34)} ratio  peak RSS`)
  for (const r of table) console.log(`${String(r.n).padStart(7)}  ${r.work.padEnd(9)} ${r.time.padEnd(24)} ${r.ref.padEnd(34)} ${r.ratio.padStart(5)}×  ${r.rss.toFixed(0)} MB`)
  const big = Math.max(...sizes)
  const small = Math.min(...sizes)
  console.log(`\ngoals at ${big} files:`)
  if (works.includes('preview')) console.log(ratioRow(`rules preview --json (${big} files)`, at[big].preview, at[big].find, 'wall', 1.5))
  if (works.includes('hardlink')) console.log(ratioRow(`scanstate /hardlink /nocompress (${big} files)`, at[big].hardlink, at[big]['cp -al'], 'wall', 1.2))
  for (const [w] of pairs) {
    const a = stats(at[small][w].map((x) => x.rssMB)).max
    const b = stats(at[big][w].map((x) => x.rssMB)).max
    const growth = (b / a - 1) * 100
    console.log(`${`${w} peak RSS ${small} → ${big} files`.padEnd(44)} ${a.toFixed(0)} MB → ${b.toFixed(0)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(0)} %)  ${w === 'hardlink' ? `goal within 10 % → ${Math.abs(growth) <= 10 ? 'MET' : 'NOT MET'}` : `memory flat: ${growth <= 10 ? 'yes' : 'no'}`}`)
  }
  console.log(`load average at the end: ${loadavg()}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
