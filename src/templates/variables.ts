/**
 * Task-sequence variables the templates branch on. `USMTStepsStoreType` is written by `usmt-steps plan`
 * (hardlink | share | smp | none); `USMTStepsFailedExitCode` is set by the templates' own "remember the
 * failure" step (Set Task Sequence Variable) so that the report can run before the sequence is stopped.
 */
export const STORE_TYPE_VARIABLE = 'USMTStepsStoreType'
export const STORE_TYPES = ['hardlink', 'share', 'smp', 'none'] as const
export const FAILED_EXIT_CODE_VARIABLE = 'USMTStepsFailedExitCode'

/** Engine variables (read-only for steps; the task-sequence engine and our executor set them). */
export const ENGINE_VARIABLES = {
  inWinPE: '_SMSTSInWinPE',
  lastActionName: '_SMSTSLastActionName',
  lastActionRetCode: '_SMSTSLastActionRetCode',
  lastActionSucceeded: '_SMSTSLastActionSucceeded',
  currentActionName: '_SMSTSCurrentActionName',
} as const
