/** The layout of the Windows installation on the mapped volumes: system drive, profiles folder, 64-bit or not. */
import { statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { resolveCaseInsensitive, type VolumeMap } from '../windows/volume-map.js'
import type { SystemLayout } from './variables.js'

/** System drive C: (or the first fixed drive), 64-bit when Program Files (x86) or SysWOW64 exists. */
export function detectLayout(volumes: VolumeMap, computer: string): SystemLayout {
  const sys = volumes.get('C:') && !volumes.get('C:')?.removable ? 'C:' : (volumes.fixed()[0]?.letter ?? 'C:')
  const local = volumes.toLocal(`${sys}\\`)
  const has = (rel: string): boolean => {
    if (!local) return false
    const p = resolveCaseInsensitive(nodePath.join(local, rel))
    try {
      return p !== null && statSync(p).isDirectory()
    } catch {
      return false
    }
  }
  const usersReal = local ? resolveCaseInsensitive(nodePath.join(local, 'Users')) : null
  const profilesFolder = usersReal ? `${sys}\\${nodePath.basename(usersReal)}` : `${sys}\\Users`
  return { systemDrive: sys, profilesFolder, computer, is64Bit: has('Program Files (x86)') || has(nodePath.join('Windows', 'SysWOW64')) }
}
