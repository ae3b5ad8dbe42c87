#!/usr/bin/env node
// bench/startup: what a step costs before it does any work. Real commands (`exit-codes --json`, `plan --help`,
// `capture --help`) from bin/run.js and from the Windows package's launch.cjs (built with --no-node into a
// temporary folder unless build/package/usmt-steps exists), against `node -e 0`, wall clock and CPU time, interleaved.
// Goal (issue #15): ≤ 2.0× node -e 0, wall and CPU. `--version` (answered without oclif) is printed for reference.
// NODE_EXTRA_CA_CERTS is removed from the children's environment (BENCH_KEEP_CA=1 keeps it): set, it makes every
// Node start parse the certificate bundle (~40 ms here), which hides start-up cost in both sides of the ratio.
// Run: npm run build && node bench/startup.mjs [runs=15]      BENCH_NODE=/path/to/node for another Node (e.g. 22)
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { benchNode, cliEnv, header, interleave, loadavg, ratioRow, ROOT } from './lib/measure.mjs'

const runs = Number(process.argv[2] ?? 15)
const node = benchNode()
const bin = path.join(ROOT, 'bin', 'run.js')
if (!existsSync(path.join(ROOT, 'dist', 'bundle', 'usmt-steps.mjs'))) throw new Error('run `npm run build` first (dist/bundle/ is missing)')
let pkg = path.join(ROOT, 'build', 'package', 'usmt-steps')
let tmp = null
if (!existsSync(path.join(pkg, 'launch.cjs'))) {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'usmt-bench-pkg-'))
  pkg = path.join(tmp, 'usmt-steps')
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package.mjs'), '--no-node', '--out', pkg], { stdio: ['ignore', 'ignore', 'inherit'] })
}
const launch = path.join(pkg, 'launch.cjs')
const env = cliEnv()
const commands = [['exit-codes', '--json'], ['plan', '--help'], ['capture', '--help']]
const cases = [{ name: 'node -e 0', cmd: node, args: ['-e', '0'], env }]
for (const c of commands) {
  cases.push({ name: `bin/run.js ${c.join(' ')}`, cmd: node, args: [bin, ...c], env })
  cases.push({ name: `package ${c.join(' ')}`, cmd: node, args: [launch, ...c], env })
}
cases.push({ name: 'bin/run.js --version', cmd: node, args: [bin, '--version'], env })
header(`start-up, ${runs} interleaved rounds (+2 warm-up; Node's compile cache is on where the runtime has it)`)
const s = interleave(cases, runs, { warmup: 2 })
const base = s['node -e 0']
for (const c of cases.slice(1)) {
  const goal = c.name.endsWith('--version') ? null : 2.0
  for (const key of ['wall', 'cpu']) console.log(ratioRow(c.name, s[c.name], base, key, goal, { unit: 'ms' }))
}
console.log(`load average at the end: ${loadavg()}`)
if (tmp) rmSync(tmp, { recursive: true, force: true })
