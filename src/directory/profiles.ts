import { execa } from 'execa'
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { UserProfile } from '../engine/contract.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { basename, equalsPath, join as winJoin } from '../windows/path.js'
import { findChildCaseInsensitive, type VolumeMap } from '../windows/volume-map.js'
import { isSid, normalizeSid } from './sid.js'

/**
 * The machine's profiles: on Windows from the ProfileList registry key (through a fixed PowerShell script),
 * on a mounted or offline volume from the folders under C:\Users plus an optional users file (the JSON
 * format of `rules preview --users`: a list of {account, profile, sid?, lastUse?}).
 */
export interface ProfileEntry {
  /** DOMAIN\name when known (users file, ProfileList translation). */
  account?: string
  /** Windows path of the profile folder. */
  profile: string
  sid?: string
  /** ISO time of NTUSER.DAT's last write (information only: the policy uses the directory's last logon). */
  lastUse?: string
  /**
   * The profile folder was looked at and has no NTUSER.DAT, and no last-use time was given: it was never used,
   * and USMT never migrates it. Not set when the folder could not be looked at (a users file without a volume).
   */
  neverUsed?: boolean
  source: 'users-file' | 'folder' | 'profilelist'
}

export interface ProfileListing {
  profiles: ProfileEntry[]
  /** Computer name when the listing knows it (ProfileList). */
  computerName?: string
  /** Domain part of local account SIDs (S-1-5-21-a-b-c) when known. */
  machineSid?: string
  warnings: string[]
  source: string
}

/** Folders under Users that are not user profiles. */
const NOT_PROFILES = new Set(['public', 'default', 'default user', 'all users', 'desktop.ini', 'defaultapppool'])

function fail(message: string, cause?: unknown): never {
  throw new UsmtStepsError('USM0511', message, cause === undefined ? {} : { cause })
}

/** Parse and validate a users file. */
export function parseUsersFile(text: string, file: string): UserProfile[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return fail(`${file} is not JSON: ${(err as Error).message}`, err)
  }
  const list = Array.isArray(doc) ? doc : (doc && typeof doc === 'object' && Array.isArray((doc as { users?: unknown }).users) ? (doc as { users: unknown[] }).users : null)
  if (!list) return fail(`${file} must be a JSON list of profiles (or {"users": [...]})`)
  return list.map((raw, i) => {
    const u = raw as Record<string, unknown>
    const where = `${file} entry ${i + 1}`
    if (!u || typeof u !== 'object') return fail(`${where} is not an object`)
    if (typeof u.account !== 'string' || !u.account.trim()) return fail(`${where} has no "account" (DOMAIN\\name)`)
    if (typeof u.profile !== 'string' || !/^[A-Za-z]:\\/.test(u.profile)) return fail(`${where} ("${u.account}") has no Windows "profile" path like C:\\Users\\name`)
    if (u.sid !== undefined && (typeof u.sid !== 'string' || !isSid(u.sid))) return fail(`${where} ("${u.account}") has an invalid "sid" ${JSON.stringify(u.sid)}`)
    if (u.lastUse !== undefined && (typeof u.lastUse !== 'string' || Number.isNaN(Date.parse(u.lastUse)))) return fail(`${where} ("${u.account}") has an invalid "lastUse"`)
    return {
      account: u.account.trim(),
      profile: u.profile,
      ...(typeof u.sid === 'string' ? { sid: normalizeSid(u.sid) } : {}),
      ...(typeof u.lastUse === 'string' ? { lastUse: u.lastUse } : {}),
    }
  })
}


/** Profiles of a Windows volume mapped with --volume C=DIR (and the users file, when given). */
export function listVolumeProfiles(volumes: VolumeMap, usersFile?: string, systemDrive = 'C:'): ProfileListing {
  const warnings: string[] = []
  const entries: ProfileEntry[] = []
  let users: UserProfile[] = []
  if (usersFile) {
    let text: string
    try {
      text = readFileSync(usersFile, 'utf8')
    } catch (err) {
      return fail(`cannot read the users file ${usersFile}: ${(err as Error).message}`, err)
    }
    users = parseUsersFile(text, usersFile)
  }
  const vol = volumes.get(systemDrive)
  const folders: Array<{ win: string; local: string }> = []
  if (vol) {
    const usersDir = findChildCaseInsensitive(vol.root, 'Users')
    if (!usersDir) {
      if (!usersFile) fail(`${systemDrive}\\Users was not found under ${vol.root}`)
      warnings.push(`${systemDrive}\\Users was not found under ${vol.root}; only the users file was read`)
    } else {
      for (const name of readdirSync(usersDir).sort((a, b) => a.localeCompare(b))) {
        const local = nodePath.join(usersDir, name)
        if (NOT_PROFILES.has(name.toLowerCase())) continue
        const st = lstatSync(local)
        if (!st.isDirectory() || st.isSymbolicLink()) continue
        folders.push({ win: winJoin(`${systemDrive}\\Users`, name), local })
      }
    }
  } else if (!usersFile) {
    fail(`no volume is mapped for ${systemDrive}; pass --volume ${systemDrive[0]}=DIR or --users FILE`)
  }
  const lastUseOf = (local: string): string | undefined => {
    const nt = findChildCaseInsensitive(local, 'NTUSER.DAT')
    return nt ? statSync(nt).mtime.toISOString() : undefined
  }
  for (const u of users) {
    const folder = folders.find((f) => equalsPath(f.win, u.profile))
    const local = folder?.local ?? volumes.toLocal(u.profile) ?? undefined
    if (!folder && (!local || !existsSync(local))) warnings.push(`${u.profile} (${u.account}) from the users file is not on the mapped volume`)
    const seen = local !== undefined && existsSync(local)
    const lastUse = u.lastUse ?? (seen ? lastUseOf(local) : undefined)
    entries.push({ account: u.account, profile: u.profile, sid: u.sid, lastUse, ...(seen && lastUse === undefined ? { neverUsed: true } : {}), source: 'users-file' })
  }
  for (const f of folders) {
    if (entries.some((e) => equalsPath(e.profile, f.win))) continue
    const lastUse = lastUseOf(f.local)
    entries.push({ profile: f.win, lastUse, ...(lastUse === undefined ? { neverUsed: true } : {}), source: 'folder' })
  }
  const where = [vol ? `${systemDrive}\\Users on ${vol.root}` : '', usersFile ? `users file ${usersFile}` : ''].filter(Boolean).join(' and ')
  return { profiles: entries, warnings, source: where }
}

/**
 * Lists ProfileList on a running Windows. Data never enters the script: it only reads the registry and
 * prints one JSON document.
 */
export const PROFILE_LIST_SCRIPT = `$ErrorActionPreference = 'Stop'
$out = [ordered]@{ computer = $env:COMPUTERNAME; machineSid = $null; profiles = @() }
try { $u = Get-CimInstance -ClassName Win32_UserAccount -Filter 'LocalAccount=True' | Select-Object -First 1; if ($u) { $out.machineSid = ($u.SID -replace '-\\d+$', '') } } catch { }
foreach ($key in Get-ChildItem -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList') {
  $p = Get-ItemProperty -LiteralPath $key.PSPath
  $account = $null
  try { $account = (New-Object System.Security.Principal.SecurityIdentifier($key.PSChildName)).Translate([System.Security.Principal.NTAccount]).Value } catch { }
  $path = [Environment]::ExpandEnvironmentVariables([string]$p.ProfileImagePath)
  $last = $null
  $nt = Join-Path $path 'NTUSER.DAT'
  if ($path -and (Test-Path -LiteralPath $nt)) { $last = (Get-Item -LiteralPath $nt -Force).LastWriteTimeUtc.ToString('o') }
  $out.profiles += ,([ordered]@{ sid = $key.PSChildName; profile = $path; account = $account; lastUse = $last })
}
[Console]::Out.WriteLine((ConvertTo-Json -InputObject $out -Depth 4 -Compress))
`

/** Parse the script's JSON. Keys ending in .bak (a duplicate profile Windows set aside) are reported, not listed. */
export function parseProfileList(stdout: string): ProfileListing {
  const line = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('{')).pop()
  if (!line) return fail(`the ProfileList script printed no JSON (output: ${stdout.slice(0, 200)})`)
  let doc: { computer?: unknown; machineSid?: unknown; profiles?: unknown }
  try {
    doc = JSON.parse(line) as typeof doc
  } catch (err) {
    return fail(`the ProfileList script printed malformed JSON: ${(err as Error).message}`, err)
  }
  const warnings: string[] = []
  const raw = Array.isArray(doc.profiles) ? doc.profiles : doc.profiles ? [doc.profiles] : []
  const profiles: ProfileEntry[] = []
  for (const item of raw as Array<Record<string, unknown>>) {
    const sid = typeof item.sid === 'string' ? item.sid : ''
    const profile = typeof item.profile === 'string' ? item.profile : ''
    if (/\.bak$/i.test(sid)) {
      warnings.push(`ProfileList has a set-aside duplicate ${sid} (${profile}); USMT fails on duplicate profiles (return code 26) until it is removed`)
      continue
    }
    if (!isSid(sid) || !profile) {
      warnings.push(`ProfileList entry ${JSON.stringify(sid)} has no valid SID or ProfileImagePath and was ignored`)
      continue
    }
    profiles.push({
      sid: normalizeSid(sid),
      profile,
      ...(typeof item.account === 'string' && item.account ? { account: item.account } : {}),
      ...(typeof item.lastUse === 'string' && item.lastUse ? { lastUse: item.lastUse } : { neverUsed: true }),
      source: 'profilelist',
    })
  }
  return {
    profiles,
    computerName: typeof doc.computer === 'string' ? doc.computer : undefined,
    machineSid: typeof doc.machineSid === 'string' && doc.machineSid ? doc.machineSid.toUpperCase() : undefined,
    warnings,
    source: 'ProfileList (registry)',
  }
}

/** Run the ProfileList script with powershell.exe. */
export async function listWindowsProfiles(powershell: string, timeoutMs = 60000): Promise<ProfileListing> {
  const encoded = Buffer.from(PROFILE_LIST_SCRIPT, 'utf16le').toString('base64')
  let r
  try {
    r = await execa(powershell, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded], {
      timeout: timeoutMs, reject: false, stdin: 'ignore', windowsHide: true,
    })
  } catch (err) {
    return fail(`cannot run ${powershell}: ${(err as Error).message}`, err)
  }
  if (r.timedOut) fail(`${powershell} did not list the profiles within ${timeoutMs} ms`)
  if (r.exitCode !== 0) fail(`${powershell} failed listing ProfileList (exit ${r.exitCode}): ${String(r.stderr).slice(0, 300)}`)
  return parseProfileList(String(r.stdout))
}

/** The account name to show for a profile: the known account, else the folder name. */
export function displayAccount(p: ProfileEntry): string {
  return p.account ?? basename(p.profile)
}
