import { expect } from 'chai'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Attribute } from 'ldapts'
import { parseJsonOutput, PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { AD_ADMIN_PASSWORD, AD_ADMIN_USER, adminClient, closedPort, requireSambaAd, startTestDirectory, type TestDirectory } from '../../helpers/ldap.js'

/**
 * `usmt-steps users` end to end against the Samba AD DC: a sample machine (C:\Users folders + users.json),
 * every selection rule, orphans, degradation when the directory is down, and what lands in the variables.
 */
const ADSI_DOUBLE = path.join(PROJECT_ROOT, 'test', 'doubles', 'adsi-powershell.double.ts')

interface Row { profile: string; account?: string; sid?: string; kind: string; status: string; decision: string; rule: string; reason: string; mapTo?: string }
interface Result { profiles: Row[]; counts: Record<string, number>; userArgs: { args: string[]; commandLine: string; mapArgs: string[] }; variables: Record<string, string>; directory: { state: string; netbiosName?: string; domainSid?: string; transport?: string; account?: string } }
type Json = { status: string; result: Result; warnings: string[]; error?: { code: string; exitCode: number; message: string; data: Record<string, unknown> } }

describe('usmt-steps users against Samba AD', function () {
  this.timeout(180000)
  let dir: TestDirectory
  let work: string
  let usersFile: string
  let ghostSid: string
  const LOCAL_SID = 'S-1-5-21-1111-2222-3333-1001'

  before(async function () {
    requireSambaAd(this)
    dir = await startTestDirectory()
    work = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-users-'))
    const names = ['ann', 'bob', 'carl', 'dora', 'eve', 'frank', 'gone', 'ghost', 'admin', 'Public', 'Default']
    for (const n of names) mkdirSync(path.join(work, 'C', 'Users', n), { recursive: true })
    // Profiles that were used have an NTUSER.DAT (a profile never used is left out before any directory rule).
    for (const n of names.filter((x) => x !== 'Public' && x !== 'Default')) writeFileSync(path.join(work, 'C', 'Users', n, 'NTUSER.DAT'), 'hive')
    ghostSid = `${dir.domainSid}-99999`
    const entry = (n: string): object => ({ account: `CORP\\${n}`, profile: `C:\\Users\\${n}`, sid: dir.users[n].sid })
    usersFile = path.join(work, 'users.json')
    writeFileSync(usersFile, JSON.stringify([
      ...['ann', 'bob', 'carl', 'dora', 'eve', 'frank', 'gone'].map(entry),
      { account: 'CORP\\ghost', profile: 'C:\\Users\\ghost', sid: ghostSid },
      { account: 'PC01\\admin', profile: 'C:\\Users\\admin', sid: LOCAL_SID },
      { account: 'NT AUTHORITY\\SYSTEM', profile: 'C:\\Windows\\system32\\config\\systemprofile', sid: 'S-1-5-18' },
    ], null, 2))
    writeFileSync(path.join(work, 'password.txt'), `${AD_ADMIN_PASSWORD}\n`)
  })

  after(async () => {
    await dir?.stop()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  function envFile(vars: Record<string, string> = {}): string {
    const f = path.join(work, `env-${Math.random().toString(36).slice(2)}.json`)
    writeFileSync(f, JSON.stringify({ USMTStepsDirectoryUser: AD_ADMIN_USER, USMTStepsDirectoryPassword: AD_ADMIN_PASSWORD, ...vars }))
    return f
  }

  async function users(extra: string[], vars: Record<string, string> = {}): Promise<{ json: Json; exitCode: number; env: Record<string, string>; stdout: string; stderr: string }> {
    const file = envFile(vars)
    const r = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile,
      '--computer', 'PC01', ...(extra.includes('--dc') ? [] : ['--dc', dir.ldapUrl]), '--ca-file', dir.caFile, '--log-dir', work, ...extra])
    return { json: parseJsonOutput<Json>(r.stdout), exitCode: r.exitCode, env: JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>, stdout: r.stdout, stderr: r.stderr }
  }

  const row = (j: Json, name: string): Row => {
    const r = j.result.profiles.find((p) => p.profile.toLowerCase().endsWith(`\\${name}`))
    if (!r) throw new Error(`no row for ${name}`)
    return r
  }
  const captured = (j: Json): string[] => j.result.profiles.filter((p) => p.decision === 'capture').map((p) => p.profile.split('\\').pop() as string).sort()

  it('fails before capture when orphaned profiles have no mapping, and writes no selection', async () => {
    const r = await users([])
    expect(r.exitCode).to.equal(23)
    expect(r.json.error?.code).to.equal('USM0509')
    expect(r.json.error?.message).to.include('C:\\Users\\gone').and.include('deleted in AD').and.include('C:\\Users\\ghost').and.include('SID not found')
    const blocked = (r.json.error?.data.blocked as Array<{ profile: string; status: string }>).map((b) => `${b.profile}:${b.status}`).sort()
    expect(blocked).to.deep.equal(['C:\\Users\\ghost:not-found', 'C:\\Users\\gone:deleted'])
    expect(r.env).to.not.have.property('USMTStepsUserArgs')
    expect(r.env).to.not.have.property('OSDMigrateAdditionalCaptureOptions')
    expect(r.env.USMTStepsLastResult).to.equal('Failed')
    expect(r.env.USMTStepsLastErrorCode).to.equal('USM0509')
  })

  it('resolves every kind of profile and, with orphans mapped, captures them under the mapping', async () => {
    const map = path.join(work, 'orphans.json')
    writeFileSync(map, JSON.stringify({ [ghostSid]: 'CORP\\bob', 'corp\\GONE': 'CORP\\ann' }))
    const r = await users(['--orphan-map', map])
    expect(r.exitCode, r.stdout).to.equal(0)
    const j = r.json
    expect(j.result.directory.state).to.equal('connected')
    expect(j.result.directory.netbiosName).to.equal('CORP')
    expect(j.result.directory.domainSid).to.equal(dir.domainSid)
    expect(row(j, 'ann')).to.include({ kind: 'domain', status: 'active', decision: 'capture', sid: dir.users.ann.sid })
    expect(row(j, 'dora')).to.include({ status: 'disabled', decision: 'capture' })
    expect(row(j, 'gone')).to.include({ kind: 'domain', status: 'deleted', decision: 'capture', rule: 'orphan-mapped', mapTo: 'CORP\\ann' })
    expect(row(j, 'ghost')).to.include({ status: 'not-found', decision: 'capture', rule: 'orphan-mapped', mapTo: 'CORP\\bob' })
    expect(row(j, 'admin')).to.include({ kind: 'local', decision: 'capture', rule: 'local' })
    expect(row(j, 'systemprofile')).to.include({ kind: 'system', decision: 'always' })
    expect(j.result.profiles.map((p) => p.profile)).to.not.include('C:\\Users\\Public')
    expect(r.env.USMTStepsUserMapArgs).to.equal('/mu:CORP\\gone:CORP\\ann /mu:CORP\\ghost:CORP\\bob')
    expect(r.env.USMTStepsUserArgs).to.equal('/ue:*\\* /ui:CORP\\ann /ui:CORP\\bob /ui:CORP\\carl /ui:CORP\\dora /ui:CORP\\eve /ui:CORP\\frank /ui:CORP\\gone /ui:CORP\\ghost /ui:PC01\\admin')
    expect(r.env.UDProfiles).to.equal('CORP\\ann,CORP\\bob,CORP\\carl,CORP\\dora,CORP\\eve,CORP\\frank,CORP\\gone,CORP\\ghost,PC01\\admin')
  })

  it('orphans=exclude leaves orphans out knowingly, with a warning and a reason per profile', async () => {
    const r = await users(['--orphans', 'exclude'])
    expect(r.exitCode).to.equal(0)
    expect(r.json.status).to.equal('warning')
    expect(row(r.json, 'gone')).to.include({ decision: 'skip', rule: 'orphan-excluded' })
    expect(row(r.json, 'ghost')).to.include({ decision: 'skip', rule: 'orphan-excluded' })
    expect(r.json.warnings.join('\n')).to.include('C:\\Users\\gone is NOT captured').and.include('C:\\Users\\ghost is NOT captured')
    expect(r.env.USMTStepsUserArgs).to.not.include('gone').and.not.include('ghost')
    expect(r.env.USMTStepsLastResult).to.equal('Warning')
  })

  it('skipDeleted leaves deleted accounts out but still blocks SIDs that resolve to nothing', async () => {
    const r = await users(['--skip-deleted'])
    expect(r.exitCode).to.equal(23)
    expect(r.json.error?.message).to.include('C:\\Users\\ghost').and.not.include('C:\\Users\\gone')
    const map = path.join(work, 'ghost.json')
    writeFileSync(map, JSON.stringify({ [ghostSid]: 'CORP\\bob' }))
    const ok = await users(['--skip-deleted', '--orphan-map', map])
    expect(ok.exitCode).to.equal(0)
    expect(row(ok.json, 'gone')).to.include({ decision: 'skip', rule: 'deleted-skipped' })
  })

  it('include group: only transitive members of GG-Migrate (nested GG-Sales-Staff) and local accounts', async () => {
    const r = await users(['--orphans', 'exclude', '--include-group', 'GG-Migrate'])
    expect(r.exitCode).to.equal(0)
    expect(captured(r.json)).to.deep.equal(['admin', 'ann', 'bob', 'dora'])
    expect(row(r.json, 'carl')).to.include({ decision: 'skip', rule: 'not-in-scope' })
    expect(row(r.json, 'eve').reason).to.include('not in any included group or OU (group GG-Migrate)')
  })

  it('exclude group by SID and by DN: nested membership counts', async () => {
    const bySid = await users(['--orphans', 'exclude', '--exclude-group', dir.groups['GG-NoMigrate'].sid])
    expect(row(bySid.json, 'carl')).to.include({ decision: 'skip', rule: 'exclude-group' })
    expect(row(bySid.json, 'carl').reason).to.equal('member of excluded group GG-NoMigrate')
    expect(captured(bySid.json)).to.deep.equal(['admin', 'ann', 'bob', 'dora', 'eve', 'frank'])
    const byDn = await users(['--orphans', 'exclude', '--exclude-group', dir.groups['GG-Sales-Staff'].dn])
    expect(captured(byDn.json)).to.deep.equal(['admin', 'bob', 'carl', 'eve', 'frank'])
  })

  it('exclusion wins over inclusion', async () => {
    const r = await users(['--orphans', 'exclude', '--include-group', 'GG-Migrate', '--exclude-group', 'GG-Sales-Staff'])
    expect(captured(r.json)).to.deep.equal(['admin', 'bob'])
    expect(row(r.json, 'ann').rule).to.equal('exclude-group')
  })

  it('include OU (relative to the base) and exclude OU (with sub-OUs)', async () => {
    const inc = await users(['--orphans', 'exclude', '--include-ou', 'OU=Sales,OU=Lab'])
    expect(captured(inc.json)).to.deep.equal(['admin', 'ann', 'dora', 'frank'])
    const exc = await users(['--orphans', 'exclude', '--exclude-ou', `OU=Engineering,OU=Lab,${dir.baseDn}`])
    expect(captured(exc.json)).to.deep.equal(['admin', 'ann', 'dora', 'frank'])
    expect(row(exc.json, 'carl')).to.include({ rule: 'exclude-ou' })
  })

  it('skips disabled accounts only when told to', async () => {
    const r = await users(['--orphans', 'exclude', '--skip-disabled'])
    expect(row(r.json, 'dora')).to.include({ decision: 'skip', rule: 'disabled' })
    expect(captured(r.json)).to.not.include('dora')
  })

  it('skips accounts not used for N days by AD lastLogonTimestamp; no timestamp keeps the profile', async () => {
    const r = await users(['--orphans', 'exclude', '--inactive-days', '90'])
    expect(row(r.json, 'eve')).to.include({ decision: 'skip', rule: 'inactive' })
    expect(row(r.json, 'eve').reason).to.match(/200 days ago \(limit 90\)/)
    expect(row(r.json, 'frank')).to.include({ decision: 'capture' })
    expect(row(r.json, 'frank').reason).to.include('no lastLogonTimestamp')
    expect(row(r.json, 'carl')).to.include({ decision: 'capture' })
  })

  it('keepLocal=false leaves local accounts out; flags override a policy file, which overrides defaults', async () => {
    const policy = path.join(work, 'policy.json')
    writeFileSync(policy, JSON.stringify({ users: { keepLocal: false, orphans: 'exclude', inactiveDays: 3 }, stores: { preferredStore: 'share' } }))
    const r = await users(['--policy', policy])
    expect(row(r.json, 'admin')).to.include({ decision: 'skip', rule: 'local-excluded' })
    expect(captured(r.json)).to.deep.equal(['ann', 'dora', 'frank'])
    const over = await users(['--policy', policy, '--inactive-days', '300'], { USMTStepsKeepLocal: 'true' })
    expect(captured(over.json)).to.deep.equal(['admin', 'ann', 'bob', 'carl', 'dora', 'eve', 'frank'])
    // The same file serves plan and the store steps (stores:); users reads only users:, strictly.
    writeFileSync(policy, JSON.stringify({ users: { keepLocal: false, preferredStore: 'share' } }))
    const stray = await users(['--policy', policy])
    expect(stray.json.error?.code).to.equal('USM0510')
    expect(stray.json.error?.message).to.match(/unknown key "preferredStore" in the "users:" section/)
    writeFileSync(policy, JSON.stringify({ keepLocal: false, preferredStore: 'share' }))
    const flat = await users(['--policy', policy])
    expect(flat.json.error?.code).to.equal('USM0510')
    expect(flat.json.error?.message).to.contain('is a flat policy file').and.to.contain('put keepLocal under "users:"').and.to.contain('put preferredStore under "stores:"')
  })

  it('replaces earlier user switches in OSDMigrateAdditionalCaptureOptions and keeps the others', async () => {
    const r = await users(['--orphans', 'exclude', '--include-group', 'GG-Migrate', '--no-keep-local'], { OSDMigrateAdditionalCaptureOptions: '/hardlink /nocompress /ui:OLD\\x /uel:30' })
    expect(r.env.OSDMigrateAdditionalCaptureOptions).to.equal('/hardlink /nocompress /ue:*\\* /ui:CORP\\ann /ui:CORP\\bob /ui:CORP\\dora')
  })

  it('a group or OU that does not exist fails the step instead of silently matching nothing', async () => {
    const g = await users(['--exclude-group', 'GG-Typo'])
    expect(g.exitCode).to.equal(3)
    expect(g.json.error?.code).to.equal('USM0508')
    const ou = await users(['--exclude-ou', 'OU=Nowhere,OU=Lab'])
    expect(ou.json.error?.code).to.equal('USM0508')
  })

  it('filter injection in a group name or an account name does not widen the search', async () => {
    const g = await users(['--orphans', 'exclude', '--exclude-group', '*'])
    expect(g.json.error?.code, 'a "*" group must not match every group').to.equal('USM0508')
    const g2 = await users(['--orphans', 'exclude', '--exclude-group', 'GG-*)(objectClass=*'])
    expect(g2.json.error?.code).to.equal('USM0508')
    const evil = path.join(work, 'evil.json')
    writeFileSync(evil, JSON.stringify([
      { account: 'CORP\\*)(objectClass=*', profile: 'C:\\Users\\ann', lastUse: '2026-11-01T08:00:00.000Z' },
      { account: 'CORP\\*', profile: 'C:\\Users\\bob', lastUse: '2026-11-01T08:00:00.000Z' },
    ]))
    const file = envFile()
    const r = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--users', evil, '--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--computer', 'PC01'])
    const j = parseJsonOutput<Json>(r.stdout)
    expect(j.error?.code).to.equal('USM0509')
    const blocked = (j.error?.data.blocked as Array<{ profile: string; status: string }>)
    expect(blocked.map((b) => b.status)).to.deep.equal(['not-found', 'not-found'])
  })

  it('file-based mode (--directory none) keeps every profile and says the directory was not consulted', async () => {
    const r = await runCli(['users', '--json', '--ts-env', `json:${envFile()}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile, '--computer', 'PC01', '--directory', 'none'])
    const j = parseJsonOutput<Json>(r.stdout)
    expect(r.exitCode).to.equal(0)
    expect(j.result.directory.state).to.equal('not-used')
    expect(row(j, 'gone')).to.include({ decision: 'capture', rule: 'no-directory' })
    expect(row(j, 'admin')).to.include({ rule: 'local' })
  })

  it('bad credentials: clear error USM0502 (exit 31), the password never printed', async () => {
    const file = envFile({ USMTStepsDirectoryPassword: 'Wr0ng-Secret-Value' })
    const r = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile, '--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--log-dir', work])
    const j = parseJsonOutput<Json>(r.stdout)
    expect(r.exitCode).to.equal(31)
    expect(j.error?.code).to.equal('USM0502')
    expect(j.error?.message).to.include('refused the credentials of CORP\\Administrator')
    expect(r.stdout + r.stderr).to.not.include('Wr0ng-Secret-Value')
    expect(readFileSync(path.join(work, 'usmt-steps.log'), 'utf8')).to.not.include('Wr0ng-Secret-Value')
  })

  it('reads the password from --bind-password-file and masks it', async () => {
    const file = path.join(work, 'env-nopw.json')
    writeFileSync(file, JSON.stringify({ USMTStepsDirectoryUser: AD_ADMIN_USER }))
    const r = await runCli(['users', '--ts-env', `json:${file}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile, '--computer', 'PC01',
      '--dc', dir.ldapsUrl, '--ca-file', dir.caFile, '--bind-password-file', path.join(work, 'password.txt'), '--orphans', 'exclude'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('PROFILE').and.include('CORP\\ann').and.include('USMTStepsUserArgs = /ue:*\\*')
    expect(r.stdout).to.not.include(AD_ADMIN_PASSWORD)
  })

  it('no credentials: USM0505 before any connection; with keep-all every profile is kept with a warning (the documented policy)', async () => {
    const file = path.join(work, 'env-empty.json')
    writeFileSync(file, '{}')
    const r = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--users', usersFile, '--dc', dir.ldapUrl])
    expect(parseJsonOutput<Json>(r.stdout).error?.code).to.equal('USM0505')
    const kept = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile, '--computer', 'PC01', '--dc', dir.ldapUrl, '--on-unavailable', 'keep-all'])
    const j = parseJsonOutput<Json>(kept.stdout)
    expect(kept.exitCode, kept.stdout).to.equal(0)
    expect(j.status).to.equal('warning')
    expect(j.result.directory.state).to.equal('unavailable')
    expect(j.result.counts.skip).to.equal(0)
    expect(j.warnings.join('\n')).to.include('directory unavailable (USM0505')
  })

  it('without a bind account (WinPE, before the join) it binds as ConfigMgr\'s network access account, and never shows its password', async () => {
    const file = path.join(work, 'env-naa.json')
    writeFileSync(file, JSON.stringify({ '_SMSTSReserved1-000': AD_ADMIN_USER, '_SMSTSReserved2-000': AD_ADMIN_PASSWORD }))
    const r = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile, '--computer', 'PC01',
      '--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--orphans', 'exclude', '--log-dir', path.join(work, 'naa-logs')])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const j = parseJsonOutput<Json>(r.stdout)
    expect(j.result.directory.state).to.equal('connected')
    expect(row(j, 'ann')).to.include({ status: 'active' })
    const log = readFileSync(path.join(work, 'naa-logs', 'usmt-steps.log'), 'utf8')
    expect(log).to.include('directory: binding as the network access account (_SMSTSReserved1-000/_SMSTSReserved2-000)')
    for (const out of [r.stdout, r.stderr, log]) expect(out).to.not.include(AD_ADMIN_PASSWORD)
  })

  it('unreachable directory: fails with USM0501 (exit 30) by default and writes no selection', async () => {
    const port = await closedPort()
    const r = await users(['--dc', `127.0.0.1:${port}`, '--retries', '0', '--exclude-group', 'GG-Migrate'])
    expect(r.exitCode).to.equal(30)
    expect(r.json.error?.code).to.equal('USM0501')
    expect(r.json.error?.message).to.include(`ldap://127.0.0.1:${port}`).and.include('ECONNREFUSED')
    expect(r.env).to.not.have.property('USMTStepsUserArgs')
  })

  it('unreachable directory with keep-all: every profile kept (no rule applied), step ends with a warning', async () => {
    const port = await closedPort()
    const r = await users(['--dc', `127.0.0.1:${port}`, '--retries', '0', '--on-unavailable', 'keep-all', '--exclude-group', 'GG-Migrate', '--inactive-days', '1'])
    expect(r.exitCode).to.equal(0)
    expect(r.json.status).to.equal('warning')
    expect(r.json.result.directory.state).to.equal('unavailable')
    expect(r.json.result.counts.skip).to.equal(0)
    expect(captured(r.json)).to.deep.equal(['admin', 'ann', 'bob', 'carl', 'dora', 'eve', 'frank', 'ghost', 'gone'])
    expect(row(r.json, 'ann').rule).to.equal('directory-unavailable')
    expect(r.json.warnings.join('\n')).to.include('directory unavailable').and.include('need the directory and were not applied')
  })

  it('lists bare folders (no users file) by name and treats one that AD does not know as an orphan', async () => {
    const r = await runCli(['users', '--json', '--ts-env', `json:${envFile()}`, '--volume', `C=${path.join(work, 'C')}`, '--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--computer', 'PC01'])
    const j = parseJsonOutput<Json>(r.stdout)
    expect(j.error?.code).to.equal('USM0509')
    const blocked = (j.error?.data.blocked as Array<{ profile: string }>).map((b) => b.profile).sort()
    expect(blocked).to.deep.equal(['C:\\Users\\admin', 'C:\\Users\\ghost', 'C:\\Users\\gone'])
    const ok = await runCli(['users', '--json', '--ts-env', `json:${envFile()}`, '--volume', `C=${path.join(work, 'C')}`, '--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--orphans', 'exclude'])
    const jj = parseJsonOutput<Json>(ok.stdout)
    const ann = jj.result.profiles.find((p) => p.profile === 'C:\\Users\\ann')
    expect(ann).to.include({ account: 'CORP\\ann', sid: dir.users.ann.sid, status: 'active' })
  })

  describe('as the computer account, through ADSI (powershell.exe is a double; the DC is real)', () => {
    const MACHINE_PASSWORD = 'Mach1ne-Secret!'
    let machineFile: string
    let doubleLog: string

    before(async () => {
      const admin = await adminClient(dir, readFileSync(dir.caFile, 'utf8'))
      try {
        await admin.add(`CN=PC01,CN=Computers,${dir.baseDn}`, [
          new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
          new Attribute({ type: 'sAMAccountName', values: ['PC01$'] }),
          new Attribute({ type: 'userAccountControl', values: ['4096'] }),
          new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${MACHINE_PASSWORD}"`, 'utf16le')] }),
        ])
      } finally {
        await admin.unbind()
      }
      machineFile = path.join(work, 'machine.json')
      writeFileSync(machineFile, JSON.stringify({ dc: dir.ldapsUrl, ca: dir.caFile, account: 'PC01$@corp.example.com', password: MACHINE_PASSWORD }))
      doubleLog = path.join(work, 'adsi-double.log')
    })

    async function asComputer(extra: string[], vars: Record<string, string> = {}, machine: string | null = machineFile): Promise<{ json: Json; exitCode: number; log: string; stdout: string; stderr: string }> {
      const file = path.join(work, `env-adsi-${Math.random().toString(36).slice(2)}.json`)
      writeFileSync(file, JSON.stringify(vars))
      const logDir = path.join(work, `adsi-logs-${Math.random().toString(36).slice(2)}`)
      const r = await runCli(['users', '--json', '--ts-env', `json:${file}`, '--volume', `C=${path.join(work, 'C')}`, '--users', usersFile, '--computer', 'PC01', '--log-dir', logDir, ...extra], {
        env: { USMT_STEPS_POWERSHELL: ADSI_DOUBLE, USMT_STEPS_DOUBLE_MACHINE: machine ?? undefined, USMT_STEPS_DOUBLE_LOG: doubleLog },
      })
      return { json: parseJsonOutput<Json>(r.stdout), exitCode: r.exitCode, log: readFileSync(path.join(logDir, 'usmt-steps.log'), 'utf8'), stdout: r.stdout, stderr: r.stderr }
    }

    it('in the full OS with no bind account, reads AD as the computer account and decides exactly as a credentialed bind does', async () => {
      const rules = ['--orphans', 'exclude', '--include-group', 'GG-Migrate', '--exclude-ou', `OU=Engineering,OU=Lab,${dir.baseDn}`]
      const withAccount = await users(rules)
      rmSync(doubleLog, { force: true })
      const r = await asComputer(rules)
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      const j = r.json
      expect(j.result.directory).to.include({ state: 'connected', transport: 'adsi', netbiosName: 'CORP', domainSid: dir.domainSid })
      expect(j.result.directory.account).to.equal('the computer account (SYSTEM)')
      // The same decisions, except what AD only shows administrators: a computer account cannot list CN=Deleted
      // Objects (Samba enforces its ACL as AD does), so a deleted account reads as "not found". Both are orphans.
      const decisions = (x: Json): string[] => x.result.profiles.map((p) => `${p.profile}|${p.account}|${p.decision}|${p.rule}|${p.status === 'deleted' ? 'not-found' : p.status}`)
      expect(decisions(j)).to.deep.equal(decisions(withAccount.json))
      expect(row(withAccount.json, 'gone').status).to.equal('deleted')
      expect(row(j, 'gone')).to.include({ status: 'not-found', rule: 'orphan-excluded' })
      expect(captured(j)).to.deep.equal(['admin', 'ann', 'dora'])
      expect(r.log).to.include('directory: reading AD through ADSI as the computer account')
      // One powershell.exe session answered every search, and no credential crossed the process boundary.
      const calls = readFileSync(doubleLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv?: string[]; request?: string })
      expect(calls.filter((c) => c.argv)).to.have.length(1)
      expect(calls.filter((c) => c.request).length).to.be.greaterThan(4)
      for (const c of calls) expect(JSON.stringify(c)).to.not.include(AD_ADMIN_PASSWORD).and.not.include(MACHINE_PASSWORD)
    })

    it('a PC that is not domain-joined: USM0501 by default, every profile kept with keep-all', async () => {
      const r = await asComputer([], {}, null)
      expect(r.exitCode).to.equal(30)
      expect(r.json.error?.code).to.equal('USM0501')
      expect(r.json.error?.message).to.include('0x8007054b')
      const kept = await asComputer(['--on-unavailable', 'keep-all'], {}, null)
      expect(kept.exitCode).to.equal(0)
      expect(kept.json.result.directory.state).to.equal('unavailable')
      expect(captured(kept.json)).to.deep.equal(['admin', 'ann', 'bob', 'carl', 'dora', 'eve', 'frank', 'ghost', 'gone'])
    })

    it('in Windows PE there is no computer account: the network access account is used, and --bind computer is refused (USM0514)', async () => {
      rmSync(doubleLog, { force: true })
      const naa = { _SMSTSInWinPE: 'true', '_SMSTSReserved1-000': AD_ADMIN_USER, '_SMSTSReserved2-000': AD_ADMIN_PASSWORD }
      const r = await asComputer(['--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--orphans', 'exclude'], naa)
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      expect(r.json.result.directory.transport).to.equal('starttls')
      expect(r.log).to.include('binding as the network access account')
      expect(existsSync(doubleLog), 'powershell.exe must not run for ADSI in WinPE').to.equal(false)
      const forced = await asComputer(['--bind', 'computer'], { _SMSTSInWinPE: 'true' })
      expect(forced.json.error?.code).to.equal('USM0514')
      expect(forced.exitCode).to.equal(3)
    })

    it('a bind account the admin set wins over the computer account', async () => {
      rmSync(doubleLog, { force: true })
      const r = await asComputer(['--dc', dir.ldapUrl, '--ca-file', dir.caFile, '--orphans', 'exclude'], { USMTStepsDirectoryUser: AD_ADMIN_USER, USMTStepsDirectoryPassword: AD_ADMIN_PASSWORD })
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      expect(r.json.result.directory.transport).to.equal('starttls')
      expect(existsSync(doubleLog)).to.equal(false)
    })
  })
})
