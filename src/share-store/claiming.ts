/**
 * The computer's claim across the policy's shares (one claim document per computer: claims.ts): taken on the
 * first reachable share before a capture store is placed, followed to the winner's store when another request
 * holds it, and released from every share after the capture (or when prune deletes an abandoned store).
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { claimComputer, releaseClaim, type ClaimDoc, type ClaimOutcome } from './claims.js'
import type { StoreRecord } from './records.js'
import type { StoreScope } from './scope.js'
import type { ShareTransport } from './transport.js'

/** How long a concurrent request of the same computer waits for the winner's store by default (ms). */
const CLAIM_WAIT_MS = 300_000
/** A claim without a store this long (a request that died half-way) is taken over. */
const CLAIM_STALE_MS = 600_000

/** The computer's claim on the first reachable share of the policy (null when none is reachable: placement then fails too). */
export async function claimOnFirstShare(s: StoreScope, problems: string[]): Promise<ClaimOutcome | null> {
  const me = s.me
  for (const share of s.shares) {
    let t: ShareTransport
    try {
      t = await s.open(share)
      return await claimComputer(t, {
        computer: me, now: s.now, sleep: s.sleep, log: s.log,
        waitMs: s.opts.claimWaitMs ?? CLAIM_WAIT_MS, staleMs: CLAIM_STALE_MS,
        stillRequested: async (c) => {
          const owner = s.shares.find((x) => x.path.toLowerCase() === c.share.toLowerCase())
          if (!owner) return false
          try {
            const rec = await s.readRecord(await s.open(owner), c.storeId)
            return rec !== null && rec.state === 'requested' && rec.source.computerName === me
          } catch {
            return true // unreadable now: never risk a second store; claimedStore reports the problem
          }
        },
      })
    } catch (err) {
      if (err instanceof UsmtStepsError) throw err
      problems.push(`${share.path}: ${(err as Error).message}`)
    }
  }
  return null
}

/** The store a concurrent (or repeated) request of this computer placed. */
export async function claimedStore(s: StoreScope, claim: ClaimDoc): Promise<StoreRecord & { reused: true }> {
  const share = s.shares.find((x) => x.path.toLowerCase() === claim.share.toLowerCase())
  if (!share) throw new UsmtStepsError('USM0422', `${claim.computer} is claimed for the store ${claim.share}\\${claim.storeId}, which is not on the policy's shares`, { data: { computer: claim.computer, share: claim.share } })
  const t = await s.open(share).catch((err) => s.fail(err, share.path, 'open the share'))
  const rec = await s.readRecord(t, claim.storeId).catch((err) => s.fail(err, share.path, 'read the store record'))
  if (!rec) throw new UsmtStepsError('USM0422', `${claim.computer} is claimed for ${claim.share}\\${claim.storeId}, which has no record yet`, { data: { computer: claim.computer, share: claim.share } })
  s.log(`store ${rec.path} was already requested for ${claim.computer} (${claim.claimedAt}): this request gets the same store, no second store or client slot`)
  return { ...rec, reused: true }
}

/** After capture: let the computer's next capture request create a new store (the claim may be on any share). */
export async function releaseClaims(s: StoreScope, computer: string, storeId: string): Promise<void> {
  for (const share of s.shares) {
    try {
      await releaseClaim(await s.open(share), computer, storeId)
    } catch (err) {
      s.log(`claim of ${computer} on ${share.path} not released: ${(err as Error).message}`)
    }
  }
}
