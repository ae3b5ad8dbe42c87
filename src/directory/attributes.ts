/**
 * Decoding of the AD attributes the selection reads. ldapts returns a requested attribute that the entry
 * lacks as an empty array, a single value as a string/Buffer and several as an array: these helpers accept
 * all three.
 */
export type RawAttribute = string | Buffer | ReadonlyArray<string | Buffer> | undefined

export function firstValue(raw: RawAttribute): string | Buffer | undefined {
  if (raw === undefined) return undefined
  if (Array.isArray(raw)) return raw.length ? raw[0] : undefined
  return raw as string | Buffer
}

export function firstString(raw: RawAttribute): string | undefined {
  const v = firstValue(raw)
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : v
}

export function allValues(raw: RawAttribute): Array<string | Buffer> {
  if (raw === undefined) return []
  return Array.isArray(raw) ? [...raw] : [raw as string | Buffer]
}

/** userAccountControl bits (MS-ADTS 2.2.16) that matter here. */
export const UAC = {
  ACCOUNTDISABLE: 0x2,
  LOCKOUT: 0x10,
  NORMAL_ACCOUNT: 0x200,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  SERVER_TRUST_ACCOUNT: 0x2000,
  DONT_EXPIRE_PASSWORD: 0x10000,
} as const

export function parseUac(raw: RawAttribute): number | undefined {
  const s = firstString(raw)
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined
  return Number(s) >>> 0
}

export function isDisabled(uac: number | undefined): boolean {
  return uac !== undefined && (uac & UAC.ACCOUNTDISABLE) !== 0
}

const FILETIME_EPOCH_OFFSET_MS = 11644473600000n

/** An AD FILETIME (100 ns since 1601-01-01 UTC) → Date; 0 and "never" (0x7FFF…) → undefined. */
export function fileTimeToDate(raw: RawAttribute): Date | undefined {
  const s = firstString(raw)?.trim()
  if (!s || !/^\d+$/.test(s) || s === '0' || s === '9223372036854775807') return undefined
  return new Date(Number(BigInt(s) / 10000n - FILETIME_EPOCH_OFFSET_MS))
}

export function dateToFileTime(date: Date): string {
  return ((BigInt(date.getTime()) + FILETIME_EPOCH_OFFSET_MS) * 10000n).toString()
}
