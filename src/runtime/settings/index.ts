import type { SettingDef } from '../settings.js'
import { DEPLOY_SETTINGS } from './deploy.js'
import { DIRECTORY_SETTINGS } from './directory.js'
import { ENGINE_SETTINGS } from './engine.js'
import { FOUNDATION_SETTINGS } from './foundation.js'
import { PORTABLE_SETTINGS } from './portable.js'
import { REPORT_SETTINGS } from './report.js'
import { STEPS_SETTINGS } from './steps.js'
import { STORES_SETTINGS } from './stores.js'

type Declared = (typeof FOUNDATION_SETTINGS | typeof ENGINE_SETTINGS | typeof PORTABLE_SETTINGS | typeof STEPS_SETTINGS
  | typeof STORES_SETTINGS | typeof DIRECTORY_SETTINGS | typeof DEPLOY_SETTINGS | typeof REPORT_SETTINGS)[number]

/** The key of a declared setting. */
export type SettingKey = Declared['key']

type DefOf<K extends SettingKey> = Extract<Declared, { key: K }>
type ValueOfType<D> = D extends { type: 'boolean' } ? boolean
  : D extends { type: 'integer' } ? number
    : D extends { type: 'enum'; choices: ReadonlyArray<infer C> } ? C
      : string

/** The value type of a setting, from its declaration: a setting with a default is never undefined. */
export type SettingValueOf<K extends SettingKey> = DefOf<K> extends { default: string } ? ValueOfType<DefOf<K>> : ValueOfType<DefOf<K>> | undefined

/** Every setting of usmt-steps, declared once. Keys are unique. */
export const ALL_SETTINGS: readonly SettingDef[] = (() => {
  const all = [...FOUNDATION_SETTINGS, ...ENGINE_SETTINGS, ...PORTABLE_SETTINGS, ...STEPS_SETTINGS, ...STORES_SETTINGS,
    ...DIRECTORY_SETTINGS, ...DEPLOY_SETTINGS, ...REPORT_SETTINGS]
  const keys = new Set<string>()
  for (const s of all) {
    if (keys.has(s.key)) throw new Error(`duplicate setting ${s.key}`)
    keys.add(s.key)
  }
  return all
})()

/** Settings every command reads through the command base (log, progress, task-sequence environment). */
export const FOUNDATION_KEYS: readonly SettingKey[] = FOUNDATION_SETTINGS.map((s) => s.key)

export function isSettingKey(key: string): key is SettingKey {
  return ALL_SETTINGS.some((s) => s.key === key)
}

export function settingDef(key: SettingKey): SettingDef {
  const d = ALL_SETTINGS.find((s) => s.key === key)
  if (!d) throw new Error(`unknown setting ${key}`)
  return d
}
