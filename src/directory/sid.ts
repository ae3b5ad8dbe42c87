/**
 * Windows security identifiers: the binary form AD stores in objectSid/tokenGroups and the S-1-… string
 * form ProfileList and USMT use, both ways (MS-DTYP 2.4.2.2). Pure functions.
 */
/** Decode a binary SID. Throws on a malformed buffer (short, wrong revision, wrong length). */
export function sidToString(buf: Buffer): string {
  if (buf.length < 8) throw new Error(`a SID is at least 8 bytes, got ${buf.length}`)
  const revision = buf[0]
  const count = buf[1]
  if (revision !== 1) throw new Error(`unsupported SID revision ${revision}`)
  if (count > 15) throw new Error(`a SID has at most 15 sub-authorities, got ${count}`)
  if (buf.length !== 8 + 4 * count) throw new Error(`SID with ${count} sub-authorities must be ${8 + 4 * count} bytes, got ${buf.length}`)
  const authority = buf.readUIntBE(2, 6)
  const subs: number[] = []
  for (let i = 0; i < count; i++) subs.push(buf.readUInt32LE(8 + 4 * i))
  // MS-DTYP: authorities of 2^32 and above are written in hex
  const auth = authority >= 2 ** 32 ? `0x${authority.toString(16).toUpperCase().padStart(12, '0')}` : String(authority)
  return `S-${revision}-${auth}${subs.map((s) => `-${s}`).join('')}`
}

/** Encode an S-1-… string. Throws on anything that is not a well-formed SID. */
export function sidFromString(text: string): Buffer {
  const t = text.trim()
  const m = /^S-1-(0x[0-9a-f]{12}|\d+)((?:-\d+){0,15})$/i.exec(t)
  if (!m) throw new Error(`not a SID: ${JSON.stringify(text)}`)
  const authority = m[1].toLowerCase().startsWith('0x') ? parseInt(m[1].slice(2), 16) : Number(m[1])
  if (!Number.isSafeInteger(authority) || authority > 0xffffffffffff) throw new Error(`SID authority out of range: ${m[1]}`)
  const subs = m[2] ? m[2].slice(1).split('-').map(Number) : []
  for (const s of subs) if (!Number.isInteger(s) || s > 0xffffffff) throw new Error(`SID sub-authority out of range in ${text}`)
  const buf = Buffer.alloc(8 + 4 * subs.length)
  buf[0] = 1
  buf[1] = subs.length
  buf.writeUIntBE(authority, 2, 6)
  subs.forEach((s, i) => buf.writeUInt32LE(s, 8 + 4 * i))
  return buf
}

export function isSid(text: string | undefined): boolean {
  if (!text) return false
  try {
    sidFromString(text)
    return true
  } catch {
    return false
  }
}

/** Canonical upper-case form (S-1-5-21-…), for comparisons. */
export function normalizeSid(text: string): string {
  return sidToString(sidFromString(text))
}

/** The domain part of an account SID (S-1-5-21-a-b-c) or null for SIDs that are not domain/machine accounts. */
export function domainSidOf(sid: string): string | null {
  const m = /^(S-1-5-21-\d+-\d+-\d+)-\d+$/i.exec(sid.trim())
  return m ? m[1].toUpperCase() : null
}

export function ridOf(sid: string): number | null {
  const m = /-(\d+)$/.exec(sid.trim())
  return domainSidOf(sid) && m ? Number(m[1]) : null
}

/** Profiles every Windows has, which USMT always migrates (LocalSystem, LocalService, NetworkService). */
export const SERVICE_PROFILE_SIDS: Readonly<Record<string, string>> = {
  'S-1-5-18': 'NT AUTHORITY\\SYSTEM',
  'S-1-5-19': 'NT AUTHORITY\\LOCAL SERVICE',
  'S-1-5-20': 'NT AUTHORITY\\NETWORK SERVICE',
}

export function isServiceSid(sid: string | undefined): boolean {
  return sid !== undefined && Object.hasOwn(SERVICE_PROFILE_SIDS, sid.trim().toUpperCase())
}

/** GUID (objectGUID) bytes → the usual string form (first three groups little-endian). */
export function guidToString(b: Buffer): string {
  if (b.length !== 16) throw new Error(`a GUID is 16 bytes, got ${b.length}`)
  const le = (s: number, e: number): string => Buffer.from(b.subarray(s, e)).reverse().toString('hex')
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${b.subarray(8, 10).toString('hex')}-${b.subarray(10, 16).toString('hex')}`
}
