/**
 * Cloud-only files (OneDrive / Files On-Demand placeholders) found before the capture, from the files'
 * attributes — never guessed from scanstate's errors afterwards. Three attribute sources:
 *
 *  - **windows**: the running Windows. powershell.exe enumerates the profile folders with
 *    DirectoryInfo.EnumerateFileSystemInfos and prints the attributes of the cloud-only files. Enumeration
 *    reads the attributes from the directory entries (FindFirstFileEx data): no file is opened, so nothing is
 *    recalled from the cloud. Node's fs has no attribute API, and powershell.exe ships with every Windows
 *    client USMT supports (the project already drives it for the COM bridge and ProfileList). Folders are
 *    handed over in an environment variable, never spliced into the script. Junctions and symbolic links are
 *    not followed (USMT does not follow them); cloud placeholder folders are.
 *  - **ntfs-xattr**: a Windows volume mounted on Linux with ntfs-3g. ntfs-3g exposes the NTFS attribute word
 *    as the extended attribute `system.ntfs_attrib_be` (big-endian); `getfattr -R` reads it for a whole
 *    profile in one process.
 *  - **attributes-file**: the JSON attributes file (`--attributes`, path → letters / names / number) that
 *    stands in for a volume that cannot hold Windows attributes (the bundled sample machine).
 *
 * When no source can answer (a mapped folder that is not ntfs-3g and no attributes file), the scan says so:
 * "not checked" is reported, never read as "none found".
 */
import { execa } from 'execa'
import { existsSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { cloudAttributeNames, isCloudOnly, type AttributeBits } from '../windows/file-attributes.js'
import { dirname as winDirname, equalsPath, relativeTo } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'

export type CloudPolicy = 'fail' | 'warn' | 'exclude'
export type AttributeSourceKind = 'windows' | 'ntfs-xattr' | 'attributes-file' | 'none'

export interface ScanProfile {
  /** DOMAIN\name (or the folder name when the account is not known). */
  user: string
  /** Windows path of the profile folder. */
  profile: string
}

export interface CloudFile {
  /** Windows path. */
  path: string
  user: string
  bytes: number
  attributes: number
}

export interface CloudUserSummary {
  user: string
  profile: string
  files: number
  bytes: number
  /** Folders (Windows paths) that hold them, sorted. */
  folders: string[]
}

export interface CloudScan {
  source: AttributeSourceKind
  /** False when no attribute source could answer for at least one profile (see `notes`). */
  checked: boolean
  users: CloudUserSummary[]
  files: CloudFile[]
  /** Profiles or folders that could not be checked, and why. */
  notes: string[]
}

/** One cloud-only file as a source reports it. */
interface Found { path: string; bits: number; bytes: number }

/** An attribute source: the cloud-only files below one profile, or a reason it cannot tell. */
interface Source {
  kind: AttributeSourceKind
  scan(profile: ScanProfile): Promise<{ found: Found[] } | { unavailable: string }>
}

// ---------------------------------------------------------------- attributes file

function attributesFileSource(bits: AttributeBits, volumes: VolumeMap): Source {
  return {
    kind: 'attributes-file',
    scan: async (p) => {
      const found: Found[] = []
      for (const { path, bits: b } of bits.values()) {
        if (!isCloudOnly(b) || relativeTo(path, p.profile) === null) continue
        const local = volumes.toLocal(path)
        found.push({ path, bits: b, bytes: local && existsSync(local) ? statSync(local).size : 0 })
      }
      return { found }
    },
  }
}

// ---------------------------------------------------------------- ntfs-3g (getfattr)

const NTFS_XATTR = 'system.ntfs_attrib_be'

/** getfattr prints unusual bytes of a name as \ooo and a backslash as \\. */
function unescapeGetfattr(s: string): string {
  if (!s.includes('\\')) return s
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8))
      i += 3
    } else if (s[i] === '\\' && s[i + 1] === '\\') {
      bytes.push(0x5c)
      i += 1
    } else {
      bytes.push(...Buffer.from(s[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Parse `getfattr -R --absolute-names -n system.ntfs_attrib_be -e hex` output: local path → attribute bits. */
export function parseGetfattr(stdout: string): Map<string, number> {
  const out = new Map<string, number>()
  let file: string | null = null
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeGetfattr(line.slice(8))
    else if (file !== null && line.startsWith(`${NTFS_XATTR}=0x`)) {
      out.set(file, parseInt(line.slice(NTFS_XATTR.length + 3), 16) >>> 0)
      file = null
    }
  }
  return out
}

function xattrSource(volumes: VolumeMap, getfattr: string): Source {
  return {
    kind: 'ntfs-xattr',
    scan: async (p) => {
      const root = volumes.toLocal(p.profile)
      if (!root || !existsSync(root)) return { unavailable: `${p.profile} is not on a mapped volume` }
      const r = await execa(getfattr, ['-R', '--absolute-names', '-n', NTFS_XATTR, '-e', 'hex', root], { reject: false, stdin: 'ignore', maxBuffer: 1 << 30, stripFinalNewline: false })
      if (r.exitCode === undefined || (r as { code?: string }).code === 'ENOENT') return { unavailable: `${getfattr} could not be run (install the attr package)` }
      const bits = parseGetfattr(String(r.stdout))
      if (!bits.has(root)) {
        const why = /Operation not supported|No such attribute/i.test(String(r.stderr)) ? 'the volume is not an ntfs-3g mount (no system.ntfs_attrib_be attribute)' : String(r.stderr).trim().split('\n')[0] || 'no attribute returned'
        return { unavailable: `${p.profile} (${root}): ${why}` }
      }
      const found: Found[] = []
      for (const [local, b] of bits) {
        if (!isCloudOnly(b)) continue
        const rel = nodePath.relative(root, local)
        if (!rel || rel.startsWith('..')) continue
        found.push({ path: `${p.profile.replace(/\\+$/, '')}\\${rel.split(nodePath.sep).join('\\')}`, bits: b, bytes: statSync(local, { throwIfNoEntry: false })?.size ?? 0 })
      }
      return { found }
    },
  }
}

// ---------------------------------------------------------------- Windows (powershell.exe)

/**
 * Prints `bits<TAB>length<TAB>full path` for every cloud-only file below the folders named (one a line) in
 * USMT_STEPS_CLOUD_SCAN, and `!<TAB>folder<TAB>message` for a folder it could not read.
 */
export const CLOUD_SCAN_SCRIPT = `$ErrorActionPreference = 'Stop'
$mask = 0x400000 -bor 0x40000 -bor 0x1000
$out = [Console]::Out
function Walk([System.IO.DirectoryInfo]$dir) {
  try { $items = @($dir.EnumerateFileSystemInfos()) } catch { $out.WriteLine("!\`t" + $dir.FullName + "\`t" + $_.Exception.Message); return }
  foreach ($i in $items) {
    $a = [int64]$i.Attributes
    if ($a -band 0x10) {
      if (($a -band 0x400) -and (Get-Item -LiteralPath $i.FullName -Force).LinkType) { continue }
      Walk $i
    } elseif ($a -band $mask) {
      $out.WriteLine([string]$a + "\`t" + [string]$i.Length + "\`t" + $i.FullName)
    }
  }
}
foreach ($f in ($env:USMT_STEPS_CLOUD_SCAN -split "\`n")) { if ($f.Trim()) { Walk (New-Object System.IO.DirectoryInfo($f.Trim())) } }
`

/** Parse the script's output. */
export function parseCloudScanOutput(stdout: string): { found: Found[]; unreadable: string[] } {
  const found: Found[] = []
  const unreadable: string[] = []
  for (const line of stdout.split(/\r?\n/)) {
    const parts = line.split('\t')
    if (parts.length < 3) continue
    if (parts[0] === '!') unreadable.push(`${parts[1]}: ${parts.slice(2).join('\t')}`)
    else if (/^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1])) found.push({ bits: Number(parts[0]) >>> 0, bytes: Number(parts[1]), path: parts.slice(2).join('\t') })
  }
  return { found, unreadable }
}

function windowsSource(powershell: string): Source {
  return {
    kind: 'windows',
    scan: async (p) => {
      const encoded = Buffer.from(CLOUD_SCAN_SCRIPT, 'utf16le').toString('base64')
      const r = await execa(powershell, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded], {
        reject: false, stdin: 'ignore', windowsHide: true, env: { USMT_STEPS_CLOUD_SCAN: p.profile }, maxBuffer: 1 << 30,
      })
      if (r.exitCode !== 0) return { unavailable: `${powershell} could not read the attributes below ${p.profile} (exit ${r.exitCode ?? 'not started'}): ${String(r.stderr ?? r.message).trim().slice(0, 300)}` }
      const parsed = parseCloudScanOutput(String(r.stdout))
      if (parsed.unreadable.length) return { unavailable: `folders below ${p.profile} could not be read: ${parsed.unreadable.slice(0, 5).join('; ')}` }
      return { found: parsed.found }
    },
  }
}

// ---------------------------------------------------------------- the scan

export interface CloudScanOptions {
  profiles: readonly ScanProfile[]
  /** The running Windows answers (online capture on Windows). */
  windows?: { powershell: string }
  /** Mapped volumes (off Windows). */
  volumes?: VolumeMap
  /** The attributes file, when given (wins over the volume's own source). */
  attributes?: AttributeBits
  /** The getfattr program (default `getfattr`). */
  getfattr?: string
}

/** Find the cloud-only files in the profiles, per user. */
export async function scanCloudFiles(o: CloudScanOptions): Promise<CloudScan> {
  const source: Source | null = o.attributes && o.volumes ? attributesFileSource(o.attributes, o.volumes)
    : o.windows ? windowsSource(o.windows.powershell)
      : o.volumes ? xattrSource(o.volumes, o.getfattr ?? 'getfattr') : null
  const scan: CloudScan = { source: source?.kind ?? 'none', checked: source !== null, users: [], files: [], notes: [] }
  if (!source) {
    scan.notes.push('no attribute source: not on Windows, and no volume is mapped')
    return scan
  }
  for (const p of o.profiles) {
    const r = await source.scan(p)
    if ('unavailable' in r) {
      scan.checked = false
      scan.notes.push(r.unavailable)
      continue
    }
    if (r.found.length === 0) continue
    const folders = new Set<string>()
    let bytes = 0
    for (const f of r.found) {
      scan.files.push({ path: f.path, user: p.user, bytes: f.bytes, attributes: f.bits })
      folders.add(winDirname(f.path))
      bytes += f.bytes
    }
    scan.users.push({ user: p.user, profile: p.profile, files: r.found.length, bytes, folders: [...folders].sort() })
  }
  return scan
}

/** One line per user: "CONTOSO\ann: 2 file(s), 1.2 MB in C:\Users\ann\OneDrive, …". */
export function describeCloudUsers(scan: CloudScan, maxFolders = 3): string[] {
  return scan.users.map((u) => `${u.user}: ${u.files} cloud-only file(s), ${u.bytes} bytes in ${u.folders.slice(0, maxFolders).join(', ')}${u.folders.length > maxFolders ? ` and ${u.folders.length - maxFolders} more folder(s)` : ''}`)
}

/** The attribute names of one file, for logs. */
export function describeCloudFile(f: CloudFile): string {
  return `${f.path} (${f.bytes} bytes; ${cloudAttributeNames(f.attributes).join(', ')})`
}

/** `^` escapes the characters USMT patterns treat specially. */
function escapePatternPart(s: string): string {
  return s.replace(/[\^[\]]/g, (c) => `^${c}`)
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * A migration XML file that leaves the given files out of the capture whatever the other rules say
 * (`unconditionalExclude`), passed to scanstate with /i: so it never tries to read them.
 */
export function cloudExclusionXml(files: readonly CloudFile[]): string {
  const patterns = files.map((f) => {
    const dir = winDirname(f.path)
    const leaf = f.path.slice(dir.replace(/\\+$/, '').length + 1)
    return `          <pattern type="File">${escapeXml(`${escapePatternPart(dir)} [${escapePatternPart(leaf)}]`)}</pattern>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by usmt-steps capture: cloud-only files left out of the capture on purpose (their content is in the cloud, not on this disk). -->
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/usmtstepscloudonly">
  <component type="Documents" context="System">
    <displayName>usmt-steps: cloud-only files (not on this disk)</displayName>
    <role role="Data">
      <rules>
        <unconditionalExclude>
          <objectSet>
${patterns.join('\n')}
          </objectSet>
        </unconditionalExclude>
      </rules>
    </role>
  </component>
</migration>
`
}

/** True when the path belongs to this profile. */
export function inProfile(path: string, profile: string): boolean {
  return equalsPath(path, profile) || relativeTo(path, profile) !== null
}

