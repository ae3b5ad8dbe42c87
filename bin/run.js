#!/usr/bin/env node
// usmt-steps entry point. `--version` is answered without loading oclif so that a task-sequence
// probe (`usmt-steps --version`) costs little more than starting Node itself (bench/startup).
import { readFileSync } from 'node:fs'

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const { run } = await import('../dist/cli/main.js')
  await run(argv, import.meta.url)
}
