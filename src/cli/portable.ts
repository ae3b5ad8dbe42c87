/** Shared plumbing of the three portable commands (flags, argv split, context). */
import { Flags } from './spec.js'
import type { PortableContext, PortableResult } from '../portable/common.js'
import { splitToolArgv } from '../portable/common.js'
import { VolumeMap } from '../windows/volume-map.js'
import { INPUT_FLAGS, settingFlags, type FlagMap } from './flags.js'
import { StepCommand, type StepContext, type StepOutcome } from './step-command.js'

/** The settings the portable tools read (besides their USMT command line). */
export const PORTABLE_SETTINGS = ['storeCompressionLevel', 'storeCodec', 'storeKdf'] as const

/** usmt-steps' own flags of scanstate/loadstate/usmtutils; everything else on the command line is USMT's. */
export const PORTABLE_FLAGS = {
  ...settingFlags(PORTABLE_SETTINGS),
  // non-greedy: a repeatable flag must not swallow the USMT arguments that follow it
  volume: { ...INPUT_FLAGS.volume, multipleNonGreedy: true },
  removable: { ...INPUT_FLAGS.removable, multipleNonGreedy: true },
  users: INPUT_FLAGS.users,
  computer: { ...INPUT_FLAGS.computer, description: `${INPUT_FLAGS.computer.description} (default PC)` },
  attributes: INPUT_FLAGS.attributes,
  applied: Flags.string({ description: 'loadstate: write every catalogued file and what was done with it (JSON Lines [source, destination, action]) to FILE' }),
  'seal-key-file': Flags.string({ description: 'hard-link and uncompressed stores: the catalog\'s seal key in FILE — scanstate seals with it (and creates FILE with a random key when it does not exist), loadstate and usmtutils /verify /extract refuse a catalog whose seal does not match (42)' }),
}

/** Names of the flags that take a value and of those that do not (with their --no- forms), from the declarations. */
export function flagNames(flags: FlagMap): { value: string[]; bool: string[] } {
  const value: string[] = []
  const bool: string[] = []
  for (const [name, f] of Object.entries(flags)) {
    if (f.type === 'option') value.push(name)
    else bool.push(name, ...(f.allowNo ? [`no-${name}`] : []))
  }
  return { value, bool }
}

export async function portableContext(ctx: StepContext, flags: Record<string, unknown>, rawArgv: readonly string[], version: string, out: string[]): Promise<PortableContext> {
  const list = (k: string): string[] => (flags[k] as string[] | undefined) ?? []
  const text = (k: string): string | undefined => flags[k] as string | undefined
  let last = -1
  return {
    argv: splitToolArgv(rawArgv),
    cwd: ctx.cwd,
    volumes: VolumeMap.parse(list('volume'), list('removable'), ctx.cwd),
    usersFile: text('users'),
    computer: text('computer'),
    attributesFile: text('attributes'),
    appliedFile: text('applied'),
    sealKeyFile: text('seal-key-file'),
    warn: (line) => ctx.warn(line),
    version,
    out: (line) => out.push(line),
    onPercent: (p: number, detail: string) => {
      const whole = Math.floor(p)
      if (whole === last) return
      last = whole
      ctx.progress.update({ phase: 'Portable USMT', percent: p, detail })
    },
    compressionLevel: await ctx.setting('storeCompressionLevel'),
    storeCodec: await ctx.setting('storeCodec'),
    kdf: await ctx.setting('storeKdf'),
  }
}

/**
 * Base of `usmt-steps scanstate|loadstate|usmtutils`: USMT's command line, the portable flags, no
 * task-sequence variables, and USMT's return code as the exit code. A tool names itself and its runner.
 */
export abstract class PortableToolCommand<R extends PortableResult> extends StepCommand<R> {
  /** USMT's own arguments (`/i:…`, the store path) are not oclif's: they pass through to the tool. */
  static override strict = false
  static override settings = PORTABLE_SETTINGS
  static override flags = PORTABLE_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false
  /** USMT's return codes: 0 success, 1 help shown, 3 success with ignored errors (/c); anything else failed. */
  static override successExitCodes = [0, 1, 3]
  static override warningExitCodes = [3]

  protected abstract readonly tool: 'scanstate' | 'loadstate' | 'usmtutils'
  protected abstract runTool(ctx: PortableContext): Promise<R>

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<R>> {
    const out: string[] = []
    const result = await this.runTool(await portableContext(ctx, flags, this.argv, this.config.version, out))
    return {
      result,
      summary: `${this.tool} return code ${result.returnCode}: ${result.message}`,
      text: [...out, `Return code: ${result.returnCode} (${result.message})`].join('\n'),
      exitCode: result.returnCode,
    }
  }
}
