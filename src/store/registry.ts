/**
 * Registry values in a store. They travel in the store's catalog metadata (`meta.registry`), so they get
 * exactly the protection the catalog gives every file entry: inside USMT.MIG they are deflated, encrypted
 * with the store key and covered by the container digest (an HMAC when encrypted); in hard-link and mirror
 * stores the catalog is sealed by its SHA-256 line. Each value also carries the SHA-256 of its data,
 * checked when the store is read, like a mirror store's file digests.
 *
 * One value is `[key, name, type, data (base64), user or null, component, sha256 (hex)]`; key paths are
 * written with the root HKLM or HKCU.
 */
import { createHash } from 'node:crypto'
import { UsmtStepsError } from '../runtime/errors.js'
import { canonicalRegKey } from '../registry/model.js'

export interface StoredRegistryValue {
  key: string
  name: string
  type: number
  data: Buffer
  user: string | null
  component: string
}

export type RegistryRow = [string, string, number, string, string | null, string, string]

export function encodeRegistry(values: readonly StoredRegistryValue[]): RegistryRow[] {
  return values.map((v) => [v.key, v.name, v.type, v.data.toString('base64'), v.user, v.component, createHash('sha256').update(v.data).digest('hex')])
}

/** Check and decode `meta.registry` (absent: a store without registry values). */
export function decodeRegistry(rows: unknown, where: string): StoredRegistryValue[] {
  if (rows === undefined) return []
  if (!Array.isArray(rows)) throw new UsmtStepsError('USM0211', `${where}: the registry list of the catalog is malformed`)
  return rows.map((r, i) => {
    const bad = (why: string): never => { throw new UsmtStepsError('USM0211', `${where}: registry value ${i + 1} ${why}`) }
    if (!Array.isArray(r) || r.length !== 7) return bad('is malformed')
    const [key, name, type, data, user, component, sha] = r as unknown[]
    if (typeof key !== 'string' || !canonicalRegKey(key) || !/^HK(LM|CU)(\\|$)/.test(key)) return bad(`has an invalid key ${JSON.stringify(key)}`)
    if (typeof name !== 'string' || typeof type !== 'number' || !Number.isInteger(type) || type < 0 || typeof data !== 'string' || typeof component !== 'string' || (user !== null && typeof user !== 'string') || typeof sha !== 'string') return bad('is malformed')
    const bytes = Buffer.from(data as string, 'base64')
    if (createHash('sha256').update(bytes).digest('hex') !== sha) {
      throw new UsmtStepsError('USM0212', `${where}: registry value ${key} [${name}] does not match its digest (modified after capture)`, { data: { key } })
    }
    return { key: key as string, name: name as string, type: type as number, data: bytes, user: user as string | null, component: component as string }
  })
}
