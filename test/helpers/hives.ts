/**
 * Real registry hives for tests: an empty hive (src/registry/blank-hive.ts) filled through the project's
 * hivex adapter, parents first. Values: a string is REG_SZ, a number REG_DWORD, a Buffer REG_BINARY.
 */
import { mkdirSync } from 'node:fs'
import * as path from 'node:path'
import { createHive, mergeHive } from '../../src/registry/hivex.js'
import type { RegMergeKey } from '../../src/registry/reg-text.js'

export type HiveSpec = Record<string, Record<string, string | number | Buffer>>

export function writeHive(file: string, keys: HiveSpec): void {
  mkdirSync(path.dirname(file), { recursive: true })
  createHive(file)
  const merge: RegMergeKey[] = []
  const seen = new Set<string>()
  for (const [key, values] of Object.entries(keys)) {
    const parts = key.split('\\').filter(Boolean)
    for (let i = 1; i < parts.length; i++) {
      const k = `\\${parts.slice(0, i).join('\\')}`
      if (!seen.has(k.toLowerCase())) merge.push({ path: k, set: [] })
      seen.add(k.toLowerCase())
    }
    seen.add(`\\${parts.join('\\')}`.toLowerCase())
    merge.push({
      path: `\\${parts.join('\\')}`,
      set: Object.entries(values).map(([name, v]) => {
        if (typeof v === 'number') {
          const b = Buffer.alloc(4)
          b.writeUInt32LE(v)
          return { name, type: 4, data: b }
        }
        return typeof v === 'string' ? { name, type: 1, data: Buffer.from(`${v}\0`, 'utf16le') } : { name, type: 3, data: v }
      }),
    })
  }
  mergeHive(file, merge)
}
