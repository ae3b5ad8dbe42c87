/**
 * Where the registry of an offline Windows volume lives, and an in-memory view of the parts a rule set
 * needs. The machine hives are `%SystemRoot%\System32\config\SOFTWARE` (HKLM\SOFTWARE) and `…\SYSTEM`
 * (HKLM\SYSTEM); each user's `NTUSER.DAT` in the profile is HKCU and `AppData\Local\Microsoft\Windows\UsrClass.dat`
 * is HKCU\Software\Classes. Views are filled by one hivex process for all their hives (`readHives` with every needed
 * subtree), then answer key and value questions without further processes.
 */
import { statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { parseWinPath, join as winJoin } from '../windows/path.js'
import { findChildCaseInsensitive, type VolumeMap } from '../windows/volume-map.js'
import { readHives } from './hivex.js'
import { canonicalRegKey, type RegRoot, type RegValue } from './model.js'

export interface HiveMount {
  root: RegRoot
  /** The key below the root that the hive file holds: 'SOFTWARE', 'SYSTEM', '' (NTUSER.DAT), 'Software\Classes' (UsrClass.dat). */
  base: string
  /** Windows path of the hive file. */
  winPath: string
  /** Local path of the file when it exists on the mapped volume, else null. */
  local: string | null
}

/** The local file of a Windows path, resolved segment by segment the way Windows compares names; null when absent. */
export function localFile(volumes: VolumeMap, winPath: string): string | null {
  const parsed = parseWinPath(winPath)
  const vol = parsed.kind === 'drive' ? volumes.get(parsed.root) : undefined
  if (!vol) return null
  let cur = vol.root
  for (const seg of parsed.segments) {
    const direct = nodePath.join(cur, seg)
    let next: string | undefined = direct
    try {
      statSync(direct)
    } catch {
      next = findChildCaseInsensitive(cur, seg)
    }
    if (next === undefined) return null
    cur = next
  }
  try {
    return statSync(cur).isFile() ? cur : null
  } catch {
    return null
  }
}

export function machineHives(volumes: VolumeMap, systemDrive: string): HiveMount[] {
  const config = `${systemDrive}\\Windows\\System32\\config`
  return [
    { root: 'HKLM', base: 'SOFTWARE', winPath: `${config}\\SOFTWARE`, local: null },
    { root: 'HKLM', base: 'SYSTEM', winPath: `${config}\\SYSTEM`, local: null },
  ].map((m) => ({ ...m, root: m.root as RegRoot, local: localFile(volumes, m.winPath) }))
}

export function userHives(volumes: VolumeMap, profile: string): HiveMount[] {
  return [
    { root: 'HKCU' as RegRoot, base: '', winPath: winJoin(profile, 'NTUSER.DAT'), local: null },
    { root: 'HKCU' as RegRoot, base: 'Software\\Classes', winPath: winJoin(profile, 'AppData\\Local\\Microsoft\\Windows\\UsrClass.dat'), local: null },
  ].map((m) => ({ ...m, local: localFile(volumes, m.winPath) }))
}

/** The hive holding a full key path (longest base wins) and the path inside it (`\Contoso`, `\` for the hive's root). */
export function mountOf(mounts: readonly HiveMount[], fullKey: string): { mount: HiveMount; inner: string } | null {
  const c = canonicalRegKey(fullKey)
  if (!c) return null
  const rest = c.rest.toLowerCase()
  let best: HiveMount | null = null
  for (const m of mounts) {
    if (m.root !== c.root) continue
    const b = m.base.toLowerCase()
    if (b === '' || rest === b || rest.startsWith(`${b}\\`)) {
      if (!best || m.base.length > best.base.length) best = m
    }
  }
  if (!best) return null
  const inner = best.base === '' ? c.rest : c.rest.slice(best.base.length).replace(/^\\/, '')
  return { mount: best, inner: `\\${inner}` }
}

export interface RegKeyEntry {
  /** Full key path as the hive spells it: `HKCU\Software\Contoso`. */
  path: string
  lower: string
  values: RegValue[]
}

/**
 * The loaded part of one registry (HKLM of the machine, or one user's HKCU): the keys found below the
 * requested prefixes, with their values, by lower-case full path.
 */
export class RegistryView {
  readonly keys = new Map<string, RegKeyEntry>()
  /** Windows paths of the hive files actually read (one hivex process each). */
  readonly read: string[] = []
  /** Roots (HKLM/HKCU) and bases for which a hive file exists: questions there are answered, others are not evaluable. */
  private readonly present: HiveMount[]

  private constructor(readonly mounts: readonly HiveMount[]) {
    this.present = mounts.filter((m) => m.local !== null)
  }

  /** A registry with no hive: patterns compile, every question answers "absent" (restore-time rules). */
  static empty(): RegistryView {
    return new RegistryView([])
  }

  /**
   * Read every hive once with the subtrees that cover `prefixes` (full key paths). A prefix above a hive's
   * base (`HKLM`) reads that whole hive.
   */
  static load(mounts: readonly HiveMount[], prefixes: readonly string[]): RegistryView {
    return RegistryView.loadAll([{ mounts, prefixes }])[0]
  }

  /** `load` for several registries (the machine's, each user's) with one hivex process for all their hives. */
  static loadAll(registries: ReadonlyArray<{ mounts: readonly HiveMount[]; prefixes: readonly string[] }>): RegistryView[] {
    const views = registries.map((r) => new RegistryView(r.mounts))
    const reads: Array<{ view: RegistryView; mount: HiveMount; inner: string[] }> = []
    registries.forEach((r, i) => {
      for (const [mount, inner] of views[i].subtrees(r.prefixes)) reads.push({ view: views[i], mount, inner })
    })
    const records = readHives(reads.map((r) => ({ file: r.mount.local as string, keys: r.inner })))
    reads.forEach(({ view, mount: m }, i) => {
      view.read.push(m.winPath)
      const head = m.base ? `${m.root}\\${m.base}` : m.root
      for (const rec of records[i]) {
        const path = rec.path === '\\' ? head : `${head}${rec.path}`
        const lower = path.toLowerCase()
        if (view.keys.has(lower)) continue
        view.keys.set(lower, { path, lower, values: rec.values.map((v) => ({ key: path, name: v.name, type: v.type, data: v.data })) })
      }
    })
    return views
  }

  /** The subtrees to read per present hive for `prefixes`. */
  private subtrees(prefixes: readonly string[]): Map<HiveMount, string[]> {
    const perHive = new Map<HiveMount, string[]>()
    const add = (m: HiveMount, inner: string): void => {
      const list = perHive.get(m)
      if (list) list.push(inner)
      else perHive.set(m, [inner])
    }
    for (const p of prefixes) {
      const c = canonicalRegKey(p)
      if (!c) continue
      for (const m of this.present) {
        if (m.root !== c.root) continue
        const b = m.base.toLowerCase()
        const rest = c.rest.toLowerCase()
        if (b !== '' && (b.startsWith(`${rest}\\`) || rest === '')) add(m, '\\')
      }
      const hit = mountOf(this.present, p)
      if (hit) add(hit.mount, hit.inner)
    }
    return perHive
  }

  /** Is there a hive for this key on the volume (so that its absence means "does not exist")? */
  covers(fullKey: string): boolean {
    return mountOf(this.present, fullKey) !== null
  }
}
