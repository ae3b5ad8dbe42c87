/**
 * Streaming walk of a mapped Windows volume. One directory's entries are held at a time, files are
 * reported before sub-folders are entered, and the walker never holds the whole tree. Sub-folders the caller says cannot hold anything of interest are skipped. Folder symlinks
 * (Windows junctions on a mounted volume) are not followed unless asked; when followed, a folder reached
 * twice (a loop) is reported once as a warning. Unreadable folders are warnings, never fatal.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs'
import * as nodePath from 'node:path'
import type { EngineWarning } from './contract.js'

export interface WalkFile {
  /** Windows path of the containing folder as on the volume, e.g. `C:\Users\ann` (`C:` for the root). */
  winDir: string
  /** Lower-case folder key (`c:\users\ann`). */
  dirKey: string
  name: string
  localPath: string
  /** The entry is a symlink to a file (its target is reported). */
  symlink: boolean
}

export interface WalkOptions {
  followSymlinks?: boolean
  /** Return false to skip a sub-folder (lower-case key) entirely. */
  descend?: (dirKey: string) => boolean
  /** Called once for each folder before its files (lower-case key and Windows path). */
  enterDir?: (dirKey: string, winDir: string) => void
  warn: (w: EngineWarning) => void
  onSkippedLink?: (winPath: string) => void
}

function sortNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function* walkVolume(letter: string, root: string, opts: WalkOptions): Generator<WalkFile> {
  const visited = new Set<string>()
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
  const stack: Array<{ win: string; local: string }> = [{ win: letter, local: root }]
  while (stack.length) {
    const { win, local } = stack.pop() as { win: string; local: string }
    const key = win.toLowerCase()
    let entries: Dirent[]
    try {
      entries = readdirSync(local, { withFileTypes: true })
    } catch (err) {
      opts.warn({ code: 'unreadable', message: `cannot read folder ${win === letter ? `${letter}\\` : win}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path: win })
      continue
    }
    opts.enterDir?.(key, win)
    const files: Array<{ name: string; symlink: boolean }> = []
    const dirs: string[] = []
    const linked = new Set<string>()
    try {
      for (const ent of entries) {
        const name = ent.name
        if (ent.isFile()) files.push({ name, symlink: false })
        else if (ent.isDirectory()) dirs.push(name)
        else if (ent.isSymbolicLink()) {
          const target = nodePath.join(local, name)
          let st
          try {
            st = statSync(target)
          } catch (err) {
            opts.warn({ code: 'unreadable', message: `${win}\\${name}: broken or unreadable link (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path: `${win}\\${name}` })
            continue
          }
          if (st.isFile()) files.push({ name, symlink: true })
          else if (st.isDirectory()) {
            if (!opts.followSymlinks) {
              opts.onSkippedLink?.(`${win}\\${name}`)
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
            linked.add(name)
            dirs.push(name)
          }
        } else if (!ent.isFIFO() && !ent.isSocket() && !ent.isBlockDevice() && !ent.isCharacterDevice()) {
          // DT_UNKNOWN on some file systems: ask stat.
          try {
            const st = statSync(nodePath.join(local, name))
            if (st.isFile()) files.push({ name, symlink: false })
            else if (st.isDirectory()) dirs.push(name)
          } catch (err) {
            opts.warn({ code: 'unreadable', message: `${win}\\${name}: ${(err as Error).message}`, path: `${win}\\${name}` })
          }
        }
      }
    } catch (err) {
      opts.warn({ code: 'unreadable', message: `error while reading folder ${win}: ${(err as Error).message}`, path: win })
    }
    files.sort((a, b) => sortNames(a.name, b.name))
    for (const f of files) yield { winDir: win, dirKey: key, name: f.name, localPath: nodePath.join(local, f.name), symlink: f.symlink }
    dirs.sort(sortNames)
    for (let i = dirs.length - 1; i >= 0; i--) {
      const childWin = `${win}\\${dirs[i]}`
      const childKey = `${key}\\${dirs[i].toLowerCase()}`
      if (opts.descend && !opts.descend(childKey)) continue
      if (opts.followSymlinks && !linked.has(dirs[i])) {
        const id = idOf(nodePath.join(local, dirs[i]))
        if (id && visited.has(id)) continue // already walked through a link to it
        if (id) visited.add(id)
      }
      stack.push({ win: childWin, local: nodePath.join(local, dirs[i]) })
    }
  }
}
