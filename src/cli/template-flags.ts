/** Flags shared by `template configmgr` and `template mdt`. */
import { Flags } from './spec.js'
import { SCENARIOS } from '../templates/scenarios.js'
import { settingFlags } from './flags.js'

/** The settings both template generators read. */
export const TEMPLATE_SETTINGS = ['templateLauncher', 'taskStepsDir'] as const

export const TEMPLATE_FLAGS = {
  ...settingFlags(TEMPLATE_SETTINGS),
  scenario: Flags.string({ description: 'Deployment scenario', options: [...SCENARIOS], required: true }),
  // written into the generated command lines (not settings of this command)
  policy: Flags.string({ description: 'Policy file passed to plan, users and the store steps (--policy), e.g. policy.json in the package' }),
  'usmt-dir': Flags.string({ description: 'USMT folder passed to capture and restore (--usmt-dir), e.g. USMT in the package' }),
  'report-share': Flags.string({ description: 'Central share the report step copies reports to (--copy-to)' }),
}

export function templateOptions(flags: Record<string, unknown>): { policy?: string; usmtDir?: string; reportShare?: string } {
  const s = (k: string): string | undefined => flags[k] as string | undefined
  return { policy: s('policy'), usmtDir: s('usmt-dir'), reportShare: s('report-share') }
}
