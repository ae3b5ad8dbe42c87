/**
 * Key handling for encrypted stores: the key text (from /key or /keyfile) is stretched with scrypt
 * (default) or PBKDF2-SHA256 and a random per-store salt into two 256-bit keys: one for AES-256-GCM, one
 * for HMAC-SHA256 (the key check and the catalog digest).
 */
import { createHmac, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { redactor } from '../runtime/redact.js'
import { UsmtStepsError } from '../runtime/errors.js'

export type KdfName = 'scrypt' | 'pbkdf2'

export interface KdfParams {
  kdf: KdfName
  salt: Buffer
  /** scrypt cost as log2(N). */
  scryptLogN: number
  scryptR: number
  scryptP: number
  pbkdf2Iterations: number
}

export interface StoreKeys {
  encKey: Buffer
  macKey: Buffer
}

export const DEFAULT_SCRYPT = { logN: 15, r: 8, p: 1 }
export const DEFAULT_PBKDF2_ITERATIONS = 600_000

export function newKdfParams(kdf: KdfName = 'scrypt'): KdfParams {
  return {
    kdf, salt: randomBytes(32), scryptLogN: DEFAULT_SCRYPT.logN, scryptR: DEFAULT_SCRYPT.r, scryptP: DEFAULT_SCRYPT.p,
    pbkdf2Iterations: DEFAULT_PBKDF2_ITERATIONS,
  }
}

export async function deriveKeys(secret: string, p: KdfParams): Promise<StoreKeys> {
  const password = Buffer.from(secret, 'utf8')
  const out = await new Promise<Buffer>((resolve, reject) => {
    if (p.kdf === 'scrypt') {
      const N = 2 ** p.scryptLogN
      scrypt(password, p.salt, 64, { N, r: p.scryptR, p: p.scryptP, maxmem: 256 * N * p.scryptR + 16 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)))
    } else {
      pbkdf2(password, p.salt, p.pbkdf2Iterations, 64, 'sha256', (err, key) => (err ? reject(err) : resolve(key)))
    }
  })
  return { encKey: out.subarray(0, 32), macKey: out.subarray(32, 64) }
}

const KEY_CHECK_LABEL = Buffer.from('usmt-steps key check v1', 'utf8')

export function keyCheck(keys: StoreKeys, storeId: Buffer): Buffer {
  return createHmac('sha256', keys.macKey).update(KEY_CHECK_LABEL).update(storeId).digest()
}

export function equalDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The key text of /key or /keyfile. A key file holds the key as text; a trailing line break is not part
 * of the key. The key is registered with the redactor before anything else happens to it.
 */
export async function readStoreKey(opts: { key?: string; keyFile?: string }): Promise<string | undefined> {
  if (opts.key !== undefined) {
    redactor.add(opts.key)
    if (opts.key.length === 0) throw new UsmtStepsError('USM0219', 'the /key value is empty')
    return opts.key
  }
  if (opts.keyFile === undefined) return undefined
  let text: string
  try {
    text = await readFile(opts.keyFile, 'utf8')
  } catch (err) {
    throw new UsmtStepsError('USM0219', `cannot read the key file ${opts.keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
  const key = text.replace(/^\uFEFF/, '').replace(/\r?\n$/, '')
  redactor.add(key)
  if (key.length === 0) throw new UsmtStepsError('USM0219', `the key file ${opts.keyFile} is empty`)
  return key
}
