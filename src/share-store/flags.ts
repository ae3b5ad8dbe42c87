import { Flags } from '@oclif/core'

/** Flags every `store` command shares (values also come from variables/environment through the settings registry). */
export const storeFlags = {
  policy: Flags.string({ description: 'Policy file (JSON or YAML) listing the shares; also USMTStepsPolicy / USMT_STEPS_POLICY' }),
  transport: Flags.string({ description: 'fs (UNC / mounted share) or smbclient (Samba client, SMB3 signed); default auto', options: ['auto', 'fs', 'smbclient'] }),
  mount: Flags.string({ description: 'fs transport off Windows: DIR where the share is mounted, or \\\\server\\share=DIR (repeatable)', multiple: true }),
  'retry-count': Flags.string({ description: 'Retries when no share is reachable or has room (OSDStateSMPRetryCount, 0–30, default 3)' }),
  'retry-time': Flags.string({ description: 'Seconds between retries (OSDStateSMPRetryTime, 0–600, default 10)' }),
  computer: Flags.string({ description: 'This computer\'s name (default: _SMSTSMachineName, OSDComputerName, COMPUTERNAME)' }),
}
