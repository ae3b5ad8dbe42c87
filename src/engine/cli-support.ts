/**
 * Shared by the `rules` commands: their common flags and the translation of flags into an engine input.
 * (oclif loads every file under src/commands as a command, so this lives beside the engine.)
 */
import { Flags } from '@oclif/core'
import * as nodePath from 'node:path'
import type { StepContext } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { VolumeMap } from '../windows/volume-map.js'
import { classicLetters, readAttributeBits } from '../windows/file-attributes.js'
import type { UserSelection } from './contract.js'
import type { FullEngineInput } from './evaluate.js'
import { readUsersFile } from './users.js'

export const ruleFlags = {
  rules: Flags.string({ description: 'Migration XML file (like scanstate /i:); repeat for several files', multiple: true, required: true }),
  config: Flags.string({ description: 'Config.xml (like scanstate /config:); migrate="no" removes a component' }),
  volume: Flags.string({ description: 'Fixed drive mapping LETTER=DIR (e.g. C=./samples/machine/C); repeatable', multiple: true, required: true }),
  removable: Flags.string({ description: 'Removable drive mapping LETTER=DIR; repeatable', multiple: true }),
  users: Flags.string({ description: 'JSON array of {account, profile, sid?, lastUse?}; default: folders under C:\\Users as COMPUTER\\name' }),
  computer: Flags.string({ description: 'Computer name for %COMPUTERNAME% and local accounts (default PC)' }),
  ui: Flags.string({ description: '/ui: user to include (DOMAIN\\name, wildcards, SID); repeatable', multiple: true }),
  ue: Flags.string({ description: '/ue: user to exclude (DOMAIN\\name, wildcards); repeatable', multiple: true }),
  uel: Flags.string({ description: '/uel: users who logged on within N days, or since yyyy/mm/dd (0 = logged on now)' }),
  all: Flags.boolean({ description: '/all: every user (cannot be combined with --ui/--ue/--uel)' }),
  localonly: Flags.boolean({ description: '/localonly: ignore removable drives' }),
  attributes: Flags.string({ description: 'JSON object of Windows path → attributes (letters R H S A O P U, [IO.FileAttributes] names or a number); Linux cannot read Windows attributes from a volume' }),
  'assume-registry': Flags.boolean({ description: 'Treat detection conditions that need the registry as true (default: false)' }),
  'follow-symlinks': Flags.boolean({ description: 'Follow folder symlinks/junctions (USMT does not); loops are reported as warnings' }),
  now: Flags.string({ description: 'Reference time for --uel (ISO date; default now)', hidden: true }),
}

export function readAttributesFile(path: string): Map<string, string> {
  // Letters R H S A for the rules (hidden+system files); the cloud attributes (O P U, RecallOnDataAccess …)
  // are read by the capture's cloud-file check and the portable scanstate.
  const map = new Map<string, string>()
  for (const [k, v] of readAttributeBits(path)) map.set(k, classicLetters(v.bits))
  return map
}

/** Flags → engine input. */
export async function engineInputFromFlags(ctx: StepContext, flags: Record<string, unknown>): Promise<FullEngineInput> {
  const list = (k: string): string[] => (flags[k] as string[] | undefined) ?? []
  const resolve = (p: string): string => nodePath.resolve(ctx.cwd, p)
  const volumes = VolumeMap.parse(list('volume'), list('removable'), ctx.cwd)
  const selection: UserSelection = {
    ui: list('ui'), ue: list('ue'), uel: flags.uel as string | undefined, all: Boolean(flags.all), localOnly: Boolean(flags.localonly),
  }
  const nowRaw = flags.now as string | undefined
  const now = nowRaw ? new Date(nowRaw) : undefined
  if (now && Number.isNaN(now.getTime())) throw new UsmtStepsError('USM0002', `--now "${nowRaw}" is not a date`)
  return {
    ruleFiles: list('rules').map(resolve),
    configFile: flags.config ? resolve(String(flags.config)) : undefined,
    volumes,
    users: flags.users ? readUsersFile(resolve(String(flags.users))) : undefined,
    computer: String(await ctx.setting('rulesComputer')),
    selection,
    now,
    attributes: flags.attributes ? readAttributesFile(resolve(String(flags.attributes))) : undefined,
    registryDefault: Boolean(await ctx.setting('rulesAssumeRegistry')),
    followSymlinks: Boolean(flags['follow-symlinks']),
    maxXmlBytes: Number(await ctx.setting('rulesMaxXmlBytes')),
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`
}
