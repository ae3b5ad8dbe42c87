/**
 * The inputs of the `rules` commands (the engine's scanstate-like inputs: /i:, /config:, drives, users,
 * /ui /ue /uel …) and their translation into an engine input.
 */
import { Flags } from './spec.js'
import * as nodePath from 'node:path'
import type { UserSelection } from '../engine/contract.js'
import type { FullEngineInput } from '../engine/evaluate.js'
import { readAttributesFile } from '../engine/input-files.js'
import { readUsersFile } from '../engine/users.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { VolumeMap } from '../windows/volume-map.js'
import { INPUT_FLAGS, settingFlags } from './flags.js'
import type { StepContext } from './step-command.js'

/** The settings the rules commands read. */
export const RULES_SETTINGS = ['rulesComputer', 'rulesAssumeRegistry', 'rulesMaxXmlBytes'] as const

export const RULES_FLAGS = {
  ...settingFlags(RULES_SETTINGS),
  rules: { ...INPUT_FLAGS.rules, required: true },
  config: Flags.string({ description: 'Config.xml (like scanstate /config:); migrate="no" removes a component' }),
  volume: { ...INPUT_FLAGS.volume, required: true },
  removable: INPUT_FLAGS.removable,
  users: INPUT_FLAGS.users,
  ui: Flags.string({ description: '/ui: user to include (DOMAIN\\name, wildcards, SID); repeatable', multiple: true }),
  ue: Flags.string({ description: '/ue: user to exclude (DOMAIN\\name, wildcards); repeatable', multiple: true }),
  uel: Flags.string({ description: '/uel: users who logged on within N days, or since yyyy/mm/dd (0 = logged on now)' }),
  all: Flags.boolean({ description: '/all: every user (cannot be combined with --ui/--ue/--uel)' }),
  localonly: Flags.boolean({ description: '/localonly: ignore removable drives' }),
  attributes: INPUT_FLAGS.attributes,
  'follow-symlinks': Flags.boolean({ description: 'Follow folder symlinks/junctions (USMT does not); loops are reported as warnings' }),
  now: Flags.string({ description: 'Reference time for --uel (ISO date; default now)', hidden: true }),
}

/** Flags → engine input. */
export async function engineInputFromFlags(ctx: StepContext, flags: Record<string, unknown>): Promise<FullEngineInput> {
  const list = (k: string): string[] => (flags[k] as string[] | undefined) ?? []
  const text = (k: string): string | undefined => flags[k] as string | undefined
  const resolve = (p: string): string => nodePath.resolve(ctx.cwd, p)
  const volumes = VolumeMap.parse(list('volume'), list('removable'), ctx.cwd)
  const selection: UserSelection = {
    ui: list('ui'), ue: list('ue'), uel: text('uel'), all: flags.all === true, localOnly: flags.localonly === true,
  }
  const nowRaw = text('now')
  const now = nowRaw ? new Date(nowRaw) : undefined
  if (now && Number.isNaN(now.getTime())) throw new UsmtStepsError('USM0002', `--now "${nowRaw}" is not a date`)
  const config = text('config')
  const users = text('users')
  const attributes = text('attributes')
  return {
    ruleFiles: list('rules').map(resolve),
    configFile: config ? resolve(config) : undefined,
    volumes,
    users: users ? readUsersFile(resolve(users)) : undefined,
    computer: await ctx.setting('rulesComputer'),
    selection,
    now,
    attributes: attributes ? readAttributesFile(resolve(attributes)) : undefined,
    registryDefault: await ctx.setting('rulesAssumeRegistry'),
    followSymlinks: flags['follow-symlinks'] === true,
    maxXmlBytes: await ctx.setting('rulesMaxXmlBytes'),
  }
}
