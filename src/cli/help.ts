import { Help, type Command } from '@oclif/core'
import type { SettingDef } from '../runtime/settings.js'
import { ALL_SETTINGS } from '../runtime/settings/index.js'

/** Which settings areas a command reads, by command id (topic or id). */
const AREAS: Array<[RegExp, string[]]> = [
  [/^(capture|restore)$/, ['steps']],
  [/^(plan|store(:.*)?)$/, ['stores']],
  [/^users$/, ['directory']],
  [/^report(:.*)?$/, ['report']],
  [/^rules:/, ['engine']],
  [/^(scanstate|loadstate|usmtutils)$/, ['portable']],
  [/^template:/, ['deploy']],
]

export function settingsForCommand(id: string, flags: readonly string[]): SettingDef[] {
  const areas = AREAS.find(([re]) => re.test(id))?.[1] ?? []
  return ALL_SETTINGS.filter((s) => areas.includes(s.area) || (s.area === 'foundation' && s.flag !== undefined && flags.includes(s.flag)))
}

export function settingsHelpSection(defs: readonly SettingDef[]): string {
  if (defs.length === 0) return ''
  const rows = defs.map((d) => {
    const sources = [d.flag ? `--${d.flag}` : '', ...(d.tsVariables ?? []), d.envVar ? `$${d.envVar}` : ''].filter(Boolean).join(' | ')
    return `  ${d.key}${d.default !== undefined ? ` (default ${d.secret ? '********' : d.default})` : ''}\n      ${sources}\n      ${d.description}`
  })
  return `SETTINGS (flag > task-sequence variable > environment > default; see: usmt-steps settings)\n${rows.join('\n')}`
}

/** oclif help plus a SETTINGS section rendered from the settings registry, so --help and the README agree. */
export default class UsmtStepsHelp extends Help {
  protected override formatCommand(command: Command.Loadable): string {
    const base = super.formatCommand(command)
    const section = settingsHelpSection(settingsForCommand(command.id, Object.keys(command.flags ?? {})))
    return section ? `${base}\n\n${section}` : base
  }
}
