import type { SettingDef } from '../settings.js'

/** Rule engine (`usmt-steps rules …`, and the engine behind portable scanstate and plan's estimate). */
export const ENGINE_SETTINGS = [
  {
    key: 'rulesComputer', area: 'engine', type: 'string', flag: 'computer', default: 'PC',
    description: 'Computer name of the offline volume: %COMPUTERNAME% and the domain part of local accounts (COMPUTER\\name)',
  },
  {
    key: 'rulesMaxXmlBytes', area: 'engine', type: 'integer', envVar: 'USMT_STEPS_RULES_MAX_XML_BYTES', default: String(32 * 1024 * 1024), min: 1024, max: 1024 * 1024 * 1024,
    description: 'Largest migration XML / Config.xml file the engine reads (bytes); bigger files are refused before reading',
  },
  {
    key: 'rulesAssumeRegistry', area: 'engine', type: 'boolean', flag: 'assume-registry', envVar: 'USMT_STEPS_RULES_ASSUME_REGISTRY', default: 'false',
    description: 'Value assumed for detection conditions that need the registry (DoesObjectExist("Registry",…)); the engine cannot read an offline hive',
  },
] as const satisfies readonly SettingDef[]
