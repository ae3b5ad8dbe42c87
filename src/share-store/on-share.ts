/**
 * The documents a share holds, read and written through a ShareTransport: store records, computer
 * associations, the listing of `store list`, and the retention sweep of one share. Thin I/O: the decisions
 * come from decide.ts.
 */
import type { Policy, SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { pruneReason, staleSlots } from './decide.js'
import { eventsOn, withJournal } from './journal.js'
import { ASSOCIATIONS_DIR, isStoreId, parseJsonDoc, RECORD_FILE, slotName, SLOTS_DIR, type Association, type StoreEvent, type StoreRecord } from './records.js'
import { mapLimit } from './transfer.js'
import { TransportError, type ShareTransport } from './transport.js'

export async function readRecord(t: ShareTransport, id: string): Promise<StoreRecord | null> {
  const text = await t.readText(`${id}/${RECORD_FILE}`)
  if (text === null) return null
  try {
    return parseJsonDoc<StoreRecord>(text, `${t.root}\\${id}\\${RECORD_FILE}`)
  } catch (err) {
    throw new UsmtStepsError('USM0415', `the store record ${t.root}\\${id}\\${RECORD_FILE} is unreadable: ${(err as Error).message}`, { cause: err })
  }
}

export async function writeRecord(t: ShareTransport, rec: StoreRecord): Promise<void> {
  await t.writeText(`${rec.id}/${RECORD_FILE}`, `${JSON.stringify(rec, null, 2)}\n`)
}

export interface StoresOnOptions {
  /** Per-store access: the events of the share's journal are applied to each record (restoredDays: retention). */
  journal?: { restoredDays: number }
  /** Collects the ids of the stores this computer may not read (per-store access). */
  denied?: string[]
}

/** The readable store records of a share (an unreadable one is left out). */
export async function storesOn(t: ShareTransport, o: StoresOnOptions = {}): Promise<StoreRecord[]> {
  const entries = await t.list('')
  const ids = entries.filter((e) => e.isDirectory && isStoreId(e.name)).map((e) => e.name)
  const journal = o.journal ? await eventsOn(t).catch(() => new Map<string, StoreEvent[]>()) : new Map<string, StoreEvent[]>()
  const recs = await mapLimit(ids, 4, (id) => readRecord(t, id).catch((err) => {
    if (err instanceof TransportError && err.kind === 'denied') o.denied?.push(id)
    return null
  }))
  return recs.filter((r): r is StoreRecord => r !== null).map((r) => withJournal(r, journal.get(r.id) ?? [], o.journal?.restoredDays ?? 0))
}

export async function associationsOn(t: ShareTransport): Promise<Association[]> {
  let entries
  try {
    entries = await t.list(ASSOCIATIONS_DIR)
  } catch (err) {
    if (err instanceof TransportError && err.kind === 'notFound') return []
    throw err
  }
  const files = entries.filter((e) => !e.isDirectory && e.name.endsWith('.json'))
  const docs = await mapLimit(files, 4, async (f) => {
    const text = await t.readText(`${ASSOCIATIONS_DIR}/${f.name}`)
    try {
      return text === null ? null : parseJsonDoc<Association>(text, f.name)
    } catch {
      return null
    }
  })
  return docs.filter((a): a is Association => a !== null)
}

export async function writeAssociation(t: ShareTransport, assoc: Association): Promise<void> {
  await t.ensureDir(ASSOCIATIONS_DIR)
  await t.writeText(`${ASSOCIATIONS_DIR}/${assoc.id}.json`, `${JSON.stringify(assoc, null, 2)}\n`)
}

export interface ShareListing {
  share: string
  reachable: boolean
  error?: string
  space?: { totalBytes: number; freeBytes: number }
  slotsUsed?: number
  maxClients: number
  stores: StoreRecord[]
  associations: Association[]
}

/** What `store list` shows of a reachable share. */
export async function shareListing(t: ShareTransport, share: SharePolicy, o: StoresOnOptions = {}): Promise<ShareListing> {
  const [space, stores, associations, slots] = [await t.space(), await storesOn(t, o), await associationsOn(t), await t.list(SLOTS_DIR).catch(() => [])]
  return { share: share.path, reachable: true, space, slotsUsed: slots.filter((s) => s.isDirectory).length, maxClients: share.maxClients, stores, associations }
}

export interface PruneResult {
  deleted: Array<{ store: string; reason: string }>
  kept: number
  slotsFreed: number
  dryRun: boolean
}

export interface PruneOptions extends StoresOnOptions {
  /** After a store was deleted (its journal, the computer's claim). */
  afterDelete?: (rec: StoreRecord) => Promise<void>
}

/** Retention on one share: delete what pruneReason names (unless dryRun) and free stale client slots. */
export async function pruneShare(t: ShareTransport, retention: Policy['retention'], nowMs: number, dryRun: boolean, tally: PruneResult, o: PruneOptions = {}): Promise<void> {
  const live = new Set<number>()
  for (const rec of await storesOn(t, o)) {
    const reason = pruneReason(rec, retention, nowMs)
    if (!reason) {
      tally.kept++
      if (rec.slot !== null) live.add(rec.slot)
      continue
    }
    tally.deleted.push({ store: rec.path, reason })
    if (!dryRun) {
      await t.removeTree(rec.id)
      if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
      await o.afterDelete?.(rec)
    }
  }
  for (const s of staleSlots(await t.list(SLOTS_DIR).catch(() => []), live, nowMs)) {
    tally.slotsFreed++
    if (!dryRun) await t.removeDir(`${SLOTS_DIR}/${s.name}`).catch(() => undefined)
  }
}
