#!/usr/bin/env node
// Builds the bundled sample Windows 10/11 machine (C: system drive, D: fixed data drive, E: removable
// drive) below this folder. The tree is committed; run this script again to recreate it, or with
// --touch to give the NTUSER.DAT files the last-use times listed in users.json (git does not keep mtimes).
import { mkdirSync, writeFileSync, utimesSync, symlinkSync, rmSync, existsSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
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
  // Applications MigApp.xml detects through the registry (see the hives below).
  'C/Program Files/WinZip/winzip32.exe': exe('9.0.6028.0', { CompanyName: 'WinZip Computing', ProductName: 'WinZip' }),
  'C/Program Files (x86)/Skype/Phone/Skype.exe': exe('3.8.0.188', { CompanyName: 'Skype Technologies S.A.', ProductName: 'Skype' }),
  'C/Program Files (x86)/Google/Chrome/Application/chrome.exe': exe('120.0.6099.109', { CompanyName: 'Google LLC', ProductName: 'Google Chrome' }),
  'C/Program Files (x86)/Mozilla Firefox/firefox.exe': exe('115.0.0.0', { CompanyName: 'Mozilla Corporation', ProductName: 'Firefox' }),
  'C/Users/jdoe/AppData/Roaming/Skype/jdoe.skype/config.xml': '<config/>\r\n',
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
  'C/Users/Default/Documents/readme-default.txt': 'default profile\r\n',
  'C/Users/Default/AppData/Local/Microsoft/Windows/WinX/Group1/1 - Desktop.lnk': 'shortcut',
  // ann: local account, active user
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
  // jdoe: domain account CONTOSO\jdoe (see users.json), most recent user
  'C/Users/jdoe/Documents/Contract.docx': 'PK docx placeholder',
  'C/Users/jdoe/Documents/customers.csv': 'name,city\r\nFabrikam,Redmond\r\n',
  'C/Users/jdoe/Documents/Sample.doc': 'jdoe sample',
  'C/Users/jdoe/Desktop/meeting.txt': 'meeting at 10\r\n',
  'C/Users/jdoe/Pictures/team.png': 'PNG placeholder',
  'C/Users/jdoe/Downloads/setup.msi': 'MSI placeholder',
  'C/Users/jdoe/AppData/Roaming/Microsoft/Templates/Letter.dotx': 'Word template',
  'C/Users/jdoe/AppData/Local/Temp/a.tmp': 'temp',
  // olduser: local account not used for months
  'C/Users/olduser/Documents/old letter.doc': 'old letter',
  'C/Users/olduser/Desktop/old.txt': 'old\r\n',
  // KimAkers: Entra ID (Azure AD) account AzureAD\KimAkers (SID S-1-12-1-…, see users.json): USMT does not support it
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

// ---------------------------------------------------------------- registry hives (regedit text → hivex)
// HKLM\SOFTWARE of a 64-bit Windows: 32-bit applications register under Wow6432Node (MigApp.xml's
// %HklmWowSoftware%); WinZip's own environment names HKLM\Software directly.
const hives = {
  'C/Windows/System32/config/SOFTWARE': { root: 'CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}', reg: `
[\\Microsoft\\Windows\\CurrentVersion\\App Paths\\winzip32.exe]
@="C:\\\\Program Files\\\\WinZip\\\\winzip32.exe"
[\\Microsoft\\Windows NT\\CurrentVersion]
"ProductName"="Windows 10 Pro"
"CurrentBuild"="19045"
[\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList]
"ProfilesDirectory"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,44,00,72,00,69,00,76,00,65,00,25,00,5c,00,55,00,73,00,65,00,72,00,73,00,00,00
[\\Nico Mak Computing\\WinZip\\WinIni]
"win32_version"="9.0"
[\\Wow6432Node\\Google\\Update]
"path"="C:\\\\Program Files (x86)\\\\Google\\\\Update\\\\GoogleUpdate.exe"
[\\Wow6432Node\\Mozilla\\Mozilla Firefox 115.0\\bin]
"PathToExe"="C:\\\\Program Files (x86)\\\\Mozilla Firefox\\\\firefox.exe"
[\\Wow6432Node\\Mozilla\\Mozilla Firefox\\115.0 (x86 en-US)\\Main]
"PathToExe"="C:\\\\Program Files (x86)\\\\Mozilla Firefox\\\\firefox.exe"
[\\Wow6432Node\\Skype\\Phone]
"SkypePath"="C:\\\\Program Files (x86)\\\\Skype\\\\Phone\\\\Skype.exe"
[\\Contoso\\App]
"InstallDir"="C:\\\\Program Files\\\\Contoso App"
"Version"="8.2.0.1"
` },
  'C/Windows/System32/config/SYSTEM': { root: 'SYSTEM', reg: `
[\\Select]
"Current"=dword:00000001
[\\ControlSet001\\Control\\ComputerName\\ComputerName]
"ComputerName"="PC"
` },
  'C/Users/Default/NTUSER.DAT': { root: 'ROOT', reg: `
[\\Control Panel\\Desktop]
"WallPaper"=""
` },
  'C/Users/ann/NTUSER.DAT': { root: 'ROOT', reg: `
[\\Control Panel\\Desktop]
"WallPaper"="C:\\\\Windows\\\\Web\\\\Wallpaper\\\\Windows\\\\img0.jpg"
[\\Software\\Nico Mak Computing\\WinZip\\WinZip]
"ShowTips"="0"
"AlwaysOnTop"=dword:00000001
"Display"="classic"
"Main"="1,0,0,0"
"MRUSize"=dword:0000000a
[\\Software\\Nico Mak Computing\\WinZip\\directories]
"zDefDir"="C:\\\\Users\\\\ann\\\\Documents"
"gzExtractTo"="C:\\\\Users\\\\ann\\\\Downloads"
"LastOpened"="C:\\\\Users\\\\ann\\\\Downloads\\\\manual.zip"
[\\Software\\Nico Mak Computing\\WinZip\\ToolBar]
"Buttons"=hex:01,02,03,04
[\\Software\\Skype\\Phone\\UI\\General]
"Language"="en"
[\\Software\\Skype\\PluginManager]
"Plugins Root"="C:\\\\Users\\\\ann\\\\AppData\\\\Roaming\\\\Skype\\\\Plugins"
"Enabled"=dword:00000001
[\\Software\\Contoso\\App]
"LastProject"="C:\\\\Users\\\\ann\\\\Documents\\\\Projects\\\\plan.docx"
` },
  'C/Users/ann/AppData/Local/Microsoft/Windows/UsrClass.dat': { root: 'ROOT', reg: `
[\\Local Settings\\Software\\Microsoft\\Windows\\Shell\\Bags\\1\\Desktop]
"IconSize"=dword:00000030
` },
  'C/Users/KimAkers/NTUSER.DAT': { root: 'ROOT', reg: `
[\\Control Panel\\Desktop]
"WallPaper"=""
` },
  'C/Users/jdoe/NTUSER.DAT': { root: 'ROOT', reg: `
[\\Software\\Skype\\Installer]
"InstallPath"="C:\\\\Program Files (x86)\\\\Skype\\\\Phone"
[\\Software\\Skype\\Phone\\UI\\General]
"Language"="de"
"Theme"=dword:00000002
[\\Software\\Skype\\PluginManager]
"Plugins Root"="C:\\\\Users\\\\jdoe\\\\AppData\\\\Roaming\\\\Skype\\\\Plugins"
` },
  'C/Users/olduser/NTUSER.DAT': { root: 'ROOT', reg: `
[\\Software\\Nico Mak Computing\\WinZip\\WinZip]
"ShowTips"="1"
` },
}

/** An empty hive (regf base block + one hive bin with the root key and its security cell); the same bytes as src/registry/blank-hive.ts. */
function blankHive(rootName) {
  const BLOCK = 0x1000
  const FILETIME = 133800480000000000n
  const buf = Buffer.alloc(BLOCK * 2)
  const name = Buffer.from(rootName, 'latin1')
  const align8 = (n) => (n + 7) & ~7
  const admins = Buffer.from([1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0])
  const sd = Buffer.alloc(20 + admins.length * 2)
  sd.writeUInt8(1, 0); sd.writeUInt16LE(0x8000, 2); sd.writeUInt32LE(20, 4); sd.writeUInt32LE(20 + admins.length, 8)
  admins.copy(sd, 20); admins.copy(sd, 20 + admins.length)
  const nkOff = 0x20
  const nkLen = align8(4 + 0x4c + name.length)
  const skOff = nkOff + nkLen
  const skLen = align8(4 + 0x14 + sd.length)
  const freeOff = skOff + skLen
  buf.write('regf', 0, 'latin1'); buf.writeUInt32LE(1, 4); buf.writeUInt32LE(1, 8); buf.writeBigUInt64LE(FILETIME, 0x0c)
  buf.writeUInt32LE(1, 0x14); buf.writeUInt32LE(5, 0x18); buf.writeUInt32LE(0, 0x1c); buf.writeUInt32LE(1, 0x20)
  buf.writeUInt32LE(nkOff, 0x24); buf.writeUInt32LE(BLOCK, 0x28); buf.writeUInt32LE(1, 0x2c); buf.write(rootName.slice(0, 31), 0x30, 'utf16le')
  let x = 0
  for (let i = 0; i < 0x1fc; i += 4) x = (x ^ buf.readUInt32LE(i)) >>> 0
  buf.writeUInt32LE(x === 0xffffffff ? 0xfffffffe : x === 0 ? 1 : x, 0x1fc)
  const bin = BLOCK
  buf.write('hbin', bin, 'latin1'); buf.writeUInt32LE(0, bin + 4); buf.writeUInt32LE(BLOCK, bin + 8); buf.writeBigUInt64LE(FILETIME, bin + 0x14)
  const nk = bin + nkOff
  buf.writeInt32LE(-nkLen, nk); buf.write('nk', nk + 4, 'latin1'); buf.writeUInt16LE(0x2c, nk + 6); buf.writeBigUInt64LE(FILETIME, nk + 8)
  buf.writeUInt32LE(0xffffffff, nk + 0x14); buf.writeUInt32LE(0xffffffff, nk + 0x20); buf.writeUInt32LE(0xffffffff, nk + 0x24)
  buf.writeUInt32LE(0xffffffff, nk + 0x2c); buf.writeUInt32LE(skOff, nk + 0x30); buf.writeUInt32LE(0xffffffff, nk + 0x34)
  buf.writeUInt16LE(name.length, nk + 0x4c); name.copy(buf, nk + 0x50)
  const sk = bin + skOff
  buf.writeInt32LE(-skLen, sk); buf.write('sk', sk + 4, 'latin1'); buf.writeUInt32LE(skOff, sk + 8); buf.writeUInt32LE(skOff, sk + 0x0c)
  buf.writeUInt32LE(1, sk + 0x10); buf.writeUInt32LE(sd.length, sk + 0x14); sd.copy(buf, sk + 0x18)
  buf.writeInt32LE(BLOCK - freeOff, bin + freeOff)
  return buf
}

/** Regedit text with every parent key listed before its children (hivexregedit --merge creates one level at a time). */
function withParents(reg) {
  const out = ['Windows Registry Editor Version 5.00', '']
  const seen = new Set()
  for (const line of reg.trim().split('\n')) {
    const m = /^\[(.*)\]$/.exec(line)
    if (m) {
      if (out[out.length - 1] !== '') out.push('')
      const parts = m[1].split('\\').filter(Boolean)
      for (let i = 1; i < parts.length; i++) {
        const k = `\\${parts.slice(0, i).join('\\')}`
        if (!seen.has(k.toLowerCase())) { seen.add(k.toLowerCase()); out.push(`[${k}]`, '') }
      }
      seen.add(`\\${parts.join('\\')}`.toLowerCase())
      if (out[out.length - 1] !== '') out.push('')
    }
    out.push(line)
  }
  return `${out.join('\n')}\n`
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
for (const [rel, { root, reg }] of Object.entries(hives)) {
  const p = join(here, ...rel.split('/'))
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, blankHive(root))
  execFileSync('hivexregedit', ['--merge', p], { input: withParents(reg) })
}
touchNtuser()
console.log(`sample machine written: ${Object.keys(files).length} files and ${Object.keys(hives).length} registry hives`)
