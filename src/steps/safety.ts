/**
 * Safety rules of the steps: a hard-link store must be on the profiles' volume (KB 2269650: links cannot
 * cross volumes and a store elsewhere fails on restore with code 38 or is wiped with the disk); profiles
 * or files a refresh capture left out are listed (orphaned SIDs, cloud-only OneDrive placeholders) so the
 * step can stop before the disk is wiped.
 */
import { existsSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { compileWildcard } from '../engine/pattern.js'
import { UsmtStepsError } from '../runtime/errors.js'
import type { ProgressState } from '../usmt/index.js'
import { driveOf, isUnc } from '../windows/path.js'

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
  kind: 'orphaned-profile' | 'excluded-profile' | 'cloud-only-files'
  what: string
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
export function profilesAtRisk(progress: ProgressState, excludedOnPurpose: (user: string) => boolean): AtRisk[] {
  const out: AtRisk[] = []
  for (const u of progress.detectedUsers) {
    if (u.included) continue
    const name = u.user.split('\\').pop() ?? u.user
    if (SID.test(name) || SID.test(u.user)) out.push({ kind: 'orphaned-profile', what: `${u.user} (SID not resolvable: the profile was not captured)` })
    else if (!excludedOnPurpose(u.user)) out.push({ kind: 'excluded-profile', what: `${u.user} (detected but not included)` })
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
