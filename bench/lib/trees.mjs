// The data the benches capture and preview, written once here: the Windows layout MigUser.xml searches and the
// one-folder rules for plain data.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './measure.mjs'

/** Rules that take everything under C:\Data (a data-only capture). */
export const DATA_RULES = `<?xml version="1.0"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/bench">
  <component type="Documents" context="System"><displayName>Bench</displayName><role role="Data"><rules>
    <include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include>
  </rules></role></component>
</migration>`

/** How many user profiles windowsTree makes. */
export const PROFILES = 40

const HIVE = path.join(ROOT, 'samples', 'machine', 'C', 'Users', 'jdoe', 'NTUSER.DAT')
const exts = ['docx', 'xlsx', 'txt', 'pdf', 'jpg', 'png', 'mp3', 'dll', 'exe', 'dat', 'tmp', 'csv', 'pptx', 'log', 'json']
const userDirs = ['Documents', 'Documents/Projects', 'Documents/Archive/2023', 'Desktop', 'Pictures', 'Pictures/Camera Roll', 'Music', 'Videos',
  'Downloads', 'Favorites', 'AppData/Roaming/Microsoft/Windows/Start Menu/Programs', 'AppData/Roaming/Microsoft/Templates',
  'AppData/Local/Temp', 'AppData/Local/Google/Chrome/User Data/Default/Cache', 'AppData/Local/Microsoft/Windows/INetCache/IE']
const sysDirs = ['Windows/System32', 'Windows/System32/drivers', 'Windows/WinSxS/amd64_pkg', 'Windows/Fonts', 'Program Files/Contoso/bin',
  'Program Files (x86)/Legacy/lib', 'ProgramData/Contoso/cache', 'Data/Finance', 'Data/Shared/Team', 'Users/Public/Documents']

/**
 * A Windows layout for MigUser.xml: `total` files round-robin over 40 profiles (Documents, Desktop, AppData …) and
 * the system folders, extensions mixed, and a real small hive per profile (registry rules read each NTUSER.DAT).
 */
export function windowsTree(dir, total) {
  const plan = []
  for (let u = 0; u < PROFILES; u++) for (const d of userDirs) plan.push(`Users/user${u}/${d}`)
  plan.push(...sysDirs)
  const made = new Set()
  for (let i = 0; i < total; i++) {
    const d = path.join(dir, plan[i % plan.length], `b${Math.floor(i / plan.length) % 25}`)
    if (!made.has(d)) { mkdirSync(d, { recursive: true }); made.add(d) }
    writeFileSync(path.join(d, `f${i}.${exts[i % exts.length]}`), 'x'.repeat(i % 200))
  }
  for (let u = 0; u < PROFILES; u++) copyFileSync(HIVE, path.join(dir, 'Users', `user${u}`, 'NTUSER.DAT'))
}
