import { basename } from '../windows/path.js'
import type { DirectoryAccount } from './client.js'
import type { ProfileEntry } from './profiles.js'
import { domainSidOf, isServiceSid, normalizeSid, SERVICE_PROFILE_SIDS } from './sid.js'

/**
 * Resolves each profile against the directory: which kind of account owns it (system, local, domain,
 * another domain) and what AD says about it (active, disabled, deleted, not found), plus the facts the
 * policy needs (OU, last logon, transitive groups).
 */
export type AccountKind = 'system' | 'local' | 'domain' | 'foreign' | 'unknown'
export type DirectoryStatus = 'active' | 'disabled' | 'deleted' | 'not-found' | 'not-checked' | 'unavailable'

export interface ResolvedProfile {
  profile: string
  account?: string
  sid?: string
  lastUse?: string
  neverUsed?: boolean
  source: ProfileEntry['source']
  kind: AccountKind
  status: DirectoryStatus
  /** What the directory knows (live account or tombstone). */
  directory?: {
    dn: string
    samAccountName: string
    userPrincipalName?: string
    userAccountControl?: number
    lastLogon?: string
    /** Container (OU) of the account; for a deleted account its last known parent. */
    ou: string
    whenChanged?: string
    matchedBy: 'sid' | 'name'
  }
  /** Transitive security-group SIDs (read only when the policy has group rules). */
  groupSids?: string[]
  note?: string
}

/** What resolution needs from a directory connection (DirectoryClient implements it). */
export interface DirectoryLookup {
  readonly domainSid: string | undefined
  readonly netbiosName: string | undefined
  findUsersBySid(sids: readonly string[]): Promise<Map<string, DirectoryAccount>>
  findDeletedBySid(sids: readonly string[]): Promise<Map<string, DirectoryAccount>>
  findUsersByName(names: readonly string[]): Promise<Map<string, DirectoryAccount>>
  findDeletedByName(names: readonly string[]): Promise<Map<string, DirectoryAccount>>
  tokenGroups(dn: string): Promise<string[]>
}

export interface ResolveContext {
  computerName?: string
  machineSid?: string
  /** null: no directory (file-based mode, or the directory is unavailable). */
  directory: DirectoryLookup | null
  /** Why there is no directory: 'not-checked' (mode none) or 'unavailable'. */
  noDirectoryStatus?: 'not-checked' | 'unavailable'
  /** Read transitive groups (only needed when the policy has group rules). */
  needGroups: boolean
}

function splitAccount(account: string | undefined): { domain?: string; name?: string } {
  if (!account) return {}
  const i = account.indexOf('\\')
  return i < 0 ? { name: account } : { domain: account.slice(0, i), name: account.slice(i + 1) }
}

/** The account name a bare profile folder most likely belongs to: `ann.CORP` / `ann.000` → `ann`. */
export function nameFromFolder(profile: string): string {
  return basename(profile).replace(/\.(?:\d{3}|[A-Za-z0-9-]{1,15})$/, '')
}

const eqi = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase()

function classify(p: ProfileEntry, ctx: ResolveContext): AccountKind {
  const { domain } = splitAccount(p.account)
  if (isServiceSid(p.sid) || /^NT AUTHORITY$/i.test(domain ?? '')) return 'system'
  if (eqi(domain, ctx.computerName)) return 'local'
  const sidDomain = p.sid ? domainSidOf(p.sid) : null
  if (sidDomain && ctx.machineSid && sidDomain === ctx.machineSid.toUpperCase()) return 'local'
  const dirSid = ctx.directory?.domainSid?.toUpperCase()
  const netbios = ctx.directory?.netbiosName
  if (sidDomain && dirSid) return sidDomain === dirSid ? 'domain' : (eqi(domain, netbios) ? 'domain' : 'foreign')
  if (p.sid && !sidDomain) return 'foreign' // a non-account SID (e.g. S-1-12-1-… Entra ID) is not this domain's
  if (domain && netbios && !eqi(domain, netbios)) return 'foreign'
  if (domain || p.sid) return ctx.directory ? 'domain' : 'unknown'
  return 'unknown'
}

function describe(a: DirectoryAccount, matchedBy: 'sid' | 'name'): NonNullable<ResolvedProfile['directory']> {
  return {
    dn: a.dn, samAccountName: a.samAccountName, userPrincipalName: a.userPrincipalName, userAccountControl: a.userAccountControl,
    lastLogon: a.lastLogon?.toISOString(), ou: a.parentDn, whenChanged: a.whenChanged, matchedBy,
  }
}

export async function resolveProfiles(entries: readonly ProfileEntry[], ctx: ResolveContext): Promise<ResolvedProfile[]> {
  const out: ResolvedProfile[] = entries.map((p) => ({
    profile: p.profile, account: p.account ?? (p.sid && isServiceSid(p.sid) ? SERVICE_PROFILE_SIDS[normalizeSid(p.sid)] : undefined),
    sid: p.sid, lastUse: p.lastUse, ...(p.neverUsed ? { neverUsed: true } : {}), source: p.source, kind: classify(p, ctx), status: 'not-checked',
  }))
  const dir = ctx.directory
  if (!dir) {
    for (const r of out) if (r.kind === 'domain' || r.kind === 'unknown') r.status = ctx.noDirectoryStatus ?? 'not-checked'
    return out
  }
  // 1. by SID (the reliable key), 2. by name for profiles without a SID
  const bySid = out.filter((r) => (r.kind === 'domain' || r.kind === 'unknown') && r.sid)
  const byName = out.filter((r) => (r.kind === 'domain' || r.kind === 'unknown') && !r.sid)
  const sids = [...new Set(bySid.map((r) => r.sid as string))]
  const live = sids.length ? await dir.findUsersBySid(sids) : new Map<string, DirectoryAccount>()
  const missing = sids.filter((s) => !live.has(s))
  const dead = missing.length ? await dir.findDeletedBySid(missing) : new Map<string, DirectoryAccount>()
  for (const r of bySid) {
    const a = live.get(r.sid as string) ?? dead.get(r.sid as string)
    if (a) {
      r.kind = 'domain'
      r.status = a.deleted ? 'deleted' : a.disabled ? 'disabled' : 'active'
      r.directory = describe(a, 'sid')
    } else {
      r.status = 'not-found'
    }
  }
  const nameOf = (r: ResolvedProfile): string => splitAccount(r.account).name ?? nameFromFolder(r.profile)
  const names = [...new Set(byName.map(nameOf))]
  const liveByName = names.length ? await dir.findUsersByName(names) : new Map<string, DirectoryAccount>()
  const missingNames = names.filter((n) => !liveByName.has(n.toLowerCase()))
  const deadByName = missingNames.length ? await dir.findDeletedByName(missingNames) : new Map<string, DirectoryAccount>()
  for (const r of byName) {
    const a = liveByName.get(nameOf(r).toLowerCase()) ?? deadByName.get(nameOf(r).toLowerCase())
    if (a) {
      r.kind = 'domain'
      r.sid = a.sid
      r.status = a.deleted ? 'deleted' : a.disabled ? 'disabled' : 'active'
      r.directory = describe(a, 'name')
      if (!r.account && dir.netbiosName) r.account = `${dir.netbiosName}\\${a.samAccountName}`
      r.note = `matched by name "${nameOf(r)}" (no SID known for this profile)`
    } else {
      r.status = 'not-found'
    }
  }
  for (const r of out) {
    if (r.status === 'deleted' && !r.account && r.directory && dir.netbiosName) r.account = `${dir.netbiosName}\\${r.directory.samAccountName}`
    if (r.status === 'active' || r.status === 'disabled') {
      if (!r.account && r.directory && dir.netbiosName) r.account = `${dir.netbiosName}\\${r.directory.samAccountName}`
      if (ctx.needGroups && r.directory) r.groupSids = await dir.tokenGroups(r.directory.dn)
    }
  }
  return out
}
