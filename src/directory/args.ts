import { UsmtStepsError } from '../runtime/errors.js'
import { joinCommandLine, quoteArg, splitCommandLine } from '../windows/path.js'
import type { ProfileDecision } from './policy.js'

/**
 * Turns decisions into USMT user-selection arguments. The selection is always explicit:
 * `/ue:*\* /ui:A /ui:B …` (USMT: /ui wins over /ue), so a profile this step did not see is not captured by
 * accident. Exception: when every profile is captured and one of them has neither a usable account name nor a
 * SID, no switch is written at all, which is USMT's default (all users) and still captures exactly everything
 * (profiles never used included: USMT leaves them out by itself).
 */
export interface UserArgs {
  /** argv form, e.g. ['/ue:*\\*', '/ui:CORP\\ann']. Empty means USMT's default (all users). */
  args: string[]
  /** The same as one command line (quoted as scanstate reads it). */
  commandLine: string
  /** MDT's UDProfiles: comma-separated entries, each becomes /ui:<entry>. */
  udProfiles: string
  /** /mu:old:new for mapped orphans (for the restore step). */
  mapArgs: string[]
}

const WILDCARD = /[*?]/

/** The /ui value for a captured profile: DOMAIN\name when it is a plain name, else the SID. */
export function uiValue(d: ProfileDecision): string | undefined {
  if (d.account && d.account.includes('\\') && !WILDCARD.test(d.account) && !/["]/.test(d.account)) return d.account
  if (d.sid) return d.sid
  return undefined
}

export function buildUserArgs(decisions: readonly ProfileDecision[]): UserArgs {
  const captured = decisions.filter((d) => d.decision === 'capture')
  // A never-used profile needs no /ue: scanstate never migrates it (so "all users" still means exactly the captured ones).
  const others = decisions.filter((d) => (d.decision === 'skip' && d.rule !== 'never-used') || d.decision === 'blocked')
  const values = captured.map((d) => ({ d, v: uiValue(d) }))
  const inexpressible = values.filter((x) => x.v === undefined)
  const mapArgs = captured.filter((d) => d.mapTo).map((d) => `/mu:${uiValue(d) ?? d.profile}:${d.mapTo}`)
  if (inexpressible.length > 0) {
    if (others.length === 0) return { args: [], commandLine: '', udProfiles: '', mapArgs }
    const names = inexpressible.map((x) => x.d.account ?? x.d.profile).join(', ')
    throw new UsmtStepsError('USM0513', `cannot name ${names} in a /ui argument (no plain DOMAIN\\name and no SID), while other profiles are left out`, {
      data: { profiles: inexpressible.map((x) => x.d.profile) },
    })
  }
  const ui = [...new Set(values.map((x) => x.v as string))]
  const args = ['/ue:*\\*', ...ui.map((v) => `/ui:${v}`)]
  return { args, commandLine: joinCommandLine(args), udProfiles: ui.map(quoteArg).join(','), mapArgs }
}

const SELECTION_SWITCH = /^[/-](ui|ue|uel|all)(:|$)/i

/**
 * Replace the user-selection switches in an existing options string (OSDMigrateAdditionalCaptureOptions)
 * with ours, keeping every other switch (e.g. /hardlink /nocompress) as it was.
 */
export function mergeCaptureOptions(existing: string | undefined, userArgs: readonly string[]): string {
  const kept = splitCommandLine(existing ?? '').filter((a) => !SELECTION_SWITCH.test(a))
  return joinCommandLine([...kept, ...userArgs])
}
