/**
 * The seal of a file-store catalog (hard-link and mirror stores, issue #20 item 5): HMAC-SHA256 with a secret
 * per-store seal key over every byte of the catalog's body (header, every file line, count, string table and
 * metadata), written as a `seal:hmac-sha256:<hex>` line before the digest line (src/store/catalog.ts). The
 * digest alone proves nothing against someone who can write the store: they rewrite the catalog and recompute
 * it. The seal cannot be recomputed without the key, which never lies in the store: the capture step keeps it in
 * the secret task-sequence variable USMTStepsStoreSealKey, the portable tools read it from `--seal-key-file`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'

/**
 * How a catalog's seal was checked when it was read: `verified` (a seal key was given and the seal matches);
 * `unchecked` (the catalog is sealed but no key was given: only its own digest was checked); `unsealed` (no seal
 * in the catalog and no key: a store captured before catalogs were sealed, or without a key).
 */
export type CatalogSeal = 'verified' | 'unchecked' | 'unsealed'

/** Shortest seal key accepted (the keys usmt-steps makes are 64 hex characters, 256 bits). */
export const SEAL_KEY_MIN_LENGTH = 32

const SEAL_LABEL = Buffer.from('usmt-steps catalog seal v1\n', 'utf8')

/** The text of the seal line (without line breaks). */
export const SEAL_PREFIX = 'seal:hmac-sha256:'

/** A new random seal key (64 hex characters), registered with the redactor. */
export function newSealKey(): string {
  const key = randomBytes(32).toString('hex')
  redactor.add(key)
  return key
}

/** Refuse a seal key that is too short to be a secret (USM0223); registers it with the redactor first. */
export function checkSealKey(key: string, where: string): string {
  redactor.add(key)
  if (key.length < SEAL_KEY_MIN_LENGTH) {
    throw new UsmtStepsError('USM0223', `the seal key in ${where} has ${key.length} characters; a seal key has at least ${SEAL_KEY_MIN_LENGTH}`)
  }
  return key
}

/** A running HMAC over a catalog body, fed chunk by chunk. */
export interface SealHmac {
  update(chunk: Buffer | string): void
  /** The seal (hex). */
  digest(): string
}

export function sealHmac(key: string): SealHmac {
  const h = createHmac('sha256', Buffer.from(key, 'utf8')).update(SEAL_LABEL)
  return {
    update: (chunk) => { h.update(chunk) },
    digest: () => h.digest('hex'),
  }
}

/** The seal of a whole catalog body. */
export function sealOf(key: string, body: Buffer | string): string {
  const h = sealHmac(key)
  h.update(body)
  return h.digest()
}

/** Whether `seal` (hex, from the catalog) is the seal of `body` under `key` (constant time). */
export function sealMatches(key: string, body: Buffer, seal: string): boolean {
  const want = Buffer.from(sealOf(key, body), 'hex')
  const got = Buffer.from(seal, 'hex')
  return got.length === want.length && timingSafeEqual(got, want)
}

/**
 * The seal key in `file` (`--seal-key-file`): the file's text without a trailing line break. With `create`
 * (scanstate) a file that does not exist is created with a new random key (mode 0600, never over an existing
 * file). An unreadable, empty or short key is USM0223.
 */
export function readSealKeyFile(file: string, opts: { create?: boolean } = {}): { key: string; created: boolean } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (opts.create && code === 'ENOENT') {
      const key = newSealKey()
      try {
        writeFileSync(file, `${key}\n`, { encoding: 'utf8', mode: 0o600, flag: 'wx' })
      } catch (err2) {
        throw new UsmtStepsError('USM0223', `cannot create the seal key file ${file}: ${(err2 as NodeJS.ErrnoException).code ?? (err2 as Error).message}`, { cause: err2 })
      }
      return { key, created: true }
    }
    throw new UsmtStepsError('USM0223', `cannot read the seal key file ${file}: ${code ?? (err as Error).message}`, { cause: err })
  }
  const key = text.replace(/^\uFEFF/, '').replace(/\r?\n$/, '')
  return { key: checkSealKey(key, file), created: false }
}
