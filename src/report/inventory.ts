/**
 * Per-user, per-component and per-kind totals from the list of migrated files. Pure: the gatherer supplies
 * the files (USMT's /listfiles output, sizes from the store or the disk) and the users and components USMT
 * reported in its progress log.
 */
import { extname, normalize, parseWinPath } from '../windows/path.js'
import type { ComponentTotal, FileKind, KindTotal, UserTotal } from './types.js'

export const THIS_COMPUTER = 'This Computer'

export const FILE_KINDS: readonly FileKind[] = ['Documents', 'Pictures', 'Music', 'Video', 'Email', 'Archives', 'Settings', 'Other']

const KIND_EXTENSIONS: Record<Exclude<FileKind, 'Other'>, readonly string[]> = {
  Documents: ['doc', 'docx', 'docm', 'dot', 'dotx', 'xls', 'xlsx', 'xlsm', 'xlsb', 'ppt', 'pptx', 'pptm', 'pdf', 'txt', 'rtf', 'odt', 'ods',
    'odp', 'csv', 'md', 'one', 'vsd', 'vsdx', 'pub', 'xps', 'oxps', 'htm', 'html', 'mht', 'wpd', 'tex'],
  Pictures: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'tif', 'tiff', 'heic', 'heif', 'raw', 'cr2', 'nef', 'arw', 'dng', 'svg', 'webp', 'ico', 'psd', 'emf', 'wmf'],
  Music: ['mp3', 'wav', 'wma', 'flac', 'aac', 'm4a', 'ogg', 'opus', 'mid', 'midi', 'aiff'],
  Video: ['mp4', 'avi', 'mov', 'wmv', 'mkv', 'm4v', 'mpg', 'mpeg', 'webm', '3gp', 'vob'],
  Email: ['pst', 'ost', 'msg', 'eml', 'nst', 'oft', 'vcf', 'ics'],
  Archives: ['zip', '7z', 'rar', 'cab', 'gz', 'tgz', 'tar', 'iso', 'bz2', 'xz', 'vhd', 'vhdx'],
  Settings: ['ini', 'xml', 'json', 'dat', 'lnk', 'url', 'reg', 'config', 'cfg', 'nk2', 'dic', 'thmx', 'pol', 'db', 'sqlite'],
}

const KIND_BY_EXT = new Map<string, FileKind>()
for (const [kind, exts] of Object.entries(KIND_EXTENSIONS)) for (const e of exts) KIND_BY_EXT.set(e, kind as FileKind)

export function fileKind(path: string): FileKind {
  const ext = extname(path).replace(/^\./, '').toLowerCase()
  return KIND_BY_EXT.get(ext) ?? 'Other'
}

/** One migrated file. `path` is the Windows path on the source (capture) or destination (restore). */
export interface InventoryItem {
  path: string
  /** Size in bytes, or null when it could not be read. */
  bytes: number | null
  /** The USMT component, when the source of the item says so. */
  component?: string
  /** The account, when the source of the item says so. */
  user?: string
}

const PROFILE_PARENTS = ['users', 'documents and settings']
/** Profile folders that hold shared data (USMT migrates them as This Computer). */
const SHARED_PROFILES = new Set(['public', 'default', 'default user', 'all users'])

/** The profile folder a path lies in (`jdoe` for `C:\Users\jdoe\Documents\a.docx`) and the rest of the path. */
export function profileOf(path: string): { profile: string; rest: string[] } | null {
  const p = parseWinPath(normalize(path))
  const segs = p.segments
  for (let i = 0; i < segs.length - 1; i++) {
    if (PROFILE_PARENTS.includes(segs[i].toLowerCase()) && i === 0) return { profile: segs[i + 1], rest: segs.slice(i + 2) }
  }
  return null
}

/**
 * Match a profile folder name to an account USMT reported: `jdoe` → `CONTOSO\jdoe`, and the
 * `jdoe.CONTOSO` / `jdoe.000` folders Windows creates when a name is taken.
 */
export function accountForProfile(profile: string, accounts: readonly string[]): string | undefined {
  const lower = profile.toLowerCase()
  const leaf = (a: string): string => (a.split('\\').pop() ?? a).toLowerCase()
  const exact = accounts.find((a) => leaf(a) === lower)
  if (exact) return exact
  const dot = lower.indexOf('.')
  if (dot > 0) {
    const base = lower.slice(0, dot)
    const suffix = lower.slice(dot + 1)
    const withDomain = accounts.find((a) => leaf(a) === base && a.includes('\\') && a.split('\\')[0].toLowerCase() === suffix)
    if (withDomain) return withDomain
    if (/^\d{3}$/.test(suffix)) return accounts.find((a) => leaf(a) === base)
  }
  return undefined
}

/** The user a file belongs to (an account when known, the profile folder otherwise, or This Computer). */
export function userOf(item: InventoryItem, accounts: readonly string[]): string {
  if (item.user) return item.user
  const prof = profileOf(item.path)
  if (!prof || SHARED_PROFILES.has(prof.profile.toLowerCase())) return THIS_COMPUTER
  return accountForProfile(prof.profile, accounts) ?? prof.profile
}

/** The component: USMT's when given, else the top folder inside the profile (`Documents`, `Desktop`, `AppData`). */
export function componentOf(item: InventoryItem): { name: string; basis: 'usmt' | 'folder' } {
  if (item.component) return { name: item.component, basis: 'usmt' }
  const prof = profileOf(item.path)
  if (prof && !SHARED_PROFILES.has(prof.profile.toLowerCase())) {
    return { name: prof.rest.length > 1 ? prof.rest[0] : '(profile root)', basis: 'folder' }
  }
  if (prof) return { name: `Shared ${prof.rest.length > 1 ? prof.rest[0] : 'files'}`, basis: 'folder' }
  const p = parseWinPath(normalize(item.path))
  return { name: p.segments.length > 1 ? `${p.root}\\${p.segments[0]}` : `${p.root}\\`, basis: 'folder' }
}

export interface UserInfo {
  user: string
  included: boolean
  components: Array<{ name: string; included: boolean }>
}

export interface InventoryTotals {
  users: UserTotal[]
  components: ComponentTotal[]
  kinds: KindTotal[]
  files: number
  bytes: number
  unknownSize: number
}

function emptyKinds(): Map<FileKind, KindTotal> {
  return new Map(FILE_KINDS.map((k) => [k, { kind: k, files: 0, bytes: 0 }]))
}

/**
 * Totals by user (with kinds), by component and by kind. Users USMT reported without files still get a row
 * (with their detected components), so an excluded or empty profile is visible.
 */
export function summarizeInventory(items: readonly InventoryItem[], reported: readonly UserInfo[]): InventoryTotals {
  const accounts = reported.map((u) => u.user)
  const users = new Map<string, { total: UserTotal; kinds: Map<FileKind, KindTotal> }>()
  const userRow = (name: string): { total: UserTotal; kinds: Map<FileKind, KindTotal> } => {
    const key = name.toLowerCase()
    let row = users.get(key)
    if (!row) {
      const info = reported.find((u) => u.user.toLowerCase() === key)
      row = {
        total: { user: name, included: info ? info.included : null, files: 0, bytes: 0, unknownSize: 0, kinds: [], components: info?.components ?? [] },
        kinds: emptyKinds(),
      }
      users.set(key, row)
    }
    return row
  }
  for (const u of reported) userRow(u.user)
  const components = new Map<string, ComponentTotal & { userSet: Set<string> }>()
  const kinds = emptyKinds()
  let files = 0
  let bytes = 0
  let unknownSize = 0
  for (const item of items) {
    const user = userOf(item, accounts)
    const row = userRow(user)
    const kind = fileKind(item.path)
    const size = item.bytes ?? 0
    files++
    bytes += size
    row.total.files++
    row.total.bytes += size
    if (item.bytes === null) {
      unknownSize++
      row.total.unknownSize++
    }
    const k = row.kinds.get(kind)
    if (k) { k.files++; k.bytes += size }
    const gk = kinds.get(kind)
    if (gk) { gk.files++; gk.bytes += size }
    const comp = componentOf(item)
    const ckey = `${comp.basis}:${comp.name.toLowerCase()}`
    let c = components.get(ckey)
    if (!c) {
      c = { component: comp.name, basis: comp.basis, users: [], files: 0, bytes: 0, userSet: new Set() }
      components.set(ckey, c)
    }
    c.files++
    c.bytes += size
    c.userSet.add(row.total.user)
  }
  const byBytes = <T extends { bytes: number; files: number }>(a: T, b: T): number => b.bytes - a.bytes || b.files - a.files
  const userList = [...users.values()].map(({ total, kinds: uk }) => ({ ...total, kinds: [...uk.values()].filter((k) => k.files > 0) }))
  userList.sort((a, b) => (a.user === THIS_COMPUTER ? 1 : 0) - (b.user === THIS_COMPUTER ? 1 : 0) || byBytes(a, b) || a.user.localeCompare(b.user))
  const compList = [...components.values()].map(({ userSet, ...c }) => ({ ...c, users: [...userSet].sort() })).sort(byBytes)
  return { users: userList, components: compList, kinds: [...kinds.values()].filter((k) => k.files > 0).sort(byBytes), files, bytes, unknownSize }
}

/** Paths of a USMT /listfiles output (one path per line; blank lines and non-paths are skipped). */
export function parseListFiles(text: string): string[] {
  const out: string[] = []
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.replace(/^\uFEFF/, '').trim()
    if (!line) continue
    const kind = parseWinPath(line).kind
    if (kind === 'drive' || kind === 'unc') out.push(line)
  }
  return out
}
