import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { YOUNG_GENERATION_CAP } from '../../../src/runtime/young-generation.js'

const MODULE = fileURLToPath(new URL('../../../src/runtime/young-generation.ts', import.meta.url))

/**
 * A walk-like program in a fresh Node: a small live set (20,000 objects at most) and much garbage, with a worker
 * thread started half-way (V8 resets its growth factor when an isolate is created). Prints the new space's size
 * at the end, in MiB.
 */
const PROGRAM = `
import v8 from 'node:v8'
import { Worker } from 'node:worker_threads'
import { capYoungGeneration } from ${JSON.stringify(MODULE)}
const young = capYoungGeneration(4 << 20)
const hold = process.env.HOLD === '1'
const keep = []
const walk = (n) => {
  for (let i = 0; i < n; i++) {
    keep.push({ i, s: 'x' + i })
    if (keep.length > 20000) keep.length = 0
    if (hold && i % 1000 === 0) young.check()
  }
}
const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576
walk(1.5e6)
const before = size()
// execArgv: [] as the product's threads (src/runtime/batch-thread.ts): a worker that inherited --import tsx would
// start a module-hooks thread of its own at a moment of its choosing, another isolate that resets the factor.
const w = new Worker('setTimeout(() => {}, 10)', { eval: true, execArgv: [] })
await new Promise((r) => w.once('online', r))
const online = size()
walk(2.5e6)
young.release()
console.log(JSON.stringify({ before, online, end: size() }))
`

/** The new space's size in MiB after the first walk, once the worker is online, and at the end. */
const newSpaceMiB = (hold: boolean): { before: number; online: number; end: number } =>
  JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], { env: { ...process.env, HOLD: hold ? '1' : '0' }, encoding: 'utf8' }).trim()) as { before: number; online: number; end: number }

describe('runtime/young-generation: the cap on V8\'s young generation for a long walk', function () {
  this.timeout(60_000)

  it('holds the new space at the cap once reached, and again after a worker thread\'s start; without it the same walk grows it', () => {
    expect(YOUNG_GENERATION_CAP).to.equal(8 << 20)
    const held = newSpaceMiB(true)
    // Held once it reached the cap (4 MiB), through the first walk. V8 grows the space by steps, which usually land
    // on the cap exactly; a step may go past it (5.25 MiB was seen once on Node 24 under CI load), and the hold keeps
    // that size. While the worker starts, its isolate resets V8's factor and one more step may slip in before the
    // next check; from the next check on the size holds again. A space that went past the cap may also be shrunk back
    // to it then (4.25 → 4 MiB was seen once on Node 24 in CI).
    const free = newSpaceMiB(false)
    expect(free.end).to.be.greaterThan(8)
    if (Number(process.versions.node.split('.')[0]) < 24) {
      expect(held.before).to.be.at.least(4).and.at.most(8)
      expect(held.online).to.be.at.least(4).and.at.most(2 * held.before)
      expect(held.end).to.equal(held.online)
    } else {
      // Node 24's V8 may grow the space past the cap between checks, before the worker (4 → 10.25 MiB once in CI) and
      // after its start (4 → 12.25 and 13.5 MiB in 2 of 12 runs, 2026-12-07), where the same walk without the cap
      // reaches 64 MiB. The cap still holds it to a quarter of that at most.
      expect(held.before).to.be.at.least(4).and.at.most(16)
      expect(held.end).to.be.at.most(16)
      expect(held.end * 4).to.be.at.most(free.end)
    }
  })
})
