import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { blankHive } from '../../../src/registry/blank-hive.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { evaluateMigration, type EngineEvent, type FullEngineInput } from '../../../src/engine/index.js'
import { tempDir } from '../../helpers/fixtures.js'

/** Create files (Windows-style relative paths under a drive folder) in a temp machine. */
export function makeMachine(files: Record<string, readonly string[]>): { root: string; volumes: VolumeMap; cleanup: () => void; xml: (name: string, text: string) => string } {
  const t = tempDir('usmt-engine-')
  for (const [drive, list] of Object.entries(files)) {
    for (const f of list) {
      const p = path.join(t.dir, drive, ...f.split('\\'))
      mkdirSync(path.dirname(p), { recursive: true })
      writeFileSync(p, `content of ${f}`)
    }
  }
  const specs = Object.keys(files).map((d) => ({ letter: `${d}:`, root: path.join(t.dir, d), removable: d === 'E' }))
  return {
    root: t.dir,
    volumes: new VolumeMap(specs),
    cleanup: t.cleanup,
    xml: (name, text) => {
      const p = path.join(t.dir, name)
      writeFileSync(p, text)
      return p
    },
  }
}

/** A migration XML document with the given components (each: context + inner rules XML). */
export function migration(urlid: string, components: Array<{ name: string; context?: string; type?: string; rules: string }>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/${urlid}">
${components.map((c) => `  <component type="${c.type ?? 'Documents'}" context="${c.context ?? 'System'}">
    <displayName>${c.name}</displayName>
    <role role="Data">
      <rules>
${c.rules}
      </rules>
    </role>
  </component>`).join('\n')}
</migration>
`
}

export const inc = (...patterns: string[]): string => `<include><objectSet>${patterns.map((p) => p.startsWith('<') ? p : `<pattern type="File">${p}</pattern>`).join('')}</objectSet></include>`
export const exc = (...patterns: string[]): string => `<exclude><objectSet>${patterns.map((p) => p.startsWith('<') ? p : `<pattern type="File">${p}</pattern>`).join('')}</objectSet></exclude>`
export const ux = (...patterns: string[]): string => `<unconditionalExclude><objectSet>${patterns.map((p) => p.startsWith('<') ? p : `<pattern type="File">${p}</pattern>`).join('')}</objectSet></unconditionalExclude>`

export async function collect(input: FullEngineInput): Promise<{ events: EngineEvent[]; included: string[]; excluded: Map<string, string>; byPath: Map<string, Extract<EngineEvent, { kind: 'include' }>['file']> }> {
  const events: EngineEvent[] = []
  for await (const e of evaluateMigration(input)) events.push(e)
  const included = events.filter((e) => e.kind === 'include').map((e) => (e as Extract<EngineEvent, { kind: 'include' }>).file.path).sort()
  const excluded = new Map(events.filter((e) => e.kind === 'exclude').map((e) => { const f = (e as Extract<EngineEvent, { kind: 'exclude' }>).file; return [f.path, f.reason] }))
  const byPath = new Map(events.filter((e) => e.kind === 'include').map((e) => { const f = (e as Extract<EngineEvent, { kind: 'include' }>).file; return [f.path, f] }))
  return { events, included, excluded, byPath }
}

const EXTS = ['docx', 'xlsx', 'txt', 'pdf', 'jpg', 'mp3', 'dll', 'exe', 'tmp', 'log', 'pst', 'doc']
const USER_DIRS = ['Documents', 'Documents\\Projects', 'Desktop', 'Pictures', 'Music', 'Downloads', 'Favorites', 'AppData\\Roaming\\Microsoft\\Templates',
  'AppData\\Local\\Temp', 'AppData\\Local\\Microsoft\\Windows\\INetCache']
const SYSTEM_DIRS = ['Windows\\System32', 'Program Files\\Contoso', 'ProgramData\\Contoso', 'Data\\Team', 'Data\\Team\\Archive', 'Users\\Public\\Documents', 'Temp']
/** Names that exercise JSON escaping: a quote, a tab, non-ASCII, a surrogate pair. */
export const ODD_NAMES = ['quote"d.txt', 'tab\there.txt', 'Résumé ü.docx', '📄 notes.txt', 'back`tick & 100%.doc']

/** A Windows-layout tree of `total` files: 8 profiles (NTUSER.DAT each), system folders, a D: drive. */
export function generateMachine(dir: string, total: number): void {
  const plan: string[] = []
  for (let u = 0; u < 8; u++) for (const d of USER_DIRS) plan.push(`C\\Users\\u${u}\\${d}`)
  for (const d of SYSTEM_DIRS) plan.push(`C\\${d}`)
  plan.push('D\\Projects\\Alpha', 'D\\Projects\\Beta')
  for (let i = 0; i < total; i++) {
    const folder = path.join(dir, ...`${plan[i % plan.length]}\\s${Math.floor(i / plan.length) % 7}`.split('\\'))
    if (i < plan.length * 7) mkdirSync(folder, { recursive: true })
    writeFileSync(path.join(folder, `f${i}.${EXTS[i % EXTS.length]}`), 'x'.repeat(i % 97))
  }
  // Real (empty) hives: the rules name HKCU, and a hive hivex cannot open is an error (USM0116).
  for (let u = 0; u < 8; u++) writeFileSync(path.join(dir, 'C', 'Users', `u${u}`, 'NTUSER.DAT'), blankHive())
  for (const n of ODD_NAMES) writeFileSync(path.join(dir, 'C', 'Users', 'u1', 'Documents', n), n)
  // A broken link late in the walk (C:\Zz sorts after Users and Windows): an `unreadable` warning.
  mkdirSync(path.join(dir, 'C', 'Zz'))
  writeFileSync(path.join(dir, 'C', 'Zz', 'keep.txt'), 'keep')
  symlinkSync('nowhere.doc', path.join(dir, 'C', 'Zz', 'broken.doc'))
}
