/**
 * The file-system questions rule compilation asks of the mapped volumes: does any object match a pattern
 * (bounded search), and the version resource of a file. Answers are cached for one compilation.
 */
import { existsSync, readdirSync } from 'node:fs'
import * as nodePath from 'node:path'
import { resolveCaseInsensitive, type VolumeMap } from '../windows/volume-map.js'
import { canonicalNode, type CompiledPattern } from './pattern.js'
import { readVersionInfo } from './pe.js'

/** How many folders a search for a wildcard pattern may visit before it answers "no object". */
const SEARCH_BUDGET = 20_000

export class ObjectProbe {
  private readonly existsCache = new Map<string, boolean>()
  private readonly versionCache = new Map<string, Record<string, string> | null>()

  constructor(private readonly volumes: VolumeMap) {}

  /** The version resource of a file (Windows path), or null when it is missing or has none. */
  versionOf(winPath: string): Record<string, string> | null {
    const key = winPath.toLowerCase()
    if (!this.versionCache.has(key)) {
      const local = this.volumes.toLocal(canonicalNode(winPath))
      this.versionCache.set(key, local ? readVersionInfo(resolveCaseInsensitive(local) ?? local) : null)
    }
    return this.versionCache.get(key) ?? null
  }

  /** Does at least one object (folder, or file for a leaf) match the pattern? Bounded search. */
  hasObject(p: CompiledPattern): boolean {
    const key = p.display.toLowerCase()
    const cached = this.existsCache.get(key)
    if (cached !== undefined) return cached
    let found = false
    const node = p.node
    if (!node.includes('*')) {
      const local = this.volumes.toLocal(node.length === 2 ? `${node}\\` : node)
      const real = local ? resolveCaseInsensitive(local) : null
      if (real) {
        if (p.leaf === null) found = existsSync(real)
        else {
          try {
            const leafMatch = p.matchesLeaf
            found = readdirSync(real).some((n) => leafMatch(n.toLowerCase()))
          } catch {
            found = false
          }
        }
      }
    } else {
      found = this.search(p, SEARCH_BUDGET)
    }
    this.existsCache.set(key, found)
    return found
  }

  private search(p: CompiledPattern, budget: number): boolean {
    const drive = /^([A-Za-z]:)/.exec(p.node)?.[1]
    const vols = drive ? [this.volumes.get(drive)].filter((v) => v !== undefined) : [...this.volumes.volumes]
    let left = budget
    for (const v of vols) {
      const stack: Array<{ win: string; local: string }> = [{ win: v.letter, local: v.root }]
      while (stack.length && left > 0) {
        const { win, local } = stack.pop() as { win: string; local: string }
        left--
        const d = win.toLowerCase()
        if (!p.canMatchUnder(d)) continue
        let entries
        try {
          entries = readdirSync(local, { withFileTypes: true })
        } catch {
          continue
        }
        if (p.matchesDir(d)) {
          if (p.leaf === null) return true
          if (entries.some((e) => !e.isDirectory() && p.matchesLeaf(e.name.toLowerCase()))) return true
        }
        for (const e of entries) if (e.isDirectory()) stack.push({ win: `${win}\\${e.name}`, local: nodePath.join(local, e.name) })
      }
    }
    return false
  }
}
