import type { SettingDef } from '../settings.js'

export const REPORT_SETTINGS: SettingDef[] = []
