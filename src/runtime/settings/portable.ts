import type { SettingDef } from '../settings.js'

export const PORTABLE_SETTINGS = [
  {
    key: 'storeCompressionLevel', area: 'portable', type: 'integer', envVar: 'USMT_STEPS_STORE_LEVEL', tsVariables: ['USMTStepsStoreLevel'],
    default: '6', min: 0, max: 9,
    description: 'DEFLATE level of compressed stores written by the portable scanstate with storeCodec deflate (0 stores without compressing, whatever the codec; 9 compresses most)',
  },
  {
    key: 'storeCodec', area: 'portable', type: 'enum', envVar: 'USMT_STEPS_STORE_CODEC', tsVariables: ['USMTStepsStoreCodec'],
    choices: ['auto', 'zstd', 'deflate'], default: 'auto',
    description: 'Codec of compressed stores written by the portable scanstate: auto is zstd level 3 where Node.js has it (22.15 and later, as in the Windows package), else DEFLATE; a zstd store needs such a Node.js to restore, deflate stores restore everywhere',
  },
  {
    key: 'storeKdf', area: 'portable', type: 'enum', envVar: 'USMT_STEPS_STORE_KDF', tsVariables: ['USMTStepsStoreKdf'],
    choices: ['scrypt', 'pbkdf2'], default: 'scrypt',
    description: 'Key derivation for encrypted stores: scrypt (N=2^15, r=8, p=1) or PBKDF2-SHA256 (600,000 iterations); a random salt per store',
  },
] as const satisfies readonly SettingDef[]
