import { execute } from '@oclif/core/execute'
import { installStreamGuards } from '../runtime/redact.js'

/** Entry used by bin/run.js (and the bundle). `help exit-codes` is an alias of `exit-codes`. */
export async function run(argv: string[], dir: string): Promise<void> {
  installStreamGuards()
  const args = argv[0] === 'help' && argv[1] === 'exit-codes' ? ['exit-codes', ...argv.slice(2)] : argv
  await execute({ args, dir })
}
