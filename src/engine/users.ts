/**
 * Profiles on an offline volume and USMT's user selection (/ui, /ue, /uel, /all), usmt.md §10.
 *
 * Decision, as synthesised from Microsoft's three rules and examples:
 *   migrated(U) = used(U) && (matchesAnyUI(U) || (uel given ? withinUEL(U) : !matchesAnyUE(U)))
 * `/ui` beats `/ue` and `/uel`; a user inside the `/uel` window is migrated even when `/ue` matches; `/uel`
 * acts as an include rule, so `/ue` has no effect once `/uel` is given. A profile that was never used
 * (no NTUSER.DAT and no lastUse) is not migrated ("accounts that haven't been used won't be migrated").
 */
import { readdirSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { findChildCaseInsensitive, type VolumeMap } from '../windows/volume-map.js'
import { compileWildcard } from './pattern.js'
import type { UserDecision, UserProfile, UserSelection } from './contract.js'
import { readTextFile } from './loader.js'

/** Folders under the profiles folder that are not user accounts. */
export const NON_USER_PROFILES: ReadonlySet<string> = new Set(['default', 'default user', 'public', 'all users'])

/**
 * USMT migrates no profile that was never used: one without NTUSER.DAT (and no last-use time given). The one
 * sentence, shared by the engine, `usmt-steps users` and the capture's at-risk check; the profile listing of
 * `users` applies the same test where it could look at the folder (src/directory/profiles.ts `neverUsed`).
 */
export const NEVER_USED_REASON = 'never logged on (no NTUSER.DAT and no lastUse)'
export function neverUsed(p: { lastUse?: string }): boolean {
  return p.lastUse === undefined
}

export interface DiscoveredProfile extends UserProfile {
  /** true when the profile has an NTUSER.DAT (or --users gave lastUse). */
  used: boolean
}

function ntuserMtime(volumes: VolumeMap, profile: string): string | undefined {
  const local = volumes.toLocal(`${profile}\\NTUSER.DAT`)
  if (!local) return undefined
  const hit = findChildCaseInsensitive(nodePath.dirname(local), 'NTUSER.DAT')
  if (!hit) return undefined
  try {
    return statSync(hit).mtime.toISOString()
  } catch {
    return undefined
  }
}

/** Every folder under `profilesFolder` except Default, Default User, Public, All Users → `COMPUTER\name`. */
export function discoverProfiles(volumes: VolumeMap, profilesFolder: string, computer: string): DiscoveredProfile[] {
  const local = volumes.toLocal(profilesFolder)
  if (!local) return []
  let names: string[]
  try {
    names = readdirSync(local, { withFileTypes: true }).filter((d) => d.isDirectory() && !NON_USER_PROFILES.has(d.name.toLowerCase())).map((d) => d.name)
  } catch {
    return []
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }))
  return names.map((name) => {
    const profile = `${profilesFolder}\\${name}`
    const lastUse = ntuserMtime(volumes, profile)
    return { account: `${computer}\\${name}`, profile, lastUse, used: !neverUsed({ lastUse }) }
  })
}

/** Read and validate a --users file. */
export function readUsersFile(path: string): UserProfile[] {
  const text = readTextFile(path, 'users file', 16 * 1024 * 1024)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new UsmtStepsError('USM0107', `${path} is not valid JSON: ${(err as Error).message}`, { data: { path } })
  }
  if (!Array.isArray(data)) throw new UsmtStepsError('USM0107', `${path} must hold a JSON array of users`, { data: { path } })
  return data.map((u, i) => {
    const o = u as Record<string, unknown>
    const bad = (why: string): never => { throw new UsmtStepsError('USM0107', `${path}: entry ${i + 1} ${why}`, { data: { path, index: i } }) }
    if (!o || typeof o !== 'object') return bad('is not an object')
    if (typeof o.account !== 'string' || !o.account.trim()) return bad('has no "account" (DOMAIN\\name)')
    if (typeof o.profile !== 'string' || !/^[A-Za-z]:\\/.test(o.profile)) return bad('has no Windows "profile" path such as C:\\Users\\name')
    if (o.sid !== undefined && typeof o.sid !== 'string') return bad('has a "sid" that is not a string')
    if (o.lastUse !== undefined && (typeof o.lastUse !== 'string' || Number.isNaN(Date.parse(o.lastUse)))) return bad('has a "lastUse" that is not an ISO date')
    return { account: o.account.trim(), profile: o.profile.replace(/\\+$/, ''), sid: o.sid as string | undefined, lastUse: o.lastUse as string | undefined }
  })
}

/** Complete --users entries: lastUse from NTUSER.DAT when absent; `used` flag. */
export function completeProfiles(volumes: VolumeMap, users: readonly UserProfile[]): DiscoveredProfile[] {
  return users.map((u) => {
    const lastUse = u.lastUse ?? ntuserMtime(volumes, u.profile)
    return { ...u, lastUse, used: !neverUsed({ lastUse }) }
  })
}


/** Does a /ui or /ue pattern match a user? Bare names mean the local account (`COMPUTER\name`). */
export function userPatternMatches(pattern: string, user: UserProfile, computer: string): boolean {
  let p = pattern.trim().replace(/^"(.*)"$/, '$1').replace(/%computername%/gi, computer)
  if (/^S-\d-\d+(-\d+)+$/i.test(p)) return user.sid !== undefined && user.sid.toLowerCase() === p.toLowerCase()
  if (!p.includes('\\')) p = `${computer}\\${p}`
  const [pd, pn] = p.split('\\', 2)
  const [ud, un] = user.account.includes('\\') ? user.account.split('\\', 2) : [computer, user.account]
  return compileWildcard(pd, { caseInsensitive: true })(ud) && compileWildcard(pn, { caseInsensitive: true })(un)
}

export interface UelWindow {
  /** Users whose last use is at or after this instant are inside the window (null: /uel:0). */
  since: Date | null
  text: string
}

/** Parse /uel: N days, 0 (currently logged on) or yyyy/mm/dd (USMT syntax; also yyyy-mm-dd). */
export function parseUel(value: string, now: Date): UelWindow {
  const v = value.trim().replace(/^\/uel:/i, '')
  if (/^\d+$/.test(v)) {
    const days = Number(v)
    if (days === 0) return { since: null, text: '/uel:0' }
    return { since: new Date(now.getTime() - days * 86_400_000), text: `/uel:${days}` }
  }
  const m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(v)
  if (m) {
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
    if (d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3])) return { since: d, text: `/uel:${v}` }
  }
  throw new UsmtStepsError('USM0109', `/uel value "${value}" is not a number of days, 0, or a date yyyy/mm/dd`, { data: { value } })
}

/** Apply the user selection. */
export function selectUsers(profiles: readonly DiscoveredProfile[], selection: UserSelection | undefined, computer: string, now: Date): UserDecision[] {
  const sel = selection ?? {}
  const ui = sel.ui ?? []
  const ue = sel.ue ?? []
  if (sel.all && (ui.length || ue.length || sel.uel !== undefined)) {
    throw new UsmtStepsError('USM0108', '/all cannot be combined with /ui, /ue or /uel')
  }
  const uel = sel.uel !== undefined ? parseUel(sel.uel, now) : null
  return profiles.map((u) => {
    const base = { account: u.account, profile: u.profile, sid: u.sid }
    if (!u.used) return { ...base, migrated: false, reason: NEVER_USED_REASON }
    const uiHit = ui.find((p) => userPatternMatches(p, u, computer))
    if (uiHit !== undefined) return { ...base, migrated: true, reason: `included by /ui:${uiHit}` }
    if (uel) {
      const last = u.lastUse ? new Date(u.lastUse) : null
      if (uel.since === null) return { ...base, migrated: false, reason: `${uel.text}: not logged on (an offline volume has no logged-on users)` }
      const within = last !== null && last.getTime() >= uel.since.getTime()
      return { ...base, migrated: within, reason: `last used ${u.lastUse ?? 'never'}, ${within ? 'within' : 'outside'} ${uel.text}` }
    }
    const ueHit = ue.find((p) => userPatternMatches(p, u, computer))
    if (ueHit !== undefined) return { ...base, migrated: false, reason: `excluded by /ue:${ueHit}` }
    return { ...base, migrated: true, reason: sel.all ? 'all users (/all)' : 'all users are migrated by default' }
  })
}
