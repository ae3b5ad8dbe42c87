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
walk(1.5e6)
const w = new Worker('setTimeout(() => {}, 10)', { eval: true })
await new Promise((r) => w.once('online', r))
walk(2.5e6)
young.release()
console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576)
`

const newSpaceMiB = (hold: boolean): number =>
  Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROGRAM], { env: { ...process.env, HOLD: hold ? '1' : '0' }, encoding: 'utf8' }).trim())

describe('runtime/young-generation: the cap on V8\'s young generation for a long walk', function () {
  this.timeout(60_000)

  it('holds the new space at the cap once reached, across a worker thread\'s start; without it the same walk grows it', () => {
    expect(YOUNG_GENERATION_CAP).to.equal(8 << 20)
    const free = newSpaceMiB(false)
    const held = newSpaceMiB(true)
    expect(held).to.equal(4)
    expect(free).to.be.greaterThan(held)
  })
})
