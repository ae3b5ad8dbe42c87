#!/usr/bin/env node
// Build: TypeScript → dist/ (tsc), then the oclif manifest so command discovery does not load every command.
import { execFileSync } from 'node:child_process'
import { rmSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
rmSync(path.join(root, 'dist'), { recursive: true, force: true })
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root })
if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('build produced no dist/cli/main.js')

// No oclif.manifest.json here: oclif reads a root manifest even in development, which would hide commands
// from the in-process test runner. The shipped package is a single-file bundle with an explicit command map.
rmSync(path.join(root, 'oclif.manifest.json'), { force: true })
