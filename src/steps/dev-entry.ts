/**
 * Runs the usmt-steps CLI from the TypeScript sources (through tsx) as a child process. The steps use it to
 * start the portable scanstate/loadstate/usmtutils when they themselves run from src/ (tests, `--import tsx`);
 * a built install starts bin/run.js instead (see locate.ts).
 */
import { execute } from '@oclif/core'
import { installStreamGuards } from '../runtime/redact.js'

installStreamGuards()
await execute({ args: process.argv.slice(2), development: true, dir: import.meta.url })
