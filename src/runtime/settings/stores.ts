import type { SettingDef } from '../settings.js'

export const STORES_SETTINGS: SettingDef[] = []
