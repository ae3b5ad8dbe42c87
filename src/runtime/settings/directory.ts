import type { SettingDef } from '../settings.js'

export const DIRECTORY_SETTINGS: SettingDef[] = []
