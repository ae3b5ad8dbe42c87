/**
 * Offline capture (Windows PE, or a mounted Windows volume off Windows): find the Windows folder of the
 * installation (OSDWinPEWinDir, else the one volume holding Windows\System32\config\SOFTWARE, as MDT does),
 * choose /offlineWinDir or /offlineWinOld, and set USMT_WORKING_DIR and MIG_OFFLINE_PLATFORM_ARCH.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { join as winJoin, normalize } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'

export interface OfflinePlan {
  /** Windows path of the offline Windows folder (C:\Windows or C:\Windows.old\Windows). */
  winDir: string
  /** /offlineWinOld for a Windows.old folder, else /offlineWinDir. */
  switch: 'offlineWinDir' | 'offlineWinOld'
  /** 32 or 64 (MIG_OFFLINE_PLATFORM_ARCH). */
  platformArch: '32' | '64'
  archSource: string
  env: Record<string, string>
}

export interface OfflineInput {
  offlineWinDir?: string
  originalArchitecture?: string
  /** Local path of a Windows path (volume map off Windows, identity on Windows), or null when unreachable. */
  toLocal: (winPath: string) => string | null
  /** Drive letters to search (fixed volumes). */
  drives: string[]
  /** The running Windows PE drive (X:), never a candidate. */
  runningDrive?: string
  portable: boolean
}

function isWindowsFolder(local: string | null): boolean {
  return local !== null && existsSync(nodePath.join(local, 'System32', 'config', 'SOFTWARE'))
}

export function findOfflineWindows(input: OfflineInput): string {
  if (input.offlineWinDir) {
    const dir = normalize(input.offlineWinDir)
    if (!isWindowsFolder(input.toLocal(dir))) {
      throw new UsmtStepsError('USM0309', `${dir} (OSDWinPEWinDir / --offline-windir) is not a Windows folder: System32\\config\\SOFTWARE is missing`, { data: { winDir: dir } })
    }
    return dir
  }
  const found = input.drives
    .filter((d) => d.toUpperCase() !== input.runningDrive?.toUpperCase())
    .map((d) => winJoin(`${d.slice(0, 1).toUpperCase()}:\\`, 'Windows'))
    .filter((w) => isWindowsFolder(input.toLocal(w)))
  if (found.length === 0) {
    throw new UsmtStepsError('USM0309', `no offline Windows installation found on ${input.drives.join(', ') || 'any volume'}`, { data: { drives: input.drives } })
  }
  if (found.length > 1) {
    throw new UsmtStepsError('USM0309', `several Windows installations found (${found.join(', ')}); name the one to capture with OSDWinPEWinDir`, { data: { found } })
  }
  return found[0]
}

/** 64 or 32 from OriginalArchitecture (MDT), else from the presence of SysWOW64. */
export function offlineArch(winDir: string, original: string | undefined, toLocal: (p: string) => string | null): { arch: '32' | '64'; source: string } {
  const o = (original ?? '').toUpperCase()
  if (['X64', 'AMD64', 'ARM64'].includes(o)) return { arch: '64', source: `OriginalArchitecture=${original}` }
  if (o === 'X86') return { arch: '32', source: `OriginalArchitecture=${original}` }
  const wow = toLocal(winJoin(winDir, 'SysWOW64'))
  return wow !== null && existsSync(wow) ? { arch: '64', source: `${winDir}\\SysWOW64 exists` } : { arch: '32', source: `${winDir}\\SysWOW64 is absent` }
}

export function planOffline(input: OfflineInput): OfflinePlan {
  const winDir = findOfflineWindows(input)
  const { arch, source } = offlineArch(winDir, input.originalArchitecture, input.toLocal)
  // USMT needs a writable working folder in Windows PE (its own folder may be read-only media): MDT uses <windir>\Temp.
  let work: string
  if (input.portable) {
    work = mkdtempSync(nodePath.join(os.tmpdir(), 'usmt-steps-work-'))
  } else {
    work = winJoin(winDir, 'Temp')
    const local = input.toLocal(work)
    if (local) mkdirSync(local, { recursive: true })
  }
  return {
    winDir,
    switch: /\.old(\\|$)/i.test(winDir) ? 'offlineWinOld' : 'offlineWinDir',
    platformArch: arch,
    archSource: source,
    env: { USMT_WORKING_DIR: work, MIG_OFFLINE_PLATFORM_ARCH: arch },
  }
}

/** Volume-map based lookup for the portable engine. */
export function volumeLookup(volumes: VolumeMap): { toLocal: (p: string) => string | null; drives: string[] } {
  return { toLocal: (p) => volumes.toLocal(p), drives: volumes.fixed().map((v) => v.letter) }
}
