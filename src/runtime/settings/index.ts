import type { SettingDef } from '../settings.js'
import { DEPLOY_SETTINGS } from './deploy.js'
import { DIRECTORY_SETTINGS } from './directory.js'
import { ENGINE_SETTINGS } from './engine.js'
import { FOUNDATION_SETTINGS } from './foundation.js'
import { PORTABLE_SETTINGS } from './portable.js'
import { REPORT_SETTINGS } from './report.js'
import { STEPS_SETTINGS } from './steps.js'
import { STORES_SETTINGS } from './stores.js'

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

export function settingDef(key: string): SettingDef {
  const d = ALL_SETTINGS.find((s) => s.key === key)
  if (!d) throw new Error(`unknown setting ${key}`)
  return d
}
