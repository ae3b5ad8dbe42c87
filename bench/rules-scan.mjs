#!/usr/bin/env node
// bench/rules-scan: generate a Windows-layout tree of N files (default 200,000), then in the same run time
//   - `find TREE -type f -printf '%s\n'`                      (the goal's yardstick)
//   - a bare Node walk, readdir + stat of every file            (bench/rules-scan-walk.mjs: the floor for Node)
//   - the same walk without stat, and `node -e 0`               (where the floor's time goes)
//   - `usmt-steps rules preview --json` with MigUser.xml        (output checked afterwards)
//   - the same from the single-file bundle that ships (--bundle: built by scripts/package.mjs --no-node into
//     the temporary folder; oclif then loads one command instead of every command file)
// interleaved, `--runs` times each (median wall time, largest peak RSS from GNU time), and report the ratios
// preview/find and preview/bare walk. The CLI is compiled from src/ into a temporary folder, so the bench
// does not touch dist/.
//   node bench/rules-scan.mjs [--files N] [--runs N] [--tree DIR] [--cli DIR] [--bundle [FILE]] [--keep]
//   --tree DIR     use (or generate once into) DIR instead of a temporary tree
//   --cli DIR      use (or compile once into) DIR instead of a temporary build
//   --bundle FILE  measure an already built bundle entry (cli/usmt-steps.mjs of a package) (without FILE: build one into the temporary folder)
// Build first (--cli, --bundle FILE) and wait for a quiet machine: the builds themselves raise the load average.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PROFILES, windowsTree } from './lib/trees.mjs'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const arg = (name, def) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : def
}
const total = Number(arg('--files', '200000'))
const runs = Number(arg('--runs', '3'))
const migUser = path.resolve(root, process.env.USMT_STEPS_FIXTURES ?? '../shared/fixtures', 'usmt-xml', 'MigUser.xml')
if (!existsSync(migUser)) throw new Error(`MigUser.xml not found at ${migUser} (set USMT_STEPS_FIXTURES)`)
const work = mkdtempSync(path.join(os.tmpdir(), 'usmt-rules-bench-'))
const treeArg = arg('--tree')
const tree = treeArg ? path.resolve(treeArg) : path.join(work, 'C')

// ---------------------------------------------------------------- tree (bench/lib/trees.mjs)
const users = PROFILES
const marker = `${tree}.rules-scan-files` // beside the tree, so it is not part of it
let made = 0
if (existsSync(marker)) {
  made = Number(readFileSync(marker, 'utf8'))
  if (made !== total) throw new Error(`${tree} holds a ${made}-file tree, not ${total}; remove it or pass --files ${made}`)
  console.log(`tree: reusing ${made + users} files under ${tree}`)
} else {
  const t0 = Date.now()
  windowsTree(tree, total)
  made = total
  writeFileSync(marker, String(made))
  console.log(`tree: ${made + users} files in ${((Date.now() - t0) / 1000).toFixed(1)} s under ${tree}`)
}

// ---------------------------------------------------------------- CLI build (temporary unless --cli)
const cliArg = arg('--cli')
const cli = cliArg ? path.resolve(cliArg) : path.join(work, 'cli')
if (!cliArg || !existsSync(path.join(cli, 'dist', 'commands', 'rules', 'preview.js'))) {
  rmSync(path.join(cli, 'dist'), { recursive: true, force: true })
  mkdirSync(cli, { recursive: true })
  cpSync(path.join(root, 'package.json'), path.join(cli, 'package.json'))
  cpSync(path.join(root, 'bin'), path.join(cli, 'bin'), { recursive: true })
  if (!existsSync(path.join(cli, 'node_modules'))) symlinkSync(path.join(root, 'node_modules'), path.join(cli, 'node_modules'))
  // Type errors elsewhere in a work-in-progress checkout do not stop tsc from emitting; require the entry point.
  spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(cli, 'dist'), '--sourceMap', 'false'], { stdio: 'ignore' })
  if (!existsSync(path.join(cli, 'dist', 'commands', 'rules', 'preview.js'))) throw new Error('compiling the CLI failed')
}

let bundle = null
const bundleArg = arg('--bundle')
if (bundleArg && !bundleArg.startsWith('--')) {
  bundle = path.resolve(bundleArg)
  if (!existsSync(bundle)) throw new Error(`--bundle ${bundle} does not exist`)
} else if (process.argv.includes('--bundle')) {
  const out = path.join(work, 'pkg')
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'package.mjs'), '--no-node', '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.status !== 0 || !existsSync(path.join(out, 'cli', 'usmt-steps.mjs'))) throw new Error('building the bundle failed')
  bundle = path.join(out, 'cli', 'usmt-steps.mjs')
}

// ---------------------------------------------------------------- measure
const timeFile = path.join(work, 'time.txt')
function timed(cmd, args, outFile) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, cmd, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, env: { ...process.env, USMT_STEPS_QUIET: '1', USMT_STEPS_LOG_DIR: work },
  })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`)
  if (outFile) writeFileSync(outFile, r.stdout)
  const [sec, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ')
  return { seconds: Number(sec), peakMiB: Number(kb) / 1024, bytesOut: r.stdout.length }
}
const walker = path.join(root, 'bench', 'rules-scan-walk.mjs')
const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  find: ['find', [tree, '-type', 'f', '-printf', '%s\n']],
  'node walk (readdir)': [process.execPath, [walker, tree, '--no-stat']],
  'node walk (readdir+stat)': [process.execPath, [walker, tree]],
  'rules preview --json': [process.execPath, [path.join(cli, 'bin', 'run.js'), 'rules', 'preview', '--json', '--rules', migUser, '--volume', `C=${tree}`, '--progress', 'none']],
}
if (bundle) cases['rules preview --json (bundle)'] = [process.execPath, [bundle, 'rules', 'preview', '--json', '--rules', migUser, '--volume', `C=${tree}`, '--progress', 'none']]
const previewOut = (name) => path.join(work, `${name.includes('bundle') ? 'bundle' : 'preview'}.json`)
const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim()
// Warm the page cache once, then measure every case in turn, `runs` times (drift hits all alike).
spawnSync('find', [tree, '-type', 'f', '-printf', '%s\n'], { stdio: 'ignore', maxBuffer: 1 << 30 })
const samples = {}
for (let i = 0; i < runs; i++) {
  for (const [name, [cmd, args]] of Object.entries(cases)) {
    (samples[name] ??= []).push(timed(cmd, args, name.startsWith('rules') ? previewOut(name) : undefined))
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const summary = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, {
  seconds: median(s.map((x) => x.seconds)), all: s.map((x) => x.seconds), peakMiB: Number(Math.max(...s.map((x) => x.peakMiB)).toFixed(1)), bytesOut: s[0].bytesOut,
}]))
const text = readFileSync(previewOut('preview'), 'utf8')
const doc = JSON.parse(text)
const expectKeys = ['included', 'excluded', 'users', 'warnings', 'notEvaluated', 'totals']
if (JSON.stringify(Object.keys(doc.result)) !== JSON.stringify(expectKeys)) throw new Error(`preview result keys are ${Object.keys(doc.result)}, expected ${expectKeys}`)
if (doc.result.included.length !== doc.result.totals.files || doc.result.excluded.length !== doc.result.totals.excluded) throw new Error('preview lists and totals disagree')
if (bundle && readFileSync(previewOut('bundle'), 'utf8') !== text) throw new Error('the bundle printed another document than the compiled CLI')
const p = summary['rules preview --json'].seconds
const walk = summary['node walk (readdir+stat)'].seconds
const pb = bundle ? summary['rules preview --json (bundle)'].seconds : null
const result = {
  files: made + users,
  loadavg: { before: loadBefore, after: readFileSync('/proc/loadavg', 'utf8').trim() },
  runs,
  cases: summary,
  preview: { included: doc.result.totals.files, excluded: doc.result.totals.excluded, jsonBytes: statSync(previewOut('preview')).size },
  ratioFind: Number((p / summary.find.seconds).toFixed(2)),
  ratioNodeWalk: Number((p / walk).toFixed(2)),
  ...(pb === null ? {} : { bundleRatioFind: Number((pb / summary.find.seconds).toFixed(2)), bundleRatioNodeWalk: Number((pb / walk).toFixed(2)) }),
  nodeWalkOverFind: Number((walk / summary.find.seconds).toFixed(2)),
  node: process.version,
  cpus: os.cpus().length,
}
console.log(JSON.stringify(result, null, 2))
if (!process.argv.includes('--keep')) {
  rmSync(work, { recursive: true, force: true }) // the tree too, unless it is a --tree folder
  if (!treeArg) rmSync(marker, { force: true })
} else console.log(`kept ${work}`)
