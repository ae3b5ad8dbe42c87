/**
 * Registry objects as the engine, the store and the hive adapter see them. A value is addressed by its key's
 * full path (`HKLM\Software\Contoso`, `HKCU\Software\Contoso\Toolbar`: the root is always written `HKLM` or
 * `HKCU`) and its name (`''` is the key's default value, written `[]` in a pattern). Types are the Windows
 * REG_* numbers; the data are the raw bytes as the hive holds them (strings stay UTF-16LE with their NUL).
 */

export type RegRoot = 'HKLM' | 'HKCU'

export interface RegValue {
  /** Full key path, root abbreviated: `HKCU\Software\Contoso`. */
  key: string
  /** Value name; '' for the default value. */
  name: string
  /** REG_* type number (1 REG_SZ, 2 REG_EXPAND_SZ, 3 REG_BINARY, 4 REG_DWORD, 7 REG_MULTI_SZ, 11 REG_QWORD …). */
  type: number
  data: Buffer
}

export const REG_TYPE_NAMES: Record<number, string> = {
  0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 5: 'REG_DWORD_BIG_ENDIAN', 6: 'REG_LINK',
  7: 'REG_MULTI_SZ', 8: 'REG_RESOURCE_LIST', 9: 'REG_FULL_RESOURCE_DESCRIPTOR', 10: 'REG_RESOURCE_REQUIREMENTS_LIST', 11: 'REG_QWORD',
}

export function typeName(t: number): string {
  return REG_TYPE_NAMES[t] ?? `REG_0x${t.toString(16)}`
}

/** `HKEY_LOCAL_MACHINE\…` → `HKLM\…`, `hkcu\…` → `HKCU\…`; null when the root is neither (HKU, HKCR, a drive path …). */
export function canonicalRegKey(path: string): { root: RegRoot; rest: string } | null {
  const s = path.trim().replace(/\\{2,}/g, '\\').replace(/\\+$/, '')
  const m = /^(HKLM|HKEY_LOCAL_MACHINE|HKCU|HKEY_CURRENT_USER)(?=\\|$)\\?(.*)$/i.exec(s)
  if (!m) return null
  const root: RegRoot = /^(HKLM|HKEY_LOCAL_MACHINE)$/i.test(m[1]) ? 'HKLM' : 'HKCU'
  return { root, rest: m[2] }
}

/** Display form of a value: `HKCU\Software\Contoso [Name]`, `[]` for the default value. */
export function valueDisplay(v: Pick<RegValue, 'key' | 'name'>): string {
  return `${v.key} [${v.name.replace(/[[\]^]/g, '^$&')}]`
}

/** A short readable rendering of value data (strings decoded, DWORD/QWORD as numbers, others as hex). */
export function dataPreview(v: Pick<RegValue, 'type' | 'data'>, max = 80): string {
  const d = v.data
  let s: string
  if ((v.type === 1 || v.type === 2) && d.length % 2 === 0) s = JSON.stringify(d.toString('utf16le').replace(/\0+$/, ''))
  else if (v.type === 7 && d.length % 2 === 0) s = JSON.stringify(d.toString('utf16le').replace(/\0+$/, '').split('\0'))
  else if (v.type === 4 && d.length === 4) s = String(d.readUInt32LE(0))
  else if (v.type === 11 && d.length === 8) s = d.readBigUInt64LE(0).toString()
  else s = d.toString('hex')
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}
