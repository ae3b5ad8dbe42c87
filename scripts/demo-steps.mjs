#!/usr/bin/env node
// The capture/restore demo (refresh and replace on the bundled sample machine, portable engine).
// Needs `npm run build`. Usage: node scripts/demo-steps.mjs [--keep] [--xml DIR]
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const args = process.argv.slice(2)
const xmlArg = args.indexOf('--xml')
const xmlDir = xmlArg >= 0 ? path.resolve(args[xmlArg + 1]) : [path.join(root, 'templates', 'usmt-xml'), path.resolve(root, process.env.USMT_STEPS_FIXTURES ?? '../shared/fixtures', 'usmt-xml')]
  .find((d) => existsSync(path.join(d, 'MigDocs.xml')))
if (!xmlDir) {
  console.error('demo-steps: no folder with MigDocs.xml and MigApp.xml found; pass --xml DIR')
  process.exit(2)
}
const { tsImport } = await import('tsx/esm/api')
const { runStepsDemo } = await tsImport('./steps-demo.ts', import.meta.url)
const results = await runStepsDemo({ root, xmlDir, keep: args.includes('--keep') })
process.exitCode = results.every((r) => r.ok) ? 0 : 1
