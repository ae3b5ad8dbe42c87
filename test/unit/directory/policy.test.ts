import { expect } from 'chai'
import { DEFAULT_POLICY, selectProfiles, type SelectionPolicy } from '../../../src/directory/policy.js'
import type { ResolvedProfile } from '../../../src/directory/resolve.js'

const D = 'S-1-5-21-10-20-30'
/** NTUSER.DAT's time: the profile was used (a profile never used is left out first, see below). */
const USED = '2026-11-01T08:00:00.000Z'
const NOW = new Date('2026-11-20T00:00:00Z')
const daysAgo = (n: number): string => new Date(NOW.getTime() - n * 86_400_000).toISOString()
const SALES = 'OU=Sales,OU=Lab,DC=corp,DC=example,DC=com'
const ENG = 'OU=Engineering,OU=Lab,DC=corp,DC=example,DC=com'
const G_MIGRATE = { spec: 'GG-Migrate', name: 'GG-Migrate', sid: `${D}-3001` }
const G_KIOSK = { spec: 'Kiosk', name: 'Kiosk', sid: `${D}-3002` }

function domainUser(name: string, rid: number, o: { status?: 'active' | 'disabled'; ou?: string; lastLogon?: string; groups?: string[] } = {}): ResolvedProfile {
  return {
    profile: `C:\\Users\\${name}`, account: `CORP\\${name}`, sid: `${D}-${rid}`, source: 'users-file', lastUse: USED, kind: 'domain', status: o.status ?? 'active',
    directory: { dn: `CN=${name},${o.ou ?? SALES}`, samAccountName: name, ou: o.ou ?? SALES, lastLogon: o.lastLogon, matchedBy: 'sid' },
    groupSids: o.groups ?? [`${D}-513`],
  }
}
const policy = (p: Partial<SelectionPolicy> = {}): SelectionPolicy => ({ ...DEFAULT_POLICY, ...p })
const one = (r: ResolvedProfile, p: Partial<SelectionPolicy> = {}) => selectProfiles([r], policy(p), NOW).decisions[0]

describe('directory/policy (selection rules, pure)', () => {
  it('captures an active domain account by default and says why', () => {
    const d = one(domainUser('ann', 1101, { lastLogon: daysAgo(2) }))
    expect(d).to.include({ decision: 'capture', rule: 'captured' })
    expect(d.reason).to.equal(`domain account; last logon in AD ${daysAgo(2).slice(0, 10)}`)
  })

  it('service profiles are always migrated by USMT and never listed in /ui', () => {
    const d = one({ profile: 'C:\\Windows\\system32\\config\\systemprofile', sid: 'S-1-5-18', source: 'profilelist', kind: 'system', status: 'not-checked' })
    expect(d).to.include({ decision: 'always', rule: 'system' })
  })

  it('a profile never used (no NTUSER.DAT, no last-use time) is left out first, with the engine\'s reason, whatever its account or status', () => {
    const fresh = { ...domainUser('newhire', 1103), lastUse: undefined, neverUsed: true }
    const d = one(fresh)
    expect(d).to.include({ decision: 'skip', rule: 'never-used' })
    expect(d.reason).to.equal('never logged on (no NTUSER.DAT and no lastUse): USMT does not migrate a profile that was never used')
    // Not an orphan to block on either: USMT would not migrate it.
    expect(one({ ...fresh, status: 'not-found' })).to.include({ decision: 'skip', rule: 'never-used' })
    expect(one({ ...domainUser('newhire', 1103) })).to.include({ decision: 'capture' })
    // A users-file entry whose folder could not be looked at (no volume) is not "never used": it is not known.
    expect(one({ ...domainUser('newhire', 1103), lastUse: undefined })).to.include({ decision: 'capture' })
  })

  it('local accounts: kept unless keepLocal is off', () => {
    const local: ResolvedProfile = { profile: 'C:\\Users\\admin', account: 'PC01\\admin', source: 'users-file', lastUse: USED, kind: 'local', status: 'not-checked' }
    expect(one(local)).to.include({ decision: 'capture', rule: 'local' })
    expect(one(local, { keepLocal: false })).to.include({ decision: 'skip', rule: 'local-excluded' })
  })

  it('include groups: members (transitively, as resolved) are captured, others skipped', () => {
    const inGroup = domainUser('ann', 1101, { groups: [`${D}-513`, G_MIGRATE.sid] })
    const outside = domainUser('bob', 1102)
    const r = selectProfiles([inGroup, outside], policy({ includeGroups: [G_MIGRATE] }), NOW).decisions
    expect(r.map((d) => d.rule)).to.deep.equal(['captured', 'not-in-scope'])
    expect(r[1].reason).to.equal('not in any included group or OU (group GG-Migrate)')
  })

  it('exclude groups win over include groups and OUs', () => {
    const u = domainUser('ann', 1101, { groups: [G_MIGRATE.sid, G_KIOSK.sid] })
    const d = one(u, { includeGroups: [G_MIGRATE], includeOus: [SALES], excludeGroups: [G_KIOSK] })
    expect(d).to.include({ decision: 'skip', rule: 'exclude-group', reason: 'member of excluded group Kiosk' })
  })

  it('include and exclude OUs, with sub-OUs and case-insensitive DNs', () => {
    const sub = domainUser('carl', 1103, { ou: `OU=Contractors,${ENG}` })
    expect(one(sub, { excludeOus: [ENG.toLowerCase()] })).to.include({ decision: 'skip', rule: 'exclude-ou' })
    expect(one(sub, { includeOus: [SALES] })).to.include({ decision: 'skip', rule: 'not-in-scope' })
    expect(one(sub, { includeOus: [SALES, ENG] })).to.include({ decision: 'capture' })
    expect(one(sub, { includeGroups: [G_MIGRATE], includeOus: [ENG] })).to.include({ decision: 'capture' })
  })

  it('disabled accounts: skipped only with skipDisabled, else captured with a note', () => {
    const u = domainUser('dora', 1104, { status: 'disabled' })
    expect(one(u, { skipDisabled: true })).to.include({ decision: 'skip', rule: 'disabled' })
    const kept = one(u)
    expect(kept.decision).to.equal('capture')
    expect(kept.reason).to.include('disabled in AD but skipDisabled is off')
  })

  it('inactivity by the directory last logon: strictly older than N days is skipped; unknown is kept', () => {
    expect(one(domainUser('eve', 1105, { lastLogon: daysAgo(91) }), { inactiveDays: 90 })).to.include({ decision: 'skip', rule: 'inactive' })
    expect(one(domainUser('eve', 1105, { lastLogon: daysAgo(90) }), { inactiveDays: 90 })).to.include({ decision: 'capture' })
    const never = one(domainUser('frank', 1106), { inactiveDays: 90 })
    expect(never.decision).to.equal('capture')
    expect(never.reason).to.include('no lastLogonTimestamp')
    expect(one(domainUser('eve', 1105, { lastLogon: daysAgo(400) }))).to.include({ decision: 'capture' })
  })

  it('rule order: exclusion, scope, disabled, inactivity', () => {
    const u = domainUser('x', 1200, { status: 'disabled', lastLogon: daysAgo(500), groups: [G_KIOSK.sid] })
    const p = { excludeGroups: [G_KIOSK], includeGroups: [G_MIGRATE], skipDisabled: true, inactiveDays: 30 }
    expect(one(u, p).rule).to.equal('exclude-group')
    expect(one(u, { ...p, excludeGroups: [] }).rule).to.equal('not-in-scope')
    expect(one(u, { ...p, excludeGroups: [], includeGroups: [] }).rule).to.equal('disabled')
    expect(one(u, { ...p, excludeGroups: [], includeGroups: [], skipDisabled: false }).rule).to.equal('inactive')
  })

  describe('orphans (SID not resolvable)', () => {
    const deleted: ResolvedProfile = { ...domainUser('gone', 1107), status: 'deleted', directory: { dn: 'CN=gone\\0ADEL:x,CN=Deleted Objects', samAccountName: 'gone', ou: SALES, whenChanged: '20261101000000.0Z', matchedBy: 'sid' } }
    const missing: ResolvedProfile = { profile: 'C:\\Users\\ghost', account: 'CORP\\ghost', sid: `${D}-99999`, source: 'users-file', lastUse: USED, kind: 'domain', status: 'not-found' }

    it('block the step by default: never dropped silently', () => {
      const r = selectProfiles([deleted, missing], policy(), NOW)
      expect(r.decisions.map((d) => d.decision)).to.deep.equal(['blocked', 'blocked'])
      expect(r.decisions[0].reason).to.include('account deleted in AD (tombstone changed 20261101000000.0Z)')
      expect(r.decisions[1].reason).to.include('SID not found in AD')
    })

    it('a mapping (by SID or by account, case-insensitive) captures them under the new account', () => {
      const r = selectProfiles([deleted, missing], policy({ orphanMap: { [`${D}-99999`]: 'CORP\\bob', 'corp\\gone': 'CORP\\ann' } }), NOW).decisions
      expect(r.map((d) => [d.decision, d.rule, d.mapTo])).to.deep.equal([['capture', 'orphan-mapped', 'CORP\\ann'], ['capture', 'orphan-mapped', 'CORP\\bob']])
    })

    it('skipDeleted leaves out deleted accounts knowingly (warning) but not unknown SIDs', () => {
      const r = selectProfiles([deleted, missing], policy({ skipDeleted: true }), NOW)
      expect(r.decisions.map((d) => d.rule)).to.deep.equal(['deleted-skipped', 'orphan-blocked'])
      expect(r.warnings).to.have.length(1)
      expect(r.warnings[0]).to.include('C:\\Users\\gone is NOT captured (skipDeleted)')
    })

    it('orphans=exclude leaves them out with a warning each', () => {
      const r = selectProfiles([deleted, missing], policy({ orphans: 'exclude' }), NOW)
      expect(r.decisions.map((d) => d.rule)).to.deep.equal(['orphan-excluded', 'orphan-excluded'])
      expect(r.warnings).to.have.length(2)
    })

    it('an unknown folder that AD does not know is an orphan too', () => {
      const folder: ResolvedProfile = { profile: 'C:\\Users\\olduser', source: 'folder', lastUse: USED, kind: 'unknown', status: 'not-found' }
      expect(one(folder)).to.include({ decision: 'blocked' })
    })
  })

  it('accounts of another domain are kept with a warning; no directory or an unavailable one keeps everything', () => {
    const foreign: ResolvedProfile = { profile: 'C:\\Users\\zed', account: 'OTHER\\zed', sid: 'S-1-5-21-9-9-9-1001', source: 'users-file', lastUse: USED, kind: 'foreign', status: 'not-checked' }
    const r = selectProfiles([foreign], policy({ keepLocal: false }), NOW)
    expect(r.decisions[0]).to.include({ decision: 'capture', rule: 'foreign' })
    expect(r.warnings[0]).to.include('OTHER\\zed')
    const u = { ...domainUser('ann', 1101), status: 'unavailable' as const, directory: undefined, groupSids: undefined }
    expect(one(u, { excludeOus: [SALES], inactiveDays: 1 })).to.include({ decision: 'capture', rule: 'directory-unavailable' })
    expect(one({ ...u, status: 'not-checked' })).to.include({ decision: 'capture', rule: 'no-directory' })
  })
})
