/**
 * State stores on plain SMB shares with the guarantees of a ConfigMgr state migration point: share
 * selection (reachable, below maxClients, above min free space), atomic store creation, store records,
 * computer associations, captured/restored states, retention and prune, verification, retries.
 * StoreService is the facade the commands use: it opens the shares (connections.ts), runs each operation and
 * turns failures into USM04xx errors. The decisions are pure functions in decide.ts; the share's documents
 * and retention are in on-share.ts, placement in placement.ts, the file transfers in transfer.ts, one winner
 * among concurrent requests in claims.ts, per-store access in store-access.ts (its events in journal.ts).
 */
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'
import type { Policy, SharePolicy, StoreAccessPolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { newStoreKey, STORE_KEY_FILE, type DpapiNg } from '../store/store-key.js'
import { join as winJoin } from '../windows/path.js'
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
import { claimComputer, releaseClaim, type ClaimDoc, type ClaimOutcome } from './claims.js'
import { SmbcaclsTool, WindowsAclTool, type AclTool } from './acl-tool.js'
import { EVENTS_DIR, eventsOf, withJournal, writeEvent } from './journal.js'
import { StoreAccessControl } from './store-access.js'
import type { StoresOnOptions } from './on-share.js'
import { accountOf } from './access.js'

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
  /** Per-store access: the ACL tool of a share (tests; default smbcacls, or PowerShell on Windows). */
  aclTool?: (share: SharePolicy) => AclTool
  /** How long a concurrent request of the same computer waits for the winner's store (ms; default 5 minutes). */
  claimWaitMs?: number
}

/** What a store request needs to give an encrypted store its own key. */
export interface StoreKeyOptions {
  /** The admins' escrow key (USMTStepsEncryptionKey / the key file: #13's key). */
  escrowKey: string
  /** DPAPI-NG for the source and destination computers (Windows). */
  dpapi?: DpapiNg
}

const CLAIM_WAIT_MS = 300_000
const CLAIM_STALE_MS = 600_000

export type { ShareListing, PruneResult } from './on-share.js'
export type { VerifyResult } from './transfer.js'

export class StoreService {
  private readonly connections: ShareConnections
  private readonly aclTools = new Map<string, AclTool>()
  /** Per-store access (policy `access:`), or null when the share's own ACL applies to every store. */
  readonly access: StoreAccessControl | null
  private readonly log: (line: string) => void
  private readonly now: () => Date
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly opts: StoreServiceOptions) {
    this.log = opts.log ?? (() => undefined)
    this.now = opts.now ?? (() => new Date())
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    this.connections = new ShareConnections({ ...opts, log: this.log })
    const policy = opts.policy.access
    this.access = policy ? new StoreAccessControl({ policy, toolFor: (share) => this.aclToolFor(share), domain: opts.credentials?.domain, log: this.log }) : null
  }

  private aclToolFor(share: SharePolicy): AclTool {
    const key = share.path.toLowerCase()
    let tool = this.aclTools.get(key)
    if (!tool) {
      if (this.opts.aclTool) tool = this.opts.aclTool(share)
      else if (this.opts.transport === 'smbclient') {
        try {
          tool = new SmbcaclsTool({ unc: share.path, port: share.port, credentials: this.opts.credentials, runner: this.opts.smbRunner })
        } catch (err) {
          throw new UsmtStepsError('USM0424', (err as Error).message, { cause: err })
        }
      } else if ((this.opts.platform ?? process.platform) === 'win32') tool = new WindowsAclTool(share.path)
      else throw new UsmtStepsError('USM0424', `per-store access on ${share.path} needs the smbclient transport (smbcacls) or Windows; the fs transport on a mounted share cannot set the store's permissions`)
      this.aclTools.set(key, tool)
    }
    return tool
  }

  /** How the share's documents are read: with per-store access, the journal's events apply to each record. */
  private get onShare(): StoresOnOptions {
    return this.access ? { journal: { restoredDays: this.opts.policy.retention.restoredDays } } : {}
  }

  /** The policy's shares; with none, UDShare-style single share given by the caller is used. */
  get shares(): SharePolicy[] {
    return this.opts.policy.shares
  }

  transportFor(share: SharePolicy): ShareTransport {
    return this.connections.transportFor(share)
  }

  async close(): Promise<void> {
    await this.connections.close()
    for (const a of this.aclTools.values()) await a.close()
    this.aclTools.clear()
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
    const rec = await this.readRecord(t, id)
    if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`, { data: { storePath } })
    return { share, t, rec }
  }

  private fail(err: unknown, share: string, what: string, store?: string): never {
    if (err instanceof TransportError && err.kind === 'denied' && this.access) {
      const data = { share, status: err.status ?? null, kind: err.kind }
      throw new UsmtStepsError('USM0423', `${what}: ${this.opts.computer.computerName} may not do this on ${store ?? share} (${err.status ?? 'access denied'})`, { data: { ...data, store: store ?? null }, cause: err })
    }
    return shareFailure(err, share, what)
  }

  private event(event: StoreEvent['event'], detail?: string): StoreEvent {
    return storeEvent(event, this.opts.computer.computerName, this.now(), detail)
  }

  /** A store's record, with the journal's events under per-store access. */
  async readRecord(t: ShareTransport, id: string): Promise<StoreRecord | null> {
    const rec = await readRecord(t, id)
    return rec && this.access ? withJournal(rec, await eventsOf(t, id), this.opts.policy.retention.restoredDays) : rec
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

  /**
   * Request (capture): claim this computer (one winner among concurrent requests, see claims.ts), pick a share,
   * create the store atomically, claim a client slot, write the record. Retries. A request that finds the
   * computer already claimed returns the claimed store instead of creating a second one.
   */
  requestCapture(opts: { encrypted: boolean; key?: StoreKeyOptions }): Promise<StoreRecord & { reused?: boolean }> {
    return placeOnShares({
      shares: this.shares, open: (share) => this.open(share), fail: (err, share, what) => this.fail(err, share, what), log: this.log, sleep: this.sleep, now: this.now,
      attempts: (this.opts.retryCount ?? 0) + 1, retrySeconds: this.opts.retrySeconds ?? 0,
      source: this.opts.computer, encrypted: opts.encrypted, estimateBytes: this.opts.estimateBytes, allAssociations: () => this.associations(),
      claim: (problems) => this.claimOnFirstShare(problems), claimedStore: (claim) => this.claimedStore(claim),
      beforeRecord: this.access ? (t, share, rec) => this.protectNewStore(t, share, rec) : undefined,
      // A key of its own for an encrypted store, next to it before any other request can see the store.
      afterPlace: opts.encrypted && opts.key ? (t, rec) => this.createStoreKey(t, rec, opts.key as StoreKeyOptions) : undefined,
    })
  }

  /**
   * The store's own data key (issue #19): wrapped by the escrow key and, where DPAPI-NG runs, for the source and
   * destination computers; written as store-key.json into the store. The data key itself is not kept.
   */
  private async createStoreKey(t: ShareTransport, rec: StoreRecord, k: StoreKeyOptions): Promise<void> {
    const computers = [...new Set([rec.source.computerName, rec.destination ?? rec.source.computerName])]
    const template: StoreAccessPolicy = this.opts.policy.access ?? { admins: '', computerAccount: '{domain}\\{computer}$', accounts: {} }
    const accounts = computers.map((c) => accountOf(template, c, this.opts.credentials?.domain ?? this.opts.env?.USERDOMAIN))
    const { doc } = await newStoreKey({ storeId: rec.id, escrowKey: k.escrowKey, now: this.now(), dpapi: k.dpapi ? { bridge: k.dpapi, computers, accounts } : undefined })
    try {
      await t.writeText(`${rec.id}/${STORE_KEY_FILE}`, `${JSON.stringify(doc, null, 2)}\n`)
    } catch (err) {
      // No store without its key: remove it (and its slot) so the request can go on elsewhere or be retried.
      await t.removeTree(rec.id).catch(() => undefined)
      if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
      return this.fail(err, t.root, `write the key of ${rec.path}`, rec.path)
    }
    this.log(`store ${rec.path}: its own data key, wrapped for the escrow key (id ${doc.escrow.escrowId})${doc.dpapiNg ? ` and through DPAPI-NG for ${doc.dpapiNg.computers.join(', ')}` : ''}`)
  }

  /** Copy the store's key document (if it has one) into a local staging folder. */
  async copyStoreKey(storePath: string, localPath: string): Promise<boolean> {
    const text = await this.storeKeyText(storePath)
    if (text === null) return false
    await fsp.mkdir(localPath, { recursive: true })
    await fsp.writeFile(nodePath.join(localPath, STORE_KEY_FILE), text, { mode: 0o600 })
    return true
  }

  /** The store's key document as text (store-key.json), or null for a store without its own key. */
  async storeKeyText(storePath: string): Promise<string | null> {
    const { share, id } = this.shareOfStore(storePath)
    try {
      return await (await this.open(share)).readText(`${id}/${STORE_KEY_FILE}`)
    } catch (err) {
      return this.fail(err, share.path, `read the key of ${storePath}`, storePath)
    }
  }

  /**
   * Per-store access: the empty folder gets its own protected ACL (capturing computer: write; admins: full
   * control) before anything is written into it, so every file of the store inherits it.
   */
  private async protectNewStore(t: ShareTransport, share: SharePolicy, rec: StoreRecord): Promise<void> {
    const control = this.access as StoreAccessControl
    const { access, detail } = control.describe(rec, 'requested', rec.createdAt)
    await control.apply(t, share, rec, 'requested')
    rec.access = access
    rec.history.push(this.event('access', detail))
  }

  /** The computer's claim on the first reachable share of the policy (null when none is reachable: placement then fails too). */
  private async claimOnFirstShare(problems: string[]): Promise<ClaimOutcome | null> {
    const me = this.opts.computer.computerName
    for (const share of this.shares) {
      let t: ShareTransport
      try {
        t = await this.open(share)
        return await claimComputer(t, {
          computer: me, now: this.now, sleep: this.sleep, log: this.log,
          waitMs: this.opts.claimWaitMs ?? CLAIM_WAIT_MS, staleMs: CLAIM_STALE_MS,
          stillRequested: async (c) => {
            const owner = this.shares.find((s) => s.path.toLowerCase() === c.share.toLowerCase())
            if (!owner) return false
            try {
              const rec = await this.readRecord(await this.open(owner), c.storeId)
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
  private async claimedStore(claim: ClaimDoc): Promise<StoreRecord & { reused: true }> {
    const share = this.shares.find((s) => s.path.toLowerCase() === claim.share.toLowerCase())
    if (!share) throw new UsmtStepsError('USM0422', `${claim.computer} is claimed for the store ${claim.share}\\${claim.storeId}, which is not on the policy's shares`, { data: { computer: claim.computer, share: claim.share } })
    const t = await this.open(share).catch((err) => this.fail(err, share.path, 'open the share'))
    const rec = await this.readRecord(t, claim.storeId).catch((err) => this.fail(err, share.path, 'read the store record'))
    if (!rec) throw new UsmtStepsError('USM0422', `${claim.computer} is claimed for ${claim.share}\\${claim.storeId}, which has no record yet`, { data: { computer: claim.computer, share: claim.share } })
    this.log(`store ${rec.path} was already requested for ${claim.computer} (${claim.claimedAt}): this request gets the same store, no second store or client slot`)
    return { ...rec, reused: true }
  }

  /** After capture: let the computer's next capture request create a new store (the claim may be on any share). */
  private async releaseClaims(computer: string, storeId: string): Promise<void> {
    for (const share of this.shares) {
      try {
        await releaseClaim(await this.open(share), computer, storeId)
      } catch (err) {
        this.log(`claim of ${computer} on ${share.path} not released: ${(err as Error).message}`)
      }
    }
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
    const rec = await this.readRecord(t, id).catch((err) => this.fail(err, share.path, 'read the store record', storePath))
    if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`, { data: { storePath } })
    if (rec.state === 'captured') {
      // A release run again after the record was written but before the permissions were: finish them.
      if (this.access && !(await this.access.isApplied(share, rec, 'captured'))) await this.access.apply(t, share, rec, 'captured')
      this.log(`${rec.path} is already captured: nothing to do`)
      return rec
    }
    if (rec.state !== 'requested') throw new UsmtStepsError('USM0416', `${rec.path} is ${rec.state}; only a requested store can be released after capture`, { data: { state: rec.state } })
    try {
      const entries: ManifestEntry[] = await captureManifest(t, rec, opts.localPath, this.log)
      const manifest: Manifest = { schema: STORE_SCHEMA, storeId: id, createdAt: iso(this.now()), files: entries }
      await t.writeText(`${id}/${MANIFEST_FILE}`, `${JSON.stringify(manifest, null, 2)}\n`)
      const done = capturedRecord(rec, entries, this.opts.computer.computerName, this.now())
      // Per-store access: the record says who may read the store from now on before the permissions change
      // (afterwards this computer can no longer write it); write is removed, the restoring computer reads.
      const change = this.access?.describe(done, 'captured', done.capturedAt as string)
      if (change) {
        done.access = change.access
        done.history.push(this.event('access', change.detail))
      }
      await writeRecord(t, done)
      if (this.access) await this.access.apply(t, share, done, 'captured')
      await this.releaseClaims(rec.source.computerName, id)
      return done
    } catch (err) {
      return this.fail(err, share.path, `release ${rec.path} after capture`, rec.path)
    }
  }

  /** Request (restore): the store this computer should restore (association, or its own in a refresh). */
  async requestRestore(opts: { localPath?: string | ((storeId: string) => string) } = {}): Promise<{ record: StoreRecord; association: Association | null; localPath: string | null }> {
    const me = this.opts.computer.computerName
    const found: Array<{ t: ShareTransport; rec: StoreRecord }> = []
    const assocs: Association[] = []
    const errors: string[] = []
    const denied: Array<{ share: string; id: string }> = []
    for (const share of this.shares) {
      try {
        const t = await this.open(share)
        assocs.push(...await associationsOn(t))
        const ids: string[] = []
        for (const rec of await storesOn(t, { ...this.onShare, denied: ids })) found.push({ t, rec })
        denied.push(...ids.map((id) => ({ share: share.path, id })))
      } catch (err) {
        if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share.path, 'log on')
        errors.push(`${share.path}: ${(err as Error).message}`)
      }
    }
    const choice = chooseRestoreStore(me, found, assocs)
    const { association } = choice
    // Per-store access: a store of the source this computer may not read yet (not released after capture, or
    // not associated with it) is a denial naming the store, not "no store".
    const sources = association ? [association.source] : [me]
    const closed = denied.filter((d) => sources.some((src) => d.id.startsWith(`${src.replace(/[^A-Z0-9-]/g, '-').slice(0, 32)}-`)))
    if (choice.kind !== 'captured' && closed.length) {
      const names = closed.map((d) => winJoin(d.share, d.id))
      throw new UsmtStepsError('USM0423', `${me} may not read the store${names.length > 1 ? 's' : ''} ${names.join(', ')} of ${sources.join(', ')}: not released to it (release after capture grants read to the associated restoring computer only)`, {
        data: { store: names[0], computer: me },
      })
    }
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
      const read = this.event('restore-requested', localPath ? `read by ${me}: downloaded to its staging folder` : `read by ${me}`)
      const updated: StoreRecord = { ...rec, history: [...rec.history, read] }
      // Per-store access: the restoring computer only reads the store, so its events go to the journal.
      if (this.access) await writeEvent(t, rec.id, read)
      else await writeRecord(t, updated)
      return { record: updated, association, localPath }
    } catch (err) {
      return this.fail(err, rec.share, `restore request for ${rec.path}`, rec.path)
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
      if (this.access) return await this.releaseRestoreAccess(t, share, rec)
      const logs = opts.localPath ? await uploadRestoreLogs(t, rec, opts.localPath, this.log) : []
      const done = restoredRecord(rec, this.opts.policy.retention, this.opts.computer.computerName, this.now(), logs)
      await writeRecord(t, done)
      if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
      return done
    } catch (err) {
      return this.fail(err, share.path, `release ${storePath} after restore`, storePath)
    }
  }

  /**
   * Release (restore) with per-store access: the restoring computer may only read the store, so the release
   * and the change of access go to the journal, then it withdraws its own read (nobody but the admins' group
   * keeps access until retention deletes the store). The restore logs stay in the local staging folder.
   */
  private async releaseRestoreAccess(t: ShareTransport, share: SharePolicy, rec: StoreRecord): Promise<StoreRecord> {
    const control = this.access as StoreAccessControl
    const restored = this.event('restored', `released by ${this.opts.computer.computerName}; the restore logs stay on the computer (it may only read the store)`)
    const change = control.describe(rec, 'restored', restored.at)
    // after the release in the journal's order, also within the same millisecond
    const withdrawn = { ...this.event('access', change.detail), at: iso(new Date(Math.max(this.now().getTime(), Date.parse(restored.at) + 1))) }
    await writeEvent(t, rec.id, restored)
    await writeEvent(t, rec.id, withdrawn)
    await control.apply(t, share, rec, 'restored')
    if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch((err) => this.log(`client slot ${rec.slot} not freed (prune frees it): ${(err as Error).message}`))
    return { ...withJournal(rec, [restored, withdrawn], this.opts.policy.retention.restoredDays), access: change.access }
  }

  async verify(storePath: string, deep: boolean): Promise<VerifyResult> {
    const { share } = this.shareOfStore(storePath)
    try {
      const { t, rec } = await this.storeAt(storePath)
      if (rec.state === 'requested') throw new UsmtStepsError('USM0414', `${rec.path} was never marked captured`)
      return await verifyStore(t, rec, deep)
    } catch (err) {
      return this.fail(err, share.path, `verify ${storePath}`, storePath)
    }
  }

  async list(): Promise<ShareListing[]> {
    const out: ShareListing[] = []
    for (const share of this.shares) {
      try {
        out.push(await shareListing(await this.open(share), share, this.onShare))
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
        await pruneShare(t, this.opts.policy.retention, now, dryRun, result, {
          ...this.onShare,
          afterDelete: async (rec) => {
            if (this.access) await t.removeTree(`${EVENTS_DIR}/${rec.id}`).catch(() => undefined)
            if (rec.state === 'requested') await this.releaseClaims(rec.source.computerName, rec.id)
          },
        })
      } catch (err) {
        this.fail(err, share.path, 'prune')
      }
    }
    return result
  }
}

export { META_DIR }
