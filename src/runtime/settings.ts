import { UsmtStepsError } from './errors.js'

/**
 * The settings registry: every setting is declared once (name, flag, task-sequence variables, environment
 * variable, default, validator, description) and resolved with one precedence:
 *   flag  >  task-sequence variable  >  environment variable  >  default.
 * `--help` and the README's settings table are rendered from these declarations.
 */
export type SettingType = 'string' | 'boolean' | 'integer' | 'enum' | 'path'

export interface SettingDef {
  /** camelCase key used in code and in --json output. */
  key: string
  /** Area that owns the setting (for grouping in docs). */
  area: string
  type: SettingType
  description: string
  /**
   * Flag name without dashes. The oclif flag is generated from this declaration (src/cli/flags.ts) for every
   * command that names the setting in its `static settings`.
   */
  flag?: string
  /** The flag may be repeated; its values are joined with ";" (the list separator of the variable). */
  multiple?: boolean
  /** Task-sequence variables read, first non-empty wins. */
  tsVariables?: readonly string[]
  /** Process environment variable. */
  envVar?: string
  /** Default as text (parsed like any other source) or undefined for "no value". */
  default?: string
  choices?: readonly string[]
  /** Integer bounds. */
  min?: number
  max?: number
  /** Mark a setting whose value must be redacted everywhere. */
  secret?: boolean
}

export type SettingValue = string | number | boolean | undefined

export interface ResolvedSetting {
  key: string
  value: SettingValue
  /** Where it came from: `flag --x`, `variable NAME`, `environment NAME`, `default`, or `unset`. */
  source: string
}

export interface SettingSources {
  flags?: Record<string, unknown>
  /** Case-insensitive task-sequence variable lookup. */
  variable?: (name: string) => string | undefined
  env?: Record<string, string | undefined>
}

export function parseSettingValue(def: SettingDef, raw: string, origin: string): SettingValue {
  const text = raw.trim()
  const fail = (why: string): never => {
    throw new UsmtStepsError('USM0003', `${origin}: ${def.secret ? 'value' : JSON.stringify(raw)} is not valid for ${def.key} (${why})`, {
      data: { setting: def.key, origin },
    })
  }
  switch (def.type) {
    case 'string':
    case 'path':
      return raw
    case 'boolean': {
      const t = text.toLowerCase()
      if (['true', 'yes', '1', 'on'].includes(t)) return true
      if (['false', 'no', '0', 'off'].includes(t)) return false
      return fail('expected true or false')
    }
    case 'integer': {
      if (!/^-?\d+$/.test(text)) return fail('expected a whole number')
      const n = Number(text)
      if (def.min !== undefined && n < def.min) return fail(`minimum ${def.min}`)
      if (def.max !== undefined && n > def.max) return fail(`maximum ${def.max}`)
      return n
    }
    case 'enum': {
      const match = (def.choices ?? []).find((c) => c.toLowerCase() === text.toLowerCase())
      if (match === undefined) return fail(`expected one of ${(def.choices ?? []).join(', ')}`)
      return match
    }
  }
}

export function resolveSetting(def: SettingDef, sources: SettingSources): ResolvedSetting {
  const flagValue = def.flag ? sources.flags?.[def.flag] : undefined
  const given = flagValue !== undefined && flagValue !== null && flagValue !== '' && !(Array.isArray(flagValue) && flagValue.length === 0)
  if (given) {
    const raw = Array.isArray(flagValue) ? flagValue.map(String).join(';') : typeof flagValue === 'string' ? flagValue : String(flagValue)
    return { key: def.key, value: typeof flagValue === 'boolean' ? flagValue : parseSettingValue(def, raw, `flag --${def.flag}`), source: `flag --${def.flag}` }
  }
  return fromVariables(def, sources)
}

function fromVariables(def: SettingDef, sources: SettingSources): ResolvedSetting {
  for (const name of def.tsVariables ?? []) {
    const v = sources.variable?.(name)
    if (v !== undefined && v !== '') return { key: def.key, value: parseSettingValue(def, v, `variable ${name}`), source: `variable ${name}` }
  }
  if (def.envVar) {
    const v = sources.env?.[def.envVar]
    if (v !== undefined && v !== '') return { key: def.key, value: parseSettingValue(def, v, `environment ${def.envVar}`), source: `environment ${def.envVar}` }
  }
  if (def.default !== undefined) return { key: def.key, value: parseSettingValue(def, def.default, 'default'), source: 'default' }
  return { key: def.key, value: undefined, source: 'unset' }
}

/** Resolve a set of settings at once into a typed record plus their sources (for the decision log). */
export function resolveSettings(defs: readonly SettingDef[], sources: SettingSources): { values: Record<string, SettingValue>; sources: Record<string, string> } {
  const values: Record<string, SettingValue> = {}
  const origin: Record<string, string> = {}
  for (const def of defs) {
    const r = resolveSetting(def, sources)
    values[def.key] = r.value
    origin[def.key] = r.source
  }
  return { values, sources: origin }
}

/** Markdown table of settings (README and docs). */
export function settingsMarkdown(defs: readonly SettingDef[]): string {
  const rows = defs.map((d) => {
    const cells = [
      `\`${d.key}\``,
      d.flag ? `\`--${d.flag}\`` : '',
      (d.tsVariables ?? []).map((v) => `\`${v}\``).join(', '),
      d.envVar ? `\`${d.envVar}\`` : '',
      d.default !== undefined ? `\`${d.default}\`` : '',
      d.description + (d.choices ? ` (${d.choices.join(' \\| ')})` : ''),
    ]
    return `| ${cells.join(' | ')} |`
  })
  return ['| setting | flag | task-sequence variables | environment | default | description |', '|---|---|---|---|---|---|', ...rows].join('\n')
}
