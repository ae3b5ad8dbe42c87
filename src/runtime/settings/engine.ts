import type { SettingDef } from '../settings.js'

export const ENGINE_SETTINGS: SettingDef[] = []
