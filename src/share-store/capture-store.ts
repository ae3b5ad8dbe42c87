/**
 * The share store's part in a capture: `store request` (claim the computer, place the store, set its
 * permissions before the record is written, give an encrypted store its own key) and `store release` after
 * capture (upload the staged store, write the SHA-256 manifest, mark the record captured, hand read access to
 * the restoring computer, release the claim).
 */
import type { SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { claimedStore, claimOnFirstShare, releaseClaims } from './claiming.js'
import { capturedRecord, iso } from './decide.js'
import { writeRecord } from './on-share.js'
import { placeOnShares } from './placement.js'
import { MANIFEST_FILE, STORE_SCHEMA, type Manifest, type StoreRecord } from './records.js'
import type { StoreScope } from './scope.js'
import { createStoreKey, type StoreKeyOptions } from './store-keys.js'
import { captureManifest } from './transfer.js'
import type { ShareTransport } from './transport.js'

/**
 * Request (capture): claim this computer (one winner among concurrent requests, see claims.ts), pick a share,
 * create the store atomically, claim a client slot, write the record. Retries. A request that finds the
 * computer already claimed returns the claimed store instead of creating a second one.
 */
export function requestCapture(s: StoreScope, opts: { encrypted: boolean; key?: StoreKeyOptions }): Promise<StoreRecord & { reused?: boolean }> {
  const key = opts.encrypted ? opts.key : undefined
  return placeOnShares({
    shares: s.shares, open: (share) => s.open(share), fail: (err, share, what) => s.fail(err, share, what), log: s.log, sleep: s.sleep, now: s.now,
    attempts: (s.opts.retryCount ?? 0) + 1, retrySeconds: s.opts.retrySeconds ?? 0,
    source: s.opts.computer, encrypted: opts.encrypted, estimateBytes: s.opts.estimateBytes, allAssociations: () => s.associations(),
    claim: (problems) => claimOnFirstShare(s, problems), claimedStore: (claim) => claimedStore(s, claim),
    beforeRecord: s.access ? (t, share, rec) => protectNewStore(s, t, share, rec) : undefined,
    // A key of its own for an encrypted store, next to it before any other request can see the store.
    afterPlace: key ? (t, rec) => createStoreKey(s, t, rec, key) : undefined,
  })
}

/**
 * Per-store access: the empty folder gets its own protected ACL (capturing computer: write; admins: full
 * control) before anything is written into it, so every file of the store inherits it.
 */
async function protectNewStore(s: StoreScope, t: ShareTransport, share: SharePolicy, rec: StoreRecord): Promise<void> {
  const control = s.access as NonNullable<StoreScope['access']>
  const { access, detail } = control.describe(rec, 'requested', rec.createdAt)
  await control.apply(t, share, rec, 'requested')
  rec.access = access
  rec.history.push(s.event('access', detail))
}

/** Release (capture): upload the staged store (if any), write the manifest, verify sizes, mark captured. */
export async function releaseCapture(s: StoreScope, storePath: string, opts: { localPath?: string } = {}): Promise<StoreRecord> {
  const { share, id } = s.shareOfStore(storePath)
  let t: ShareTransport
  try {
    t = await s.open(share)
  } catch (err) {
    return s.fail(err, share.path, 'open the share')
  }
  const rec = await s.readRecord(t, id).catch((err) => s.fail(err, share.path, 'read the store record', storePath))
  if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`, { data: { storePath } })
  if (rec.state === 'captured') {
    // A release run again after the record was written but before the permissions were: finish them.
    if (s.access && !(await s.access.isApplied(share, rec, 'captured'))) await s.access.apply(t, share, rec, 'captured')
    s.log(`${rec.path} is already captured: nothing to do`)
    return rec
  }
  if (rec.state !== 'requested') throw new UsmtStepsError('USM0416', `${rec.path} is ${rec.state}; only a requested store can be released after capture`, { data: { state: rec.state } })
  try {
    const entries = await captureManifest(t, rec, opts.localPath, s.log)
    const manifest: Manifest = { schema: STORE_SCHEMA, storeId: id, createdAt: iso(s.now()), files: entries }
    await t.writeText(`${id}/${MANIFEST_FILE}`, `${JSON.stringify(manifest, null, 2)}\n`)
    const done = capturedRecord(rec, entries, s.me, s.now())
    // Per-store access: the record says who may read the store from now on before the permissions change
    // (afterwards this computer can no longer write it); write is removed, the restoring computer reads.
    const change = s.access?.describe(done, 'captured', done.capturedAt as string)
    if (change) {
      done.access = change.access
      done.history.push(s.event('access', change.detail))
    }
    await writeRecord(t, done)
    if (s.access) await s.access.apply(t, share, done, 'captured')
    await releaseClaims(s, rec.source.computerName, id)
    return done
  } catch (err) {
    return s.fail(err, share.path, `release ${rec.path} after capture`, rec.path)
  }
}
