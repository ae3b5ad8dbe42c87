/**
 * State stores on plain SMB shares with the guarantees of a ConfigMgr state migration point: share
 * selection (reachable, below maxClients, above min free space), atomic store creation, store records,
 * computer associations, captured/restored states, retention and prune, verification, retries.
 * StoreService is the facade the commands use. Its parts share one StoreScope (scope.ts: connections, per-store
 * access, failures as USM04xx): the capture side in capture-store.ts (placement in placement.ts, the computer's
 * claim in claiming.ts and claims.ts, the store's own key in store-keys.ts), the restore side in
 * restore-store.ts, the file transfers and verify in transfer.ts, the share's documents and retention in
 * on-share.ts, per-store access in store-access.ts (its events in journal.ts); the decisions are pure
 * functions in decide.ts. What stays here are the admins' operations on every share: associate, list, prune.
 */
import type { SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { requestCapture, releaseCapture } from './capture-store.js'
import { releaseClaims } from './claiming.js'
import { iso } from './decide.js'
import { EVENTS_DIR } from './journal.js'
import { pruneShare, shareListing, writeAssociation, type PruneResult, type ShareListing } from './on-share.js'
import { associationId, normalizeComputer, STORE_SCHEMA, type Association, type MigrationBehavior, type StoreRecord } from './records.js'
import { releaseRestore, requestRestore, type RestoreRequest } from './restore-store.js'
import { StoreScope, type StoreServiceOptions } from './scope.js'
import type { StoreAccessControl } from './store-access.js'
import { copyStoreKey, storeKeyText, type StoreKeyOptions } from './store-keys.js'
import { verifyStore, type VerifyResult } from './transfer.js'
import type { ShareTransport } from './transport.js'

export type { TransportKind } from './connections.js'
export type { StoreServiceOptions } from './scope.js'
export type { StoreKeyOptions } from './store-keys.js'
export type { ShareListing, PruneResult } from './on-share.js'
export type { VerifyResult } from './transfer.js'

export class StoreService {
  private readonly s: StoreScope

  constructor(opts: StoreServiceOptions) {
    this.s = new StoreScope(opts)
  }

  /** Per-store access (policy `access:`), or null when the share's own ACL applies to every store. */
  get access(): StoreAccessControl | null {
    return this.s.access
  }

  /** The policy's shares; with none, UDShare-style single share given by the caller is used. */
  get shares(): SharePolicy[] {
    return this.s.shares
  }

  transportFor(share: SharePolicy): ShareTransport {
    return this.s.transportFor(share)
  }

  close(): Promise<void> {
    return this.s.close()
  }

  /** A store's record, with the journal's events under per-store access. */
  readRecord(t: ShareTransport, id: string): Promise<StoreRecord | null> {
    return this.s.readRecord(t, id)
  }

  /** Associations on every reachable share (the SMP's computer associations). */
  associations(): Promise<Association[]> {
    return this.s.associations()
  }

  /** Request (capture): see capture-store.ts. */
  requestCapture(opts: { encrypted: boolean; key?: StoreKeyOptions }): Promise<StoreRecord & { reused?: boolean }> {
    return requestCapture(this.s, opts)
  }

  /** Release (capture): upload the staged store (if any), write the manifest, verify sizes, mark captured. */
  releaseCapture(storePath: string, opts: { localPath?: string } = {}): Promise<StoreRecord> {
    return releaseCapture(this.s, storePath, opts)
  }

  /** Request (restore): the store this computer should restore (association, or its own in a refresh). */
  requestRestore(opts: { localPath?: string | ((storeId: string) => string) } = {}): Promise<RestoreRequest> {
    return requestRestore(this.s, opts)
  }

  /** Release (restore): mark restored, free the client slot, start retention (see restore-store.ts). */
  releaseRestore(storePath: string, opts: { localPath?: string } = {}): Promise<StoreRecord> {
    return releaseRestore(this.s, storePath, opts)
  }

  /** Copy the store's key document (if it has one) into a local staging folder. */
  copyStoreKey(storePath: string, localPath: string): Promise<boolean> {
    return copyStoreKey(this.s, storePath, localPath)
  }

  /** The store's key document as text (store-key.json), or null for a store without its own key. */
  storeKeyText(storePath: string): Promise<string | null> {
    return storeKeyText(this.s, storePath)
  }

  /** usmt-steps store associate: write the association to the first reachable share. */
  async associate(source: string, destination: string, behavior: MigrationBehavior, users: string[]): Promise<Association & { share: string }> {
    const s = this.s
    const assoc: Association = {
      schema: STORE_SCHEMA, id: associationId(source, destination), source: normalizeComputer(source), destination: normalizeComputer(destination),
      behavior, users, createdAt: iso(s.now()),
    }
    const errors: string[] = []
    for (const share of s.shares) {
      try {
        await writeAssociation(await s.open(share), assoc)
        s.log(`association ${assoc.id} written to ${share.path}`)
        return { ...assoc, share: share.path }
      } catch (err) {
        s.failOnAuth(err, share.path, 'write the association')
        errors.push(`${share.path}: ${(err as Error).message}`)
      }
    }
    throw new UsmtStepsError('USM0410', `no share could take the association: ${errors.join('; ') || 'the policy lists no shares'}`)
  }

  async verify(storePath: string, deep: boolean): Promise<VerifyResult> {
    const { share } = this.s.shareOfStore(storePath)
    try {
      const { t, rec } = await this.s.storeAt(storePath)
      if (rec.state === 'requested') throw new UsmtStepsError('USM0414', `${rec.path} was never marked captured`)
      return await verifyStore(t, rec, deep)
    } catch (err) {
      return this.s.fail(err, share.path, `verify ${storePath}`, storePath)
    }
  }

  async list(): Promise<ShareListing[]> {
    const out: ShareListing[] = []
    for (const share of this.s.shares) {
      try {
        out.push(await shareListing(await this.s.open(share), share, this.s.onShare))
      } catch (err) {
        this.s.failOnAuth(err, share.path, 'log on')
        out.push({ share: share.path, reachable: false, error: (err as Error).message, maxClients: share.maxClients, stores: [], associations: [] })
      }
    }
    return out
  }

  /** Delete restored stores past retention and requested stores abandoned longer than abandonedDays; free stale slots. */
  async prune(dryRun: boolean): Promise<PruneResult> {
    const s = this.s
    const now = s.now().getTime()
    const result: PruneResult = { deleted: [], kept: 0, slotsFreed: 0, dryRun }
    for (const share of s.shares) {
      let t: ShareTransport
      try {
        t = await s.open(share)
      } catch (err) {
        s.failOnAuth(err, share.path, 'log on')
        s.log(`prune skipped ${share.path}: ${(err as Error).message}`)
        continue
      }
      try {
        await pruneShare(t, s.opts.policy.retention, now, dryRun, result, {
          ...s.onShare,
          afterDelete: async (rec) => {
            if (s.access) await t.removeTree(`${EVENTS_DIR}/${rec.id}`).catch(() => undefined)
            if (rec.state === 'requested') await releaseClaims(s, rec.source.computerName, rec.id)
          },
        })
      } catch (err) {
        s.fail(err, share.path, 'prune')
      }
    }
    return result
  }
}
