import { isUnderDn } from './dn.js'
import { ENTRA_REASON, isEntraProfile } from './entra.js'
import type { ResolvedProfile } from './resolve.js'
import { NEVER_USED_REASON } from '../engine/users.js'

/**
 * The selection policy as one pure function: given the resolved profiles, the policy and "now", decide
 * for every profile whether it is captured, skipped (and why), or blocks the step (an orphan nobody decided
 * about). Nothing is dropped without a row in the decision table.
 *
 * A profile never used (its folder has no NTUSER.DAT and no last-use time was given) is left out first, whatever its account: USMT does not
 * migrate it, so promising it would be false.
 *
 * Order of rules for a domain account (the first that applies decides):
 *   1. excluded group, 2. excluded OU, 3. include scope (groups/OUs) not matched, 4. disabled (skipDisabled),
 *   5. inactive for more than inactiveDays by lastLogonTimestamp, 6. otherwise captured.
 * Local accounts: captured unless keepLocal is false. Service profiles: USMT always migrates them.
 * Orphans (deleted in AD, or SID not found): a mapping captures them under the mapped account; otherwise
 * skipDeleted leaves deleted ones out knowingly, and the orphan policy decides the rest (fail | exclude).
 */
export interface GroupRule {
  /** As written in the policy. */
  spec: string
  name: string
  sid: string
}

export interface SelectionPolicy {
  includeGroups: readonly GroupRule[]
  excludeGroups: readonly GroupRule[]
  /** Absolute DNs. */
  includeOus: readonly string[]
  excludeOus: readonly string[]
  skipDisabled: boolean
  skipDeleted: boolean
  inactiveDays?: number
  keepLocal: boolean
  orphans: 'fail' | 'exclude'
  /** Orphan mapping: key is an upper-case SID or a lower-case DOMAIN\name; value the new DOMAIN\name. */
  orphanMap: Readonly<Record<string, string>>
}

export const DEFAULT_POLICY: SelectionPolicy = {
  includeGroups: [], excludeGroups: [], includeOus: [], excludeOus: [],
  skipDisabled: false, skipDeleted: false, keepLocal: true, orphans: 'fail', orphanMap: {},
}

export type Decision = 'capture' | 'skip' | 'blocked' | 'always'

export interface ProfileDecision {
  profile: string
  account?: string
  sid?: string
  kind: ResolvedProfile['kind']
  status: ResolvedProfile['status']
  ou?: string
  lastLogon?: string
  decision: Decision
  /** One sentence for the table. */
  reason: string
  /** Stable rule id: system, never-used, local, local-excluded, exclude-group, exclude-ou, not-in-scope, disabled, inactive, captured, orphan-mapped, deleted-skipped, orphan-excluded, orphan-blocked, foreign, no-directory, directory-unavailable, entra-blocked, entra-excluded. */
  rule: string
  /** For a mapped orphan: the account that owns the profile after restore. */
  mapTo?: string
}

export interface SelectionResult {
  decisions: ProfileDecision[]
  warnings: string[]
}

const DAY_MS = 86_400_000

function mappingFor(r: ResolvedProfile, map: Readonly<Record<string, string>>): string | undefined {
  if (r.sid && map[r.sid.toUpperCase()]) return map[r.sid.toUpperCase()]
  if (r.account && map[r.account.toLowerCase()]) return map[r.account.toLowerCase()]
  return undefined
}

const who = (r: ResolvedProfile): string => `${r.account ?? r.profile}${r.sid ? ` (${r.sid})` : ''}`

function decideDomain(r: ResolvedProfile, p: SelectionPolicy, now: Date): Pick<ProfileDecision, 'decision' | 'reason' | 'rule'> {
  const groups = new Set((r.groupSids ?? []).map((s) => s.toUpperCase()))
  const ou = r.directory?.ou ?? ''
  const inGroup = (g: GroupRule): boolean => groups.has(g.sid.toUpperCase())
  const underOu = (dn: string): boolean => ou !== '' && isUnderDn(ou, dn)
  const exGroup = p.excludeGroups.find(inGroup)
  if (exGroup) return { decision: 'skip', rule: 'exclude-group', reason: `member of excluded group ${exGroup.name}` }
  const exOu = p.excludeOus.find(underOu)
  if (exOu) return { decision: 'skip', rule: 'exclude-ou', reason: `in excluded OU ${exOu}` }
  if (p.includeGroups.length || p.includeOus.length) {
    const g = p.includeGroups.find(inGroup)
    const o = p.includeOus.find(underOu)
    if (!g && !o) {
      const scope = [...p.includeGroups.map((x) => `group ${x.name}`), ...p.includeOus.map((x) => `OU ${x}`)].join(', ')
      return { decision: 'skip', rule: 'not-in-scope', reason: `not in any included group or OU (${scope})` }
    }
  }
  if (p.skipDisabled && r.status === 'disabled') return { decision: 'skip', rule: 'disabled', reason: 'account disabled in AD (skipDisabled)' }
  const last = r.directory?.lastLogon
  if (p.inactiveDays !== undefined && last) {
    const days = Math.floor((now.getTime() - Date.parse(last)) / DAY_MS)
    if (days > p.inactiveDays) return { decision: 'skip', rule: 'inactive', reason: `last logon in AD ${last.slice(0, 10)}, ${days} days ago (limit ${p.inactiveDays})` }
  }
  const why: string[] = []
  if (r.status === 'disabled') why.push('disabled in AD but skipDisabled is off')
  if (p.inactiveDays !== undefined && !last) why.push('no lastLogonTimestamp in AD, so the inactivity rule cannot apply')
  else if (last) why.push(`last logon in AD ${last.slice(0, 10)}`)
  return { decision: 'capture', rule: 'captured', reason: `domain account${why.length ? `; ${why.join('; ')}` : ''}` }
}

export function selectProfiles(resolved: readonly ResolvedProfile[], policy: SelectionPolicy, now: Date): SelectionResult {
  const warnings: string[] = []
  const decisions = resolved.map((r): ProfileDecision => {
    const base = { profile: r.profile, account: r.account, sid: r.sid, kind: r.kind, status: r.status, ou: r.directory?.ou, lastLogon: r.directory?.lastLogon }
    if (r.kind === 'system') return { ...base, decision: 'always', rule: 'system', reason: 'service profile: USMT always migrates it' }
    // Decided as scanstate decides it, so the capture does not drop what this table promised.
    if (r.neverUsed) return { ...base, decision: 'skip', rule: 'never-used', reason: `${NEVER_USED_REASON}: USMT does not migrate a profile that was never used` }
    if (isEntraProfile(r)) {
      // At risk like an orphan: USMT cannot give it back as the Entra ID user's profile.
      if (policy.orphans === 'exclude') {
        warnings.push(`${who(r)}: ${ENTRA_REASON}; its profile ${r.profile} is NOT captured (orphans=exclude)`)
        return { ...base, decision: 'skip', rule: 'entra-excluded', reason: `${ENTRA_REASON}; left out knowingly (orphans=exclude)` }
      }
      return { ...base, decision: 'blocked', rule: 'entra-blocked', reason: `${ENTRA_REASON}; orphans=fail stops the step (set orphans: exclude to leave it out knowingly)` }
    }
    if (r.kind === 'local') {
      return policy.keepLocal
        ? { ...base, decision: 'capture', rule: 'local', reason: 'local account (keepLocal)' }
        : { ...base, decision: 'skip', rule: 'local-excluded', reason: 'local account and keepLocal is off' }
    }
    if (r.kind === 'foreign') {
      warnings.push(`${who(r)} is not an account of this domain (local account or another domain); kept without directory checks`)
      return { ...base, decision: 'capture', rule: 'foreign', reason: 'not an account of this domain; kept without directory checks' }
    }
    if (r.status === 'not-checked') return { ...base, decision: 'capture', rule: 'no-directory', reason: 'directory not consulted (file-based mode); kept' }
    if (r.status === 'unavailable') return { ...base, decision: 'capture', rule: 'directory-unavailable', reason: 'directory unavailable; kept without evaluation (keep-all)' }
    if (r.status === 'deleted' || r.status === 'not-found') {
      const what = r.status === 'deleted' ? `account deleted in AD${r.directory?.whenChanged ? ` (tombstone changed ${r.directory.whenChanged})` : ''}` : 'SID not found in AD'
      const mapTo = mappingFor(r, policy.orphanMap)
      if (mapTo) return { ...base, decision: 'capture', rule: 'orphan-mapped', reason: `orphan (${what}); captured and restored as ${mapTo} by the orphan map`, mapTo }
      if (r.status === 'deleted' && policy.skipDeleted) {
        warnings.push(`${who(r)}: ${what}; its profile ${r.profile} is NOT captured (skipDeleted)`)
        return { ...base, decision: 'skip', rule: 'deleted-skipped', reason: `${what}; left out knowingly (skipDeleted)` }
      }
      if (policy.orphans === 'exclude') {
        warnings.push(`${who(r)}: ${what}; its profile ${r.profile} is NOT captured (orphans=exclude)`)
        return { ...base, decision: 'skip', rule: 'orphan-excluded', reason: `orphan (${what}); left out knowingly (orphans=exclude)` }
      }
      return { ...base, decision: 'blocked', rule: 'orphan-blocked', reason: `orphan (${what}); no mapping, and orphans=fail stops the step` }
    }
    return { ...base, ...decideDomain(r, policy, now) }
  })
  return { decisions, warnings }
}
