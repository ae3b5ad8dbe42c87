/** Shared plumbing of the three portable commands (flags, argv split, context). */
import { Flags } from '@oclif/core'
import type { StepContext } from '../cli/step-command.js'
import { VolumeMap } from '../windows/volume-map.js'
import { splitToolArgv, type PortableContext } from './common.js'

export const PORTABLE_FLAGS = {
  volume: Flags.string({ description: 'Map a fixed drive to a local folder: C=DIR (repeatable)', multiple: true, multipleNonGreedy: true }),
  removable: Flags.string({ description: 'Map a removable drive to a local folder: E=DIR (repeatable)', multiple: true, multipleNonGreedy: true }),
  users: Flags.string({ description: 'JSON file of user profiles [{account, profile, sid, lastUse}] (default: discovered under C:\\Users)' }),
  computer: Flags.string({ description: 'Computer name (local accounts, %COMPUTERNAME%); default PC' }),
  attributes: Flags.string({ description: 'JSON file of Windows attributes by path ({"C:\\\\x": "RHS"}); Linux volumes cannot hold them' }),
  applied: Flags.string({ description: 'loadstate: write every catalogued file and what was done with it (JSON Lines [source, destination, action]) to FILE' }),
}

const VALUE_FLAGS = ['volume', 'removable', 'users', 'computer', 'attributes', 'applied', 'ts-env', 'log-dir', 'progress']
const BOOL_FLAGS = ['json', 'verbose']

export async function portableContext(ctx: StepContext, flags: Record<string, unknown>, rawArgv: readonly string[], version: string, out: string[]): Promise<PortableContext> {
  const volumes = VolumeMap.parse((flags.volume as string[] | undefined) ?? [], (flags.removable as string[] | undefined) ?? [], ctx.cwd)
  return {
    argv: splitToolArgv(rawArgv, VALUE_FLAGS, BOOL_FLAGS),
    cwd: ctx.cwd,
    volumes,
    usersFile: flags.users as string | undefined,
    computer: flags.computer as string | undefined,
    attributesFile: flags.attributes as string | undefined,
    appliedFile: flags.applied as string | undefined,
    version,
    out: (line) => out.push(line),
    onPercent: (() => {
      let last = -1
      return (p: number, detail: string) => {
        const whole = Math.floor(p)
        if (whole === last) return
        last = whole
        ctx.progress.update({ phase: 'Portable USMT', percent: p, detail })
      }
    })(),
    compressionLevel: Number(await ctx.setting('storeCompressionLevel')),
    storeCodec: (await ctx.setting('storeCodec')) as 'auto' | 'zstd' | 'deflate',
    kdf: (await ctx.setting('storeKdf')) as 'scrypt' | 'pbkdf2',
  }
}
