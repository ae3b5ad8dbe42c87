import { existsSync, readFileSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { execa } from 'execa'
import { UsmtStepsError } from '../runtime/errors.js'
import { findBridgeHost, rememberWshWithoutEngineSwitch, wshArgv, wshRefusedArgv, type BridgeHost } from '../windows/com-bridge.js'
import type { VolumeMap } from '../windows/volume-map.js'
import type { BitLockerState, Facts, VolumeFact } from './types.js'

/**
 * Machine facts for `plan`: from a JSON file (`--facts`), from Windows itself (WMI through powershell.exe,
 * or cscript.exe where WinPE has no PowerShell), or on other systems from statfs of the mapped volumes
 * (`--volume C=DIR`).
 */
function bad(file: string, message: string): never {
  throw new UsmtStepsError('USM0401', `${file}: ${message}`, { data: { file } })
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function letter(v: unknown, where: string, file: string): string {
  if (typeof v === 'string' && /^[A-Za-z]:?$/.test(v.trim())) return `${v.trim()[0].toUpperCase()}:`
  return bad(file, `${where} must be a drive letter such as "C:" (got ${JSON.stringify(v)})`)
}

function bytes(v: unknown, where: string, file: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v)
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  return bad(file, `${where} must be a number of bytes ≥ 0`)
}

/** Validate a facts document (the public shape of --facts; unknown keys are kept out, known ones checked). */
export function factsFromObject(doc: unknown, file: string): Facts {
  if (!isRecord(doc)) bad(file, 'facts must be a JSON object')
  const d = doc as Record<string, unknown>
  if (!Array.isArray(d.volumes)) bad(file, '"volumes" must be a list')
  const volumes: VolumeFact[] = (d.volumes as unknown[]).map((raw, i) => {
    const where = `volumes[${i}]`
    if (!isRecord(raw)) bad(file, `${where} must be an object`)
    const vol = raw as Record<string, unknown>
    const bl = vol.bitLocker === undefined ? 'off' : String(vol.bitLocker).toLowerCase()
    if (!['off', 'on', 'suspended'].includes(bl)) bad(file, `${where}.bitLocker must be off, on or suspended`)
    const out: VolumeFact = {
      letter: letter(vol.letter, `${where}.letter`, file),
      fileSystem: typeof vol.fileSystem === 'string' ? vol.fileSystem : bad(file, `${where}.fileSystem must be a string such as "NTFS"`),
      totalBytes: bytes(vol.totalBytes, `${where}.totalBytes`, file),
      freeBytes: bytes(vol.freeBytes, `${where}.freeBytes`, file),
      bitLocker: bl as BitLockerState,
    }
    if (out.freeBytes > out.totalBytes) bad(file, `${where}.freeBytes is larger than totalBytes`)
    if (typeof vol.label === 'string') out.label = vol.label
    if (typeof vol.removable === 'boolean') out.removable = vol.removable
    return out
  })
  const seen = new Set<string>()
  for (const v of volumes) {
    if (seen.has(v.letter)) bad(file, `volume ${v.letter} is listed twice`)
    seen.add(v.letter)
  }
  const systemDrive = d.systemDrive === undefined ? 'C:' : letter(d.systemDrive, 'systemDrive', file)
  const facts: Facts = {
    inWinPE: d.inWinPE === undefined ? false : typeof d.inWinPE === 'boolean' ? d.inWinPE : bad(file, 'inWinPE must be true or false'),
    systemDrive,
    profilesVolume: d.profilesVolume === undefined ? systemDrive : letter(d.profilesVolume, 'profilesVolume', file),
    volumes,
    estimateBytes: d.estimateBytes === undefined || d.estimateBytes === null ? null : bytes(d.estimateBytes, 'estimateBytes', file),
    source: typeof d.source === 'string' ? d.source : `file:${file}`,
  }
  if (typeof d.computerName === 'string' && d.computerName) facts.computerName = d.computerName
  if (d.unresolvableProfiles !== undefined) {
    if (!Array.isArray(d.unresolvableProfiles) || d.unresolvableProfiles.some((p) => typeof p !== 'string')) bad(file, 'unresolvableProfiles must be a list of account names')
    facts.unresolvableProfiles = d.unresolvableProfiles as string[]
  }
  return facts
}

export function loadFacts(file: string): Facts {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsmtStepsError('USM0401', `cannot read the facts file ${file}: ${(err as Error).message}`, { cause: err, data: { file } })
  }
  let doc: unknown
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    return bad(file, `not valid JSON: ${(err as Error).message}`)
  }
  return factsFromObject(doc, file)
}

/** statfs `type` magic numbers → file-system names (Linux). */
const FS_MAGIC: Record<number, string> = {
  0x5346544e: 'NTFS', 0x7366746e: 'NTFS', 0x65735546: 'fuseblk', 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs',
  0x01021994: 'tmpfs', 0x794c7630: 'overlay', 0x4d44: 'FAT32', 0x2011bab0: 'exFAT', 0xff534d42: 'cifs', 0xfe534d42: 'smb2',
}

export function fileSystemName(type: number): string {
  return FS_MAGIC[type] ?? `0x${type.toString(16)}`
}

/** Facts of mapped volumes (Linux/macOS, or a Windows disk mounted elsewhere): statfs of each root. */
export async function probeMappedVolumes(volumes: VolumeMap, opts: { inWinPE: boolean; systemDrive?: string; profilesVolume?: string; computerName?: string }): Promise<Facts> {
  const fixed = volumes.volumes
  if (fixed.length === 0) {
    throw new UsmtStepsError('USM0406', 'no volumes to probe on this system', { actions: ['Map the Windows volumes with --volume C=DIR, or pass --facts FILE.'] })
  }
  const out: VolumeFact[] = []
  for (const v of fixed) {
    if (!existsSync(v.root)) throw new UsmtStepsError('USM0406', `volume ${v.letter} maps to ${v.root}, which does not exist`)
    const s = await statfs(v.root)
    out.push({ letter: v.letter, fileSystem: fileSystemName(Number(s.type)), totalBytes: Number(s.blocks) * Number(s.bsize), freeBytes: Number(s.bavail) * Number(s.bsize), bitLocker: 'off', removable: v.removable })
  }
  const systemDrive = opts.systemDrive ?? (out.some((v) => v.letter === 'C:') ? 'C:' : out[0].letter)
  const facts: Facts = { inWinPE: opts.inWinPE, systemDrive, profilesVolume: opts.profilesVolume ?? systemDrive, volumes: out, estimateBytes: null, source: 'probe:statfs' }
  if (opts.computerName) facts.computerName = opts.computerName
  return facts
}

/** The PowerShell probe (fixed text, no data in it): prints one JSON line with the facts. */
export const POWERSHELL_FACTS_SCRIPT = `$ErrorActionPreference = 'Stop'
$winpe = Test-Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\MiniNT'
$vols = @(Get-CimInstance Win32_Volume | Where-Object { $_.DriveLetter -and ($_.DriveType -eq 2 -or $_.DriveType -eq 3) })
$bl = @{}
try { Get-CimInstance -Namespace 'root/cimv2/Security/MicrosoftVolumeEncryption' -ClassName Win32_EncryptableVolume | ForEach-Object { $s = 'off'; if ($_.ProtectionStatus -eq 1) { $s = 'on' } elseif ($_.ConversionStatus -ne 0) { $s = 'suspended' }; $bl[[string]$_.DriveLetter] = $s } } catch { }
$sys = $env:SystemDrive
$prof = $sys
if ($winpe) { $sys = ''; foreach ($v in $vols) { if ($v.DriveLetter -ne 'X:' -and (Test-Path (Join-Path $v.DriveLetter 'Windows\\System32\\config\\SOFTWARE'))) { $sys = $v.DriveLetter; break } }; $prof = $sys }
else { $pd = (Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList').ProfilesDirectory; $prof = [Environment]::ExpandEnvironmentVariables($pd).Substring(0, 2) }
$list = @($vols | ForEach-Object { $b = 'off'; if ($bl.ContainsKey([string]$_.DriveLetter)) { $b = $bl[[string]$_.DriveLetter] }; [ordered]@{ letter = [string]$_.DriveLetter; fileSystem = [string]$_.FileSystem; totalBytes = [int64]$_.Capacity; freeBytes = [int64]$_.FreeSpace; bitLocker = $b; label = [string]$_.Label; removable = ($_.DriveType -eq 2) } })
$out = [ordered]@{ inWinPE = $winpe; systemDrive = $sys; profilesVolume = $prof; computerName = $env:COMPUTERNAME; volumes = $list; source = 'probe:powershell' }
[Console]::Out.WriteLine(($out | ConvertTo-Json -Depth 4 -Compress))
`

/** The same probe for Windows Script Host (WinPE with WinPE-Scripting/WMI but without PowerShell). */
export const JSCRIPT_FACTS_SCRIPT = `var sh = WScript.CreateObject('WScript.Shell'); var fso = WScript.CreateObject('Scripting.FileSystemObject');
function q(s) { s = String(s === null || s === undefined ? '' : s); var o = '"'; for (var i = 0; i < s.length; i++) { var c = s.charCodeAt(i); if (c < 32 || c === 34 || c === 92) { var x = c.toString(16); while (x.length < 4) x = '0' + x; o += '\\\\u' + x; } else o += s.charAt(i); } return o + '"'; }
var winpe = false; try { sh.RegRead('HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Control\\\\MiniNT\\\\'); winpe = true; } catch (e) { }
var wmi = GetObject('winmgmts:{impersonationLevel=impersonate}!\\\\\\\\.\\\\root\\\\cimv2');
var bl = {}; try { var enc = GetObject('winmgmts:{impersonationLevel=impersonate,authenticationLevel=pktPrivacy}!\\\\\\\\.\\\\root\\\\cimv2\\\\Security\\\\MicrosoftVolumeEncryption'); var ev = new Enumerator(enc.ExecQuery('SELECT * FROM Win32_EncryptableVolume')); for (; !ev.atEnd(); ev.moveNext()) { var x = ev.item(); bl[x.DriveLetter] = x.ProtectionStatus == 1 ? 'on' : (x.ConversionStatus != 0 ? 'suspended' : 'off'); } } catch (e) { }
var sys = sh.ExpandEnvironmentStrings('%SystemDrive%'); var parts = [];
var en = new Enumerator(wmi.ExecQuery('SELECT * FROM Win32_Volume')); for (; !en.atEnd(); en.moveNext()) { var v = en.item(); if (!v.DriveLetter || (v.DriveType != 2 && v.DriveType != 3)) continue;
  if (winpe && v.DriveLetter != 'X:' && fso.FileExists(v.DriveLetter + '\\\\Windows\\\\System32\\\\config\\\\SOFTWARE') && sys.toUpperCase() == 'X:') sys = v.DriveLetter;
  parts.push('{"letter":' + q(v.DriveLetter) + ',"fileSystem":' + q(v.FileSystem) + ',"totalBytes":' + (v.Capacity || 0) + ',"freeBytes":' + (v.FreeSpace || 0) + ',"bitLocker":' + q(bl[v.DriveLetter] || 'off') + ',"label":' + q(v.Label) + ',"removable":' + (v.DriveType == 2) + '}'); }
var prof = sys; if (!winpe) { try { prof = sh.ExpandEnvironmentStrings(sh.RegRead('HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\ProfileList\\\\ProfilesDirectory')).substr(0, 2); } catch (e) { } }
WScript.Echo('{"inWinPE":' + winpe + ',"systemDrive":' + q(sys) + ',"profilesVolume":' + q(prof) + ',"computerName":' + q(sh.ExpandEnvironmentStrings('%COMPUTERNAME%')) + ',"volumes":[' + parts.join(',') + '],"source":"probe:cscript"}');
`

export type ProbeRunner = (host: BridgeHost, argv: string[]) => Promise<{ stdout: string; exitCode: number; stderr: string }>

const defaultRunner: ProbeRunner = async (host, argv) => {
  const r = await execa(host.executable, argv, { reject: false, stdin: 'ignore', windowsHide: true, timeout: 120000 })
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 }
}

/** Argv for the probe host; the JScript probe is written to a temp file by the caller. */
export function probeArgv(host: BridgeHost, scriptFile?: string, engineSwitch?: boolean): string[] {
  if (host.kind === 'powershell') {
    return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(POWERSHELL_FACTS_SCRIPT, 'utf16le').toString('base64')]
  }
  return wshArgv(scriptFile ?? 'facts.js', engineSwitch)
}

/** Probe Windows through powershell.exe or cscript.exe (WMI). */
export async function probeWindows(opts: { env?: Record<string, string | undefined>; runner?: ProbeRunner; scriptDir?: string } = {}): Promise<Facts> {
  const env = opts.env ?? process.env
  const host = findBridgeHost({ platform: 'win32', env })
  if (!host) throw new UsmtStepsError('USM0406', 'neither powershell.exe nor cscript.exe was found to probe the volumes')
  let scriptFile: string | undefined
  if (host.kind === 'wsh') {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const os = await import('node:os')
    const nodePath = await import('node:path')
    const dir = mkdtempSync(nodePath.join(opts.scriptDir ?? os.tmpdir(), 'usmt-steps-facts-'))
    scriptFile = nodePath.join(dir, 'facts.js')
    writeFileSync(scriptFile, JSCRIPT_FACTS_SCRIPT, { mode: 0o600 })
  }
  const runner = opts.runner ?? defaultRunner
  const argv = probeArgv(host, scriptFile)
  let r = await runner(host, argv)
  if (host.kind === 'wsh' && argv.includes('//E:JScript') && wshRefusedArgv(r)) {
    // A WSH without //E (Wine's): the same file through the .js association (see wshArgv).
    r = await runner(host, probeArgv(host, scriptFile, false))
    if (!wshRefusedArgv(r)) rememberWshWithoutEngineSwitch()
  }
  const line = r.stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('{')).pop()
  if (r.exitCode !== 0 || !line) {
    throw new UsmtStepsError('USM0406', `${host.executable} could not probe the volumes (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(line)
  } catch (err) {
    throw new UsmtStepsError('USM0406', `the ${host.kind} probe printed invalid JSON: ${(err as Error).message}`)
  }
  // ConvertTo-Json turns a one-element list into an object; normalize.
  if (isRecord(doc) && isRecord(doc.volumes)) doc.volumes = [doc.volumes]
  return factsFromObject(doc, `probe:${host.kind}`)
}
