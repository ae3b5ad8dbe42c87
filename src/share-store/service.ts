/**
 * State stores on plain SMB shares with the guarantees of a ConfigMgr state migration point: share
 * selection (reachable, below maxClients, above min free space), atomic store creation, store records,
 * computer associations, captured/restored states, retention and prune, verification, retries.
 * StoreService is the facade the commands use: it opens the shares (connections.ts), runs each operation and
 * turns failures into USM04xx errors. The decisions are pure functions in decide.ts; the share's documents
 * and retention are in on-share.ts, placement in placement.ts, the file transfers in transfer.ts.
 */
import type { Policy, SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { ShareConnections, shareFailure, type ConnectionOptions, type TransportKind } from './connections.js'
import { capturedRecord, chooseRestoreStore, iso, restoredRecord, storeEvent, storeOnShares } from './decide.js'
import { associationsOn, pruneShare, readRecord, shareListing, storesOn, writeAssociation, writeRecord, type PruneResult, type ShareListing } from './on-share.js'
import {
  associationId, MANIFEST_FILE, META_DIR, normalizeComputer, slotName, SLOTS_DIR, STORE_SCHEMA,
  type Association, type ComputerIdentity, type Manifest, type ManifestEntry, type MigrationBehavior, type StoreEvent, type StoreRecord,
} from './records.js'
import { captureManifest, downloadStore, uploadRestoreLogs, verifyStore, type VerifyResult } from './transfer.js'
import { placeOnShares } from './placement.js'
import { TransportError, type ShareTransport } from './transport.js'

export type { TransportKind }

export interface StoreServiceOptions extends Omit<ConnectionOptions, 'log'> {
  policy: Policy
  computer: ComputerIdentity
  retryCount?: number
  retrySeconds?: number
  estimateBytes?: number
  log?: (line: string) => void
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
}

export type { ShareListing, PruneResult } from './on-share.js'
export type { VerifyResult } from './transfer.js'

export class StoreService {
  private readonly connections: ShareConnections
  private readonly log: (line: string) => void
  private readonly now: () => Date
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly opts: StoreServiceOptions) {
    this.log = opts.log ?? (() => undefined)
    this.now = opts.now ?? (() => new Date())
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    this.connections = new ShareConnections({ ...opts, log: this.log })
  }

  /** The policy's shares; with none, UDShare-style single share given by the caller is used. */
  get shares(): SharePolicy[] {
    return this.opts.policy.shares
  }

  transportFor(share: SharePolicy): ShareTransport {
    return this.connections.transportFor(share)
  }

  close(): Promise<void> {
    return this.connections.close()
  }

  private open(share: SharePolicy): Promise<ShareTransport> {
    return this.connections.open(share)
  }

  private shareOfStore(storePath: string): { share: SharePolicy; id: string } {
    return storeOnShares(storePath, this.shares)
  }

  /** The store's share, its transport and its record (USM0418 when there is none). */
  private async storeAt(storePath: string): Promise<{ share: SharePolicy; t: ShareTransport; rec: StoreRecord }> {
    const { share, id } = this.shareOfStore(storePath)
    const t = await this.open(share)
    const rec = await readRecord(t, id)
    if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`, { data: { storePath } })
    return { share, t, rec }
  }

  private fail(err: unknown, share: string, what: string): never {
    return shareFailure(err, share, what)
  }

  private event(event: StoreEvent['event'], detail?: string): StoreEvent {
    return storeEvent(event, this.opts.computer.computerName, this.now(), detail)
  }

  readRecord(t: ShareTransport, id: string): Promise<StoreRecord | null> {
    return readRecord(t, id)
  }

  /** Associations on every reachable share (the SMP's computer associations). */
  async associations(): Promise<Association[]> {
    const all: Association[] = []
    for (const share of this.shares) {
      try {
        all.push(...await associationsOn(await this.open(share)))
      } catch (err) {
        this.log(`associations on ${share.path} not read: ${(err as Error).message}`)
      }
    }
    return all
  }

  /** usmt-steps store associate: write the association to the first reachable share. */
  async associate(source: string, destination: string, behavior: MigrationBehavior, users: string[]): Promise<Association & { share: string }> {
    const assoc: Association = {
      schema: STORE_SCHEMA, id: associationId(source, destination), source: normalizeComputer(source), destination: normalizeComputer(destination),
      behavior, users, createdAt: iso(this.now()),
    }
    const errors: string[] = []
    for (const share of this.shares) {
      try {
        await writeAssociation(await this.open(share), assoc)
        this.log(`association ${assoc.id} written to ${share.path}`)
        return { ...assoc, share: share.path }
      } catch (err) {
        if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share.path, 'write the association')
        errors.push(`${share.path}: ${(err as Error).message}`)
      }
    }
    throw new UsmtStepsError('USM0410', `no share could take the association: ${errors.join('; ') || 'the policy lists no shares'}`)
  }

  /** Request (capture): pick a share, create the store atomically, claim a client slot, write the record. Retries. */
  requestCapture(opts: { encrypted: boolean }): Promise<StoreRecord> {
    return placeOnShares({
      shares: this.shares, open: (share) => this.open(share), fail: shareFailure, log: this.log, sleep: this.sleep, now: this.now,
      attempts: (this.opts.retryCount ?? 0) + 1, retrySeconds: this.opts.retrySeconds ?? 0,
      source: this.opts.computer, encrypted: opts.encrypted, estimateBytes: this.opts.estimateBytes, allAssociations: () => this.associations(),
    })
  }

  /** Release (capture): upload the staged store (if any), write the manifest, verify sizes, mark captured. */
  async releaseCapture(storePath: string, opts: { localPath?: string } = {}): Promise<StoreRecord> {
    const { share, id } = this.shareOfStore(storePath)
    let t: ShareTransport
    try {
      t = await this.open(share)
    } catch (err) {
      return this.fail(err, share.path, 'open the share')
    }
    const rec = await readRecord(t, id).catch((err) => this.fail(err, share.path, 'read the store record'))
    if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`, { data: { storePath } })
    if (rec.state === 'captured') {
      this.log(`${rec.path} is already captured: nothing to do`)
      return rec
    }
    if (rec.state !== 'requested') throw new UsmtStepsError('USM0416', `${rec.path} is ${rec.state}; only a requested store can be released after capture`, { data: { state: rec.state } })
    try {
      const entries: ManifestEntry[] = await captureManifest(t, rec, opts.localPath, this.log)
      const manifest: Manifest = { schema: STORE_SCHEMA, storeId: id, createdAt: iso(this.now()), files: entries }
      await t.writeText(`${id}/${MANIFEST_FILE}`, `${JSON.stringify(manifest, null, 2)}\n`)
      const done = capturedRecord(rec, entries, this.opts.computer.computerName, this.now())
      await writeRecord(t, done)
      return done
    } catch (err) {
      return this.fail(err, share.path, `release ${rec.path} after capture`)
    }
  }

  /** Request (restore): the store this computer should restore (association, or its own in a refresh). */
  async requestRestore(opts: { localPath?: string | ((storeId: string) => string) } = {}): Promise<{ record: StoreRecord; association: Association | null; localPath: string | null }> {
    const me = this.opts.computer.computerName
    const found: Array<{ t: ShareTransport; rec: StoreRecord }> = []
    const assocs: Association[] = []
    const errors: string[] = []
    for (const share of this.shares) {
      try {
        const t = await this.open(share)
        assocs.push(...await associationsOn(t))
        for (const rec of await storesOn(t)) found.push({ t, rec })
      } catch (err) {
        if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share.path, 'log on')
        errors.push(`${share.path}: ${(err as Error).message}`)
      }
    }
    const choice = chooseRestoreStore(me, found, assocs)
    const { association } = choice
    if (choice.kind === 'pending') {
      const pending = choice.store.rec
      throw new UsmtStepsError('USM0414', `the store ${pending.path} of ${pending.source.computerName} was requested on ${pending.createdAt} but never marked captured; it is refused`, { data: { store: pending.path } })
    }
    if (choice.kind === 'none') {
      const where = errors.length ? ` (unreachable: ${errors.join('; ')})` : ''
      throw new UsmtStepsError('USM0413', `no captured store for ${me}${association ? ` (association ${association.id}: source ${association.source})` : ' (no computer association names it; looked for its own store)'}${where}`, {
        exit: errors.length && found.length === 0 ? 'storeUnavailable' : undefined,
      })
    }
    const { t, rec } = choice.store
    const localPath = typeof opts.localPath === 'function' ? opts.localPath(rec.id) : opts.localPath ?? null
    try {
      if (localPath) await downloadStore(t, rec, localPath, this.log)
      const updated: StoreRecord = { ...rec, history: [...rec.history, this.event('restore-requested')] }
      await writeRecord(t, updated)
      return { record: updated, association, localPath }
    } catch (err) {
      return this.fail(err, rec.share, `restore request for ${rec.path}`)
    }
  }

  /**
   * Release (restore): mark restored, free the client slot, start retention. With the local copy the restore
   * read (smbclient), the logs the restore step added to its `Logs` folder (loadstate, progress, verify) are
   * uploaded into the store as well, so the store on the share holds both sides' logs. Best effort: a log
   * that cannot be uploaded is logged, not fatal (the restore itself is done).
   */
  async releaseRestore(storePath: string, opts: { localPath?: string } = {}): Promise<StoreRecord> {
    const { share } = this.shareOfStore(storePath)
    try {
      const { t, rec } = await this.storeAt(storePath)
      if (rec.state === 'restored') return rec
      if (rec.state !== 'captured') throw new UsmtStepsError('USM0414', `${rec.path} is ${rec.state}, not captured: it cannot have been restored`)
      const logs = opts.localPath ? await uploadRestoreLogs(t, rec, opts.localPath, this.log) : []
      const done = restoredRecord(rec, this.opts.policy.retention, this.opts.computer.computerName, this.now(), logs)
      await writeRecord(t, done)
      if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
      return done
    } catch (err) {
      return this.fail(err, share.path, `release ${storePath} after restore`)
    }
  }

  async verify(storePath: string, deep: boolean): Promise<VerifyResult> {
    const { share } = this.shareOfStore(storePath)
    try {
      const { t, rec } = await this.storeAt(storePath)
      if (rec.state === 'requested') throw new UsmtStepsError('USM0414', `${rec.path} was never marked captured`)
      return await verifyStore(t, rec, deep)
    } catch (err) {
      return this.fail(err, share.path, `verify ${storePath}`)
    }
  }

  async list(): Promise<ShareListing[]> {
    const out: ShareListing[] = []
    for (const share of this.shares) {
      try {
        out.push(await shareListing(await this.open(share), share))
      } catch (err) {
        if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share.path, 'log on')
        out.push({ share: share.path, reachable: false, error: (err as Error).message, maxClients: share.maxClients, stores: [], associations: [] })
      }
    }
    return out
  }

  /** Delete restored stores past retention and requested stores abandoned longer than abandonedDays; free stale slots. */
  async prune(dryRun: boolean): Promise<PruneResult> {
    const now = this.now().getTime()
    const result: PruneResult = { deleted: [], kept: 0, slotsFreed: 0, dryRun }
    for (const share of this.shares) {
      let t: ShareTransport
      try {
        t = await this.open(share)
      } catch (err) {
        if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share.path, 'log on')
        this.log(`prune skipped ${share.path}: ${(err as Error).message}`)
        continue
      }
      try {
        await pruneShare(t, this.opts.policy.retention, now, dryRun, result)
      } catch (err) {
        this.fail(err, share.path, 'prune')
      }
    }
    return result
  }
}

export { META_DIR }
