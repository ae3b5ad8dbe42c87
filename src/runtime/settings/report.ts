import type { SettingDef } from '../settings.js'

export const REPORT_SETTINGS = [
  {
    key: 'reportCopyTo', area: 'report', type: 'path', flag: 'copy-to', tsVariables: ['USMTStepsReportCopyTo'], envVar: 'USMT_STEPS_REPORT_COPY_TO',
    description: 'Central folder (e.g. a share) that receives a copy of the report in a COMPUTER_TIME folder, for `report index`',
  },
  {
    key: 'reportToStore', area: 'report', type: 'boolean', flag: 'to-store', tsVariables: ['USMTStepsReportToStore'], default: 'true',
    description: 'Also write the report into the store (STORE\\usmt-steps-reports\\COMPUTER_TIME) when the store is reachable',
  },
  {
    key: 'reportStorePath', area: 'report', type: 'path', flag: 'store', tsVariables: ['USMTStepsReportStore'],
    description: 'Store to describe and write into, as a Windows path or a local folder; default: the store of the capture/restore command line, the plan, or OSDStateStorePath',
  },
  {
    key: 'reportCopyRequired', area: 'report', type: 'boolean', flag: 'copy-required', tsVariables: ['USMTStepsReportCopyRequired'], default: 'false',
    description: 'Fail the step when the copy to --copy-to cannot be written (default: a warning, the local report is kept)',
  },
] as const satisfies readonly SettingDef[]
