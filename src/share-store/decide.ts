/**
 * The decisions of the share stores, as pure functions (no I/O): which share a store path lies on, whether
 * a share has room, which client slots are free, the record of a new store, which store a computer restores
 * (and which stores it is denied), what a release after restore writes, what retention deletes, and how an
 * upload compares with its manifest.
 */
import type { Policy, SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { hasMigMagic } from '../store/container-format.js'
import { MIG_FILE, USMT_DIR } from '../store/layout.js'
import { isUnder, normalize, parseWinPath } from '../windows/path.js'
import type { Association, ComputerIdentity, ManifestEntry, StoreEvent, StoreRecord } from './records.js'
import { isStoreId, STORE_SCHEMA, storeIdName } from './records.js'

export const DAY_MS = 86_400_000
/** A client slot without a live store is freed by prune after this long (a request that died half-way). */
export const STALE_SLOT_MS = 3_600_000

export function iso(d: Date): string {
  return d.toISOString()
}

/** The share a store path (OSDStateStorePath) lies on and the store's id; USM0418 when it names no store there. */
export function storeOnShares(storePath: string, shares: readonly SharePolicy[]): { share: SharePolicy; id: string } {
  const p = normalize(storePath)
  for (const share of shares) {
    if (isUnder(p, share.path)) {
      const rest = parseWinPath(p).segments.slice(parseWinPath(share.path).segments.length)
      if (rest.length === 1 && isStoreId(rest[0])) return { share, id: rest[0] }
    }
  }
  throw new UsmtStepsError('USM0418', `${storePath} is not a store on the policy's shares (${shares.map((s) => s.path).join(', ') || 'none'})`, { data: { storePath } })
}

/** The free space a share must have before a store is placed on it; a problem text when it has less. */
export function spaceProblem(share: SharePolicy, space: { totalBytes: number; freeBytes: number }, estimateBytes: number | undefined): string | null {
  const minFree = Math.max(share.minFreeBytes, share.minFreePercent !== undefined ? Math.ceil(space.totalBytes * share.minFreePercent / 100) : 0)
  const need = minFree + (estimateBytes ?? 0)
  if (space.freeBytes >= need) return null
  return `only ${space.freeBytes} bytes free, ${need} needed (minFree ${minFree}${estimateBytes ? ` + estimate ${estimateBytes}` : ''})`
}

/** The client slots not in use, in random order (so that concurrent requests rarely race for the same one). */
export function freeSlots(maxClients: number, used: ReadonlySet<number>, random: () => number = Math.random): number[] {
  const free = Array.from({ length: maxClients }, (_, i) => i).filter((i) => !used.has(i))
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [free[i], free[j]] = [free[j], free[i]]
  }
  return free
}

export function storeEvent(event: StoreEvent['event'], computer: string, now: Date, detail?: string): StoreEvent {
  return { at: iso(now), event, computer, ...(detail ? { detail } : {}) }
}

/** The record of a store just created on a share (state requested). */
export function newStoreRecord(o: {
  id: string; share: string; path: string; slot: number; source: ComputerIdentity; association: Association | undefined; encrypted: boolean; now: Date
}): StoreRecord {
  const now = iso(o.now)
  return {
    schema: STORE_SCHEMA, id: o.id, share: o.share, path: o.path, slot: o.slot, state: 'requested', source: o.source,
    destination: o.association?.destination ?? null, association: o.association?.id ?? null, users: o.association?.users ?? [], encrypted: o.encrypted,
    createdAt: now, capturedAt: null, restoredAt: null, retainUntil: null, manifest: null, history: [storeEvent('requested', o.source.computerName, o.now)],
  }
}

export type RestoreChoice<T> =
  | { kind: 'captured'; store: T; association: Association | null }
  | { kind: 'pending'; store: T; association: Association | null }
  | { kind: 'none'; association: Association | null }

/**
 * The store `me` restores: the newest association naming it as destination decides the source computer
 * (else it restores its own store, a refresh); of that source's stores (or stores meant for `me`), the
 * newest captured one. A newer store that was requested but never captured is reported, never restored.
 */
export function chooseRestoreStore<T extends { rec: StoreRecord }>(me: string, found: readonly T[], associations: readonly Association[]): RestoreChoice<T> {
  const association = associations.filter((a) => a.destination === me).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null
  const sources = association ? [association.source] : [me]
  const mine = found.filter(({ rec }) => sources.includes(rec.source.computerName) || rec.destination === me)
    .sort((a, b) => b.rec.createdAt.localeCompare(a.rec.createdAt))
  const captured = mine.find(({ rec }) => rec.state === 'captured')
  if (captured) return { kind: 'captured', store: captured, association }
  const pending = mine.find(({ rec }) => rec.state === 'requested')
  return pending ? { kind: 'pending', store: pending, association } : { kind: 'none', association }
}

/**
 * Per-store access: of the stores this computer may not read, those of the restore's source computers (by their
 * ids). A restore that finds no captured store names these (USM0423) instead of reporting "no store".
 */
export function deniedStoresOf<D extends { id: string }>(denied: readonly D[], sources: readonly string[]): D[] {
  return denied.filter((d) => sources.some((src) => d.id.startsWith(`${storeIdName(src)}-`)))
}

/** The record after capture: the manifest's totals and the captured event. */
export function capturedRecord(rec: StoreRecord, entries: readonly ManifestEntry[], computer: string, now: Date): StoreRecord {
  return {
    ...rec, state: 'captured', capturedAt: iso(now),
    manifest: { files: entries.length, bytes: entries.reduce((a, e) => a + e.size, 0) }, history: [...rec.history, storeEvent('captured', computer, now)],
  }
}

/** The record after restore: the slot is given back and retention starts. */
export function restoredRecord(rec: StoreRecord, retention: Policy['retention'], computer: string, now: Date, logs: readonly string[]): StoreRecord {
  return {
    ...rec, state: 'restored', restoredAt: iso(now), retainUntil: iso(new Date(now.getTime() + retention.restoredDays * DAY_MS)),
    slot: null, history: [...rec.history, storeEvent('restored', computer, now, logs.length ? `restore logs: ${logs.join(', ')}` : undefined)],
  }
}

/** Why retention deletes a store now, or null to keep it. */
export function pruneReason(rec: StoreRecord, retention: Policy['retention'], nowMs: number): string | null {
  let reason: string | null = null
  if (rec.state === 'restored' && rec.retainUntil && Date.parse(rec.retainUntil) <= nowMs) reason = `restored ${rec.restoredAt}, retained until ${rec.retainUntil}`
  if (rec.state === 'requested' && Date.parse(rec.createdAt) + retention.abandonedDays * DAY_MS <= nowMs) {
    reason = `requested ${rec.createdAt} and never captured (abandoned after ${retention.abandonedDays} days)`
  }
  return reason
}

/** Slot folders that no live store holds and that are older than an hour. */
export function staleSlots<E extends { name: string; isDirectory: boolean; mtimeMs: number }>(slots: readonly E[], live: ReadonlySet<number>, nowMs: number): E[] {
  return slots.filter((s) => s.isDirectory && !live.has(Number(s.name)) && nowMs - s.mtimeMs > STALE_SLOT_MS)
}

/** What the share holds against what the manifest lists (by path, case-insensitively, and size). */
export function compareWithManifest(manifest: readonly ManifestEntry[], remote: ReadonlyArray<{ path: string; size: number }>): string[] {
  const byPath = new Map(remote.map((r) => [r.path.toLowerCase(), r]))
  const problems: string[] = []
  for (const e of manifest) {
    const r = byPath.get(e.path.toLowerCase())
    if (!r) problems.push(`${e.path} is missing`)
    else if (r.size !== e.size) problems.push(`${e.path} has ${r.size} bytes, expected ${e.size}`)
  }
  return problems
}

/**
 * Whether the restore authenticates a downloaded store file as it reads it, so that the download checks its size
 * and leaves its content to the restore instead of reading it a second time: the portable tools' compressed store
 * (`USMT/USMT.MIG` beginning with the container's magic; `head` is the file's first bytes). loadstate checks every
 * frame (GCM tag or stored SHA-256), the catalog's digest or seal, and every file's content SHA-256, and fails a
 * damaged file with USM0212. Anything else — Microsoft's USMT.MIG, a mirror store's files, XML, logs — is hashed
 * against the manifest after it arrives.
 */
export function authenticatedOnRead(path: string, head: Buffer): boolean {
  return isStoreContainer(path) && hasMigMagic(head)
}

/** Whether a store file (`USMT/USMT.MIG`, any case) is the store's compressed file, the portable tools' or Microsoft's. */
export function isStoreContainer(path: string): boolean {
  return path.toLowerCase() === `${USMT_DIR}/${MIG_FILE}`.toLowerCase()
}

/** Every folder the files (`a/b/c.txt`) need, parents first, each below `prefix`. */
export function foldersOf(files: readonly string[], prefix: string): string[] {
  const dirs = new Set<string>()
  for (const f of files) {
    const parts = f.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) dirs.add(`${prefix}${parts.slice(0, i).join('/')}`)
  }
  return [...dirs].sort()
}
