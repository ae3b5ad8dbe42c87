/**
 * A key per store (issue #19). Each encrypted share store gets its own random data key; only that key encrypts
 * the store (scanstate /encrypt /keyfile). Next to the store, `store-key.json` holds the data key wrapped, never
 * in clear:
 *   - for the admins, by the escrow key (the admin key of USMTStepsEncryptionKey / --key-file, #13's plumbing):
 *     scrypt(escrow key, salt) → AES-256-GCM, authenticated with the store id, so a wrapped key opens no other
 *     store and the escrow key is never used on data;
 *   - on Windows also for the source and destination computers through DPAPI-NG (NCryptProtectSecret with the
 *     descriptor "SID=<source> OR SID=<destination>"), so those computers can open it as themselves.
 * Losing one data key exposes one store. An admin recovers a store's data key with `usmt-steps store recover-key`
 * (escrow key from a key file only).
 */
import type { DpapiNg } from '../windows/dpapi-ng.js'
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'

export const STORE_KEY_FILE = 'store-key.json'
export const STORE_KEY_SCHEMA = 1

export interface EscrowWrap {
  alg: 'aes-256-gcm'
  kdf: 'scrypt'
  logN: number
  r: number
  p: number
  salt: string
  iv: string
  tag: string
  data: string
  /** Which escrow key wrapped it: a digest of a key derived for this purpose only (not the key, not the KEK). */
  escrowId: string
}

export interface DpapiNgWrap {
  /** The protection descriptor, e.g. `SID=S-1-5-21-…-1105 OR SID=S-1-5-21-…-1106`. */
  descriptor: string
  /** The computers (and their accounts) the descriptor names. */
  computers: string[]
  /** NCryptProtectSecret's output, base64. */
  blob: string
}

export interface StoreKeyDoc {
  schema: number
  storeId: string
  createdAt: string
  escrow: EscrowWrap
  dpapiNg?: DpapiNgWrap
}

/** The DPAPI-NG boundary, declared with its Windows adapter (formats/runtime layer): stores use it, never the reverse. */
export type { DpapiNg } from '../windows/dpapi-ng.js'

const LOG_N = 15
const aad = (storeId: string): Buffer => Buffer.from(`usmt-steps store key v1|${storeId}`, 'utf8')

function kek(escrowKey: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN
  return new Promise((resolve, reject) => scrypt(Buffer.from(escrowKey, 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + 16 * 1024 * 1024 }, (e, k) => (e ? reject(e) : resolve(k))))
}

/** A new random data key as USMT key text (43 characters, base64url of 32 bytes), registered with the redactor. */
export function newDataKey(): string {
  const key = randomBytes(32).toString('base64url')
  redactor.add(key)
  return key
}

export function escrowId(escrowKey: string): string {
  return createHash('sha256').update('usmt-steps escrow key id v1\0').update(escrowKey, 'utf8').digest('hex').slice(0, 16)
}

export async function wrapForEscrow(dataKey: string, escrowKey: string, storeId: string): Promise<EscrowWrap> {
  const salt = randomBytes(16)
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', await kek(escrowKey, salt, LOG_N, 8, 1), iv)
  c.setAAD(aad(storeId))
  const data = Buffer.concat([c.update(dataKey, 'utf8'), c.final()])
  return {
    alg: 'aes-256-gcm', kdf: 'scrypt', logN: LOG_N, r: 8, p: 1, salt: salt.toString('base64'), iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'), data: data.toString('base64'), escrowId: escrowId(escrowKey),
  }
}

/** Create the key document of a store (and its data key). DPAPI-NG when a bridge and the computers' accounts are given. */
export async function newStoreKey(o: { storeId: string; escrowKey: string; now: Date; dpapi?: { bridge: DpapiNg; computers: string[]; accounts: string[] } }): Promise<{ dataKey: string; doc: StoreKeyDoc }> {
  const dataKey = newDataKey()
  const doc: StoreKeyDoc = { schema: STORE_KEY_SCHEMA, storeId: o.storeId, createdAt: o.now.toISOString(), escrow: await wrapForEscrow(dataKey, o.escrowKey, o.storeId) }
  if (o.dpapi) {
    const { descriptor, blob } = await o.dpapi.bridge.protect(Buffer.from(dataKey, 'utf8'), o.dpapi.accounts)
    doc.dpapiNg = { descriptor, computers: o.dpapi.computers, blob: blob.toString('base64') }
  }
  return { dataKey, doc }
}

export function parseStoreKeyDoc(text: string, where: string): StoreKeyDoc {
  let doc: StoreKeyDoc
  try {
    doc = JSON.parse(text) as StoreKeyDoc
  } catch (err) {
    throw new UsmtStepsError('USM0425', `${where} is not a store key document: ${(err as Error).message}`, { data: { file: where } })
  }
  if (typeof doc !== 'object' || doc === null || typeof doc.storeId !== 'string' || typeof doc.escrow !== 'object' || doc.escrow === null) {
    throw new UsmtStepsError('USM0425', `${where} is not a store key document (no storeId or escrow)`, { data: { file: where } })
  }
  if (doc.schema > STORE_KEY_SCHEMA) throw new UsmtStepsError('USM0425', `${where} has schema ${doc.schema}; this usmt-steps reads up to ${STORE_KEY_SCHEMA}`, { data: { file: where } })
  return doc
}

/** The data key from the escrow wrap: needs the escrow key that wrapped it, and the store it belongs to. */
export async function unwrapEscrow(doc: StoreKeyDoc, escrowKey: string, storeId: string): Promise<string> {
  const w = doc.escrow
  if (w.alg !== 'aes-256-gcm' || w.kdf !== 'scrypt' || !(w.logN >= 10 && w.logN <= 20)) throw new UsmtStepsError('USM0425', `the key of ${storeId} uses an unknown wrapping (${w.alg}/${w.kdf})`, { data: { store: storeId } })
  if (doc.storeId !== storeId) {
    throw new UsmtStepsError('USM0425', `the key document is the key of ${doc.storeId}, not of ${storeId}: a store's key opens only that store`, { data: { store: storeId } })
  }
  try {
    const d = createDecipheriv('aes-256-gcm', await kek(escrowKey, Buffer.from(w.salt, 'base64'), w.logN, w.r, w.p), Buffer.from(w.iv, 'base64'))
    d.setAAD(aad(storeId))
    d.setAuthTag(Buffer.from(w.tag, 'base64'))
    const key = Buffer.concat([d.update(Buffer.from(w.data, 'base64')), d.final()]).toString('utf8')
    redactor.add(key)
    return key
  } catch {
    const which = escrowId(escrowKey) === w.escrowId ? 'the key document was changed' : `it was wrapped by another escrow key (id ${w.escrowId}; the one given has id ${escrowId(escrowKey)})`
    throw new UsmtStepsError('USM0425', `the escrow key does not open the key of ${storeId}: ${which}`, { data: { store: storeId } })
  }
}

/**
 * The data key of a store, the way a step opens it: DPAPI-NG first (as this computer, without any shared key),
 * then the escrow key. `how` says which one worked, for the log.
 */
export async function openStoreKey(doc: StoreKeyDoc, o: { storeId: string; escrowKey?: string; dpapi?: DpapiNg }): Promise<{ dataKey: string; how: string }> {
  const problems: string[] = []
  if (doc.dpapiNg && o.dpapi) {
    try {
      const key = (await o.dpapi.unprotect(Buffer.from(doc.dpapiNg.blob, 'base64'))).toString('utf8')
      redactor.add(key)
      if (doc.storeId !== o.storeId) throw new Error(`the key document is the key of ${doc.storeId}`)
      return { dataKey: key, how: `DPAPI-NG (${doc.dpapiNg.computers.join(', ')})` }
    } catch (err) {
      problems.push(`DPAPI-NG: ${(err as Error).message}`)
    }
  }
  if (o.escrowKey !== undefined) return { dataKey: await unwrapEscrow(doc, o.escrowKey, o.storeId), how: 'the escrow key' }
  throw new UsmtStepsError('USM0425', `the data key of ${o.storeId} cannot be opened here: ${problems.join('; ') || 'no DPAPI-NG protection for this computer'} and no escrow key (USMTStepsEncryptionKey) is set`, { data: { store: o.storeId } })
}
