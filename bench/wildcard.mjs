#!/usr/bin/env node
// bench/wildcard: the linear wildcard matcher of src/engine/pattern.ts against the hostile patterns of issue #20
// (`*a*a*a*a*a*a*a*a*b`, 10 stars) on names of 60 … 100,000 characters, next to the same match as a `.*` regular
// expression on the short names only; names are a…ab (the last piece matches, the middle ones are searched) (the regex is exponential: 8 stars × 60 characters took 87 s before).
//   node --import tsx bench/wildcard.mjs [--regex]   (--regex also times the regex on 20/24/28-character names)
import { compileWildcard } from '../src/engine/pattern.ts'

const time = (fn, reps) => {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < reps; i++) fn()
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps
}
for (const pattern of ['*a*a*a*a*a*a*a*a*b', '*a*a*a*a*a*a*a*a*a*a*b', '*a*a*a*a*a*a*a*a*ac*b']) {
  const m = compileWildcard(pattern)
  for (const n of [60, 1_000, 10_000, 100_000]) {
    const name = `${'a'.repeat(n - 1)}b`
    const steps = { count: 0 }
    compileWildcard(pattern, { steps })(name)
    const reps = n >= 10_000 ? 20 : 2_000
    console.log(`${pattern.padEnd(24)} ${String(n).padStart(7)} chars: ${time(() => m(name), reps).toFixed(4)} ms/match, ${steps.count} comparisons`)
  }
  if (process.argv.includes('--regex')) {
    const re = new RegExp(`^${pattern.split('*').join('.*')}$`, 's')
    for (const n of [20, 24, 28]) console.log(`${pattern.padEnd(24)} ${String(n).padStart(7)} chars as a regex: ${time(() => re.test(`${'a'.repeat(n - 1)}c`), 1).toFixed(1)} ms/match`)
  }
}
