/**
 * Safety rules of the steps: a hard-link store must be on the profiles' volume (KB 2269650: links cannot
 * cross volumes and a store elsewhere fails on restore with code 38 or is wiped with the disk); profiles
 * or files a refresh capture left out are listed (orphaned SIDs, cloud-only OneDrive placeholders) so the
 * step can stop before the disk is wiped.
 */
import { existsSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { compileWildcard } from '../engine/pattern.js'
import { NEVER_USED_REASON } from '../engine/users.js'
import { UsmtStepsError } from '../runtime/errors.js'
import type { ProgressState } from '../usmt/index.js'
import { basename as winBasename, driveOf, isUnc } from '../windows/path.js'
import { ENTRA_REASON, isEntraProfile, isEntraUserName } from '../directory/entra.js'

/** The nearest existing folder at or above `p` (a store folder may not exist yet). */
export function nearestExisting(p: string): string {
  let cur = nodePath.resolve(p)
  while (!existsSync(cur)) {
    const up = nodePath.dirname(cur)
    if (up === cur) break
    cur = up
  }
  return cur
}

export interface HardLinkCheck {
  /** The store as given (Windows path or local path). */
  storePath: string
  /** Its local path, when reachable. */
  localStore?: string
  /** The profiles folder (Windows path, e.g. C:\Users). */
  profilesPath: string
  /** Its local path, when reachable. */
  localProfiles?: string
}

/** Refuse a hard-link store that is not on the profiles' volume. */
export function assertHardLinkVolume(c: HardLinkCheck): string {
  if (isUnc(c.storePath)) {
    throw new UsmtStepsError('USM0307', `the hard-link store ${c.storePath} is a network path; hard links exist only on the local volume that holds the profiles (${c.profilesPath})`, {
      data: { storePath: c.storePath, profiles: c.profilesPath },
    })
  }
  const storeDrive = driveOf(c.storePath)
  const profilesDrive = driveOf(c.profilesPath)
  if (storeDrive && profilesDrive && storeDrive !== profilesDrive) {
    throw new UsmtStepsError('USM0307', `the hard-link store ${c.storePath} is on ${storeDrive} but the profiles are on ${profilesDrive} (${c.profilesPath}); the store must be on the same volume`, {
      data: { storePath: c.storePath, profiles: c.profilesPath },
    })
  }
  if (c.localStore && c.localProfiles && existsSync(c.localProfiles)) {
    const a = statSync(nearestExisting(c.localStore)).dev
    const b = statSync(c.localProfiles).dev
    if (a !== b) {
      throw new UsmtStepsError('USM0307', `the hard-link store ${c.storePath} (${c.localStore}) is on another volume than the profiles ${c.profilesPath} (${c.localProfiles})`, {
        data: { storePath: c.storePath, profiles: c.profilesPath },
      })
    }
    return `store and profiles share volume (device ${a})`
  }
  return storeDrive ? `store and profiles are both on ${storeDrive}` : 'store volume not checked (no local path)'
}

export interface AtRisk {
  kind: 'orphaned-profile' | 'excluded-profile' | 'cloud-only-files' | 'entra-profile' | 'never-used-profile'
  what: string
  /** The user or profile concerned (for the report's Users table). */
  user?: string
  /** Why it is at risk, one phrase. */
  reason?: string
}

/** Windows errors of the cloud files API (ERROR_CLOUD_FILE_* 358–404, e.g. 395 "access denied"): OneDrive placeholders. */
export function isCloudFileError(code: number): boolean {
  return code >= 358 && code <= 404
}

const SID = /^S-1-5-21-\d+-\d+-\d+-\d+$/i

/**
 * What the capture left out, from its progress log: detected profiles not included (a SID instead of a name
 * means USMT could not resolve it — an orphaned profile), and files skipped with a cloud-file error. Profiles
 * the admin excluded on purpose (`excluded` patterns matched by the caller) are not at risk.
 */
export function profilesAtRisk(progress: ProgressState, excludedOnPurpose: (user: string) => boolean, profiles: ReadonlyArray<{ account?: string; sid?: string; profile: string; neverUsed?: boolean }> = []): AtRisk[] {
  const out: AtRisk[] = []
  // Entra ID profiles first, captured or not: USMT does not support them, so the refresh would not give them back.
  const entra = new Set<string>()
  const flagEntra = (user: string, profile?: string): void => {
    if (entra.has(user.toLowerCase())) return
    entra.add(user.toLowerCase())
    out.push({ kind: 'entra-profile', user, reason: ENTRA_REASON, what: `${user}${profile ? ` (${profile})` : ''}: ${ENTRA_REASON}` })
  }
  // Unless the selection left the profile out on purpose (/ue not overridden by /ui: `usmt-steps users` under
  // orphans=exclude writes that) and scanstate did not capture it.
  const included = (user: string): boolean => progress.detectedUsers.some((u) => u.included && u.user.toLowerCase() === user.toLowerCase())
  const onPurpose = (user: string): boolean => !included(user) && excludedOnPurpose(user)
  for (const p of profiles) if (isEntraProfile(p) && !onPurpose(p.account ?? p.sid ?? p.profile)) flagEntra(p.account ?? p.sid ?? p.profile, p.profile)
  for (const u of progress.detectedUsers) {
    if (isEntraUserName(u.user)) {
      if (onPurpose(u.user)) continue
      const known = profiles.find((p) => isEntraProfile(p) && (p.account?.toLowerCase() === u.user.toLowerCase() || p.sid?.toLowerCase() === u.user.split('\\').pop()?.toLowerCase()))
      if (!known) flagEntra(u.user)
      continue
    }
    if (u.included) continue
    const name = u.user.split('\\').pop() ?? u.user
    if (SID.test(name) || SID.test(u.user)) out.push({ kind: 'orphaned-profile', user: u.user, reason: 'SID not resolvable: the profile was not captured', what: `${u.user} (SID not resolvable: the profile was not captured)` })
    else if (!excludedOnPurpose(u.user)) {
      // The real cause first: USMT never migrates a profile that was never used (usmt-steps users leaves it out too).
      // By account; a profile listed from its folder only (no account known) by its folder name, as USMT names local users.
      const p = profiles.find((x) => (x.account ? x.account.toLowerCase() === u.user.toLowerCase() : winBasename(x.profile).toLowerCase() === name.toLowerCase()))
      if (p?.neverUsed) out.push({ kind: 'never-used-profile', user: u.user, reason: NEVER_USED_REASON, what: `${u.user} (${p.profile}: ${NEVER_USED_REASON}; USMT does not migrate a profile that was never used)` })
      else out.push({ kind: 'excluded-profile', user: u.user, reason: 'detected but not included', what: `${u.user} (detected but not included)` })
    }
  }
  const cloud = progress.errors.filter((e) => isCloudFileError(e.errorCode))
  if (cloud.length > 0) {
    const sample = cloud.slice(0, 5).map((e) => e.objectName).join(', ')
    out.push({ kind: 'cloud-only-files', what: `${cloud.length} cloud-only file(s) not captured (e.g. ${sample})` })
  }
  return out
}

/** USMT user patterns (DOMAIN\name with * and ?) as a matcher, case-insensitive. */
export function userMatcher(patterns: readonly string[]): (user: string) => boolean {
  const matchers = patterns.map((p) => compileWildcard(p, { question: true, caseInsensitive: true }))
  return (user) => matchers.some((m) => m(user))
}
