/**
 * The oclif flags of every command, generated from their one declaration:
 * - a flag that overrides a setting is generated from the settings registry (src/runtime/settings/*): a command
 *   names the setting keys it reads in `static settings` and spreads `settingFlags(settings)` into its flags;
 * - an input that is not a setting (a drive mapping, a profiles file for the portable engine) is declared once
 *   here in INPUT_FLAGS and picked by name;
 * - a flag only one command has stays in that command.
 * The declarations are plain data (src/cli/spec.ts): oclif reads them for help, and a command parses its argv
 * without oclif (src/cli/parse.ts).
 */
import type { SettingDef } from '../runtime/settings.js'
import { settingDef, type SettingKey } from '../runtime/settings/index.js'
import { Flags, type FlagDef, type FlagMap } from './spec.js'

export type { FlagMap } from './spec.js'

function flagFor(d: SettingDef, helpGroup: string | undefined): FlagDef {
  const description = d.multiple ? `${d.description} (repeatable)` : d.description
  if (d.type === 'boolean') return Flags.boolean({ description, allowNo: true, helpGroup })
  const options = d.type === 'enum' ? [...(d.choices ?? [])] : undefined
  return d.multiple ? Flags.string({ description, options, helpGroup, multiple: true }) : Flags.string({ description, options, helpGroup })
}

/** The flags of these settings (those that declare one), generated from the registry. */
export function settingFlags(keys: readonly SettingKey[], helpGroup?: string): FlagMap {
  const out: FlagMap = {}
  for (const key of keys) {
    const d = settingDef(key)
    if (!d.flag) continue
    if (out[d.flag]) throw new Error(`--${d.flag} is the flag of two settings of one command (${key})`)
    out[d.flag] = flagFor(d, helpGroup)
  }
  return out
}

/** Inputs several commands take that are not settings (no task-sequence variable or environment fallback). */
export const INPUT_FLAGS = {
  volume: Flags.string({ description: 'Map a Windows drive to a local folder, LETTER=DIR, e.g. C=./samples/machine/C (repeatable)', multiple: true }),
  removable: Flags.string({ description: 'Map a removable drive to a local folder, LETTER=DIR (repeatable)', multiple: true }),
  users: Flags.string({ description: 'JSON list of user profiles [{account, profile, sid?, lastUse?}] (default: the folders under C:\\Users as COMPUTER\\name)' }),
  computer: Flags.string({ description: 'Computer name for %COMPUTERNAME% and local accounts COMPUTER\\name' }),
  attributes: Flags.string({ description: 'JSON object of Windows path → attributes (letters R H S A O P U, [IO.FileAttributes] names or a number), e.g. {"C:\\\\x": "RHS"}; Linux volumes cannot hold Windows attributes' }),
  rules: Flags.string({ description: 'Migration XML file (like scanstate /i:); repeatable', multiple: true }),
}

export type InputName = keyof typeof INPUT_FLAGS

/** Some of INPUT_FLAGS, by name. */
export function inputFlags<K extends InputName>(...names: K[]): Pick<typeof INPUT_FLAGS, K> {
  return Object.fromEntries(names.map((n) => [n, INPUT_FLAGS[n]])) as Pick<typeof INPUT_FLAGS, K>
}

/** The flags every command has: --json and the foundation settings (task-sequence environment, log, progress). */
export const BASE_FLAGS: FlagMap = {
  json: Flags.boolean({ description: 'Print only a JSON document {status, result, warnings} (or the error) on stdout', helpGroup: 'GLOBAL' }),
  ...settingFlags(['tsEnv', 'logDir', 'verbose', 'progress'], 'GLOBAL'),
}
