/**
 * Test directory for the directory suites: a real Samba AD DC on 127.0.0.1 (scripts/ci/start-samba-ad.sh),
 * with a test CA and server certificate made here with openssl, seeded from test/fixtures/directory/seed.ldif,
 * then given lastLogonTimestamp values relative to now and one deleted account (a tombstone).
 * Also: a tiny DNS server answering SRV queries (discovery) and a TCP server that never answers (timeouts).
 */
import { execa } from 'execa'
import { Attribute, Change, Client } from 'ldapts'
import * as dgram from 'node:dgram'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { dateToFileTime } from '../../src/directory/attributes.js'
import { sidToString } from '../../src/directory/sid.js'
import { PROJECT_ROOT } from './cli.js'

export const AD_ADMIN_USER = 'CORP\\Administrator'
export const AD_ADMIN_PASSWORD = 'Adm1nPassw0rd!'
export const AD_BASE_DN = 'DC=corp,DC=example,DC=com'
export const AD_USER_PASSWORD = 'Passw0rd!'
const LAB = `OU=Lab,${AD_BASE_DN}`

/** Days since the last logon set on each seeded user (undefined: never logged on). */
export const LAST_LOGON_DAYS_AGO: Readonly<Record<string, number | undefined>> = { ann: 2, bob: 5, carl: 10, dora: 3, eve: 200, frank: undefined, gone: 1 }

export interface TestDirectory {
  host: string
  ldapUrl: string
  ldapsUrl: string
  baseDn: string
  caFile: string
  /** A CA that did not issue the server certificate. */
  otherCaFile: string
  domainSid: string
  /** sAMAccountName → {sid, dn}; includes the deleted account "gone". */
  users: Record<string, { sid: string; dn: string }>
  groups: Record<string, { sid: string; dn: string }>
  tmp: string
  stop(): Promise<void>
}

/** Why the AD DC cannot run here, or null. */
export function sambaAdUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'Samba AD DC needs root (fixed ports 389/636/88)'
  for (const bin of ['/usr/sbin/samba', '/usr/bin/samba-tool', '/usr/bin/ldapadd', '/usr/bin/openssl']) {
    if (!existsSync(bin)) return `${bin} is not installed (apt-get install samba-ad-dc samba-ad-provision samba-dsdb-modules ldap-utils)`
  }
  return null
}

/** Skip loudly where the DC cannot run; in CI (CI=true) a missing DC is a failure, not a skip. */
export function requireSambaAd(ctx: Mocha.Context): void {
  const reason = sambaAdUnavailableReason()
  if (!reason) return
  if (process.env.CI) throw new Error(`directory integration tests need Samba AD: ${reason}`)
  console.warn(`      SKIPPED (directory): ${reason}`)
  ctx.skip()
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execa('openssl', args, { cwd, stdin: 'ignore' })
}

/** A CA and a server certificate signed by it (default names: 127.0.0.1, localhost, dc1.corp.example.com). */
export async function makeTestCa(dir: string, name: string, sans = 'IP:127.0.0.1,DNS:localhost,DNS:dc1.corp.example.com'): Promise<{ ca: string; cert: string; key: string }> {
  const ca = path.join(dir, `${name}-ca.pem`)
  const caKey = path.join(dir, `${name}-ca.key`)
  const key = path.join(dir, `${name}-server.key`)
  const csr = path.join(dir, `${name}-server.csr`)
  const cert = path.join(dir, `${name}-server.pem`)
  const ext = path.join(dir, `${name}-ext.cnf`)
  writeFileSync(ext, `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`)
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', `/CN=usmt-steps ${name} test CA`], dir)
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=dc1.corp.example.com'], dir)
  await openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], dir)
  return { ca, cert, key }
}

export async function adminClient(dir: { ldapsUrl: string }, caPem: string): Promise<Client> {
  const c = new Client({ url: dir.ldapsUrl, timeout: 10000, connectTimeout: 5000, tlsOptions: { ca: caPem, rejectUnauthorized: true } })
  await c.bind(AD_ADMIN_USER, AD_ADMIN_PASSWORD)
  return c
}

export async function startTestDirectory(): Promise<TestDirectory> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-dirtest-'))
  const base = path.join(tmp, 'ad')
  const env = { ...process.env, AD_BASE: base, AD_ADMIN_PW: AD_ADMIN_PASSWORD, AD_STRONG_AUTH: 'yes' }
  const stop = async (): Promise<void> => {
    await execa(path.join(PROJECT_ROOT, 'scripts/ci/stop-samba-ad.sh'), [], { env, reject: false, stdin: 'ignore' })
    rmSync(tmp, { recursive: true, force: true })
  }
  try {
    const good = await makeTestCa(tmp, 'good')
    const other = await makeTestCa(tmp, 'other')
    const r = await execa(path.join(PROJECT_ROOT, 'scripts/ci/start-samba-ad.sh'), [], {
      env: { ...env, AD_TLS_CERT: good.cert, AD_TLS_KEY: good.key, AD_TLS_CA: good.ca, AD_LDIF: path.join(PROJECT_ROOT, 'test/fixtures/directory/seed.ldif') },
      reject: false, stdin: 'ignore', all: true,
    })
    if (r.exitCode !== 0) throw new Error(`start-samba-ad.sh failed (${r.exitCode}):\n${String(r.all)}`)
    const caPem = readFileSync(good.ca, 'utf8')
    const dir = { ldapsUrl: 'ldaps://127.0.0.1:636' }
    const admin = await adminClient(dir, caPem)
    const users: TestDirectory['users'] = {}
    const groups: TestDirectory['groups'] = {}
    let domainSid = ''
    try {
      const domain = await admin.search(AD_BASE_DN, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] })
      domainSid = sidToString(domain.searchEntries[0].objectSid as Buffer)
      const found = await admin.search(LAB, { scope: 'sub', filter: '(|(objectClass=user)(objectClass=group))', attributes: ['sAMAccountName', 'objectSid', 'objectClass'], explicitBufferAttributes: ['objectSid'] })
      for (const e of found.searchEntries) {
        const isGroup = ([] as string[]).concat(e.objectClass as string[]).includes('group')
        ;(isGroup ? groups : users)[String(e.sAMAccountName)] = { sid: sidToString(e.objectSid as Buffer), dn: e.dn }
      }
      const now = Date.now()
      for (const [name, days] of Object.entries(LAST_LOGON_DAYS_AGO)) {
        if (days === undefined) continue
        await admin.modify(users[name].dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'lastLogonTimestamp', values: [dateToFileTime(new Date(now - days * 86_400_000))] }) }))
      }
      await admin.del(users.gone.dn)
    } finally {
      await admin.unbind()
    }
    return { host: '127.0.0.1', ldapUrl: 'ldap://127.0.0.1:389', ldapsUrl: 'ldaps://127.0.0.1:636', baseDn: AD_BASE_DN, caFile: good.ca, otherCaFile: other.ca, domainSid, users, groups, tmp, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** A DNS server on 127.0.0.1 (UDP, random port) answering SRV queries from a table; everything else NXDOMAIN. */
export async function startSrvDnsServer(records: Record<string, Array<{ priority: number; weight: number; port: number; target: string }>>): Promise<{ address: string; close(): Promise<void>; queries: string[] }> {
  const sock = dgram.createSocket('udp4')
  const queries: string[] = []
  const encodeName = (name: string): Buffer => Buffer.concat([...name.replace(/\.$/, '').split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])])
  sock.on('message', (msg, rinfo) => {
    let off = 12
    const labels: string[] = []
    while (msg[off] !== 0) {
      labels.push(msg.subarray(off + 1, off + 1 + msg[off]).toString())
      off += msg[off] + 1
    }
    off += 1
    const qtype = msg.readUInt16BE(off)
    const question = msg.subarray(12, off + 4)
    const name = labels.join('.').toLowerCase()
    queries.push(name)
    const answers = qtype === 33 ? records[name] ?? [] : []
    const header = Buffer.alloc(12)
    header.writeUInt16BE(msg.readUInt16BE(0), 0)
    header.writeUInt16BE(0x8180 | (answers.length === 0 && !records[name] ? 3 : 0), 2)
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(answers.length, 6)
    const rrs = answers.map((a) => {
      const target = encodeName(a.target)
      const rdata = Buffer.alloc(6)
      rdata.writeUInt16BE(a.priority, 0)
      rdata.writeUInt16BE(a.weight, 2)
      rdata.writeUInt16BE(a.port, 4)
      const fixed = Buffer.alloc(10)
      fixed.writeUInt16BE(33, 0)
      fixed.writeUInt16BE(1, 2)
      fixed.writeUInt32BE(60, 4)
      fixed.writeUInt16BE(6 + target.length, 8)
      return Buffer.concat([Buffer.from([0xc0, 0x0c]), fixed, rdata, target])
    })
    sock.send(Buffer.concat([header, question, ...rrs]), rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
  const { port } = sock.address()
  return { address: `127.0.0.1:${port}`, queries, close: () => new Promise<void>((resolve) => sock.close(() => resolve())) }
}

/** A TCP server on 127.0.0.1 that accepts connections and never says a word (an LDAP server that hangs). */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
