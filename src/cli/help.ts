import { Help } from '@oclif/core/help'
import type { Command } from '@oclif/core/command'
import type { SettingDef } from '../runtime/settings.js'
import { FOUNDATION_KEYS, isSettingKey, settingDef } from '../runtime/settings/index.js'

/**
 * The settings a command reads: the foundation settings every command has, then the ones it declares in
 * `static settings` (oclif keeps that property in the command's manifest entry).
 */
export function settingsForCommand(command: Pick<Command.Loadable, 'id'> & { settings?: unknown }): SettingDef[] {
  const declared = Array.isArray(command.settings) ? command.settings.filter((k): k is string => typeof k === 'string') : []
  const keys = [...FOUNDATION_KEYS, ...declared.filter(isSettingKey)]
  return [...new Set(keys)].map(settingDef)
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
    const section = settingsHelpSection(settingsForCommand(command))
    return section ? `${base}\n\n${section}` : base
  }
}
