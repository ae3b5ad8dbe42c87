import { existsSync, readdirSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { driveOf, normalize, parseWinPath, resolveDots } from './path.js'

/**
 * Maps Windows drive letters to local directories, so a Windows volume (a mounted disk, an offline
 * Windows folder, the bundled sample machine) can be read on any OS. `--volume C=DIR` declares a fixed
 * drive, `--removable E=DIR` a removable one.
 */
export interface VolumeSpec {
  letter: string // 'C:'
  root: string // local directory (absolute)
  removable: boolean
}

export class VolumeMap {
  readonly volumes: readonly VolumeSpec[]

  constructor(volumes: VolumeSpec[]) {
    const seen = new Set<string>()
    for (const v of volumes) {
      if (seen.has(v.letter)) throw new UsmtStepsError('USM0002', `drive ${v.letter} is mapped twice`)
      seen.add(v.letter)
    }
    this.volumes = volumes
  }

  /** Parse `C=DIR` / `C:=DIR` flag values. */
  static parse(fixed: readonly string[] = [], removable: readonly string[] = [], cwd = process.cwd()): VolumeMap {
    const specs: VolumeSpec[] = []
    const one = (raw: string, isRemovable: boolean): VolumeSpec => {
      const m = /^([A-Za-z]):?=(.+)$/.exec(raw)
      if (!m) {
        throw new UsmtStepsError('USM0002', `invalid volume mapping "${raw}"`, {
          actions: ['Write the mapping as LETTER=DIRECTORY, for example --volume C=./samples/machine/C'],
        })
      }
      return { letter: `${m[1].toUpperCase()}:`, root: nodePath.resolve(cwd, m[2]), removable: isRemovable }
    }
    for (const f of fixed) specs.push(one(f, false))
    for (const r of removable) specs.push(one(r, true))
    return new VolumeMap(specs)
  }

  get(letter: string): VolumeSpec | undefined {
    const l = letter.toUpperCase().replace(/:?$/, ':')
    return this.volumes.find((v) => v.letter === l)
  }

  fixed(): VolumeSpec[] {
    return this.volumes.filter((v) => !v.removable)
  }

  /**
   * The local path of a Windows path, or null when its drive is not mapped. Segments are joined as they
   * are: lookups that need Windows' case-insensitivity go through `resolveCaseInsensitive` (below).
   */
  toLocal(winPath: string): string | null {
    const parsed = parseWinPath(winPath)
    if (parsed.kind !== 'drive') return null
    const vol = this.get(parsed.root)
    if (!vol) return null
    const segs = resolveDots(parsed.segments)
    if (segs === null) return null
    return segs.length ? nodePath.join(vol.root, ...segs) : vol.root
  }

  /** The Windows path of a local path inside one of the volumes, or null. */
  toWindows(localPath: string): string | null {
    const abs = nodePath.resolve(localPath)
    for (const v of this.volumes) {
      const rel = nodePath.relative(v.root, abs)
      if (rel === '' ) return `${v.letter}\\`
      if (!rel.startsWith('..') && !nodePath.isAbsolute(rel)) return normalize(`${v.letter}\\${rel.split(nodePath.sep).join('\\')}`)
    }
    return null
  }

  /** The drive letter of a Windows path when it is mapped here. */
  volumeOf(winPath: string): VolumeSpec | undefined {
    const d = driveOf(winPath)
    return d ? this.get(d) : undefined
  }
}

/**
 * Where a path argument of a tool (a store, /l, /progress, /i, /config, /listfiles, /keyfile …) lives on this
 * machine. A Windows path — `C:\store`, `C:store`, `\\?\C:\store` — goes through the volume map like every
 * source path; a drive that is not mapped is a problem on Linux (it used to become a folder literally named
 * `C:\store` in the current directory) and the real drive on Windows. A UNC path (`\\server\share\…`) cannot
 * be reached on Linux (mount the share and give the local folder); on Windows it is used as it is. Any other
 * path is local, relative to `cwd`.
 */
export function localPathOf(volumes: VolumeMap, p: string, cwd: string, platform: NodeJS.Platform = process.platform): { path: string } | { problem: string } {
  const raw = p.trim()
  const isWinSyntax = /^[A-Za-z]:/.test(raw) || /^\\\\/.test(raw) || (platform === 'win32' && /^\/\//.test(raw))
  if (!isWinSyntax) return { path: nodePath.resolve(cwd, raw) }
  const parsed = parseWinPath(raw)
  if (parsed.kind === 'drive' || parsed.kind === 'drive-relative') {
    const vol = volumes.get(parsed.root)
    if (vol) {
      const segs = resolveDots(parsed.segments)
      if (segs === null) return { problem: `${p} climbs above the root of drive ${parsed.root}` }
      return { path: segs.length ? nodePath.join(vol.root, ...segs) : vol.root }
    }
    if (platform === 'win32') return { path: nodePath.resolve(cwd, raw) }
    const mapped = volumes.volumes.map((v) => v.letter).join(', ')
    return { problem: `${p} is on drive ${parsed.root}, which is not mapped (${mapped ? `mapped: ${mapped}` : 'no --volume given'}); map it with --volume ${parsed.root[0]}=DIR or give a local path` }
  }
  if (platform === 'win32') return { path: raw }
  return { problem: `${p} is a network (UNC) or device path, which cannot be reached from this machine; mount the share and give its local folder` }
}

/*
 * Case-insensitive lookups: Windows volumes copied to or mounted on Linux keep their case, and Windows paths in
 * variables, rules and catalogs rarely match it exactly. These are the project's only implementations; an exact
 * match wins over a case-insensitive one.
 */

/** The names of one folder, for lookups the way Windows compares names. */
class FolderNames {
  private readonly exact: Set<string>
  private readonly byLower = new Map<string, string>()

  constructor(names: readonly string[]) {
    this.exact = new Set(names)
    for (const n of names) this.index(n)
  }

  private index(name: string): void {
    const lower = name.toLowerCase()
    if (!this.byLower.has(lower)) this.byLower.set(lower, name)
  }

  /** The name that equals `name` the way Windows compares names, or undefined. */
  find(name: string): string | undefined {
    return this.exact.has(name) ? name : this.byLower.get(name.toLowerCase())
  }

  add(name: string): void {
    this.exact.add(name)
    this.index(name)
  }

  static read(dir: string): FolderNames | null {
    try {
      return new FolderNames(readdirSync(dir))
    } catch {
      return null
    }
  }
}

/** The entry of a local folder whose name equals `name` the way Windows compares names, or undefined. */
export function findChildCaseInsensitive(dir: string, name: string): string | undefined {
  const hit = FolderNames.read(dir)?.find(name)
  return hit === undefined ? undefined : nodePath.join(dir, hit)
}

/** Resolve a local path component by component, case-insensitively; null when a component does not exist. */
export function resolveCaseInsensitive(local: string): string | null {
  if (existsSync(local)) return local
  const parts = nodePath.resolve(local).split(nodePath.sep)
  let cur = parts[0] === '' ? nodePath.sep : parts[0]
  for (const part of parts.slice(1)) {
    if (!part) continue
    const direct = nodePath.join(cur, part)
    const next = existsSync(direct) ? direct : findChildCaseInsensitive(cur, part)
    if (next === undefined) return null
    cur = next
  }
  return cur
}

/**
 * Windows paths on the mapped volumes resolved case-insensitively, with each folder listed once (a restore
 * asks about many files per folder). Segments that do not exist yet keep the case they are given.
 */
export class CaseInsensitiveTree {
  private readonly dirs = new Map<string, FolderNames | null>()
  constructor(private readonly volumes: VolumeMap) {}

  private list(dir: string): FolderNames | null {
    if (!this.dirs.has(dir)) this.dirs.set(dir, FolderNames.read(dir))
    return this.dirs.get(dir) ?? null
  }

  /** The local path for a Windows path: existing segments keep their on-disk case. */
  local(win: string): string {
    const parsed = parseWinPath(win)
    const vol = this.volumes.get(parsed.root)
    if (!vol) throw new Error(`drive ${parsed.root} is not mapped`)
    let cur = vol.root
    let existing = true
    for (const seg of parsed.segments) {
      const names = existing ? this.list(cur) : null
      const real = names?.find(seg)
      if (real === undefined) existing = false
      cur = nodePath.join(cur, real ?? seg)
    }
    return cur
  }

  /** Whether something exists at a Windows path (a file where a folder of the path should be, or a name too long, counts as "no"). */
  exists(win: string): boolean {
    try {
      return statSync(this.local(win), { throwIfNoEntry: false }) !== undefined
    } catch (err) {
      // A folder of the path that is a file, or a path longer than this file system takes: writing there fails and
      // is reported for that file (3 under /c, 61 without), never as a failure of the whole restore (72).
      if (['ENOTDIR', 'ENAMETOOLONG'].includes((err as NodeJS.ErrnoException).code ?? '')) return false
      throw err
    }
  }

  /** Record a file created since its folder was listed. */
  added(local: string): void {
    const names = this.list(nodePath.dirname(local))
    if (names) names.add(nodePath.basename(local))
    else this.dirs.delete(nodePath.dirname(local))
  }
}
