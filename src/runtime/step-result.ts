/**
 * Result variables every step writes, so later steps and step conditions can branch on the outcome
 * (e.g. a condition `USMTStepsLastResult equals Success`). Names are part of the contract.
 */
export const RESULT_VARIABLES = {
  step: 'USMTStepsLastStep',
  result: 'USMTStepsLastResult',
  exitCode: 'USMTStepsLastExitCode',
  errorCode: 'USMTStepsLastErrorCode',
  message: 'USMTStepsLastMessage',
  time: 'USMTStepsLastTime',
} as const

export type StepStatus = 'success' | 'warning' | 'error'

export function resultWord(status: StepStatus): 'Success' | 'Warning' | 'Failed' {
  return status === 'success' ? 'Success' : status === 'warning' ? 'Warning' : 'Failed'
}

export function resultVariables(step: string, status: StepStatus, exitCode: number, message: string, errorCode = '', now = new Date()): Record<string, string> {
  return {
    [RESULT_VARIABLES.step]: step,
    [RESULT_VARIABLES.result]: resultWord(status),
    [RESULT_VARIABLES.exitCode]: String(exitCode),
    [RESULT_VARIABLES.errorCode]: errorCode,
    [RESULT_VARIABLES.message]: truncate(message, 1000),
    [RESULT_VARIABLES.time]: now.toISOString(),
  }
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** The one-line summary that ends stdout (the task sequence keeps the last 1000 characters of output). */
export function summaryLine(step: string, status: StepStatus, message: string, errorCode?: string): string {
  const word = status === 'success' ? 'SUCCESS' : status === 'warning' ? 'SUCCESS with warnings' : 'FAILED'
  const code = errorCode ? ` (${errorCode})` : ''
  return truncate(`usmt-steps ${step}: ${word}${code} - ${message.replace(/\s+/g, ' ').trim()}`, 500)
}
