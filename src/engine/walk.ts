/**
 * Streaming walk of a mapped Windows volume, one folder at a time: the walker holds the entries of the
 * folder it reports and a stack of folders still to visit, never the whole tree. Each folder carries a
 * caller-defined state derived from its parent's (the rule engine keeps its per-folder rule pre-selection
 * there), and a sub-folder whose state the caller refuses (`enter` returns undefined) is not read at all.
 * Folders are reported depth first, sub-folders in name order, files sorted by name. Unreadable folders are
 * warnings, never fatal.
 *
 * Symbolic links are Windows reparse points (junctions, symlinks, mount points) seen on a mounted volume. As
 * USMT does with reparse points, a link is never followed outside its volume (a link in a profile to
 * `/etc/hostname` is not captured), and every link is logged (a warning with code 'reparse-point'):
 * - a link to a file inside the same mapped volume is captured with its target's content, size and times, and
 *   restored as a regular file (the store records the link's path); a link whose target lies outside the
 *   volume is skipped;
 * - a link to a folder (junction) is not walked, as USMT does not traverse junctions, unless asked
 *   (--follow-symlinks); when followed it must stay inside the volume, and a folder reached twice (a loop) is
 *   reported once as a warning. A folder link inside the volume that is not walked is the one link not
 *   logged: its target is walked where it is (nothing is lost), and a Windows volume has dozens of legacy
 *   junctions (`Application Data`, `All Users` …).
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs'
import * as nodePath from 'node:path'
import type { EngineWarning } from './contract.js'

export interface WalkFolder<S> {
  /** Windows path of the folder as on the volume, e.g. `C:\Users\ann` (`C:` for the root). */
  winDir: string
  /** Lower-case folder key (`c:\users\ann`, `c:`). */
  dirKey: string
  /** Local path of the folder. */
  local: string
  /** `local` with a trailing separator: the local path of an entry is `localPrefix + name`. */
  localPrefix: string
  /** File names (regular files and symlinks to files), sorted by code unit. */
  files: string[]
  /** The names in `files` that are symlinks to files (null when there are none); the others are regular files. */
  links: Set<string> | null
  /** The real local path of each link in `links` (inside the volume: links that leave it are never listed). */
  linkTargets: Map<string, string> | null
  state: S
}

export interface WalkOptions<S> {
  followSymlinks?: boolean
  /**
   * State of a sub-folder (`nameLower` is its lower-case name, `dirKey` its key), or undefined to skip it
   * entirely. Called when the parent folder has been reported, in name order.
   */
  enter: (parent: S, nameLower: string, dirKey: string) => S | undefined
  warn: (w: EngineWarning) => void
  onSkippedLink?: (winPath: string) => void
}

interface Pending<S> {
  win: string
  key: string
  local: string
  state: S
}

const SEP = nodePath.sep

export function* walkVolume<S>(letter: string, root: string, rootState: S, opts: WalkOptions<S>): Generator<WalkFolder<S>> {
  const visited = new Set<string>()
  let volumeReal = nodePath.resolve(root)
  try {
    volumeReal = realpathSync(root)
  } catch {
    // an unreadable root is reported by the first readdir
  }
  const volumePrefix = volumeReal.endsWith(SEP) ? volumeReal : volumeReal + SEP
  /** The Windows path of a real local path inside this volume, or null when it lies outside. */
  const insideVolume = (real: string): string | null => {
    if (real === volumeReal) return `${letter}\\`
    if (!real.startsWith(volumePrefix)) return null
    return `${letter}\\${real.slice(volumePrefix.length).split(SEP).join('\\')}`
  }
  const idOf = (local: string): string | null => {
    try {
      const st = statSync(local)
      return `${st.dev}:${st.ino}`
    } catch {
      return null
    }
  }
  if (opts.followSymlinks) {
    const id = idOf(root)
    if (id) visited.add(id)
  }
  const stack: Array<Pending<S>> = [{ win: letter, key: letter.toLowerCase(), local: root, state: rootState }]
  while (stack.length) {
    const { win, key, local, state } = stack.pop() as Pending<S>
    let entries: Dirent[]
    try {
      entries = readdirSync(local, { withFileTypes: true })
    } catch (err) {
      opts.warn({ code: 'unreadable', message: `cannot read folder ${win === letter ? `${letter}\\` : win}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path: win })
      continue
    }
    const prefix = local.endsWith(SEP) ? local : local + SEP
    const files: string[] = []
    const dirs: string[] = []
    let links: Set<string> | null = null
    let linkTargets: Map<string, string> | null = null
    let linkedDirs: Set<string> | null = null
    try {
      for (const ent of entries) {
        const name = ent.name
        let file = ent.isFile()
        let dir = !file && ent.isDirectory()
        let link = !file && !dir && ent.isSymbolicLink()
        if (!file && !dir && !link && !ent.isFIFO() && !ent.isSocket() && !ent.isBlockDevice() && !ent.isCharacterDevice()) {
          // DT_UNKNOWN on some file systems: ask lstat.
          try {
            const st = lstatSync(prefix + name)
            file = st.isFile()
            dir = st.isDirectory()
            link = st.isSymbolicLink()
          } catch (err) {
            opts.warn({ code: 'unreadable', message: `${win}\\${name}: ${(err as Error).message}`, path: `${win}\\${name}` })
            continue
          }
        }
        if (file) files.push(name)
        else if (dir) dirs.push(name)
        else if (link) {
          const target = prefix + name
          const linkWin = `${win}\\${name}`
          let st
          let real: string
          try {
            real = realpathSync(target)
            st = statSync(real)
          } catch (err) {
            opts.warn({ code: 'unreadable', message: `${linkWin}: broken or unreadable link (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path: linkWin })
            continue
          }
          const realWin = insideVolume(real)
          if (realWin === null) {
            opts.warn({ code: 'reparse-point', message: `${linkWin} is a symbolic link (reparse point) to ${real}, outside drive ${letter}; not followed, not migrated`, path: linkWin })
            continue
          }
          if (st.isFile()) {
            files.push(name)
            ;(links ??= new Set()).add(name)
            ;(linkTargets ??= new Map()).set(name, real)
            opts.warn({ code: 'reparse-point', message: `${linkWin} is a symbolic link (reparse point) to ${realWin}; when included, its target's content is migrated as a regular file`, path: linkWin })
          } else if (st.isDirectory()) {
            if (!opts.followSymlinks) {
              // A junction inside the volume (Windows' legacy `Application Data`, `All Users` …) is not walked, as
              // USMT does not traverse junctions; its target is walked where it really is, so nothing is lost and
              // the (many) junctions of a Windows volume do not flood the log.
              opts.onSkippedLink?.(linkWin)
              continue
            }
            const id = `${st.dev}:${st.ino}`
            if (visited.has(id)) {
              let real = target
              try {
                real = realpathSync(target)
              } catch {
                // keep the link path
              }
              opts.warn({ code: 'symlink-loop', message: `${win}\\${name} leads back to a folder already walked (${real}); not followed again`, path: `${win}\\${name}` })
              continue
            }
            visited.add(id)
            ;(linkedDirs ??= new Set()).add(name)
            dirs.push(name)
          }
        }
      }
    } catch (err) {
      opts.warn({ code: 'unreadable', message: `error while reading folder ${win}: ${(err as Error).message}`, path: win })
    }
    entries = []
    // The default sort compares UTF-16 code units: a stable, locale-independent order.
    files.sort()
    yield { winDir: win, dirKey: key, local, localPrefix: prefix, files, links, linkTargets, state }
    dirs.sort()
    // Children are entered in name order (so their states are derived in order) and pushed in reverse, so
    // they are popped, and reported, in name order.
    const children: Array<Pending<S>> = []
    for (const name of dirs) {
      const lower = name.toLowerCase()
      const childKey = `${key}\\${lower}`
      const childState = opts.enter(state, lower, childKey)
      if (childState === undefined) continue
      const childLocal = prefix + name
      if (opts.followSymlinks && !linkedDirs?.has(name)) {
        const id = idOf(childLocal)
        if (id && visited.has(id)) continue // already walked through a link to it
        if (id) visited.add(id)
      }
      children.push({ win: `${win}\\${name}`, key: childKey, local: childLocal, state: childState })
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
  }
}
