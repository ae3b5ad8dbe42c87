import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'
import type { Policy, SharePolicy, StoreAccessPolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { STORE_LOGS_DIR } from '../store/layout.js'
import { isUnder, join as winJoin, normalize, parseWinPath } from '../windows/path.js'
import type { Credentials } from './credentials.js'
import { connectWithCredentials, FsTransport } from './fs.js'
import {
  ASSOCIATIONS_DIR, associationId, isStoreId, MANIFEST_FILE, META_DIR, newStoreId, normalizeComputer, parseJsonDoc, RECORD_FILE, slotName, SLOTS_DIR,
  STORE_SCHEMA, type Association, type ComputerIdentity, type Manifest, type ManifestEntry, type MigrationBehavior, type StoreEvent, type StoreRecord,
} from './records.js'
import { SmbclientTransport, type SmbRunner } from './smbclient.js'
import { prepareStaging } from './staging.js'
import { TransportError, type ShareTransport } from './transport.js'
import { claimComputer, releaseClaim, type ClaimDoc, type ClaimOutcome } from './claims.js'
import { SmbcaclsTool, WindowsAclTool, type AclTool } from './acl-tool.js'
import { EVENTS_DIR, eventsOf, eventsOn, withJournal, writeEvent } from './journal.js'
import { StoreAccessControl } from './store-access.js'
import { accountOf } from './access.js'
import { newStoreKey, STORE_KEY_FILE, type DpapiNg } from '../store/store-key.js'

/**
 * State stores on plain SMB shares with the guarantees of a ConfigMgr state migration point: share
 * selection (reachable, below maxClients, above min free space), atomic store creation, store records,
 * computer associations, captured/restored states, retention and prune, verification, retries.
 */
export type TransportKind = 'fs' | 'smbclient'

export interface StoreServiceOptions {
  policy: Policy
  transport: TransportKind
  computer: ComputerIdentity
  credentials?: Credentials
  /** fs transport off Windows: where each share is mounted (UNC, lower case → local folder). */
  mounts?: Record<string, string>
  retryCount?: number
  retrySeconds?: number
  estimateBytes?: number
  log?: (line: string) => void
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
  smbRunner?: SmbRunner
  platform?: NodeJS.Platform
  env?: Record<string, string | undefined>
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

export interface VerifyResult {
  store: string
  ok: boolean
  deep: boolean
  files: number
  bytes: number
  problems: string[]
}

export interface PruneResult {
  deleted: Array<{ store: string; reason: string }>
  kept: number
  slotsFreed: number
  dryRun: boolean
}

interface LocalFile {
  rel: string
  abs: string
  size: number
}

const DAY_MS = 86_400_000
const STALE_SLOT_MS = 3_600_000
const CLAIM_WAIT_MS = 300_000
const CLAIM_STALE_MS = 600_000

function iso(d: Date): string {
  return d.toISOString()
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest('hex')
}

async function walkLocal(root: string): Promise<LocalFile[]> {
  const out: LocalFile[] = []
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const abs = nodePath.join(dir, e.name)
      if (e.isDirectory()) await walk(abs, [...rel, e.name])
      else if (e.isFile()) out.push({ rel: [...rel, e.name].join('/'), abs, size: (await fsp.stat(abs)).size })
    }
  }
  await walk(root, [])
  return out.sort((a, b) => a.rel.localeCompare(b.rel))
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }))
  return out
}

export class StoreService {
  private readonly transports = new Map<string, ShareTransport>()
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

  /** The policy's shares; with none, UDShare-style single share given by the caller is used. */
  get shares(): SharePolicy[] {
    return this.opts.policy.shares
  }

  transportFor(share: SharePolicy): ShareTransport {
    const key = share.path.toLowerCase()
    let t = this.transports.get(key)
    if (!t) {
      if (this.opts.transport === 'smbclient') {
        t = new SmbclientTransport({ unc: share.path, port: share.port, credentials: this.opts.credentials, runner: this.opts.smbRunner })
      } else {
        const mount = this.opts.mounts?.[key]
        if (!mount && (this.opts.platform ?? process.platform) !== 'win32') {
          throw new UsmtStepsError('USM0417', `the fs transport needs ${share.path} mounted on this system (--mount DIR)`)
        }
        t = new FsTransport({ unc: share.path, mount })
      }
      this.transports.set(key, t)
    }
    return t
  }

  async close(): Promise<void> {
    for (const t of this.transports.values()) await t.close()
    this.transports.clear()
    for (const a of this.aclTools.values()) await a.close()
    this.aclTools.clear()
  }

  private async open(share: SharePolicy): Promise<ShareTransport> {
    const t = this.transportFor(share)
    // smbclient connects for every operation and classifies failures the same way, so a separate probe would
    // only cost one more connection: the first real operation is the probe.
    if (t.kind === 'smbclient') return t
    try {
      await t.probe()
    } catch (err) {
      const winFs = t.kind === 'fs' && (this.opts.platform ?? process.platform) === 'win32' && this.opts.credentials
      if (winFs && err instanceof TransportError && (err.kind === 'denied' || err.kind === 'auth' || err.kind === 'unreachable')) {
        this.log(`connecting to ${share.path} with ${this.opts.credentials?.source}`)
        await connectWithCredentials(share.path, this.opts.credentials as Credentials, { env: this.opts.env })
        await t.probe()
      } else {
        throw err
      }
    }
    return t
  }

  private shareOfStore(storePath: string): { share: SharePolicy; id: string } {
    const p = normalize(storePath)
    for (const share of this.shares) {
      if (isUnder(p, share.path)) {
        const rest = parseWinPath(p).segments.slice(parseWinPath(share.path).segments.length)
        if (rest.length === 1 && isStoreId(rest[0])) return { share, id: rest[0] }
      }
    }
    throw new UsmtStepsError('USM0418', `${storePath} is not a store on the policy's shares (${this.shares.map((s) => s.path).join(', ') || 'none'})`, { data: { storePath } })
  }

  private fail(err: unknown, share: string, what: string, store?: string): never {
    if (err instanceof UsmtStepsError) throw err
    if (err instanceof TransportError) {
      const data = { share, status: err.status ?? null, kind: err.kind }
      if (err.kind === 'denied' && this.access) {
        throw new UsmtStepsError('USM0423', `${what}: ${this.opts.computer.computerName} may not do this on ${store ?? share} (${err.status ?? 'access denied'})`, { data: { ...data, store: store ?? null }, cause: err })
      }
      if (err.kind === 'auth') throw new UsmtStepsError('USM0411', `${share}: ${what}: ${err.message}`, { data, cause: err })
      if (err.kind === 'transfer' || err.kind === 'unreachable') throw new UsmtStepsError('USM0412', `${share}: ${what} failed: ${err.message}`, { data, cause: err })
      if (err.message.includes('smbclient was not found')) throw new UsmtStepsError('USM0417', err.message, { data, cause: err })
      throw new UsmtStepsError('USM0420', `${share}: ${what}: ${err.message}`, { data, cause: err })
    }
    throw err
  }

  private event(event: StoreEvent['event'], detail?: string): StoreEvent {
    return { at: iso(this.now()), event, computer: this.opts.computer.computerName, ...(detail ? { detail } : {}) }
  }

  async readRecord(t: ShareTransport, id: string): Promise<StoreRecord | null> {
    const rec = await this.readOwnRecord(t, id)
    return rec && this.access ? withJournal(rec, await eventsOf(t, id), this.opts.policy.retention.restoredDays) : rec
  }

  /** The record as its writer left it (without the journal's events). */
  private async readOwnRecord(t: ShareTransport, id: string): Promise<StoreRecord | null> {
    const text = await t.readText(`${id}/${RECORD_FILE}`)
    if (text === null) return null
    try {
      return parseJsonDoc<StoreRecord>(text, `${t.root}\\${id}\\${RECORD_FILE}`)
    } catch (err) {
      throw new UsmtStepsError('USM0415', `the store record ${t.root}\\${id}\\${RECORD_FILE} is unreadable: ${(err as Error).message}`, { cause: err })
    }
  }

  private async writeRecord(t: ShareTransport, rec: StoreRecord): Promise<void> {
    await t.writeText(`${rec.id}/${RECORD_FILE}`, `${JSON.stringify(rec, null, 2)}\n`)
  }

  /** The stores on a share this computer may read; with `denied`, the ids of those it may not (per-store access). */
  private async storesOn(t: ShareTransport, denied?: string[]): Promise<StoreRecord[]> {
    const entries = await t.list('')
    const ids = entries.filter((e) => e.isDirectory && isStoreId(e.name)).map((e) => e.name)
    const journal = this.access ? await eventsOn(t).catch(() => new Map<string, StoreEvent[]>()) : new Map<string, StoreEvent[]>()
    const recs = await mapLimit(ids, 4, (id) => this.readOwnRecord(t, id).catch((err) => {
      if (err instanceof TransportError && err.kind === 'denied') denied?.push(id)
      return null
    }))
    return recs.filter((r): r is StoreRecord => r !== null).map((r) => withJournal(r, journal.get(r.id) ?? [], this.opts.policy.retention.restoredDays))
  }

  private async associationsOn(t: ShareTransport): Promise<Association[]> {
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

  /** Associations on every reachable share (the SMP's computer associations). */
  async associations(): Promise<Association[]> {
    const all: Association[] = []
    for (const share of this.shares) {
      try {
        all.push(...await this.associationsOn(await this.open(share)))
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
        const t = await this.open(share)
        await t.ensureDir(ASSOCIATIONS_DIR)
        await t.writeText(`${ASSOCIATIONS_DIR}/${assoc.id}.json`, `${JSON.stringify(assoc, null, 2)}\n`)
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
  async requestCapture(opts: { encrypted: boolean; key?: StoreKeyOptions }): Promise<StoreRecord & { reused?: boolean }> {
    if (this.shares.length === 0) throw new UsmtStepsError('USM0410', 'the policy lists no shares (and UDShare is empty)')
    const attempts = (this.opts.retryCount ?? 0) + 1
    let last: string[] = []
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const problems: string[] = []
      let authError: TransportError | undefined
      const claim = await this.claimOnFirstShare(problems)
      if (claim && !claim.won) return this.claimedStore(claim.claim)
      try {
        for (const share of this.shares) {
          try {
            const rec = await this.tryShare(share, opts.encrypted)
            if (rec) {
              // A key of its own for an encrypted store, next to it before any other request can see the store.
              if (opts.encrypted && opts.key) await this.createStoreKey(await this.open(share), rec, opts.key)
              if (claim?.won) await claim.bind(rec.share, rec.id)
              return rec
            }
            problems.push(`${share.path}: full (maxClients ${share.maxClients} reached)`)
          } catch (err) {
            if (err instanceof UsmtStepsError) {
              if (err.code === 'USM0417' || err.code === 'USM0423' || err.code === 'USM0424') throw err
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
      this.log(`store request attempt ${attempt}/${attempts} found no share: ${problems.join('; ')}`)
      if (authError && problems.length >= this.shares.length && problems.every((p) => /LOGON_FAILURE|ACCESS_DENIED|credentials|auth/i.test(p))) {
        this.fail(authError, authError.message.split(':')[0], 'log on')
      }
      if (attempt < attempts) await this.sleep((this.opts.retrySeconds ?? 0) * 1000)
    }
    throw new UsmtStepsError('USM0410', `no share can take the store after ${attempts} attempt(s): ${last.join('; ')}`, { data: { problems: last } })
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

  private async tryShare(share: SharePolicy, encrypted: boolean): Promise<StoreRecord | null> {
    const t = await this.open(share)
    const space = await t.space()
    const minFree = Math.max(share.minFreeBytes, share.minFreePercent !== undefined ? Math.ceil(space.totalBytes * share.minFreePercent / 100) : 0)
    const need = minFree + (this.opts.estimateBytes ?? 0)
    if (space.freeBytes < need) {
      throw new UsmtStepsError('USM0410', `only ${space.freeBytes} bytes free, ${need} needed (minFree ${minFree}${this.opts.estimateBytes ? ` + estimate ${this.opts.estimateBytes}` : ''})`)
    }
    await t.ensureDir(SLOTS_DIR)
    const used = new Set((await t.list(SLOTS_DIR)).filter((e) => e.isDirectory).map((e) => Number(e.name)))
    const free = Array.from({ length: share.maxClients }, (_, i) => i).filter((i) => !used.has(i))
    if (free.length === 0) return null
    // Store folder first: exclusive mkdir (SMB CREATE with FILE_CREATE) means no two requests share a store.
    let id = ''
    for (let i = 0; ; i++) {
      id = newStoreId(this.opts.computer.computerName, this.now())
      try {
        await t.mkdir(id)
        break
      } catch (err) {
        if (!(err instanceof TransportError && err.kind === 'exists') || i >= 8) throw err
      }
    }
    // Then a client slot: exclusive mkdir again, so maxClients holds under concurrency.
    for (let i = free.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [free[i], free[j]] = [free[j], free[i]]
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
    const assoc = (await this.associationsOn(t).catch(() => [] as Association[])).find((a) => a.source === this.opts.computer.computerName)
      ?? (await this.associations()).find((a) => a.source === this.opts.computer.computerName)
    const now = iso(this.now())
    const rec: StoreRecord = {
      schema: STORE_SCHEMA, id, share: share.path, path: winJoin(share.path, id), slot, state: 'requested', source: this.opts.computer,
      destination: assoc?.destination ?? null, association: assoc?.id ?? null, users: assoc?.users ?? [], encrypted,
      createdAt: now, capturedAt: null, restoredAt: null, retainUntil: null, manifest: null, history: [this.event('requested')],
    }
    try {
      // Per-store access: the empty folder gets its own protected ACL (capturing computer: write; admins: full
      // control) before anything is written into it, so every file of the store inherits it.
      if (this.access) {
        const { access, detail } = this.access.describe(rec, 'requested', now)
        await this.access.apply(t, share, rec, 'requested')
        rec.access = access
        rec.history.push(this.event('access', detail))
      }
      await this.writeRecord(t, rec)
    } catch (err) {
      await t.removeDir(`${SLOTS_DIR}/${slotName(slot)}`).catch(() => undefined)
      await t.removeTree(id).catch(() => undefined)
      throw err
    }
    this.log(`store ${rec.path} created (slot ${slot} of ${share.maxClients}, ${space.freeBytes} bytes free)`)
    return rec
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
    let entries: ManifestEntry[]
    try {
      if (opts.localPath) {
        const files = await walkLocal(opts.localPath)
        if (!files.some((f) => /^USMT\//i.test(f.rel))) {
          throw new UsmtStepsError('USM0416', `${opts.localPath} holds no USMT folder: the capture has not written a store there`)
        }
        const dirs = new Set<string>()
        for (const f of files) {
          const parts = f.rel.split('/').slice(0, -1)
          for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
        }
        // The manifest's hashes are computed while the upload runs (the staged files are read from the page
        // cache a second time), so integrity costs next to nothing on top of the transfer.
        const hashing = mapLimit(files, 1, async (f) => ({ path: f.rel, size: f.size, sha256: await sha256File(f.abs) }))
        hashing.catch(() => undefined)
        const started = Date.now()
        await t.putFiles(files.map((f) => ({ localPath: f.abs, path: `${id}/${f.rel}` })), [...dirs].sort().map((d) => `${id}/${d}`))
        const bytes = files.reduce((a, f) => a + f.size, 0)
        this.log(`uploaded ${files.length} file(s), ${bytes} bytes, to ${rec.path} in ${Date.now() - started} ms: ${files.map((f) => f.rel).join(', ')}`)
        entries = await hashing
        const remote = await this.remoteFiles(t, id)
        const problems = this.compare(entries, remote)
        if (problems.length) throw new UsmtStepsError('USM0412', `the upload to ${rec.path} is incomplete: ${problems.slice(0, 5).join('; ')}`)
      } else {
        const remote = (await this.remoteFiles(t, id)).filter((f) => f.path !== RECORD_FILE && f.path !== MANIFEST_FILE)
        if (!remote.some((f) => /^USMT\//i.test(f.path))) throw new UsmtStepsError('USM0416', `${rec.path} holds no USMT folder: the capture has not written a store there`)
        entries = await mapLimit(remote, 2, async (f) => ({ path: f.path, size: f.size, sha256: await this.remoteHash(t, `${id}/${f.path}`) }))
      }
      const manifest: Manifest = { schema: STORE_SCHEMA, storeId: id, createdAt: iso(this.now()), files: entries }
      await t.writeText(`${id}/${MANIFEST_FILE}`, `${JSON.stringify(manifest, null, 2)}\n`)
      const done: StoreRecord = {
        ...rec, state: 'captured', capturedAt: iso(this.now()),
        manifest: { files: entries.length, bytes: entries.reduce((a, e) => a + e.size, 0) }, history: [...rec.history, this.event('captured')],
      }
      // Per-store access: the record says who may read the store from now on before the permissions change
      // (afterwards this computer can no longer write it); write is removed, the restoring computer reads.
      const change = this.access?.describe(done, 'captured', done.capturedAt as string)
      if (change) {
        done.access = change.access
        done.history.push(this.event('access', change.detail))
      }
      await this.writeRecord(t, done)
      if (this.access) await this.access.apply(t, share, done, 'captured')
      await this.releaseClaims(rec.source.computerName, id)
      return done
    } catch (err) {
      return this.fail(err, share.path, `release ${rec.path} after capture`, rec.path)
    }
  }

  private compare(manifest: ManifestEntry[], remote: Array<{ path: string; size: number }>): string[] {
    const byPath = new Map(remote.map((r) => [r.path.toLowerCase(), r]))
    const problems: string[] = []
    for (const e of manifest) {
      const r = byPath.get(e.path.toLowerCase())
      if (!r) problems.push(`${e.path} is missing`)
      else if (r.size !== e.size) problems.push(`${e.path} has ${r.size} bytes, expected ${e.size}`)
    }
    return problems
  }

  private async remoteFiles(t: ShareTransport, id: string): Promise<Array<{ path: string; size: number }>> {
    return t.listTree(id)
  }

  private async remoteHash(t: ShareTransport, path: string): Promise<string> {
    const h = createHash('sha256')
    const { stream, done } = t.getStream(path)
    for await (const chunk of stream) h.update(chunk as Buffer)
    await done
    return h.digest('hex')
  }

  private async manifestOf(t: ShareTransport, rec: StoreRecord): Promise<Manifest> {
    const text = await t.readText(`${rec.id}/${MANIFEST_FILE}`)
    if (text === null) throw new UsmtStepsError('USM0415', `${rec.path} has no ${MANIFEST_FILE}`)
    try {
      return parseJsonDoc<Manifest>(text, `${rec.path}\\${MANIFEST_FILE}`)
    } catch (err) {
      throw new UsmtStepsError('USM0415', `${rec.path}\\${MANIFEST_FILE} is unreadable: ${(err as Error).message}`)
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
        assocs.push(...await this.associationsOn(t))
        const ids: string[] = []
        for (const rec of await this.storesOn(t, ids)) found.push({ t, rec })
        denied.push(...ids.map((id) => ({ share: share.path, id })))
      } catch (err) {
        if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share.path, 'log on')
        errors.push(`${share.path}: ${(err as Error).message}`)
      }
    }
    const association = assocs.filter((a) => a.destination === me).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null
    const sources = association ? [association.source] : [me]
    const mine = found.filter(({ rec }) => sources.includes(rec.source.computerName) || rec.destination === me)
      .sort((a, b) => b.rec.createdAt.localeCompare(a.rec.createdAt))
    const captured = mine.find(({ rec }) => rec.state === 'captured')
    // Per-store access: a store of the source this computer may not read yet (not released after capture, or
    // not associated with it) is a denial naming the store, not "no store".
    const closed = denied.filter((d) => sources.some((src) => d.id.startsWith(`${src.replace(/[^A-Z0-9-]/g, '-').slice(0, 32)}-`)))
    if (!captured && closed.length) {
      const names = closed.map((d) => winJoin(d.share, d.id))
      throw new UsmtStepsError('USM0423', `${me} may not read the store${names.length > 1 ? 's' : ''} ${names.join(', ')} of ${sources.join(', ')}: not released to it (release after capture grants read to the associated restoring computer only)`, {
        data: { store: names[0], computer: me },
      })
    }
    if (!captured) {
      const pending = mine.find(({ rec }) => rec.state === 'requested')
      if (pending) {
        throw new UsmtStepsError('USM0414', `the store ${pending.rec.path} of ${pending.rec.source.computerName} was requested on ${pending.rec.createdAt} but never marked captured; it is refused`, { data: { store: pending.rec.path } })
      }
      const where = errors.length ? ` (unreachable: ${errors.join('; ')})` : ''
      throw new UsmtStepsError('USM0413', `no captured store for ${me}${association ? ` (association ${association.id}: source ${association.source})` : ' (no computer association names it; looked for its own store)'}${where}`, {
        exit: errors.length && found.length === 0 ? 'storeUnavailable' : undefined,
      })
    }
    const { t, rec } = captured
    const localPath = typeof opts.localPath === 'function' ? opts.localPath(rec.id) : opts.localPath ?? null
    try {
      if (localPath) {
        const manifest = await this.manifestOf(t, rec)
        const { removed } = await prepareStaging(localPath)
        if (removed.length) this.log(`${localPath}: removed what an earlier attempt left (${removed.join(', ')})`)
        const files = manifest.files.map((f) => ({ ...f, local: nodePath.join(localPath, ...f.path.split('/')) }))
        for (const dir of new Set(files.map((f) => nodePath.dirname(f.local)))) await fsp.mkdir(dir, { recursive: true })
        const started = Date.now()
        await t.getFiles(files.map((f) => ({ path: `${rec.id}/${f.path}`, localPath: f.local })))
        const downloaded = Date.now() - started
        // The store's own key document (written at request, next to the store like its record) comes along even
        // when the manifest does not list it: restore opens the data key from it.
        if (!manifest.files.some((f) => f.path === STORE_KEY_FILE)) {
          const keyText = await t.readText(`${rec.id}/${STORE_KEY_FILE}`)
          if (keyText !== null) await fsp.writeFile(nodePath.join(localPath, STORE_KEY_FILE), keyText, { mode: 0o600 })
        }
        const sums = await mapLimit(files, 2, async (f) => ({ f, sum: await sha256File(f.local) }))
        for (const { f, sum } of sums) {
          if (sum !== f.sha256) throw new UsmtStepsError('USM0415', `${f.path} of ${rec.path} differs from the manifest after download (sha256 ${sum}, expected ${f.sha256})`)
        }
        this.log(`store ${rec.path} downloaded to ${localPath} (${manifest.files.length} files, ${files.reduce((a, f) => a + f.size, 0)} bytes in ${downloaded} ms; sha256 verified)`)
      }
      const read = this.event('restore-requested', localPath ? `read by ${me}: downloaded to its staging folder` : `read by ${me}`)
      const updated: StoreRecord = { ...rec, history: [...rec.history, read] }
      // Per-store access: the restoring computer only reads the store, so its events go to the journal.
      if (this.access) await writeEvent(t, rec.id, read)
      else await this.writeRecord(t, updated)
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
    const { share, id } = this.shareOfStore(storePath)
    try {
      const t = await this.open(share)
      const rec = await this.readRecord(t, id)
      if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`)
      if (rec.state === 'restored') return rec
      if (rec.state !== 'captured') throw new UsmtStepsError('USM0414', `${rec.path} is ${rec.state}, not captured: it cannot have been restored`)
      if (this.access) return await this.releaseRestoreAccess(t, share, rec)
      const logs = opts.localPath ? await this.uploadRestoreLogs(t, rec, opts.localPath) : []
      const now = this.now()
      const done: StoreRecord = {
        ...rec, state: 'restored', restoredAt: iso(now), retainUntil: iso(new Date(now.getTime() + this.opts.policy.retention.restoredDays * DAY_MS)),
        slot: null, history: [...rec.history, this.event('restored', logs.length ? `restore logs: ${logs.join(', ')}` : undefined)],
      }
      await this.writeRecord(t, done)
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

  /** Files below `<local>/Logs` that the capture did not put into the store (never overwrites a manifest file). */
  private async uploadRestoreLogs(t: ShareTransport, rec: StoreRecord, localPath: string): Promise<string[]> {
    const dir = nodePath.join(localPath, STORE_LOGS_DIR)
    let files: LocalFile[]
    try {
      files = await walkLocal(dir)
    } catch {
      return []
    }
    let inStore: Set<string>
    try {
      inStore = new Set((await this.manifestOf(t, rec)).files.map((f) => f.path.toLowerCase()))
    } catch (err) {
      this.log(`restore logs not uploaded: ${(err as Error).message}`)
      return []
    }
    const logs = files.map((f) => ({ ...f, rel: `${STORE_LOGS_DIR}/${f.rel}` })).filter((f) => !inStore.has(f.rel.toLowerCase()))
    if (logs.length === 0) return []
    const dirs = new Set<string>()
    for (const f of logs) {
      const parts = f.rel.split('/').slice(0, -1)
      for (let i = 1; i <= parts.length; i++) dirs.add(`${rec.id}/${parts.slice(0, i).join('/')}`)
    }
    try {
      await t.putFiles(logs.map((f) => ({ localPath: f.abs, path: `${rec.id}/${f.rel}` })), [...dirs].sort())
    } catch (err) {
      this.log(`restore logs not uploaded to ${rec.path}: ${(err as Error).message}`)
      return []
    }
    const sent = logs.map((f) => f.rel)
    this.log(`restore logs uploaded to ${rec.path}: ${sent.join(', ')}`)
    return sent
  }

  async verify(storePath: string, deep: boolean): Promise<VerifyResult> {
    const { share, id } = this.shareOfStore(storePath)
    try {
      const t = await this.open(share)
      const rec = await this.readRecord(t, id)
      if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`)
      if (rec.state === 'requested') throw new UsmtStepsError('USM0414', `${rec.path} was never marked captured`)
      const manifest = await this.manifestOf(t, rec)
      const remote = await this.remoteFiles(t, id)
      const problems = this.compare(manifest.files, remote)
      // Files the manifest does not list (added after the capture was sealed): not restored, but reported — a
      // store that verifies holds exactly what was captured (issue #20 item 6).
      const listed = new Set(manifest.files.map((f) => f.path.toLowerCase()))
      for (const r of remote) {
        if (r.path === RECORD_FILE || r.path === MANIFEST_FILE || r.path === STORE_KEY_FILE || listed.has(r.path.toLowerCase())) continue
        problems.push(`${r.path} is an extra file the capture did not write (${r.size} bytes)`)
      }
      if (deep) {
        for (const f of manifest.files) {
          if (problems.some((p) => p.startsWith(`${f.path} `))) continue
          const sum = await this.remoteHash(t, `${id}/${f.path}`)
          if (sum !== f.sha256) problems.push(`${f.path} content differs (sha256 ${sum}, expected ${f.sha256})`)
        }
      }
      return { store: rec.path, ok: problems.length === 0, deep, files: manifest.files.length, bytes: manifest.files.reduce((a, f) => a + f.size, 0), problems }
    } catch (err) {
      return this.fail(err, share.path, `verify ${storePath}`, storePath)
    }
  }

  async list(): Promise<ShareListing[]> {
    const out: ShareListing[] = []
    for (const share of this.shares) {
      try {
        const t = await this.open(share)
        const [space, stores, associations, slots] = [await t.space(), await this.storesOn(t), await this.associationsOn(t), await t.list(SLOTS_DIR).catch(() => [])]
        out.push({ share: share.path, reachable: true, space, slotsUsed: slots.filter((s) => s.isDirectory).length, maxClients: share.maxClients, stores, associations })
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
        const stores = await this.storesOn(t)
        const live = new Set<number>()
        for (const rec of stores) {
          let reason: string | null = null
          if (rec.state === 'restored' && rec.retainUntil && Date.parse(rec.retainUntil) <= now) reason = `restored ${rec.restoredAt}, retained until ${rec.retainUntil}`
          if (rec.state === 'requested' && Date.parse(rec.createdAt) + this.opts.policy.retention.abandonedDays * DAY_MS <= now) {
            reason = `requested ${rec.createdAt} and never captured (abandoned after ${this.opts.policy.retention.abandonedDays} days)`
          }
          if (!reason) {
            result.kept++
            if (rec.slot !== null) live.add(rec.slot)
            continue
          }
          result.deleted.push({ store: rec.path, reason })
          if (!dryRun) {
            await t.removeTree(rec.id)
            if (this.access) await t.removeTree(`${EVENTS_DIR}/${rec.id}`).catch(() => undefined)
            if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
            if (rec.state === 'requested') await this.releaseClaims(rec.source.computerName, rec.id)
          }
        }
        const slots = await t.list(SLOTS_DIR).catch(() => [])
        for (const s of slots) {
          if (s.isDirectory && !live.has(Number(s.name)) && now - s.mtimeMs > STALE_SLOT_MS) {
            result.slotsFreed++
            if (!dryRun) await t.removeDir(`${SLOTS_DIR}/${s.name}`).catch(() => undefined)
          }
        }
      } catch (err) {
        this.fail(err, share.path, 'prune')
      }
    }
    return result
  }
}

export { META_DIR }
