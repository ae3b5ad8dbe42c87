#!/usr/bin/env node
// Build: TypeScript → dist/ (tsc; the modules other scripts and tools import), then the CLI bundle that bin/run.js
// runs: dist/bundle/usmt-steps.mjs with a lazy command map and oclif.manifest.json beside it (scripts/bundle.mjs),
// so a command loads only its own module graph. The shipped package (npm run package) is the same bundle.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { bundleCli, root } from './bundle.mjs'

// --if-stale (npm run demo, bench:*): do nothing when dist/ was built after every input last changed.
const stamp = path.join(root, 'dist', '.build-stamp')
const newest = (p) => {
  const st = statSync(p, { throwIfNoEntry: false })
  if (!st) return 0
  if (!st.isDirectory()) return st.mtimeMs
  return readdirSync(p).reduce((m, n) => Math.max(m, newest(path.join(p, n))), st.mtimeMs)
}
if (process.argv.includes('--if-stale')) {
  const inputs = ['src', 'scripts/build.mjs', 'scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json'].map((p) => newest(path.join(root, p)))
  const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0
  if (built > Math.max(...inputs)) {
    process.stderr.write('build: dist/ is current (npm run build rebuilds anyway)\n')
    process.exit(0)
  }
}

rmSync(path.join(root, 'dist'), { recursive: true, force: true })
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root })
if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('build produced no dist/cli/main.js')
await bundleCli({ outdir: path.join(root, 'dist', 'bundle') })

// No oclif.manifest.json at the project root: oclif reads a root manifest even in development, which would hide
// commands from the in-process test runner. The bundle's manifest lives in dist/bundle/ (its own oclif root).
rmSync(path.join(root, 'oclif.manifest.json'), { force: true })
writeFileSync(stamp, `${new Date().toISOString()}\n`)
