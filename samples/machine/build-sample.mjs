#!/usr/bin/env node
// Builds the bundled sample Windows 10/11 machine (C: system drive, D: fixed data drive, E: removable
// drive) below this folder. The tree is committed; run this script again to recreate it, or with
// --touch to give the NTUSER.DAT files the last-use times listed in users.json (git does not keep mtimes).
import { mkdirSync, writeFileSync, utimesSync, symlinkSync, rmSync, existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

function touchNtuser() {
  const users = JSON.parse(readFileSync(join(here, 'users.json'), 'utf8'))
  for (const u of users) {
    if (!u.lastUse) continue
    const rel = u.profile.replace(/^C:\\/i, '').split('\\')
    const p = join(here, 'C', ...rel, 'NTUSER.DAT')
    if (existsSync(p)) {
      const t = new Date(u.lastUse)
      utimesSync(p, t, t)
    }
  }
}

if (process.argv.includes('--touch')) {
  touchNtuser()
  process.exit(0)
}

/** A tiny PE image with VS_FIXEDFILEINFO, so DoesFileVersionMatch has something to read. */
function exe(fileVersion, strings = {}) {
  const v = fileVersion.split('.').map(Number)
  const fixed = Buffer.alloc(52)
  fixed.writeUInt32LE(0xfeef04bd, 0)
  fixed.writeUInt32LE(0x00010000, 4)
  fixed.writeUInt32LE(((v[0] << 16) | v[1]) >>> 0, 8)
  fixed.writeUInt32LE(((v[2] << 16) | v[3]) >>> 0, 12)
  fixed.writeUInt32LE(((v[0] << 16) | v[1]) >>> 0, 16)
  fixed.writeUInt32LE(((v[2] << 16) | v[3]) >>> 0, 20)
  const header = Buffer.alloc(64)
  header.write('MZ', 0, 'latin1')
  const table = Buffer.concat(Object.entries(strings).map(([k, s]) => Buffer.concat([Buffer.from(`${k}\0`, 'utf16le'), Buffer.alloc(2), Buffer.from(`${s}\0`, 'utf16le')])))
  return Buffer.concat([header, Buffer.from('VS_VERSION_INFO\0', 'utf16le'), fixed, table])
}

const files = {
  // ---------------------------------------------------------------- C: system drive
  'C/notes.txt': 'Notes kept in the drive root.\r\n',
  'C/bootmgr': 'boot manager placeholder (hidden+system)\r\n',
  'C/$Recycle.Bin/S-1-5-21-1111111111-2222222222-3333333333-1001/$IA1B2C3.docx': 'recycle bin metadata',
  'C/Data/readme.txt': 'Department share copy.\r\n',
  'C/Data/Finance/Q1 forecast.xlsx': 'PK xlsx placeholder',
  'C/Data/Finance/ledger.csv': 'date,amount\r\n2025-01-01,100\r\n',
  'C/Data/Music/jingle.mp3': 'ID3 mp3 placeholder',
  'C/Data/temp/scratch.txt': 'scratch\r\n',
  'C/EngineeringDrafts/Sample.doc': 'Sample engineering document',
  'C/EngineeringDrafts/spec.txt': 'Specification\r\n',
  'C/EngineeringDrafts/Bridge/bridge.dwg': 'AutoCAD drawing placeholder',
  'C/EngineeringDrafts/Bridge/notes.txt': 'bridge notes\r\n',
  'C/Tools/tool.exe': exe('2.1.0.0', { CompanyName: 'Contoso', ProductName: 'Contoso Tool' }),
  'C/Tools/tool.cfg': 'verbose=1\r\n',
  'C/Tools/usage.txt': 'How to use the tool.\r\n',
  'C/Windows/notepad.exe': exe('10.0.19041.1', { CompanyName: 'Microsoft Corporation', ProductName: 'Microsoft® Windows® Operating System' }),
  'C/Windows/win.ini': '; for 16-bit app support\r\n[fonts]\r\n',
  'C/Windows/System32/drivers/etc/hosts': '127.0.0.1 localhost\r\n',
  'C/Windows/System32/license.rtf': '{\\rtf1 license}',
  'C/Windows/SysWOW64/placeholder.txt': 'SysWOW64 marks a 64-bit Windows\r\n',
  'C/Windows/Temp/setup.log': 'setup log\r\n',
  'C/Windows/Web/Wallpaper/Windows/img0.jpg': 'JPEG placeholder',
  'C/Program Files/Contoso App/app.exe': exe('8.2.0.1', { CompanyName: 'Contoso', ProductName: 'Contoso App' }),
  'C/Program Files/Contoso App/readme.txt': 'Contoso App readme\r\n',
  'C/Program Files/Contoso App/template.dotx': 'Word template shipped with the app',
  'C/Program Files (x86)/Legacy/legacy.exe': exe('6.0.0.0'),
  'C/Program Files (x86)/Legacy/help.doc': 'Legacy help',
  'C/ProgramData/Contoso/settings.xml': '<settings/>\r\n',
  'C/ProgramData/Microsoft/Windows/Start Menu/Programs/Contoso App.lnk': 'shortcut',
  'C/ProgramData/Microsoft/Windows Defender/Scans/mpcache.bin': 'defender cache',
  // Public profile (shared folders)
  'C/Users/Public/Documents/Company handbook.docx': 'handbook',
  'C/Users/Public/Documents/desktop.ini': '[.ShellClassInfo]\r\n',
  'C/Users/Public/Desktop/Company Portal.lnk': 'shortcut',
  'C/Users/Public/Pictures/Logo.png': 'PNG placeholder',
  'C/Users/Public/Music/Anthem.mp3': 'ID3 mp3 placeholder',
  'C/Users/Public/Videos/Welcome.mp4': 'MP4 placeholder',
  'C/Users/Public/Downloads/drivers.zip': 'PK zip placeholder',
  'C/Users/Public/Favorites/Intranet.url': '[InternetShortcut]\r\nURL=https://intranet.contoso.com/\r\n',
  // Default profile (template, not a user)
  'C/Users/Default/NTUSER.DAT': 'regf default hive placeholder',
  'C/Users/Default/Documents/readme-default.txt': 'default profile\r\n',
  'C/Users/Default/AppData/Local/Microsoft/Windows/WinX/Group1/1 - Desktop.lnk': 'shortcut',
  // ann: local account, active user
  'C/Users/ann/NTUSER.DAT': 'regf ann hive placeholder',
  'C/Users/ann/ntuser.dat.LOG1': 'hive log',
  'C/Users/ann/ntuser.ini': '',
  'C/Users/ann/mail.pst': 'PST placeholder in the profile root',
  'C/Users/ann/Documents/Report.docx': 'PK docx placeholder',
  'C/Users/ann/Documents/Budget 2025.xlsx': 'PK xlsx placeholder',
  'C/Users/ann/Documents/notes.txt': 'meeting notes\r\n',
  'C/Users/ann/Documents/desktop.ini': '[.ShellClassInfo]\r\n',
  'C/Users/ann/Documents/Projects/plan.docx': 'PK docx placeholder',
  'C/Users/ann/Documents/Projects/archive/draft [v2].doc': 'old draft',
  'C/Users/ann/Documents/Projects/archive/recording.mp3': 'ID3 mp3 placeholder',
  'C/Users/ann/Desktop/todo.txt': 'todo\r\n',
  'C/Users/ann/Desktop/Contoso App.lnk': 'shortcut',
  'C/Users/ann/Desktop/desktop.ini': '[.ShellClassInfo]\r\n',
  'C/Users/ann/Pictures/Holiday.jpg': 'JPEG placeholder',
  'C/Users/ann/Pictures/Screenshots/Screenshot 1.png': 'PNG placeholder',
  'C/Users/ann/Music/Playlist song.mp3': 'ID3 mp3 placeholder',
  'C/Users/ann/Videos/Birthday.mp4': 'MP4 placeholder',
  'C/Users/ann/Downloads/manual.pdf': '%PDF placeholder',
  'C/Users/ann/Downloads/setup.exe': exe('1.0.0.0'),
  'C/Users/ann/Favorites/Bing.url': '[InternetShortcut]\r\nURL=https://www.bing.com/\r\n',
  'C/Users/ann/Contacts/ann.contact': '<contact/>',
  'C/Users/ann/Saved Games/save1.sav': 'save game',
  'C/Users/ann/Links/Desktop.lnk': 'shortcut',
  'C/Users/ann/OneDrive/Shared/synced.docx': 'PK docx placeholder',
  'C/Users/ann/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Notepad.lnk': 'shortcut',
  'C/Users/ann/AppData/Roaming/Microsoft/Windows/Recent/Report.docx.lnk': 'shortcut',
  'C/Users/ann/AppData/Roaming/Microsoft/Internet Explorer/Quick Launch/Show desktop.lnk': 'shortcut',
  'C/Users/ann/AppData/Roaming/Microsoft/Signatures/ann.htm': '<html>Ann</html>',
  'C/Users/ann/AppData/Roaming/Microsoft/Templates/Normal.dotm': 'Word normal template',
  'C/Users/ann/AppData/Roaming/Mozilla/Firefox/profiles.ini': '[Profile0]\r\nPath=Profiles/abc.default\r\n',
  'C/Users/ann/AppData/Roaming/Mozilla/Firefox/Profiles/abc.default/prefs.js': 'user_pref("a", 1);\r\n',
  'C/Users/ann/AppData/Local/Temp/~DF1234.tmp': 'temp',
  'C/Users/ann/AppData/Local/Temp/install.log': 'install log\r\n',
  'C/Users/ann/AppData/Local/Google/Chrome/User Data/Default/Bookmarks': '{"roots":{}}',
  'C/Users/ann/AppData/Local/Google/Chrome/User Data/Default/Preferences': '{}',
  'C/Users/ann/AppData/Local/Google/Chrome/User Data/Default/Cache/data_0': 'cache block',
  'C/Users/ann/AppData/Local/Google/Chrome/User Data/Default/Cache/f_000001': 'cache entry',
  'C/Users/ann/AppData/Local/Microsoft/Outlook/ann@contoso.com.ost': 'OST placeholder',
  'C/Users/ann/AppData/Local/Microsoft/Outlook/archive.pst': 'PST placeholder',
  'C/Users/ann/AppData/Local/Microsoft/Windows/INetCache/IE/ABCD1234/page[1].htm': 'cached page',
  'C/Users/ann/AppData/Local/Microsoft/Windows/UsrClass.dat': 'regf classes hive placeholder',
  // jdoe: domain account CONTOSO\jdoe (see users.json), most recent user
  'C/Users/jdoe/NTUSER.DAT': 'regf jdoe hive placeholder',
  'C/Users/jdoe/Documents/Contract.docx': 'PK docx placeholder',
  'C/Users/jdoe/Documents/customers.csv': 'name,city\r\nFabrikam,Redmond\r\n',
  'C/Users/jdoe/Documents/Sample.doc': 'jdoe sample',
  'C/Users/jdoe/Desktop/meeting.txt': 'meeting at 10\r\n',
  'C/Users/jdoe/Pictures/team.png': 'PNG placeholder',
  'C/Users/jdoe/Downloads/setup.msi': 'MSI placeholder',
  'C/Users/jdoe/AppData/Roaming/Microsoft/Templates/Letter.dotx': 'Word template',
  'C/Users/jdoe/AppData/Local/Temp/a.tmp': 'temp',
  // olduser: local account not used for months
  'C/Users/olduser/NTUSER.DAT': 'regf olduser hive placeholder',
  'C/Users/olduser/Documents/old letter.doc': 'old letter',
  'C/Users/olduser/Desktop/old.txt': 'old\r\n',
  // KimAkers: Entra ID (Azure AD) account AzureAD\KimAkers (SID S-1-12-1-…, see users.json): USMT does not support it
  'C/Users/KimAkers/NTUSER.DAT': 'regf KimAkers hive placeholder',
  'C/Users/KimAkers/Documents/Quarterly review.docx': 'PK docx placeholder',
  'C/Users/KimAkers/Desktop/links.txt': 'intranet links\r\n',
  // newhire: profile folder created, never logged on (no NTUSER.DAT)
  'C/Users/newhire/Documents/welcome.txt': 'welcome\r\n',
  // ---------------------------------------------------------------- D: fixed data drive
  'D/readme.txt': 'Data drive\r\n',
  'D/Projects/Alpha/spec.docx': 'PK docx placeholder',
  'D/Projects/Alpha/budget.xls': 'xls placeholder',
  'D/Projects/Alpha/render.png': 'PNG placeholder',
  'D/Music/Album/01 Intro.mp3': 'ID3 mp3 placeholder',
  'D/Archive/2019.pst': 'PST placeholder',
  'D/Archive/notes.txt': 'archive notes\r\n',
  'D/Program Files/Portable/app.exe': exe('3.0.0.0'),
  'D/Program Files/Portable/data.txt': 'portable app data\r\n',
  // ---------------------------------------------------------------- E: removable drive
  'E/Backup/CV.docx': 'PK docx placeholder',
  'E/Backup/expenses.xlsx': 'PK xlsx placeholder',
  'E/Photos/IMG_0001.jpg': 'JPEG placeholder',
  'E/notes.txt': 'usb notes\r\n',
}

for (const d of ['C', 'D', 'E']) rmSync(join(here, d), { recursive: true, force: true })
for (const [rel, content] of Object.entries(files)) {
  const p = join(here, ...rel.split('/'))
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, content)
}
// Junction-like links as a mounted NTFS volume shows them (not followed by the engine).
symlinkSync('../ProgramData', join(here, 'C', 'Users', 'All Users'))
symlinkSync('Default', join(here, 'C', 'Users', 'Default User'))
symlinkSync('AppData/Roaming', join(here, 'C', 'Users', 'ann', 'Application Data'))
touchNtuser()
console.log(`sample machine written: ${Object.keys(files).length} files`)
