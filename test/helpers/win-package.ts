import { execa } from 'execa'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PROJECT_ROOT } from './cli.js'

/**
 * The Windows package folder (`scripts/package.mjs`), built once per test run and shared by every suite that needs
 * it (the package checks and the Wine lane), in a temp folder removed when the process exits. The node-win-*
 * tarballs come from the package script's own cache (USMT_STEPS_NODE_CACHE, default ~/.cache/usmt-steps/node-win),
 * so only the first run on a machine downloads them.
 */
let building: Promise<string> | undefined
let root: string | undefined

export function windowsPackage(): Promise<string> {
  building ??= (async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-pkg-'))
    process.once('exit', () => { if (root) rmSync(root, { recursive: true, force: true }) })
    const out = path.join(root, 'usmt-steps')
    const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'package.mjs'), '--out', out], { reject: false, cwd: PROJECT_ROOT, stdin: 'ignore' })
    if (r.exitCode !== 0) throw new Error(`npm run package failed (${r.exitCode}): ${r.stderr}`)
    return out
  })()
  return building
}
