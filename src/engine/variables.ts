/**
 * USMT's recognised environment variables (usmt.md §6.4), resolved for the system context and for each
 * user profile of an offline Windows 10/11 volume. Paths follow a default Windows 10/11 x64 layout on the
 * system drive (`C:\Windows`, `C:\Program Files`, `C:\ProgramData`, `C:\Users`); the per-user folders are
 * the Windows 10/11 defaults below the profile (known-folder redirection cannot be read offline).
 * Virtual shell folders (CSIDL_BITBUCKET, CSIDL_DRIVES …) have no file-system path and stay unresolved.
 */
import { basename, join } from '../windows/path.js'

export interface SystemLayout {
  /** `C:` */
  systemDrive: string
  /** `C:\Users` */
  profilesFolder: string
  computer: string
  /** true when the volume has Program Files (x86) / SysWOW64 (IsNative64Bit). */
  is64Bit: boolean
}

export interface UserVarInput {
  account: string
  profile: string
  sid?: string
}

/** Variables usable in every context (system and user). Keys are upper-case. */
export function systemVariables(layout: SystemLayout): Map<string, string> {
  const sd = layout.systemDrive
  const win = `${sd}\\Windows`
  const pf = `${sd}\\Program Files`
  const pf86 = layout.is64Bit ? `${sd}\\Program Files (x86)` : pf
  const pd = `${sd}\\ProgramData`
  const users = layout.profilesFolder
  const pub = `${users}\\Public`
  const def = `${users}\\Default`
  const startMenu = `${pd}\\Microsoft\\Windows\\Start Menu`
  const v: Record<string, string> = {
    SYSTEMDRIVE: sd,
    WINDIR: win,
    SYSTEMROOT: win,
    CSIDL_WINDOWS: win,
    SYSTEM: `${win}\\system32`,
    SYSTEM32: `${win}\\system32`,
    SYSTEM16: `${win}\\system`,
    CSIDL_SYSTEM: `${win}\\System32`,
    CSIDL_SYSTEMX86: layout.is64Bit ? `${win}\\SysWOW64` : `${win}\\System32`,
    CSIDL_FONTS: `${win}\\Fonts`,
    CSIDL_RESOURCES: `${win}\\Resources`,
    PROGRAMFILES: pf,
    CSIDL_PROGRAM_FILES: pf,
    'PROGRAMFILES(X86)': pf86,
    CSIDL_PROGRAM_FILESX86: pf86,
    COMMONPROGRAMFILES: `${pf}\\Common Files`,
    CSIDL_PROGRAM_FILES_COMMON: `${pf}\\Common Files`,
    'COMMONPROGRAMFILES(X86)': `${pf86}\\Common Files`,
    CSIDL_PROGRAM_FILES_COMMONX86: `${pf86}\\Common Files`,
    PROGRAMW6432: pf,
    PROGRAMDATA: pd,
    ALLUSERSPROFILE: pd,
    ALLUSERSAPPDATA: pd,
    CSIDL_COMMON_APPDATA: pd,
    PROFILESFOLDER: users,
    PUBLIC: pub,
    DEFAULTUSERPROFILE: def,
    SYSTEMPROFILE: `${win}\\System32\\config\\systemprofile`,
    COMPUTERNAME: layout.computer,
    CSIDL_COMMON_ADMINTOOLS: `${startMenu}\\Programs\\Administrative Tools`,
    CSIDL_COMMON_ALTSTARTUP: `${startMenu}\\Programs\\Startup`,
    CSIDL_COMMON_STARTUP: `${startMenu}\\Programs\\Startup`,
    CSIDL_COMMON_PROGRAMS: `${startMenu}\\Programs`,
    CSIDL_COMMON_STARTMENU: startMenu,
    CSIDL_COMMON_TEMPLATES: `${pd}\\Microsoft\\Windows\\Templates`,
    CSIDL_COMMON_DESKTOPDIRECTORY: `${pub}\\Desktop`,
    CSIDL_COMMON_DOCUMENTS: `${pub}\\Documents`,
    CSIDL_COMMON_FAVORITES: `${pub}\\Favorites`,
    CSIDL_COMMON_MUSIC: `${pub}\\Music`,
    CSIDL_COMMON_PICTURES: `${pub}\\Pictures`,
    CSIDL_COMMON_VIDEO: `${pub}\\Videos`,
    FOLDERID_PUBLICDOWNLOADS: `${pub}\\Downloads`,
  }
  for (const [k, rel] of Object.entries(USER_FOLDERS)) {
    if (k.startsWith('CSIDL_') && !k.startsWith('CSIDL_VIRTUALSTORE')) v[`CSIDL_DEFAULT_${k.slice(6)}`] = `${def}\\${rel}`
  }
  v.CSIDL_DEFAULT_MYDOCUMENTS = `${def}\\Documents`
  v.CSIDL_DEFAULT_QUICKLAUNCH = `${def}\\AppData\\Roaming\\Microsoft\\Internet Explorer\\Quick Launch`
  v.CSIDL_DEFAULT_DOWNLOADS = `${def}\\Downloads`
  v.CSIDL_DEFAULT_CONTACTS = `${def}\\Contacts`
  return new Map(Object.entries(v).map(([k, val]) => [k.toUpperCase(), val]))
}

/** Per-user folders relative to the profile (Windows 10/11 defaults). */
const USER_FOLDERS: Record<string, string> = {
  CSIDL_APPDATA: 'AppData\\Roaming',
  CSIDL_LOCAL_APPDATA: 'AppData\\Local',
  CSIDL_PERSONAL: 'Documents',
  CSIDL_MYDOCUMENTS: 'Documents',
  CSIDL_MYPICTURES: 'Pictures',
  CSIDL_MYMUSIC: 'Music',
  CSIDL_MYVIDEO: 'Videos',
  CSIDL_DESKTOP: 'Desktop',
  CSIDL_DESKTOPDIRECTORY: 'Desktop',
  CSIDL_FAVORITES: 'Favorites',
  CSIDL_CONTACTS: 'Contacts',
  CSIDL_PLAYLISTS: 'Music\\Playlists',
  CSIDL_COOKIES: 'AppData\\Local\\Microsoft\\Windows\\INetCookies',
  CSIDL_INTERNET_CACHE: 'AppData\\Local\\Microsoft\\Windows\\INetCache',
  CSIDL_HISTORY: 'AppData\\Local\\Microsoft\\Windows\\History',
  CSIDL_CDBURN_AREA: 'AppData\\Local\\Microsoft\\Windows\\Burn\\Burn',
  CSIDL_NETHOOD: 'AppData\\Roaming\\Microsoft\\Windows\\Network Shortcuts',
  CSIDL_PRINTHOOD: 'AppData\\Roaming\\Microsoft\\Windows\\Printer Shortcuts',
  CSIDL_RECENT: 'AppData\\Roaming\\Microsoft\\Windows\\Recent',
  CSIDL_SENDTO: 'AppData\\Roaming\\Microsoft\\Windows\\SendTo',
  CSIDL_STARTMENU: 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu',
  CSIDL_PROGRAMS: 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs',
  CSIDL_STARTUP: 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup',
  CSIDL_ALTSTARTUP: 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup',
  CSIDL_ADMINTOOLS: 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Administrative Tools',
  CSIDL_TEMPLATES: 'AppData\\Roaming\\Microsoft\\Windows\\Templates',
  CSIDL_QUICKLAUNCH: 'AppData\\Roaming\\Microsoft\\Internet Explorer\\Quick Launch',
  CSIDL_VIRTUALSTORE_PROGRAMFILES: 'AppData\\Local\\VirtualStore\\Program Files',
  'CSIDL_VIRTUALSTORE_PROGRAMFILES(X86)': 'AppData\\Local\\VirtualStore\\Program Files (x86)',
  CSIDL_VIRTUALSTORE_COMMONPROGRAMFILES: 'AppData\\Local\\VirtualStore\\Program Files\\Common Files',
  'CSIDL_VIRTUALSTORE_COMMONPROGRAMFILES(X86)': 'AppData\\Local\\VirtualStore\\Program Files (x86)\\Common Files',
  FOLDERID_DOWNLOADS: 'Downloads',
  FOLDERID_SAVEDGAMES: 'Saved Games',
  FOLDERID_LINKS: 'Links',
  FOLDERID_LIBRARIES: 'AppData\\Roaming\\Microsoft\\Windows\\Libraries',
  FOLDERID_ORIGINALIMAGES: 'AppData\\Local\\Microsoft\\Windows Photo Gallery\\Original Images',
  FOLDERID_RECORDEDTV: 'Videos\\Recorded TV',
  TEMP: 'AppData\\Local\\Temp',
  TMP: 'AppData\\Local\\Temp',
  APPDATA: 'AppData\\Roaming',
  LOCALAPPDATA: 'AppData\\Local',
}

/** Names of variables that exist only in a user context. */
export const USER_ONLY_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(USER_FOLDERS).map((k) => k.toUpperCase()),
  'USERPROFILE', 'CSIDL_PROFILE', 'HOMEPATH', 'HOMEDRIVE', 'USERNAME', 'USERDOMAIN', 'USERSID',
])

/** Virtual shell folders: recognised names that never resolve to a path. */
export const VIRTUAL_VARIABLES: ReadonlySet<string> = new Set([
  'CSIDL_BITBUCKET', 'CSIDL_CONNECTIONS', 'CSIDL_CONTROLS', 'CSIDL_DRIVES', 'CSIDL_INTERNET', 'CSIDL_NETWORK', 'CSIDL_PRINTERS',
])

/** Variables of one user's context (system variables plus the user's own), upper-case keys. */
export function userVariables(system: ReadonlyMap<string, string>, user: UserVarInput): Map<string, string> {
  const v = new Map(system)
  const profile = user.profile
  for (const [k, rel] of Object.entries(USER_FOLDERS)) v.set(k.toUpperCase(), join(profile, rel))
  const [domain, name] = user.account.includes('\\') ? user.account.split('\\', 2) : ['', user.account]
  v.set('USERPROFILE', profile)
  v.set('CSIDL_PROFILE', profile)
  v.set('HOMEDRIVE', profile.slice(0, 2))
  v.set('HOMEPATH', profile.slice(2) || '\\')
  v.set('USERNAME', name || basename(profile))
  v.set('USERDOMAIN', domain)
  if (user.sid) v.set('USERSID', user.sid)
  return v
}

/** Every variable name the engine recognises (for lint's "never resolves" check). */
export function knownVariableNames(): Set<string> {
  const sys = systemVariables({ systemDrive: 'C:', profilesFolder: 'C:\\Users', computer: 'PC', is64Bit: true })
  return new Set([...sys.keys(), ...USER_ONLY_VARIABLES, ...VIRTUAL_VARIABLES])
}

/** The known shell folders of a user context, longest first (used by Move() to keep subfolders). */
export function shellFolderPaths(vars: ReadonlyMap<string, string>): string[] {
  const keys = ['CSIDL_PERSONAL', 'CSIDL_MYPICTURES', 'CSIDL_MYMUSIC', 'CSIDL_MYVIDEO', 'CSIDL_DESKTOP', 'CSIDL_FAVORITES',
    'CSIDL_APPDATA', 'CSIDL_LOCAL_APPDATA', 'USERPROFILE', 'CSIDL_COMMON_DOCUMENTS', 'CSIDL_COMMON_PICTURES', 'CSIDL_COMMON_MUSIC',
    'CSIDL_COMMON_VIDEO', 'CSIDL_COMMON_DESKTOPDIRECTORY', 'CSIDL_COMMON_APPDATA', 'PROGRAMFILES', 'WINDIR', 'PROFILESFOLDER']
  const out = new Set<string>()
  for (const k of keys) {
    const p = vars.get(k)
    if (p) out.add(p)
  }
  return [...out].sort((a, b) => b.length - a.length)
}
