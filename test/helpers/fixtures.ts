import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PROJECT_ROOT } from './cli.js'

/**
 * The public fixtures in ../shared/fixtures are not ours and are never copied into the project. Suites
 * that use them call `sharedFixtures(this)`: where the folder is absent the suite is skipped and says so
 * (and .ci/run fails when anything was skipped this way).
 */
export const FIXTURES_DIR = path.resolve(PROJECT_ROOT, process.env.USMT_STEPS_FIXTURES ?? '../shared/fixtures')

export function sharedFixture(...parts: string[]): string {
  return path.join(FIXTURES_DIR, ...parts)
}

export function requireSharedFixtures(ctx: Mocha.Context, ...parts: string[]): void {
  const p = sharedFixture(...parts)
  if (!existsSync(p)) {
    console.log(`  [fixtures] SKIPPED: ${p} is absent (set USMT_STEPS_FIXTURES to ../shared/fixtures)`)
    ctx.skip()
  }
}

/** A fresh temp folder removed after the suite (use in before/after). */
export function tempDir(prefix = 'usmt-steps-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Wait until `ready()` holds, polling every 10 ms, for `ms` at most (the caller asserts what it waited for). */
export async function until(ready: () => boolean, ms = 10_000): Promise<void> {
  for (const started = Date.now(); !ready() && Date.now() - started < ms;) await new Promise((r) => setTimeout(r, 10))
}
