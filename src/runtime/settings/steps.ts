import type { SettingDef } from '../settings.js'

export const STEPS_SETTINGS: SettingDef[] = []
