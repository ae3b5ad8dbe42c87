import type { SettingDef } from '../settings.js'

export const FOUNDATION_SETTINGS = [
  {
    key: 'tsEnv', area: 'foundation', type: 'string', flag: 'ts-env', envVar: 'USMT_STEPS_TS_ENV',
    description: 'Task-sequence environment: configmgr, mdt[:FILE], json:FILE or env; auto-detected when unset',
  },
  {
    key: 'logDir', area: 'foundation', type: 'path', flag: 'log-dir', tsVariables: ['_SMSTSLogPath'], envVar: 'USMT_STEPS_LOG_DIR',
    description: 'Folder of usmt-steps.log (CMTrace format); without it the log goes to the system temp folder',
  },
  {
    key: 'logMaxBytes', area: 'foundation', type: 'integer', tsVariables: ['USMTStepsLogMaxBytes'], envVar: 'USMT_STEPS_LOG_MAX_BYTES',
    default: '2621440', min: 65536, max: 1073741824,
    description: 'Size at which usmt-steps.log is rolled over to usmt-steps.lo_ (as ConfigMgr logs are)',
  },
  {
    key: 'verbose', area: 'foundation', type: 'boolean', flag: 'verbose', tsVariables: ['USMTStepsVerbose'], envVar: 'USMT_STEPS_VERBOSE',
    default: 'false', description: 'Log verbose lines (type 1 with a [verbose] prefix) and echo them to stderr',
  },
  {
    key: 'progress', area: 'foundation', type: 'enum', flag: 'progress', tsVariables: ['USMTStepsProgress'], envVar: 'USMT_STEPS_PROGRESS',
    choices: ['auto', 'ts', 'bar', 'lines', 'none'], default: 'auto',
    description: 'Progress display: the task-sequence dialog, a terminal bar, plain lines, or none (auto picks by environment)',
  },
] as const satisfies readonly SettingDef[]
