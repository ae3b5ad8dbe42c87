/**
 * Per-store access on shares, the way a ConfigMgr state migration point sets it (issue #19). Pure decisions:
 * which account stands for a computer, and the DACL of a store in each phase of its life. The ACLs are applied
 * by an AclTool (acl-tool.ts: smbcacls on Linux, the NTFS ACL through PowerShell on Windows).
 *
 * | phase       | who sets it                   | DACL (protected: nothing inherited from the share)                           |
 * | requested   | the capturing computer (owner) | admins full control; capturing computer modify (read, write, delete)        |
 * | captured    | the capturing computer         | admins full control; each restoring computer read (+ change permissions,    |
 * |             |                                | so it can withdraw its own access at its release); OWNER RIGHTS read-control |
 * |             |                                | only, so the capturing computer keeps no write and cannot take it back      |
 * | restored    | the restoring computer         | admins full control; OWNER RIGHTS read-control only: nobody else             |
 */
import type { StoreAccessPolicy } from '../plan/types.js'
import { normalizeComputer } from './records.js'

export type AccessPhase = 'requested' | 'captured' | 'restored'

/** Access masks (Windows FILE_* and standard rights). */
export const MASK = {
  /** FILE_ALL_ACCESS. */
  full: 0x001f01ff,
  /** Modify: read, write, execute, delete (no change permissions, no take ownership). */
  modify: 0x001301bf,
  /** Read and execute (list, traverse, read data/attributes/EA/permissions, synchronize). */
  read: 0x001200a9,
  /** WRITE_DAC. */
  writeDac: 0x00040000,
  /** READ_CONTROL. */
  readControl: 0x00020000,
} as const

/** The OWNER RIGHTS SID: its ACE replaces the owner's implicit READ_CONTROL | WRITE_DAC. */
export const OWNER_RIGHTS_SID = 'S-1-3-4'

export interface AccessAce {
  /** Account or group as the policy names it (resolved to a SID by the AclTool), or a SID. */
  principal: string
  mask: number
  /** Who this is, for the record and the report. */
  role: 'admins' | 'capturing computer' | 'restoring computer' | 'owner rights'
  computer?: string
}

/** The account that stands for `computer`: the policy's explicit map, else its template. */
export function accountOf(policy: StoreAccessPolicy, computer: string, domain?: string): string {
  const name = normalizeComputer(computer)
  const explicit = policy.accounts[name]
  if (explicit) return explicit
  const dom = policy.domain ?? domain ?? ''
  const account = policy.computerAccount.replace(/\{computer\}/g, name).replace(/\{domain\}/g, dom)
  return account.startsWith('\\') ? account.slice(1) : account
}

/** The DACL of a store in `phase` (see the table above). */
export function storeAces(policy: StoreAccessPolicy, phase: AccessPhase, o: { source: string; readers: readonly string[]; domain?: string }): AccessAce[] {
  const aces: AccessAce[] = [{ principal: policy.admins, mask: MASK.full, role: 'admins' }]
  if (phase === 'requested') {
    aces.push({ principal: accountOf(policy, o.source, o.domain), mask: MASK.modify, role: 'capturing computer', computer: normalizeComputer(o.source) })
    return aces
  }
  if (phase === 'captured') {
    const seen = new Set<string>()
    for (const r of o.readers) {
      const c = normalizeComputer(r)
      if (seen.has(c)) continue
      seen.add(c)
      aces.push({ principal: accountOf(policy, c, o.domain), mask: MASK.read | MASK.writeDac, role: 'restoring computer', computer: c })
    }
  }
  aces.push({ principal: OWNER_RIGHTS_SID, mask: MASK.readControl, role: 'owner rights' })
  return aces
}

export function isSid(s: string): boolean {
  return /^S-1-\d+(-\d+)+$/i.test(s)
}

/**
 * SDDL of a DACL. `target`: `root` (the store folder: protected, inherited by every child), `dir` / `file` (a
 * child: the same ACEs marked inherited, containers keep the inheritance flags).
 */
export function toSddl(aces: ReadonlyArray<{ sid: string; mask: number }>, target: 'root' | 'dir' | 'file'): string {
  const flags = target === 'root' ? 'OICI' : target === 'dir' ? 'OICIID' : 'ID'
  const hex = (m: number): string => `0x${m.toString(16).padStart(8, '0')}`
  return `D:${target === 'root' ? 'P' : ''}${aces.map((a) => `(A;${flags};${hex(a.mask)};;;${a.sid})`).join('')}`
}

/** One line per ACE for logs, the record and the report (never secrets: names and rights only). */
export function describeAces(aces: readonly AccessAce[]): string {
  const right = (m: number): string => m === MASK.full ? 'full control' : m === MASK.modify ? 'write' : (m & ~MASK.writeDac) === MASK.read ? 'read' : m === MASK.readControl ? 'nothing beyond reading the permissions' : `0x${m.toString(16)}`
  return aces.map((a) => `${a.role}${a.computer ? ` ${a.computer}` : ''} (${a.principal}): ${right(a.mask)}`).join('; ')
}

/** The DACL entries of an SDDL string as { sid, mask } (flags ignored), for comparing what is set with what should be. */
export function parseSddlAces(sddl: string): Array<{ type: string; sid: string; mask: number }> {
  const d = /D:[A-Z]*((?:\([^)]*\))*)/.exec(sddl)
  if (!d) return []
  return [...d[1].matchAll(/\(([A-Z]+);[A-Z]*;([^;]*);[^;]*;[^;]*;([^)]*)\)/g)].map((m) => ({ type: m[1], sid: m[3].toUpperCase(), mask: /^0x/i.test(m[2]) ? Number.parseInt(m[2], 16) : Number.NaN }))
}
