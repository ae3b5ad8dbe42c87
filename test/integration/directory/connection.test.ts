import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import * as tls from 'node:tls'
import { DirectoryClient, type DirectoryOptions } from '../../../src/directory/client.js'
import { discoverDcs, dnsSrvLookup, parseDcSpec, type DcEndpoint } from '../../../src/directory/discovery.js'
import { sidFromString, sidToString } from '../../../src/directory/sid.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { AD_ADMIN_PASSWORD, AD_ADMIN_USER, AD_USER_PASSWORD, closedPort, makeTestCa, requireSambaAd, startSilentServer, startSrvDnsServer, startTestDirectory, type TestDirectory } from '../../helpers/ldap.js'

/** The ldapts wrapper against the Samba AD DC: TLS both ways, trust, credentials, timeouts, retries, DNS discovery. */
describe('directory connection (Samba AD DC)', function () {
  this.timeout(180000)
  let dir: TestDirectory
  let ca: string

  before(async function () {
    requireSambaAd(this)
    dir = await startTestDirectory()
    ca = readFileSync(dir.caFile, 'utf8')
  })
  after(async () => { await dir?.stop() })

  const opts = (endpoints: DcEndpoint[], extra: Partial<DirectoryOptions> = {}): DirectoryOptions => ({
    endpoints, credentials: { user: AD_ADMIN_USER, password: AD_ADMIN_PASSWORD }, ca, timeoutMs: 5000, retries: 0, pageSize: 2, ...extra,
  })
  async function failure(p: Promise<unknown>): Promise<UsmtStepsError> {
    try {
      const c = await p
      await (c as DirectoryClient).close()
    } catch (err) {
      expect(err).to.be.instanceOf(UsmtStepsError)
      return err as UsmtStepsError
    }
    throw new Error('expected a failure')
  }

  for (const spec of ['ldap://127.0.0.1', 'ldaps://127.0.0.1', '127.0.0.1:636']) {
    it(`connects with certificate validation through ${spec} and reads the domain identity`, async () => {
      const e = parseDcSpec(spec, spec.endsWith(':636') ? 'ldaps' : 'auto')
      const c = await DirectoryClient.connect(opts([e]))
      try {
        expect(c.connection.transport).to.equal(spec.startsWith('ldap://') ? 'starttls' : 'ldaps')
        expect(c.baseDn).to.equal(dir.baseDn)
        expect(c.domainSid).to.equal(dir.domainSid)
        expect(c.netbiosName).to.equal('CORP')
      } finally {
        await c.close()
      }
    })
  }

  for (const transport of ['starttls', 'ldaps'] as const) {
    it(`${transport}: rejects the certificate without the test CA (system trust) and with another CA`, async () => {
      const e = parseDcSpec('127.0.0.1', transport)
      const noCa = await failure(DirectoryClient.connect(opts([e], { ca: undefined })))
      expect(noCa.code).to.equal('USM0503')
      expect(noCa.exitCode).to.equal(31)
      expect(noCa.message).to.match(/not trusted: .*(unable to verify|self.signed)/i)
      const other = await failure(DirectoryClient.connect(opts([e], { ca: readFileSync(dir.otherCaFile, 'utf8') })))
      expect(other.code).to.equal('USM0503')
    })
  }

  it('refuses a certificate from a trusted CA that names another host', async () => {
    // A TLS endpoint on 127.0.0.1 whose certificate (from a CA we pass as trusted) names only wrong.example.com.
    const wrong = await makeTestCa(dir.tmp, 'wrongname', 'DNS:wrong.example.com')
    const server = tls.createServer({ cert: readFileSync(wrong.cert), key: readFileSync(wrong.key) }, (s) => s.destroy())
    server.on('tlsClientError', () => undefined)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as AddressInfo).port
      const err = await failure(DirectoryClient.connect(opts([parseDcSpec(`ldaps://127.0.0.1:${port}`, 'auto')], { ca: readFileSync(wrong.ca, 'utf8') })))
      expect(err.code).to.equal('USM0503')
      expect(err.data.tlsError).to.equal('ERR_TLS_CERT_ALTNAME_INVALID')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('bad credentials: USM0502 at once, without retrying (no account lockout)', async () => {
    const sleeps: number[] = []
    const err = await failure(DirectoryClient.connect(opts([parseDcSpec('ldap://127.0.0.1', 'auto')], {
      credentials: { user: 'CORP\\ann', password: 'not-her-password' }, retries: 3, sleep: async (ms) => { sleeps.push(ms) },
    })))
    expect(err.code).to.equal('USM0502')
    expect(err.exitCode).to.equal(31)
    expect(err.message).to.include('refused the credentials of CORP\\ann').and.not.include('not-her-password')
    expect(sleeps).to.deep.equal([])
  })

  it('binds as an ordinary user by UPN', async () => {
    const c = await DirectoryClient.connect(opts([parseDcSpec('ldap://127.0.0.1', 'auto')], { credentials: { user: 'ann@corp.example.com', password: AD_USER_PASSWORD } }))
    const found = await c.findUsersByName(['bob'])
    await c.close()
    expect(found.get('bob')?.sid).to.equal(dir.users.bob.sid)
  })

  it('a simple bind without TLS is refused by the DC (strong auth): USM0504', async () => {
    const err = await failure(DirectoryClient.connect(opts([parseDcSpec('ldap://127.0.0.1', 'none')])))
    expect(err.code).to.equal('USM0504')
    expect(err.message).to.include('Transport encryption required')
  })

  it('unreachable: retries each DC with a growing pause, then tries the next one', async () => {
    const dead = await closedPort()
    const sleeps: number[] = []
    const log: string[] = []
    const c = await DirectoryClient.connect(opts([parseDcSpec(`127.0.0.1:${dead}`, 'auto'), parseDcSpec('ldap://127.0.0.1', 'auto')], {
      retries: 2, sleep: async (ms) => { sleeps.push(ms) }, log: (l) => log.push(l),
    }))
    await c.close()
    expect(sleeps).to.deep.equal([500, 1000])
    expect(log.filter((l) => l.includes(`127.0.0.1:${dead}`) && l.includes('ECONNREFUSED'))).to.have.length(3)
    expect(c.connection.dc).to.match(/:389$/)
  })

  it('a server that accepts but never answers times out with USM0501', async () => {
    const silent = await startSilentServer()
    try {
      const err = await failure(DirectoryClient.connect(opts([parseDcSpec(`127.0.0.1:${silent.port}`, 'auto')], { timeoutMs: 300 })))
      expect(err.code).to.equal('USM0501')
      expect(err.exitCode).to.equal(30)
      expect(err.message).to.match(/timed out|timeout/i)
    } finally {
      await silent.close()
    }
  })

  it('finds the DC from DNS SRV records (lowest priority first; a dead one is skipped)', async () => {
    const dead = await closedPort()
    // SRV targets are host names; "127.0.0.1" is written as labels so the test needs no name resolution.
    const dns = await startSrvDnsServer({
      '_ldap._tcp.dc._msdcs.corp.example.com': [
        { priority: 10, weight: 100, port: 389, target: '127.0.0.1' },
        { priority: 0, weight: 100, port: dead, target: '127.0.0.1' },
      ],
    })
    try {
      const found = await discoverDcs('corp.example.com', 'auto', dnsSrvLookup([dns.address]))
      expect(found.map((e) => e.port)).to.deep.equal([dead, 389])
      const c = await DirectoryClient.connect(opts(found))
      await c.close()
      expect(c.connection.dc).to.match(/:389$/)
      const missing = await discoverDcs('other.example.com', 'auto', dnsSrvLookup([dns.address])).then(() => undefined, (e: unknown) => e as UsmtStepsError)
      expect(missing?.code).to.equal('USM0506')
      // the step: --domain + --dns-server, no --dc
      const env = `${dir.tmp}/env-dns.json`
      writeFileSync(env, JSON.stringify({ USMTStepsDirectoryUser: AD_ADMIN_USER, USMTStepsDirectoryPassword: AD_ADMIN_PASSWORD }))
      const users = `${dir.tmp}/users-dns.json`
      writeFileSync(users, JSON.stringify([{ account: 'CORP\\ann', profile: 'C:\\Users\\ann', sid: dir.users.ann.sid }]))
      const r = await runCli(['users', '--json', '--ts-env', `json:${env}`, '--users', users, '--domain', 'corp.example.com', '--dns-server', dns.address, '--ca-file', dir.caFile, '--retries', '0'])
      const j = parseJsonOutput<{ result: { directory: { dc: string }; userArgs: { commandLine: string } } }>(r.stdout)
      expect(r.exitCode, r.stdout).to.equal(0)
      expect(j.result.directory.dc).to.equal('ldap://127.0.0.1:389')
      expect(j.result.userArgs.commandLine).to.equal('/ue:*\\* /ui:CORP\\ann')
      expect(dns.queries).to.include('_ldap._tcp.dc._msdcs.corp.example.com')
    } finally {
      await dns.close()
    }
  })

  it('paged searches return every entry across pages, and objectSid round-trips through the directory', async () => {
    const c = await DirectoryClient.connect(opts([parseDcSpec('ldap://127.0.0.1', 'auto')], { pageSize: 2 }))
    try {
      const names = ['ann', 'bob', 'carl', 'dora', 'eve', 'frank', 'svc-reader']
      const byName = await c.findUsersByName(names)
      expect([...byName.keys()].sort()).to.deep.equal([...names].sort())
      const sids = names.map((n) => dir.users[n].sid)
      for (const s of sids) expect(sidToString(sidFromString(s))).to.equal(s)
      const bySid = await c.findUsersBySid(sids)
      expect([...bySid.values()].map((a) => a.samAccountName).sort()).to.deep.equal([...names].sort())
      const dora = bySid.get(dir.users.dora.sid)
      expect(dora).to.include({ disabled: true, deleted: false, userAccountControl: 514 })
      expect(dora?.parentDn).to.equal(`OU=Sales,OU=Lab,${dir.baseDn}`)
      const gone = await c.findDeletedBySid([dir.users.gone.sid])
      expect(gone.get(dir.users.gone.sid)).to.include({ deleted: true, samAccountName: 'gone', parentDn: `OU=Sales,OU=Lab,${dir.baseDn}` })
      expect((await c.findUsersBySid([dir.users.gone.sid])).size).to.equal(0)
    } finally {
      await c.close()
    }
  })

  it('transitive groups via tokenGroups include nested groups', async () => {
    const c = await DirectoryClient.connect(opts([parseDcSpec('ldap://127.0.0.1', 'auto')]))
    try {
      const groups = await c.tokenGroups(dir.users.ann.dn)
      expect(groups).to.include(dir.groups['GG-Sales-Staff'].sid).and.include(dir.groups['GG-Migrate'].sid)
      expect(groups).to.not.include(dir.groups['GG-NoMigrate'].sid)
      expect(groups).to.include(`${dir.domainSid}-513`) // primary group Domain Users
    } finally {
      await c.close()
    }
  })

  it('filter metacharacters in names are literal: "*" and "*)(objectClass=*" match nothing', async () => {
    const c = await DirectoryClient.connect(opts([parseDcSpec('ldap://127.0.0.1', 'auto')]))
    try {
      expect((await c.findUsersByName(['ann'])).size).to.equal(1)
      expect((await c.findUsersByName(['*'])).size).to.equal(0)
      expect((await c.findUsersByName(['*)(objectClass=*'])).size).to.equal(0)
      expect((await c.findUsersByName(['ann)(|(sAMAccountName=*'])).size).to.equal(0)
      expect((await c.findDeletedByName(['*'])).size).to.equal(0)
      expect(await c.findGroup('*')).to.equal(undefined)
      expect(await c.findGroup('GG-*')).to.equal(undefined)
      expect((await c.findGroup('GG-Migrate'))?.sid).to.equal(dir.groups['GG-Migrate'].sid)
    } finally {
      await c.close()
    }
  })
})
