import type { SettingDef } from '../settings.js'

export const DEPLOY_SETTINGS = [
  {
    key: 'taskStepsDir', area: 'deploy', type: 'path', envVar: 'USMT_STEPS_TASK_STEPS_DIR',
    description: 'Folder of the task-step definitions (default: task-steps/ of the installed package)',
  },
  {
    key: 'templateLauncher', area: 'deploy', type: 'string', flag: 'launcher', envVar: 'USMT_STEPS_LAUNCHER',
    description: 'Program the generated steps run (default: usmt-steps.cmd in the package for ConfigMgr, %DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps.cmd for MDT)',
  },
] as const satisfies readonly SettingDef[]
