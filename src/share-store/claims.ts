/**
 * One store per computer and request (issue #20 item 10). Before a capture store is placed, the requesting
 * computer claims its name on the first reachable share of the policy: an exclusive mkdir of
 * `.usmt-steps/claims/<COMPUTER>` (SMB CREATE with FILE_CREATE, atomic on the server). Exactly one concurrent
 * request wins and places the store; it then writes `claim.json` (the store's share and id) into the claim.
 * Every other request for the same computer finds the claim and returns the winner's store (the same store,
 * as a state migration point answers the same computer's repeated request), or — when the winner has not
 * finished within the wait — fails with USM0422 ("in progress"), never creating a second store or slot.
 * Release after capture removes the claim, so the next capture of that computer gets a new store.
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { META_DIR, normalizeComputer, parseJsonDoc, STORE_SCHEMA } from './records.js'
import { TransportError, type ShareTransport } from './transport.js'

export const CLAIMS_DIR = `${META_DIR}/claims`
export const CLAIM_FILE = 'claim.json'

export interface ClaimDoc {
  schema: number
  computer: string
  /** UNC of the share holding the store (it may differ from the share holding the claim). */
  share: string
  storeId: string
  claimedAt: string
}

export function claimDir(computer: string): string {
  return `${CLAIMS_DIR}/${normalizeComputer(computer).replace(/[^A-Z0-9._-]/g, '-')}`
}

export type ClaimOutcome =
  | { won: true; bind: (share: string, storeId: string) => Promise<void>; drop: () => Promise<void> }
  | { won: false; claim: ClaimDoc }

export interface ClaimOptions {
  computer: string
  now: () => Date
  sleep: (ms: number) => Promise<void>
  log: (line: string) => void
  /** How long a loser waits for the winner's claim.json before USM0422 (ms). */
  waitMs: number
  /** A claim without claim.json older than this is left over from a crashed request and is taken over (ms). */
  staleMs: number
  /** Is the claimed store still waiting for its capture? false → the claim is stale and is replaced. */
  stillRequested: (claim: ClaimDoc) => Promise<boolean>
}

async function readClaim(t: ShareTransport, dir: string): Promise<ClaimDoc | null> {
  const text = await t.readText(`${dir}/${CLAIM_FILE}`)
  if (text === null) return null
  try {
    return parseJsonDoc<ClaimDoc>(text, `${t.root}\\${dir}\\${CLAIM_FILE}`)
  } catch {
    return null
  }
}

/** Move a stale claim out of the way (rename is atomic: of two requests judging it stale only one moves it). */
async function retire(t: ShareTransport, dir: string, now: Date): Promise<void> {
  const aside = `${dir}.retired-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  try {
    await t.rename(dir, aside)
  } catch (err) {
    if (err instanceof TransportError && err.kind === 'notFound') return
    throw err
  }
  await t.removeTree(aside).catch(() => undefined)
}

/** Claim `computer` on the share of `t`; see the module comment. */
export async function claimComputer(t: ShareTransport, o: ClaimOptions): Promise<ClaimOutcome> {
  const dir = claimDir(o.computer)
  for (let round = 0; round < 4; round++) {
    try {
      try {
        await t.mkdir(dir)
      } catch (err) {
        if (!(err instanceof TransportError && err.kind === 'notFound')) throw err
        await t.ensureDir(CLAIMS_DIR)
        await t.mkdir(dir)
      }
      let bound = false
      return {
        won: true,
        bind: async (share, storeId) => {
          const doc: ClaimDoc = { schema: STORE_SCHEMA, computer: normalizeComputer(o.computer), share, storeId, claimedAt: o.now().toISOString() }
          await t.writeText(`${dir}/${CLAIM_FILE}`, `${JSON.stringify(doc, null, 2)}\n`)
          bound = true
        },
        drop: async () => {
          if (!bound) await t.removeTree(dir).catch(() => undefined)
        },
      }
    } catch (err) {
      if (!(err instanceof TransportError && err.kind === 'exists')) throw err
    }
    // Somebody holds the claim: wait for its claim.json (the winner writes it right after the store record).
    // Polling is kept light (one read every 1–4 s, the claim folder itself every fourth round): the winner is
    // placing its store on the same server meanwhile.
    const started = o.now().getTime()
    let delay = 1000
    let retake = false
    for (let poll = 0; !retake; poll++) {
      const claim = await readClaim(t, dir)
      if (claim) {
        if (await o.stillRequested(claim)) return { won: false, claim }
        o.log(`the claim of ${o.computer} names ${claim.share}\\${claim.storeId}, which is no longer waiting for a capture: replacing it`)
        await retire(t, dir, o.now())
        break
      }
      const timedOut = o.now().getTime() - started >= o.waitMs
      if (poll % 4 === 0 || timedOut) {
        const entry = await t.stat(dir)
        if (!entry) break // dropped meanwhile (the other request failed): claim again
        if (o.now().getTime() - entry.mtimeMs > o.staleMs) {
          o.log(`the claim of ${o.computer} on ${t.root} has no store since ${new Date(entry.mtimeMs).toISOString()}: taking it over`)
          await retire(t, dir, o.now())
          retake = true
          continue
        }
        if (timedOut) {
          throw new UsmtStepsError('USM0422', `another store request for ${normalizeComputer(o.computer)} is in progress on ${t.root} (claimed ${new Date(entry.mtimeMs).toISOString()}) and has not placed its store after ${Math.round(o.waitMs / 1000)} s; no second store was created`, {
            data: { computer: normalizeComputer(o.computer), share: t.root },
          })
        }
      }
      await o.sleep(delay)
      delay = Math.min(Math.round(delay * 1.5), 4000)
    }
  }
  throw new UsmtStepsError('USM0422', `the claim of ${normalizeComputer(o.computer)} on ${t.root} kept changing while it was read; no store was created`, { data: { computer: normalizeComputer(o.computer), share: t.root } })
}

/** Remove the claim of `computer` (release after capture; prune of its store). Absent is fine. */
export async function releaseClaim(t: ShareTransport, computer: string, storeId?: string): Promise<void> {
  const dir = claimDir(computer)
  if (storeId) {
    const claim = await readClaim(t, dir).catch(() => null)
    if (claim && claim.storeId !== storeId) return
  }
  await t.removeTree(dir).catch(() => undefined)
}
