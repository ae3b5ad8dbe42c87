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

// oclif manifest: lets oclif find commands and their flags without importing every command module.
const { Config } = await import('@oclif/core')
rmSync(path.join(root, 'oclif.manifest.json'), { force: true })
const config = await Config.load({ root })
const plugin = config.getPluginsList().find((p) => p.root === root)
const { writeFileSync } = await import('node:fs')
writeFileSync(path.join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2))
console.log(`build: ${Object.keys(plugin.manifest.commands).length} commands in oclif.manifest.json`)
