import type { SettingDef } from '../settings.js'

export const PORTABLE_SETTINGS: SettingDef[] = []
