/**
 * The store's audit journal on the share: `.usmt-steps/events/<store id>/<time>_<event>_<COMPUTER>.json`, one
 * small file per event, created and never changed. With per-store access the restoring computer can only read
 * the store (the record in it is the capturing computer's), so what it does — reading the store, releasing it,
 * withdrawing its own access — is recorded here; readers merge it into the record's history (`withJournal`).
 * The name carries the event (time, kind, computer), the content the same with its detail.
 */
import { randomBytes } from 'node:crypto'
import { META_DIR, parseJsonDoc, STORE_SCHEMA, type StoreEvent, type StoreRecord } from './records.js'
import { TransportError, type ShareTransport } from './transport.js'

export const EVENTS_DIR = `${META_DIR}/events`

const NAME = /^(\d{8}T\d{9}Z)_([a-z-]+)_([A-Z0-9._-]+)_[0-9a-f]{6}\.json$/

function stamp(iso: string): string {
  return iso.replace(/[-:.]/g, '')
}

function unstamp(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`
}

export function eventFileName(ev: StoreEvent): string {
  return `${stamp(ev.at)}_${ev.event}_${ev.computer.replace(/[^A-Z0-9._-]/gi, '-').toUpperCase()}_${randomBytes(3).toString('hex')}.json`
}

export function parseEventFileName(name: string): StoreEvent | null {
  const m = NAME.exec(name)
  return m ? { at: unstamp(m[1]), event: m[2] as StoreEvent['event'], computer: m[3] } : null
}

export async function writeEvent(t: ShareTransport, storeId: string, ev: StoreEvent): Promise<void> {
  const dir = `${EVENTS_DIR}/${storeId}`
  const file = `${dir}/${eventFileName(ev)}`
  const text = `${JSON.stringify({ schema: STORE_SCHEMA, storeId, ...ev }, null, 2)}\n`
  try {
    await t.writeText(file, text)
  } catch (err) {
    if (!(err instanceof TransportError && err.kind === 'notFound')) throw err
    await t.ensureDir(dir)
    await t.writeText(file, text)
  }
}

/** The events of one store, with their detail. */
export async function eventsOf(t: ShareTransport, storeId: string): Promise<StoreEvent[]> {
  let entries
  try {
    entries = await t.list(`${EVENTS_DIR}/${storeId}`)
  } catch (err) {
    if (err instanceof TransportError && err.kind === 'notFound') return []
    throw err
  }
  const out: StoreEvent[] = []
  for (const e of entries) {
    const ev = e.isDirectory ? null : parseEventFileName(e.name)
    if (!ev) continue
    const text = await t.readText(`${EVENTS_DIR}/${storeId}/${e.name}`).catch(() => null)
    let detail: string | undefined
    try {
      detail = text ? parseJsonDoc<StoreEvent & { schema: number }>(text, e.name).detail : undefined
    } catch {
      detail = undefined
    }
    out.push(detail ? { ...ev, detail } : ev)
  }
  return out.sort((a, b) => a.at.localeCompare(b.at))
}

/** The events of every store on the share, from one recursive listing (names only: no detail). */
export async function eventsOn(t: ShareTransport): Promise<Map<string, StoreEvent[]>> {
  const out = new Map<string, StoreEvent[]>()
  let files
  try {
    files = await t.listTree(EVENTS_DIR)
  } catch (err) {
    if (err instanceof TransportError && err.kind === 'notFound') return out
    throw err
  }
  for (const f of files) {
    const [id, name, ...rest] = f.path.split('/')
    if (!name || rest.length) continue
    const ev = parseEventFileName(name)
    if (!ev) continue
    out.set(id, [...out.get(id) ?? [], ev])
  }
  return out
}

/** The record with the journal's events merged: a 'restored' event makes a captured store restored. */
export function withJournal(rec: StoreRecord, events: readonly StoreEvent[], restoredDays: number): StoreRecord {
  if (events.length === 0) return rec
  const history = [...rec.history, ...events].sort((a, b) => a.at.localeCompare(b.at))
  const restored = events.find((e) => e.event === 'restored')
  if (restored && rec.state === 'captured') {
    const access = rec.access ? { phase: 'restored' as const, since: restored.at, grants: rec.access.grants.filter((g) => g.role === 'admins') } : undefined
    return {
      ...rec, history, state: 'restored', restoredAt: restored.at, slot: null,
      retainUntil: new Date(Date.parse(restored.at) + restoredDays * 86_400_000).toISOString(), ...(access ? { access } : {}),
    }
  }
  return { ...rec, history }
}
