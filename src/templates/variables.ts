/**
 * Task-sequence variables the templates branch on. `USMTStepsStoreType` is written by `usmt-steps plan`
 * (hardlink | share | smp | none); `USMTStepsFailedExitCode` is set by the templates' own "remember the
 * failure" step (Set Task Sequence Variable) so that the report can run before the sequence is stopped.
 */
import type { StepVariable } from '../runtime/variables.js'

/** The plan's decision, from the variable contract (src/runtime/variables.ts): the type holds the name to it. */
export const STORE_TYPE_VARIABLE: StepVariable = 'USMTStepsStoreType'
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

/**
 * The Download Package Content step of the templates stores the USMT package's local folder in this variable
 * (ConfigMgr appends 01 for the first package): capture and restore get `--usmt-dir "%USMTStepsUsmtPackage01%"`.
 */
export const USMT_PACKAGE_VARIABLE = 'USMTStepsUsmtPackage'
export const USMT_PACKAGE_DIR_REF = `%${USMT_PACKAGE_VARIABLE}01%`
/** `--usmt-dir` for a USMT folder inside the usmt-steps package (the step's working directory is the package). */
export const USMT_IN_PACKAGE_DIR = 'USMT'
/** A ConfigMgr package ID: the site code (3 characters) and 5 hexadecimal digits. */
export const PACKAGE_ID = /^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/
