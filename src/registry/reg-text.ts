/**
 * The regedit text format as hivex reads and writes it (`hivexregedit --export` / `--merge`): `[KEY]` headers,
 * `"name"=` / `@=` values with `hex(N):` bytes, `dword:`, `hex:` (REG_BINARY) or a quoted string; a trailing `\`
 * continues a line. Exports are parsed losslessly (hivex writes every non-DWORD value as hex bytes); merges are
 * written with hex bytes only, so nothing is re-encoded on the way into a hive.
 */
import type { RegValue } from './model.js'

export interface RegKeyRecord {
  /** The key as written in the header, prefix included. */
  path: string
  values: Array<Pick<RegValue, 'name' | 'type' | 'data'>>
}

function parseQuoted(s: string, from: number): { text: string; end: number } | null {
  if (s[from] !== '"') return null
  let out = ''
  for (let i = from + 1; i < s.length; i++) {
    const c = s[i]
    if (c === '"') return { text: out, end: i + 1 }
    if (c === '\\' && i + 1 < s.length) {
      out += s[++i]
      continue
    }
    out += c
  }
  return null
}

function hexBytes(s: string): Buffer | null {
  const h = s.replace(/[,\s]/g, '')
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) return null
  return Buffer.from(h, 'hex')
}

function parseData(s: string): { type: number; data: Buffer } | null {
  let m = /^dword:([0-9a-fA-F]{8})$/.exec(s)
  if (m) {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(Number.parseInt(m[1], 16) >>> 0)
    return { type: 4, data: b }
  }
  m = /^hex:(.*)$/s.exec(s)
  if (m) {
    const data = hexBytes(m[1])
    return data ? { type: 3, data } : null
  }
  m = /^hex\(([0-9a-fA-F]+)\):(.*)$/s.exec(s)
  if (m) {
    const data = hexBytes(m[2])
    return data ? { type: Number.parseInt(m[1], 16), data } : null
  }
  if (s.startsWith('"')) {
    const q = parseQuoted(s, 0)
    if (!q || q.end !== s.length) return null
    return { type: 1, data: Buffer.from(`${q.text}\0`, 'utf16le') }
  }
  return null
}

/** Parse regedit text (an export). Throws an Error naming the line for text hivex would not write. */
export function parseRegText(text: string): RegKeyRecord[] {
  const out: RegKeyRecord[] = []
  let cur: RegKeyRecord | null = null
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]
    const lineNo = i + 1
    while (/\\\s*$/.test(line) && i + 1 < lines.length && !line.startsWith('[')) line = line.replace(/\\\s*$/, '') + lines[++i].trimStart()
    if (/^\s*(;.*)?$/.test(line) || /Windows Registry Editor Version|^REGEDIT/.test(line)) continue
    const header = /^\[(.*)\]\s*$/.exec(line)
    if (header) {
      cur = { path: header[1], values: [] }
      out.push(cur)
      continue
    }
    if (!cur) throw new Error(`line ${lineNo}: a value before any [key]`)
    let name: string
    let rest: string
    if (line.startsWith('@=')) {
      name = ''
      rest = line.slice(2)
    } else {
      const q = parseQuoted(line, 0)
      if (!q || line[q.end] !== '=') throw new Error(`line ${lineNo}: not a value line: ${line.slice(0, 80)}`)
      name = q.text
      rest = line.slice(q.end + 1)
    }
    const v = parseData(rest.trim())
    if (!v) throw new Error(`line ${lineNo}: value data not understood: ${rest.slice(0, 80)}`)
    cur.values.push({ name, ...v })
  }
  return out
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function hexData(b: Buffer): string {
  const parts: string[] = []
  for (const x of b) parts.push(x.toString(16).padStart(2, '0'))
  // Lines of at most ~25 bytes, continued with a trailing backslash, as regedit writes them.
  const rows: string[] = []
  for (let i = 0; i < parts.length; i += 25) rows.push(parts.slice(i, i + 25).join(','))
  return rows.join(',\\\n  ')
}

export interface RegMergeKey {
  /** Key path with the hive prefix (as passed with --prefix), e.g. `HKEY_CURRENT_USER\Software\Contoso`. */
  path: string
  set: Array<Pick<RegValue, 'name' | 'type' | 'data'>>
  /** Value names to delete. */
  remove?: string[]
}

/** Regedit text for `hivexregedit --merge`: every value as `hex(N):` bytes (lossless). */
export function formatRegMerge(keys: readonly RegMergeKey[]): string {
  const out = ['Windows Registry Editor Version 5.00', '']
  for (const k of keys) {
    out.push(`[${k.path}]`)
    for (const n of k.remove ?? []) out.push(`${n === '' ? '@' : quote(n)}=-`)
    for (const v of k.set) out.push(`${v.name === '' ? '@' : quote(v.name)}=hex(${v.type.toString(16)}):${hexData(v.data)}`)
    out.push('')
  }
  return `${out.join('\n')}\n`
}
