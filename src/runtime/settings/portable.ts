import type { SettingDef } from '../settings.js'

export const PORTABLE_SETTINGS = [
  {
    key: 'storeCompressionLevel', area: 'portable', type: 'integer', envVar: 'USMT_STEPS_STORE_LEVEL', tsVariables: ['USMTStepsStoreLevel'],
    default: '6', min: 0, max: 9,
    description: 'zlib level of compressed stores written by the portable scanstate (0 stores without compressing, 9 compresses most)',
  },
  {
    key: 'storeKdf', area: 'portable', type: 'enum', envVar: 'USMT_STEPS_STORE_KDF', tsVariables: ['USMTStepsStoreKdf'],
    choices: ['scrypt', 'pbkdf2'], default: 'scrypt',
    description: 'Key derivation for encrypted stores: scrypt (N=2^15, r=8, p=1) or PBKDF2-SHA256 (600,000 iterations); a random salt per store',
  },
] as const satisfies readonly SettingDef[]
