/**
 * The transports of the shares a store service talks to (one per share, opened on first use, with the
 * credentials connected on Windows when the share refuses the session), and the translation of transport
 * failures into USM04xx errors.
 */
import type { SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import type { Credentials } from './credentials.js'
import { connectWithCredentials, FsTransport } from './fs.js'
import { SmbclientTransport, type SmbRunner } from './smbclient.js'
import { TransportError, type ShareTransport } from './transport.js'

export type TransportKind = 'fs' | 'smbclient'

export interface ConnectionOptions {
  transport: TransportKind
  credentials?: Credentials
  /** fs transport off Windows: where each share is mounted (UNC, lower case → local folder). */
  mounts?: Record<string, string>
  smbRunner?: SmbRunner
  platform?: NodeJS.Platform
  env?: Record<string, string | undefined>
  log: (line: string) => void
}

export class ShareConnections {
  private readonly transports = new Map<string, ShareTransport>()

  constructor(private readonly opts: ConnectionOptions) {}

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

  async open(share: SharePolicy): Promise<ShareTransport> {
    const t = this.transportFor(share)
    // smbclient connects for every operation and classifies failures the same way, so a separate probe would
    // only cost one more connection: the first real operation is the probe.
    if (t.kind === 'smbclient') return t
    try {
      await t.probe()
    } catch (err) {
      const winFs = t.kind === 'fs' && (this.opts.platform ?? process.platform) === 'win32' && this.opts.credentials
      if (winFs && err instanceof TransportError && (err.kind === 'denied' || err.kind === 'auth' || err.kind === 'unreachable')) {
        this.opts.log(`connecting to ${share.path} with ${this.opts.credentials?.source}`)
        await connectWithCredentials(share.path, this.opts.credentials as Credentials, { env: this.opts.env })
        await t.probe()
      } else {
        throw err
      }
    }
    return t
  }

  async close(): Promise<void> {
    for (const t of this.transports.values()) await t.close()
    this.transports.clear()
  }
}

/** A failure on `share` while doing `what`, as the USM04xx error the steps report (other errors pass). */
export function shareFailure(err: unknown, share: string, what: string): never {
  if (err instanceof UsmtStepsError) throw err
  if (err instanceof TransportError) {
    const data = { share, status: err.status ?? null, kind: err.kind }
    if (err.kind === 'auth') throw new UsmtStepsError('USM0411', `${share}: ${what}: ${err.message}`, { data, cause: err })
    if (err.kind === 'transfer' || err.kind === 'unreachable') throw new UsmtStepsError('USM0412', `${share}: ${what} failed: ${err.message}`, { data, cause: err })
    if (err.message.includes('smbclient was not found')) throw new UsmtStepsError('USM0417', err.message, { data, cause: err })
    throw new UsmtStepsError('USM0420', `${share}: ${what}: ${err.message}`, { data, cause: err })
  }
  throw err
}
