/**
 * Runs one portable USMT tool (scanstate, loadstate, usmtutils) from the TypeScript sources (through tsx) as a
 * child process. The steps use it when they themselves run from src/ (tests); a built install starts
 * bin/run.js instead (see src/steps/locate.ts). It lives outside src/ because only a source checkout runs it. The command class is loaded directly, so no command discovery (and no
 * manifest built earlier) is involved.
 */
import { Config, flush, handle } from '@oclif/core'
import * as nodePath from 'node:path'
import { fileURLToPath } from 'node:url'
import { installStreamGuards } from '../src/runtime/redact.js'

const TOOLS = ['scanstate', 'loadstate', 'usmtutils']

installStreamGuards()
const [tool, ...argv] = process.argv.slice(2)
try {
  if (!TOOLS.includes(tool)) throw new Error(`dev-entry runs only ${TOOLS.join(', ')} (got ${tool})`)
  const root = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '..')
  const config = await Config.load(root)
  const mod = (await import(new URL(`../src/commands/${tool}.ts`, import.meta.url).href)) as { default: { run(argv: string[], config: Config): Promise<unknown> } }
  await mod.default.run(argv, config)
  await flush()
} catch (err) {
  await handle(err as Error)
}
