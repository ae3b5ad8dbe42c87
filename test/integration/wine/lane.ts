import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { windowsPackage } from '../../helpers/win-package.js'
import { cmdQuote, wine, type WinePrefix, type WineRun } from '../../helpers/wine.js'

/**
 * What the Wine lane's suites share: the run's prefix (test/helpers/wine.ts), the package built once
 * (test/helpers/win-package.ts) and reached through a folder whose name has spaces and non-ASCII characters (so
 * `%~dp0` in usmt-steps.cmd is exercised with both), and a way to run `usmt-steps.cmd` through `cmd /c` as a task
 * sequence's Run Command Line step does.
 */
export interface Lane {
  w: WinePrefix
  /** Unix folder for the suites' data, under a name with spaces and non-ASCII characters. */
  work: string
  /** Windows path of usmt-steps.cmd. */
  launcher: string
  /** `cmd /c "…\usmt-steps.cmd" ARGS` (each argument quoted for cmd); output read from files. */
  usmt(args: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<WineRun>
}

export const ODD_DIR = 'Wine lab – Zoë Ærø'

let lane: Promise<Lane> | undefined

export function wineLane(): Promise<Lane> {
  lane ??= (async () => {
    const [w, pkg] = await Promise.all([wine(), windowsPackage()])
    const work = path.join(w.base, ODD_DIR)
    mkdirSync(path.join(work, 'Déploiement'), { recursive: true })
    // The package folder as an admin would copy it, under an odd name (a symlink: the 160 MB folder is not copied).
    const pkgDir = path.join(work, 'Déploiement', 'usmt steps')
    symlinkSync(pkg, pkgDir)
    const launcher = `${w.z(pkgDir)}\\usmt-steps.cmd`
    return {
      w,
      work,
      launcher,
      usmt: (args, opts) => w.cmd([cmdQuote(launcher), ...args.map(cmdQuote)].join(' '), opts),
    }
  })()
  return lane
}

/** A private copy of the sample machine (samples/machine) under the lane's odd folder, plus a non-ASCII file. */
export function sampleMachine(l: Lane, name: string): string {
  const dir = path.join(l.work, name)
  cpSync(path.join(PROJECT_ROOT, 'samples', 'machine'), dir, { recursive: true, preserveTimestamps: true })
  const odd = path.join(dir, 'C', 'Users', 'ann', 'Documents', 'Résumé – Zoë ✓.txt')
  writeFileSync(odd, 'Grüße aus Århus – ✓\r\n')
  return dir
}

export const SAMPLE_RULES = path.join(PROJECT_ROOT, 'samples', 'rules', 'usmt-steps-sample.xml')

/** The JSON document a command printed with --json (node.exe writes UTF-8 to the redirected file). */
export function json<T>(r: WineRun): T {
  const start = r.stdout.indexOf('{')
  if (start < 0) throw new Error(`no JSON in the output (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(r.stdout.slice(start)) as T
}
