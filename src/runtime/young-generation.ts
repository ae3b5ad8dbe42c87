/**
 * A cap on V8's young generation for a long streaming walk: the runtime equivalent of `--max-semi-space-size=4`,
 * which a step cannot pass (a task sequence runs `node bin/run.js …` or the package's launcher).
 *
 * V8 doubles its young generation (up to 2 × 16 MiB on 64-bit) once the bytes that survived its scavenges since
 * the last doubling add up to its size. That sum counts every scavenge, so a walk whose live set is small and
 * constant (a capture's: a folder's names and a batch of files in flight, about 60 KB) still crosses the
 * thresholds one after the other the longer it runs: bench/scale measured a hard-link capture's new space at
 * 8 MiB after 10,000 files and 16 MiB after 200,000 — the whole of its peak memory's growth with the number of
 * files. The larger space buys such a walk nothing: its scavenges copy the same 60 KB either way.
 *
 * `check()` (called every few batches) holds the young generation once it has reached `capBytes`: V8's growth
 * factor is set to 1, so the size stays (V8 still shrinks it when idle). V8 resets the factor to 2 whenever an
 * isolate is created (Heap::ConfigureHeap; a worker thread is one), so `check()` sets it again each time once held:
 * one doubling can slip in between a thread's start and the next check, and none after (Node 20 and 22; Node 24's V8
 * may let it grow past the cap between checks too, up to 10.25–13.5 MiB in a few runs of the test's walk, which
 * reaches 64 MiB without the cap). `release()` gives V8 its
 * default back. V8 flags are process-wide: meant for a process that runs one step (the CLI). Should a
 * V8 ignore the flag, nothing breaks: the young generation grows as before, and bench/scale shows it.
 */
import v8 from 'node:v8'

/** Two semi-spaces of 4 MiB: what a capture of a few thousand files reaches on its own. */
export const YOUNG_GENERATION_CAP = 8 << 20

export interface YoungGenerationCap {
  check(): void
  release(): void
}

export function capYoungGeneration(capBytes = YOUNG_GENERATION_CAP): YoungGenerationCap {
  let held = false
  return {
    check() {
      if (!held) {
        const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
        if (young === undefined || young.space_size < capBytes) return
        held = true
      }
      // Again each time, once held (also when V8 has shrunk the space since): a new isolate resets the factor.
      v8.setFlagsFromString('--semi-space-growth-factor=1')
    },
    release() {
      if (held) v8.setFlagsFromString('--semi-space-growth-factor=2')
      held = false
    },
  }
}
