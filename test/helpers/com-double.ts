import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from './cli.js'

export const COM_DOUBLE = path.join(PROJECT_ROOT, 'test', 'doubles', 'windows-com-host.double.ts')

export interface ComDoubleState { inTaskSequence: boolean; variables: Record<string, string>; progressUI?: boolean; progressCalls?: string[][]; closeCalls?: number }

/** Environment that makes the bridge use the double as powershell.exe (or cscript.exe with mode 'wsh'). */
export function comDoubleEnv(stateFile: string, state: ComDoubleState, mode: 'powershell' | 'wsh' | 'wsh-no-engine-switch' = 'powershell', logFile?: string): Record<string, string> {
  writeFileSync(stateFile, JSON.stringify(state, null, 2))
  const env: Record<string, string> = { USMT_STEPS_DOUBLE_STATE: stateFile, USMT_STEPS_DOUBLE_MODE: mode }
  if (logFile) env.USMT_STEPS_DOUBLE_LOG = logFile
  if (mode === 'powershell') env.USMT_STEPS_POWERSHELL = COM_DOUBLE
  else env.USMT_STEPS_CSCRIPT = COM_DOUBLE
  return env
}

export function readComDoubleState(stateFile: string): ComDoubleState {
  return JSON.parse(readFileSync(stateFile, 'utf8')) as ComDoubleState
}
