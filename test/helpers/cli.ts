import { Config, run } from '@oclif/core'
import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as path from 'node:path'

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

let configPromise: Promise<Config> | undefined

/** A command class run directly (a test's subclass injecting through a service's API), instead of by name. */
export interface CommandClass { run(argv: string[], config: Config): Promise<unknown> }

/** The oclif configuration of the commands in src/ (every command, its flags and its declared settings). */
export function cliConfig(): Promise<Config> {
  // Commands load straight from src/commands: mocha already runs with tsx, so oclif needs no ts-path mapping
  // (its own tsx registration fails and would silently fall back to a stale dist/).
  configPromise ??= (async () => {
    const pjson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { oclif: Record<string, unknown> }
    return Config.load({ root: PROJECT_ROOT, pjson: { ...pjson, oclif: { ...pjson.oclif, commands: './src/commands', helpClass: './src/cli/help.ts' } } as never })
  })()
  return configPromise
}

/**
 * Run a usmt-steps command in this process (commands load from src/ through tsx), capturing stdout,
 * stderr and the exit code. Environment overrides apply for the duration of the call.
 */
export async function runCli(argv: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; command?: CommandClass } = {}): Promise<CliResult> {
  const config = await cliConfig()
  const out: string[] = []
  const err: string[] = []
  const origOut = process.stdout.write
  const origErr = process.stderr.write
  const savedEnv: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries({ USMT_STEPS_QUIET: '1', ...opts.env })) {
    savedEnv[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  const cwd = process.cwd()
  if (opts.cwd) process.chdir(opts.cwd)
  const savedExit = process.exitCode
  process.exitCode = undefined
  process.stdout.write = ((chunk: string | Uint8Array) => { out.push(String(chunk)); return true }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true }) as typeof process.stderr.write
  let exitCode = 0
  try {
    const args = argv[0] === 'help' && argv[1] === 'exit-codes' ? ['exit-codes', ...argv.slice(2)] : argv
    if (opts.command) await opts.command.run(args, config)
    else await run(args, config)
    exitCode = Number(process.exitCode ?? 0)
  } catch (e) {
    const oclifExit = (e as { oclif?: { exit?: number } }).oclif?.exit
    exitCode = typeof oclifExit === 'number' ? oclifExit : 1
    err.push(String((e as Error).message))
  } finally {
    process.stdout.write = origOut
    process.stderr.write = origErr
    process.exitCode = savedExit
    if (opts.cwd) process.chdir(cwd)
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  return { stdout: out.join(''), stderr: err.join(''), exitCode }
}

/** Run the built CLI (bin/run.js → dist/) as a real child process: what a task sequence does. Needs `npm run build`. */
export async function spawnCli(argv: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'run.js'), ...argv], {
    env: { USMT_STEPS_QUIET: '1', ...opts.env }, cwd: opts.cwd ?? PROJECT_ROOT, reject: false, input: opts.input, stdin: opts.input === undefined ? 'ignore' : undefined,
  })
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 }
}

/** Parse the --json document a command printed (fails the test when stdout holds anything else). */
export function parseJsonOutput<T = { status: string; result: unknown; warnings: string[]; error?: { code: string; exitCode: number; message: string } }>(stdout: string): T {
  return JSON.parse(stdout) as T
}
