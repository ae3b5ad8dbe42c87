/** The flags `usmt-steps capture` and `usmt-steps restore` share (each overrides the variable named in its help). */
import { Flags } from '@oclif/core'

export const USMT_FLAGS = {
  engine: Flags.string({ description: 'USMT to run: microsoft, portable or auto (USMTStepsEngine)', options: ['auto', 'microsoft', 'portable'] }),
  'usmt-dir': Flags.string({ description: 'USMT folder (USMTStepsUsmtDir; default: the step\'s USMT package, MDT Tools, the Windows ADK)' }),
  arch: Flags.string({ description: 'Architecture of the running OS/WinPE (default: detected)', options: ['amd64', 'x86', 'arm64'] }),
  store: Flags.string({ description: 'State store folder (OSDStateStorePath)' }),
  'key-file': Flags.string({ description: 'File holding the store encryption key (USMTStepsEncryptionKeyFile); the key itself is never a flag' }),
  'encrypt-algorithm': Flags.string({ description: 'USMT encryption algorithm (USMTStepsEncryptionAlgorithm, default AES_256)', options: ['AES', 'AES_128', 'AES_192', 'AES_256', '3DES', '3DES_112'] }),
  config: Flags.string({ description: 'Config.xml for /config: (USMTConfigFile)' }),
  rules: Flags.string({ description: 'Extra migration XML file for /i: (repeatable; USMTStepsRules)', multiple: true }),
  volume: Flags.string({ description: 'Portable engine: map a Windows drive to a local folder, LETTER=DIR (repeatable)', multiple: true }),
  removable: Flags.string({ description: 'Portable engine: map a removable drive, LETTER=DIR (repeatable)', multiple: true }),
  computer: Flags.string({ description: 'Portable engine: computer name for local accounts and %COMPUTERNAME% (default: _SMSTSMachineName)' }),
}
