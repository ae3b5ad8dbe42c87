/**
 * What the parts of a store service share: the policy's shares opened through one set of connections, the
 * computer it acts for, per-store access (with each share's ACL tool), the clock and the log, the records as
 * this computer sees them (with the journal's events under per-store access), and the translation of failures
 * into USM04xx errors. StoreService (service.ts) owns one; capture-store.ts, restore-store.ts, claiming.ts and
 * store-keys.ts work through it.
 */
import type { Policy, SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { SmbcaclsTool, WindowsAclTool, type AclTool } from './acl-tool.js'
import { ShareConnections, shareFailure, type ConnectionOptions } from './connections.js'
import { storeEvent, storeOnShares } from './decide.js'
import { eventsOf, withJournal } from './journal.js'
import { associationsOn, readRecord, type StoresOnOptions } from './on-share.js'
import type { Association, ComputerIdentity, StoreEvent, StoreRecord } from './records.js'
import { StoreAccessControl } from './store-access.js'
import { TransportError, type ShareTransport } from './transport.js'

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

export class StoreScope {
  private readonly connections: ShareConnections
  private readonly aclTools = new Map<string, AclTool>()
  /** Per-store access (policy `access:`), or null when the share's own ACL applies to every store. */
  readonly access: StoreAccessControl | null
  readonly log: (line: string) => void
  readonly now: () => Date
  readonly sleep: (ms: number) => Promise<void>

  constructor(readonly opts: StoreServiceOptions) {
    this.log = opts.log ?? (() => undefined)
    this.now = opts.now ?? (() => new Date())
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    this.connections = new ShareConnections({ ...opts, log: this.log })
    const policy = opts.policy.access
    this.access = policy ? new StoreAccessControl({ policy, toolFor: (share) => this.aclToolFor(share), domain: opts.credentials?.domain, log: this.log }) : null
  }

  /** The policy's shares (a UDShare given alone is added to the policy by the caller). */
  get shares(): SharePolicy[] {
    return this.opts.policy.shares
  }

  get me(): string {
    return this.opts.computer.computerName
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

  transportFor(share: SharePolicy): ShareTransport {
    return this.connections.transportFor(share)
  }

  open(share: SharePolicy): Promise<ShareTransport> {
    return this.connections.open(share)
  }

  async close(): Promise<void> {
    await this.connections.close()
    for (const a of this.aclTools.values()) await a.close()
    this.aclTools.clear()
  }

  /** How the share's documents are read: with per-store access, the journal's events apply to each record. */
  get onShare(): StoresOnOptions {
    return this.access ? { journal: { restoredDays: this.opts.policy.retention.restoredDays } } : {}
  }

  shareOfStore(storePath: string): { share: SharePolicy; id: string } {
    return storeOnShares(storePath, this.shares)
  }

  /** The store's share, its transport and its record (USM0418 when there is none). */
  async storeAt(storePath: string): Promise<{ share: SharePolicy; t: ShareTransport; rec: StoreRecord }> {
    const { share, id } = this.shareOfStore(storePath)
    const t = await this.open(share)
    const rec = await this.readRecord(t, id)
    if (!rec) throw new UsmtStepsError('USM0418', `${storePath} has no store record`, { data: { storePath } })
    return { share, t, rec }
  }

  /** A failure as its USM04xx error; under per-store access a denial is USM0423 naming this computer and the store. */
  fail(err: unknown, share: string, what: string, store?: string): never {
    if (err instanceof TransportError && err.kind === 'denied' && this.access) {
      const data = { share, status: err.status ?? null, kind: err.kind }
      throw new UsmtStepsError('USM0423', `${what}: ${this.me} may not do this on ${store ?? share} (${err.status ?? 'access denied'})`, { data: { ...data, store: store ?? null }, cause: err })
    }
    return shareFailure(err, share, what)
  }

  /** An authentication failure ends the operation (USM0411); any other failure of a share is the caller's to note. */
  failOnAuth(err: unknown, share: string, what: string): void {
    if (err instanceof TransportError && err.kind === 'auth') this.fail(err, share, what)
  }

  event(event: StoreEvent['event'], detail?: string): StoreEvent {
    return storeEvent(event, this.me, this.now(), detail)
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
}
