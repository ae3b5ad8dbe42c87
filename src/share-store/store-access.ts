/**
 * Applies the per-store DACL of a phase (access.ts) to a store folder and everything in it, through an AclTool.
 * Children first, the store folder last: the capturing computer changes the ACL as the folder's owner, and the
 * last change (OWNER RIGHTS: read-control only) takes that power away, so it must come after every child.
 * Samba stores the ACEs a new file inherits as explicit entries, so every child is set explicitly (what Windows'
 * SetNamedSecurityInfo propagation does client-side as well).
 */
import type { SharePolicy, StoreAccessPolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { describeAces, parseSddlAces, storeAces, toSddl, type AccessAce, type AccessPhase } from './access.js'
import type { AclTool } from './acl-tool.js'
import type { AccessGrant, StoreAccess, StoreRecord } from './records.js'
import { TransportError, type ShareTransport } from './transport.js'

export interface StoreAccessOptions {
  policy: StoreAccessPolicy
  toolFor: (share: SharePolicy) => AclTool
  /** Domain for the computer-account template (from the credentials). */
  domain?: string
  log: (line: string) => void
}

function grantOf(a: AccessAce): AccessGrant | null {
  if (a.role === 'owner rights') return null
  return { role: a.role, ...(a.computer ? { computer: a.computer } : {}), principal: a.principal, rights: a.role === 'admins' ? 'full control' : a.role === 'capturing computer' ? 'write' : 'read' }
}

export class StoreAccessControl {
  private readonly sids = new Map<string, string>()

  constructor(private readonly o: StoreAccessOptions) {}

  /** Who reads a captured store: the association's destination, else (a refresh) the source itself. */
  static readers(rec: StoreRecord): string[] {
    return [rec.destination ?? rec.source.computerName]
  }

  private async resolve(tool: AclTool, aces: readonly AccessAce[]): Promise<Array<{ sid: string; mask: number }>> {
    const missing = aces.map((a) => a.principal).filter((p) => !this.sids.has(p.toLowerCase()))
    if (missing.length) {
      try {
        for (const [name, sid] of await tool.resolve(missing)) this.sids.set(name.toLowerCase(), sid)
      } catch (err) {
        throw new UsmtStepsError('USM0424', `the accounts of the access policy cannot be resolved: ${(err as Error).message}`, {
          cause: err, extraActions: ['Check access.admins, access.accounts and access.computerAccount in the policy against the accounts the file server knows.'],
        })
      }
    }
    return aces.map((a) => ({ sid: this.sids.get(a.principal.toLowerCase()) as string, mask: a.mask }))
  }

  private async children(t: ShareTransport, id: string): Promise<Array<{ path: string; dir: boolean; depth: number }>> {
    const out: Array<{ path: string; dir: boolean; depth: number }> = []
    const walk = async (rel: string, depth: number): Promise<void> => {
      for (const e of await t.list(rel)) {
        const p = `${rel}/${e.name}`
        if (e.isDirectory) await walk(p, depth + 1)
        out.push({ path: p, dir: e.isDirectory, depth })
      }
    }
    await walk(id, 1)
    // deepest first, and a folder after its content
    return out.sort((a, b) => b.depth - a.depth || Number(a.dir) - Number(b.dir))
  }

  /** What the record says about `phase` (written before the change: afterwards the writer may have lost write). */
  describe(rec: StoreRecord, phase: AccessPhase, at: string): { access: StoreAccess; detail: string } {
    const aces = storeAces(this.o.policy, phase, { source: rec.source.computerName, readers: StoreAccessControl.readers(rec), domain: this.o.domain })
    return { access: { phase, since: at, grants: aces.map(grantOf).filter((g): g is AccessGrant => g !== null) }, detail: `${phase}: ${describeAces(aces)}` }
  }

  /** Set the DACL of `phase` on the store and everything in it. */
  async apply(t: ShareTransport, share: SharePolicy, rec: StoreRecord, phase: AccessPhase): Promise<void> {
    const aces = storeAces(this.o.policy, phase, { source: rec.source.computerName, readers: StoreAccessControl.readers(rec), domain: this.o.domain })
    const tool = this.o.toolFor(share)
    const resolved = await this.resolve(tool, aces)
    const what = `${phase === 'requested' ? 'grant' : phase === 'captured' ? 'release after capture' : 'release after restore'} on ${rec.path}`
    try {
      if (phase !== 'requested') {
        for (const c of await this.children(t, rec.id)) await tool.setSddl(c.path, toSddl(resolved, c.dir ? 'dir' : 'file'))
      }
      await tool.setSddl(rec.id, toSddl(resolved, 'root'))
    } catch (err) {
      if (err instanceof UsmtStepsError) throw err
      const denied = err instanceof TransportError && err.kind === 'denied'
      throw new UsmtStepsError(denied ? 'USM0423' : 'USM0424', `${what}: the store's permissions could not be set: ${(err as Error).message}`, {
        cause: err, data: { store: rec.path },
      })
    }
    this.o.log(`access on ${rec.path} (${phase}): ${describeAces(aces)}`)
  }

  /** Is the store folder's DACL already that of `phase`? (A release that is run again after it set it.) */
  async isApplied(share: SharePolicy, rec: StoreRecord, phase: AccessPhase): Promise<boolean> {
    const aces = storeAces(this.o.policy, phase, { source: rec.source.computerName, readers: StoreAccessControl.readers(rec), domain: this.o.domain })
    const tool = this.o.toolFor(share)
    const want = await this.resolve(tool, aces)
    let have
    try {
      have = parseSddlAces(await tool.getSddl(rec.id))
    } catch {
      return false
    }
    const key = (x: { sid: string; mask: number }): string => `${x.sid.toUpperCase()}=${x.mask}`
    return have.length === want.length && have.every((h) => h.type === 'A') && new Set(have.map(key)).size === new Set([...have, ...want].map(key)).size
  }
}
