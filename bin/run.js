#!/usr/bin/env node
// usmt-steps entry point. `--version` is answered without loading oclif so that a task-sequence
// probe (`usmt-steps --version`) costs little more than starting Node itself (bench/startup). Every other command
// runs the CLI bundle that `npm run build` writes (dist/bundle/usmt-steps.mjs: a lazy command map and an oclif
// manifest, so a command loads only its own modules — the same bundle the Windows package ships).
import { readFileSync } from 'node:fs'
import module from 'node:module'

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // Node ≥ 22.1 keeps compiled code of the bundle in its compile cache (os.tmpdir(); NODE_DISABLE_COMPILE_CACHE=1
  // turns it off): a later start reads it instead of compiling again.
  module.enableCompileCache?.()
  const { main } = await import('../dist/bundle/usmt-steps.mjs')
  await main(argv)
}
