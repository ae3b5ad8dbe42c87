// Shared measuring for bench/*.mjs: every case is a real command run as a child process (wall clock, CPU time
// user + system and peak RSS of that child, from wait4 in bench/lib/rusage.py), cases interleaved round by round
// so drift and other load hit every case alike, medians with min–max, and the load average printed beside.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const RUSAGE = path.join(ROOT, 'bench', 'lib', 'rusage.py')
const scratch = mkdtempSync(path.join(os.tmpdir(), 'usmt-bench-rusage-'))
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))

export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

/**
 * Put the machine into the same state before every timed operation: dirty pages written (`sync`), then a pause
 * long enough for this VM to hand the memory freed by the previous operation back to its host. The machine kind
 * runs Firecracker with free page reporting (`page_reporting.page_reporting_order=11` on the kernel's command line)
 * and DAMON paging out cold page cache, so a page the guest freed stays cheap to reuse for about a second, then is
 * returned and faults on the host when touched again. Measured here: writing 1 GiB into the page cache takes
 * 0.17–0.19 s right after 1 GiB was freed and 1.0–1.2 s after 3 s or more (0.4–0.9 s after 1–2.5 s). Without the
 * pause, whichever case ran right after another case freed memory was up to 2× faster at the same work (the SMB
 * bench's `smbclient put` with our options: 1.1–1.7 s after the previous case deleted its 1 GiB file, 3.0–3.9 s
 * for the identical command after a slower case). Every case now starts with the memory returned, as after a few
 * seconds of idle, which is how a task-sequence step finds the machine. BENCH_SETTLE=<seconds> (default 4; 0 only
 * syncs).
 */
export function settle() {
  execFileSync('sync')
  const s = Number(process.env.BENCH_SETTLE ?? 4)
  if (s > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s * 1000)
}

/** Run one command; `stdout` is a file to write its output to (default: discarded). Throws on a bad exit code. */
export function runOnce(cmd, args, { env, cwd, stdout = '-', okCodes = [0] } = {}) {
  const out = path.join(scratch, `r-${process.pid}.json`)
  const r = spawnSync('python3', [RUSAGE, out, stdout, cmd, ...args], { env: env ?? process.env, cwd, stdio: ['ignore', 'inherit', 'pipe'], maxBuffer: 1 << 26 })
  if (r.status !== 0) throw new Error(`rusage wrapper failed for ${cmd} ${args.join(' ')}: ${r.stderr}`)
  const m = JSON.parse(readFileSync(out, 'utf8'))
  if (!okCodes.includes(m.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${m.status}: ${String(r.stderr).slice(-3000)}`)
  return { wall: m.wall, cpu: m.user + m.sys, rssMB: m.maxrssKB / 1024 }
}

/**
 * Interleaved rounds: each case is `{ name, cmd, args, env?, before?(), after?() }`; before/after run untimed
 * around every measurement (e.g. remove the store the previous run made). With `settle`, `settle()` runs after
 * `before` (for work that writes or frees much memory: see settle). Returns name → samples.
 */
export function interleave(cases, rounds, { warmup = 0, settle: settled = false } = {}) {
  const samples = Object.fromEntries(cases.map((c) => [c.name, []]))
  for (let r = -warmup; r < rounds; r++) {
    // Rotate the start so no case always runs first after the previous round's last one.
    const order = cases.map((_, i) => cases[(i + Math.max(r, 0)) % cases.length])
    for (const c of order) {
      c.before?.()
      if (settled) settle()
      const s = runOnce(c.cmd, c.args, { env: c.env, cwd: c.cwd, stdout: c.stdout, okCodes: c.okCodes })
      c.after?.()
      if (r >= 0) samples[c.name].push(s)
    }
  }
  return samples
}

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
  return { median, min: s[0], max: s[n - 1], n }
}

const fmt = (x, unit) => unit === 'ms' ? `${(x * 1000).toFixed(0)} ms` : unit === 'MB' ? `${x.toFixed(0)} MB` : `${x.toFixed(2)} s`
export function describe(samples, key = 'wall', unit = 's') {
  const st = stats(samples.map((s) => s[key]))
  return `${fmt(st.median, unit)} (${fmt(st.min, unit)}–${fmt(st.max, unit)})`
}

/**
 * One table row: `work` against `reference` on `key` (wall or cpu). `goal` is printed only for a real
 * end-to-end path (pass null for a partial path: no goal is shown next to it). `higherIsBetter` for throughput.
 * The goal is judged on the ratio of the medians. Samples of interleaved rounds (same count, round by round) also
 * print their paired ratio: the median and range of each round's own ratio, the two measured seconds apart, which
 * a slower period of the machine changes less than it changes either median.
 */
export function ratioRow(label, work, reference, key, goal, { unit = 's', higherIsBetter = false } = {}) {
  const w = stats(work.map((s) => s[key]))
  const r = stats(reference.map((s) => s[key]))
  const ratio = w.median / r.median
  const goalText = goal === undefined ? '' : goal === null ? '(reference, no goal)' : higherIsBetter ? `goal ≥ ${goal}× → ${ratio >= goal ? 'MET' : 'NOT MET'}` : `goal ≤ ${goal}× → ${ratio <= goal ? 'MET' : 'NOT MET'}`
  const paired = work.length === reference.length && work.length > 1 ? stats(work.map((s, i) => s[key] / reference[i][key])) : null
  const pairedText = paired ? `  [paired ${paired.median.toFixed(2)}× (${paired.min.toFixed(2)}–${paired.max.toFixed(2)}×)]` : ''
  return `${label.padEnd(44)} ${key.padEnd(4)} ${describe(work, key, unit).padEnd(26)} vs ${describe(reference, key, unit).padEnd(26)} ratio ${ratio.toFixed(2)}×  ${goalText}${pairedText}`
}

export function header(title) {
  console.log(`\n== ${title}`)
  console.log(`node ${process.version} (benches the children with: ${process.env.BENCH_NODE ?? process.execPath}), ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()}, ${new Date().toISOString()}`)
}

/** The Node that runs the CLI under test: BENCH_NODE, else this one. */
export const benchNode = () => process.env.BENCH_NODE ?? process.execPath
/** The environment of a CLI run: quiet, and without the sandbox's NODE_EXTRA_CA_CERTS (it adds ~40 ms of certificate parsing to every Node start, reference included). */
export function cliEnv(extra = {}) {
  const env = { ...process.env, USMT_STEPS_QUIET: '1', ...extra }
  if (!process.env.BENCH_KEEP_CA) delete env.NODE_EXTRA_CA_CERTS
  return env
}
