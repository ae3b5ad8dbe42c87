import { Flags } from '@oclif/core'
import { SCENARIOS } from './scenarios.js'

/** Flags shared by `template configmgr` and `template mdt`. */
export const templateFlags = {
  scenario: Flags.string({ description: 'Deployment scenario', options: [...SCENARIOS], required: true }),
  launcher: Flags.string({ description: 'Program the steps run (default: usmt-steps.cmd from the package; MDT: %DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps.cmd)' }),
  policy: Flags.string({ description: 'Policy file passed to plan, users and the store steps (--policy), e.g. policy.json in the package' }),
  'usmt-dir': Flags.string({ description: 'USMT folder passed to capture and restore (--usmt-dir), e.g. USMT in the package' }),
  'report-share': Flags.string({ description: 'Central share the report step copies reports to (--copy-to)' }),
}

export function templateOptions(flags: Record<string, unknown>): { policy?: string; usmtDir?: string; reportShare?: string } {
  const s = (k: string): string | undefined => flags[k] as string | undefined
  return { policy: s('policy'), usmtDir: s('usmt-dir'), reportShare: s('report-share') }
}
