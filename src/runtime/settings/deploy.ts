import type { SettingDef } from '../settings.js'

export const DEPLOY_SETTINGS: SettingDef[] = []
