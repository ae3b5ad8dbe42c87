#!/usr/bin/env node
// bench/startup: how much a step costs before it does any work. Compares, in the same run,
// `usmt-steps --version` (fast path, no oclif), `usmt-steps exit-codes` (full oclif start) and the
// bundled single file (when built by `npm run package`) against `node -e 0`.
// Usage: node bench/startup.mjs [runs=15]
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const runs = Number(process.argv[2] ?? 15)
const bin = path.join(root, 'bin', 'run.js')
const cases = [
  ['node -e 0', ['-e', '0']],
  ['usmt-steps --version', [bin, '--version']],
  ['usmt-steps exit-codes', [bin, 'exit-codes']],
]
// The shipped package (npm run package): usmt-steps.cmd runs launch.cjs, which loads the bundle for commands.
const launcher = path.join(root, 'build', 'package', 'usmt-steps', 'launch.cjs')
if (existsSync(launcher)) cases.push(['package --version', [launcher, '--version']], ['package exit-codes', [launcher, 'exit-codes']])

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const results = {}
for (const [, args] of cases) spawnSync(process.execPath, args) // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [name, args] of cases) { // interleaved, so drift hits every case alike
    const t = process.hrtime.bigint()
    const r = spawnSync(process.execPath, args, { env: { ...process.env, USMT_STEPS_QUIET: '1' } })
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`)
    ;(results[name] ??= []).push(Number(process.hrtime.bigint() - t) / 1e6)
  }
}
const base = median(results['node -e 0'])
console.log(`startup, median of ${runs} runs (node ${process.version}, ${process.platform}-${process.arch})`)
for (const [name] of cases) {
  const m = median(results[name])
  console.log(`${name.padEnd(24)} ${m.toFixed(1).padStart(7)} ms   ${(m / base).toFixed(2)}x node -e 0`)
}
