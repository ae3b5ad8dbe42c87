/**
 * The digest record beside a portable USMT.MIG (layout.ts MIG_DIGEST_FILE): the SHA-256 of the whole container,
 * computed by the capture from the bytes it wrote (output-file.ts), with the container's size and store id.
 *
 * The release after capture puts the container's SHA-256 into the share's manifest (src/share-store/transfer.ts).
 * With this record it does not read the container a second time to learn it: neither a staged store while it is
 * uploaded (1 GiB: 0.55 s of CPU beside smbclient and smbd on the 2-core VM, bench/smb.mjs) nor a store written on
 * the share directly, back over the network. The manifest then names the bytes the capture made: a container
 * changed on the local disk after the capture no longer matches it, and `store verify --deep` says so. A record that
 * does not match the container beside it (another size, another store id: a USMT.MIG copied over it) or cannot be
 * read is not used: the upload hashes the container as before.
 */
import { closeSync, fsyncSync, openSync, readFileSync, readSync } from 'node:fs'
import * as nodePath from 'node:path'
import { writeAllSync } from '../runtime/write-all.js'
import { hasMigMagic, STORE_ID_AT, STORE_ID_BYTES } from './container-format.js'
import { MIG_DIGEST_FILE, MIG_FILE } from './layout.js'

/** The container's first bytes that bind a record to it: its magic and its store id. */
export const MIG_HEAD_BYTES = STORE_ID_AT + STORE_ID_BYTES

export interface MigDigest {
  format: 'usmt-steps-mig-digest'
  file: typeof MIG_FILE
  size: number
  storeId: string
  sha256: string
}

/** Write the record beside the container at `migPath` and flush it to the disk (the store's commit syncs the folder). */
export function writeMigDigest(migPath: string, d: { size: number; storeId: Buffer; sha256: string }): string {
  const file = nodePath.join(nodePath.dirname(migPath), MIG_DIGEST_FILE)
  const rec: MigDigest = { format: 'usmt-steps-mig-digest', file: MIG_FILE, size: d.size, storeId: d.storeId.toString('hex'), sha256: d.sha256 }
  const fd = openSync(file, 'wx')
  try {
    writeAllSync(fd, `${JSON.stringify(rec)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return file
}

/**
 * The SHA-256 a record (`text`, null when there is none) gives for a container of `size` bytes whose first bytes are
 * `head` (at least its magic and store id; null where they cannot be read cheaply: then size alone binds it), or why
 * it cannot be used: no record, unreadable, or made for another container.
 */
export function checkMigDigest(text: string | null, size: number, head: Buffer | null): { sha256: string } | { unusable: string } {
  if (text === null) return { unusable: `no ${MIG_DIGEST_FILE}` }
  let rec: Partial<MigDigest>
  try {
    rec = JSON.parse(text) as Partial<MigDigest>
  } catch {
    return { unusable: `${MIG_DIGEST_FILE} is unreadable` }
  }
  if (rec === null || typeof rec !== 'object' || rec.format !== 'usmt-steps-mig-digest' || typeof rec.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(rec.sha256) || typeof rec.storeId !== 'string') {
    return { unusable: `${MIG_DIGEST_FILE} is not a digest record` }
  }
  if (rec.size !== size) return { unusable: `${MIG_DIGEST_FILE} is for a container of ${rec.size} bytes, ${MIG_FILE} has ${size}` }
  if (head !== null) {
    if (head.length < MIG_HEAD_BYTES) return { unusable: `${MIG_FILE} is too short for a container` }
    if (!hasMigMagic(head)) return { unusable: `${MIG_FILE} is not a portable container` }
    if (head.toString('hex', STORE_ID_AT, STORE_ID_AT + STORE_ID_BYTES) !== rec.storeId) return { unusable: `${MIG_DIGEST_FILE} is for another container (store id ${rec.storeId})` }
  }
  return { sha256: rec.sha256 }
}

/** checkMigDigest for a local container at `migPath` of `size` bytes, with the record beside it. */
export function readMigDigest(migPath: string, size: number): { sha256: string } | { unusable: string } {
  let text: string | null
  try {
    text = readFileSync(nodePath.join(nodePath.dirname(migPath), MIG_DIGEST_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { unusable: `${MIG_DIGEST_FILE} is unreadable` }
    text = null
  }
  if (text === null) return checkMigDigest(null, size, null)
  const head = Buffer.alloc(MIG_HEAD_BYTES)
  let got: number
  try {
    const fd = openSync(migPath, 'r')
    try {
      got = readSync(fd, head, 0, head.length, 0)
    } finally {
      closeSync(fd)
    }
  } catch {
    return { unusable: `${MIG_FILE} cannot be read` }
  }
  return checkMigDigest(text, size, head.subarray(0, got))
}
