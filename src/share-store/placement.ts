/**
 * Placement of a new store (store request for a capture): the first share of the policy with room takes it,
 * with retries while none has. On a share: enough free space, the store folder by exclusive mkdir (no two
 * requests share a store), then a free client slot by exclusive mkdir (maxClients holds under concurrency),
 * then the record. Thin I/O; the decisions come from decide.ts.
 */
import type { SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { join as winJoin } from '../windows/path.js'
import { freeSlots, newStoreRecord, spaceProblem } from './decide.js'
import { associationsOn, writeRecord } from './on-share.js'
import type { ClaimDoc, ClaimOutcome } from './claims.js'
import { newStoreId, slotName, SLOTS_DIR, type Association, type ComputerIdentity, type StoreRecord } from './records.js'
import { TransportError, type ShareTransport } from './transport.js'

export interface PlacementInput {
  share: SharePolicy
  source: ComputerIdentity
  encrypted: boolean
  estimateBytes?: number
  now: () => Date
  /** Associations on every share (read only when the chosen share holds none for this computer). */
  allAssociations: () => Promise<Association[]>
  log: (line: string) => void
  /** Per-store access: set the new (empty) store folder's permissions and note them in the record, before it is written. */
  beforeRecord?: (t: ShareTransport, share: SharePolicy, rec: StoreRecord) => Promise<void>
}

/** Place a store on one share; null when the share is full. What was created is removed when a later part fails. */
export async function placeStore(t: ShareTransport, o: PlacementInput): Promise<StoreRecord | null> {
  const { share } = o
  const space = await t.space()
  const problem = spaceProblem(share, space, o.estimateBytes)
  if (problem) throw new UsmtStepsError('USM0410', problem)
  await t.ensureDir(SLOTS_DIR)
  const used = new Set((await t.list(SLOTS_DIR)).filter((e) => e.isDirectory).map((e) => Number(e.name)))
  const free = freeSlots(share.maxClients, used)
  if (free.length === 0) return null
  let id = ''
  for (let i = 0; ; i++) {
    id = newStoreId(o.source.computerName, o.now())
    try {
      await t.mkdir(id)
      break
    } catch (err) {
      if (!(err instanceof TransportError && err.kind === 'exists') || i >= 8) throw err
    }
  }
  let slot: number | null = null
  for (const n of free) {
    try {
      await t.mkdir(`${SLOTS_DIR}/${slotName(n)}`)
      slot = n
      break
    } catch (err) {
      if (!(err instanceof TransportError && err.kind === 'exists')) {
        await t.removeDir(id).catch(() => undefined)
        throw err
      }
    }
  }
  if (slot === null) {
    await t.removeDir(id).catch(() => undefined)
    return null
  }
  const me = o.source.computerName
  const association = (await associationsOn(t).catch(() => [] as Association[])).find((a) => a.source === me) ?? (await o.allAssociations()).find((a) => a.source === me)
  const rec = newStoreRecord({ id, share: share.path, path: winJoin(share.path, id), slot, source: o.source, association, encrypted: o.encrypted, now: o.now() })
  try {
    await o.beforeRecord?.(t, share, rec)
    await writeRecord(t, rec)
  } catch (err) {
    await t.removeDir(`${SLOTS_DIR}/${slotName(slot)}`).catch(() => undefined)
    await t.removeTree(id).catch(() => undefined)
    throw err
  }
  o.log(`store ${rec.path} created (slot ${slot} of ${share.maxClients}, ${space.freeBytes} bytes free)`)
  return rec
}

export interface RequestInput extends Omit<PlacementInput, 'share'> {
  shares: readonly SharePolicy[]
  open: (share: SharePolicy) => Promise<ShareTransport>
  /** Turns an authentication failure into its USM04xx error. */
  fail: (err: unknown, share: string, what: string) => never
  attempts: number
  retrySeconds: number
  sleep: (ms: number) => Promise<void>
  /**
   * One winner among concurrent requests of a computer (claims.ts): the claim of each attempt, null when no
   * share is reachable (its problems are added). A lost claim returns the winner's store (`claimedStore`).
   */
  claim?: (problems: string[]) => Promise<ClaimOutcome | null>
  claimedStore?: (claim: ClaimDoc) => Promise<StoreRecord & { reused: true }>
  /** After a share took the store, before the claim is bound to it (the store's own key); a failure tries the next share. */
  afterPlace?: (t: ShareTransport, rec: StoreRecord) => Promise<void>
}

/** Errors that end the request at once instead of trying the next share (no mount, access denied, permissions not set). */
const FATAL = new Set(['USM0417', 'USM0423', 'USM0424'])

/** The first share that takes the store, trying every share per attempt; USM0410 with every share's problem. */
export async function placeOnShares(o: RequestInput): Promise<StoreRecord & { reused?: boolean }> {
  if (o.shares.length === 0) throw new UsmtStepsError('USM0410', 'the policy lists no shares (and UDShare is empty)')
  let last: string[] = []
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    const problems: string[] = []
    let authError: TransportError | undefined
    const claim = o.claim ? await o.claim(problems) : null
    if (claim && !claim.won && o.claimedStore) return o.claimedStore(claim.claim)
    try {
      for (const share of o.shares) {
        try {
          const t = await o.open(share)
          const rec = await placeStore(t, { ...o, share })
          if (rec) {
            if (o.afterPlace) await o.afterPlace(t, rec)
            if (claim?.won) await claim.bind(rec.share, rec.id)
            return rec
          }
          problems.push(`${share.path}: full (maxClients ${share.maxClients} reached)`)
        } catch (err) {
          if (err instanceof UsmtStepsError) {
            if (FATAL.has(err.code)) throw err
            problems.push(`${share.path}: ${err.message}`)
            continue
          }
          if (err instanceof TransportError && err.kind === 'auth') authError = err
          problems.push(`${share.path}: ${(err as Error).message}`)
        }
      }
    } finally {
      // The claim only stays with a store: a failed placement lets the next request (or retry) claim again.
      if (claim?.won) await claim.drop()
    }
    last = problems
    o.log(`store request attempt ${attempt}/${o.attempts} found no share: ${problems.join('; ')}`)
    if (authError && problems.length >= o.shares.length && problems.every((p) => /LOGON_FAILURE|ACCESS_DENIED|credentials|auth/i.test(p))) {
      o.fail(authError, authError.message.split(':')[0], 'log on')
    }
    if (attempt < o.attempts) await o.sleep(o.retrySeconds * 1000)
  }
  throw new UsmtStepsError('USM0410', `no share can take the store after ${o.attempts} attempt(s): ${last.join('; ')}`, { data: { problems: last } })
}
