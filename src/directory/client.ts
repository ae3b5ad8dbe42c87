import { Client, Control, InvalidCredentialsError, StrongAuthRequiredError, ConfidentialityRequiredError, type Entry, type Filter } from 'ldapts'
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { UsmtStepsError } from '../runtime/errors.js'
import { allValues, fileTimeToDate, firstString, firstValue, isDisabled, parseUac, type RawAttribute } from './attributes.js'
import { endpointUrl, type DcEndpoint } from './discovery.js'
import { dnKey, parentDn } from './dn.js'
import { and, eq, filterText, fixed, or, USER_FILTER } from './filter.js'
import { sidFromString, sidToString } from './sid.js'

/**
 * The ldapts wrapper: connects to the first domain controller that answers (StartTLS or LDAPS with
 * certificate validation always on, simple bind), retries unreachable ones with a growing pause, and runs
 * the paged searches the profile resolution needs. Every value in a filter is escaped (filter.ts).
 */
export interface BindCredentials {
  /** A DN, user@domain (UPN) or DOMAIN\user. */
  user: string
  password: string
}

export interface DirectoryOptions {
  endpoints: readonly DcEndpoint[]
  credentials: BindCredentials
  /** PEM text of the trusted CA certificate(s); default: Node's bundled trust store. */
  ca?: string | Buffer
  timeoutMs: number
  /** Extra attempts per endpoint for network failures (never for refused credentials). */
  retries: number
  pageSize: number
  /** Search base; default: the defaultNamingContext of the server. */
  baseDn?: string
  log?: (line: string) => void
  sleep?: (ms: number) => Promise<void>
}

/** A user account as the directory describes it (live or tombstone). */
export interface DirectoryAccount {
  dn: string
  sid: string
  samAccountName: string
  userPrincipalName?: string
  userAccountControl?: number
  disabled: boolean
  deleted: boolean
  lastLogon?: Date
  /** The container the account is (or, for a tombstone, was last) in. */
  parentDn: string
  whenChanged?: string
}

export interface GroupRef {
  spec: string
  dn: string
  sid: string
  name: string
}

const USER_ATTRIBUTES = ['objectSid', 'sAMAccountName', 'userPrincipalName', 'userAccountControl', 'lastLogonTimestamp', 'isDeleted', 'lastKnownParent', 'whenChanged']
const SHOW_DELETED_OID = '1.2.840.113556.1.4.417'
/** How many SIDs or names go into one OR filter. */
const BATCH = 50

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED'])
const CERT_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_|HOSTNAME_MISMATCH)/

type Failure = { kind: 'network' | 'cert' | 'auth' | 'strong-auth' | 'other'; message: string; code?: string }

export function classifyError(err: unknown): Failure {
  const e = err as { code?: unknown; message?: string }
  const message = (e && typeof e.message === 'string' ? e.message : String(err)).replace(/\s+/g, ' ').trim()
  const code = typeof e?.code === 'string' ? e.code : undefined
  if (err instanceof InvalidCredentialsError) return { kind: 'auth', message, code: 'invalidCredentials' }
  if (err instanceof StrongAuthRequiredError || err instanceof ConfidentialityRequiredError) return { kind: 'strong-auth', message }
  if (code && CERT_CODES.test(code)) return { kind: 'cert', message, code }
  if (code && NETWORK_CODES.has(code)) return { kind: 'network', message, code }
  if (/Connection timeout|Operation timed out|timed out|Socket error|socket hang up|Connection closed|ECONNRESET/i.test(message)) return { kind: 'network', message, code }
  return { kind: 'other', message, code }
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout()
      reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' }))
    }, ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    if (timer) clearTimeout(timer)
  }
}

function tlsOptionsFor(e: DcEndpoint, ca: string | Buffer | undefined): ConnectionOptions {
  // Certificate validation is always on. The host name is checked against the certificate's SANs
  // (an IP address against its IP SANs); SNI is only sent for names.
  return {
    rejectUnauthorized: true,
    host: e.host,
    ...(isIP(e.host) ? {} : { servername: e.host }),
    ...(ca ? { ca } : {}),
  }
}

/** One LDAP search as the directory client asks it; `base: ''` with scope base reads the rootDSE. */
export interface SearchRequest {
  scope: 'base' | 'one' | 'sub'
  filter: string | Filter
  attributes: string[]
  /** Attributes whose values are binary (returned as Buffers). */
  explicitBufferAttributes?: string[]
  /** Include deleted objects (the LDAP_SERVER_SHOW_DELETED control, ADSI's Tombstone). */
  showDeleted?: boolean
}

/**
 * How the searches reach the directory: ldapts with a simple bind (credentials given; off Windows), or ADSI
 * on Windows as the account the step runs as (adsi.ts: SYSTEM is the computer account on the network).
 */
export interface SearchTransport {
  /** Where and how the client is bound, for the result and the log. */
  readonly connection: DirectoryConnection
  search(base: string, request: SearchRequest, pageSize: number): Promise<Entry[]>
  close(): Promise<void>
}

export interface DirectoryConnection {
  /** ldap://host:port, ldaps://host:port, or adsi://server (serverless: the domain controller ADSI's locator chose). */
  dc: string
  transport: 'ldaps' | 'starttls' | 'none' | 'adsi'
  /** The account bound as (never a secret). */
  account: string
}

function ldaptsTransport(client: Client, endpoint: DcEndpoint, account: string): SearchTransport {
  return {
    connection: { dc: endpointUrl(endpoint), transport: endpoint.transport, account },
    async search(base, request, pageSize) {
      const out: Entry[] = []
      const controls = request.showDeleted ? [new Control(SHOW_DELETED_OID, { critical: true })] : undefined
      const { showDeleted: _ignored, ...options } = request
      for await (const page of client.searchPaginated(base, { ...options, paged: { pageSize } }, controls)) out.push(...page.searchEntries)
      return out
    },
    close: () => client.unbind().catch(() => undefined),
  }
}

export class DirectoryClient {
  private constructor(
    private readonly transport: SearchTransport,
    readonly baseDn: string,
    readonly configurationDn: string | undefined,
    readonly dnsHostName: string | undefined,
    private readonly pageSize: number,
    private readonly log: (line: string) => void,
  ) {}

  domainSid: string | undefined
  netbiosName: string | undefined

  /** Connect to the first endpoint that answers, bind, and read the rootDSE and the domain's identity. */
  static async connect(opts: DirectoryOptions): Promise<DirectoryClient> {
    const log = opts.log ?? (() => undefined)
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
    if (opts.endpoints.length === 0) throw new UsmtStepsError('USM0500', 'no domain controller to connect to')
    const tried: string[] = []
    for (const endpoint of opts.endpoints) {
      const url = endpointUrl(endpoint)
      for (let attempt = 0; attempt <= opts.retries; attempt++) {
        if (attempt > 0) await sleep(Math.min(500 * 2 ** (attempt - 1), 8000))
        const client = new Client({
          url,
          timeout: opts.timeoutMs,
          connectTimeout: opts.timeoutMs,
          // ldapts turns TLS on whenever tlsOptions is present, so it is set only for ldaps://
          ...(endpoint.transport === 'ldaps' ? { tlsOptions: tlsOptionsFor(endpoint, opts.ca) } : {}),
        })
        try {
          await withTimeout((async () => {
            if (endpoint.transport === 'starttls') await client.startTLS(tlsOptionsFor(endpoint, opts.ca))
            await client.bind(opts.credentials.user, opts.credentials.password)
          })(), opts.timeoutMs, `connecting to ${url}`, () => { void client.unbind().catch(() => undefined) })
          log(`directory: bound to ${url} (${endpoint.transport}, ${endpoint.source}) as ${opts.credentials.user}`)
          return await DirectoryClient.open(ldaptsTransport(client, endpoint, opts.credentials.user), opts, log)
        } catch (err) {
          await client.unbind().catch(() => undefined)
          if (err instanceof UsmtStepsError) throw err
          const f = classifyError(err)
          const where = `${url} (${endpoint.transport})`
          if (f.kind === 'auth') {
            throw new UsmtStepsError('USM0502', `${where} refused the credentials of ${opts.credentials.user} (${f.message})`, { cause: err, data: { dc: url, user: opts.credentials.user } })
          }
          if (f.kind === 'cert') {
            throw new UsmtStepsError('USM0503', `the TLS certificate of ${where} is not trusted: ${f.message}${f.code ? ` [${f.code}]` : ''}`, { cause: err, data: { dc: url, tlsError: f.code } })
          }
          if (f.kind === 'strong-auth') {
            throw new UsmtStepsError('USM0504', `${where} requires an encrypted connection: ${f.message}`, { cause: err, data: { dc: url } })
          }
          tried.push(`${where}: ${f.message}`)
          log(`directory: attempt ${attempt + 1} of ${opts.retries + 1} to ${where} failed: ${f.message}`)
          if (f.kind !== 'network') break
        }
      }
    }
    throw new UsmtStepsError('USM0501', `no domain controller answered (${tried.join('; ')})`, { data: { tried: opts.endpoints.map(endpointUrl) } })
  }

  /** Read the rootDSE and the domain's identity over a bound transport (closed again if that fails). */
  static async open(transport: SearchTransport, opts: { pageSize: number; baseDn?: string }, log: (line: string) => void): Promise<DirectoryClient> {
    const where = transport.connection.dc
    try {
      let root: Entry | undefined
      try {
        root = (await transport.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['defaultNamingContext', 'configurationNamingContext', 'dnsHostName'] }, opts.pageSize))[0]
      } catch (err) {
        if (err instanceof UsmtStepsError) throw err
        throw new UsmtStepsError('USM0507', `reading the rootDSE of ${where} failed: ${classifyError(err).message}`, { cause: err })
      }
      const baseDn = opts.baseDn?.trim() || firstString(root?.defaultNamingContext as RawAttribute)
      if (!baseDn) throw new UsmtStepsError('USM0500', `${where} does not publish a defaultNamingContext; set --base-dn`)
      const dc = new DirectoryClient(transport, baseDn, firstString(root?.configurationNamingContext as RawAttribute),
        firstString(root?.dnsHostName as RawAttribute), opts.pageSize, log)
      await dc.readDomainIdentity()
      return dc
    } catch (err) {
      await transport.close()
      throw err
    }
  }

  get connection(): DirectoryConnection {
    return this.transport.connection
  }

  private async readDomainIdentity(): Promise<void> {
    const domain = await this.search(this.baseDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] })
    const sid = firstValue(domain[0]?.objectSid as RawAttribute)
    if (Buffer.isBuffer(sid)) this.domainSid = sidToString(sid)
    if (this.configurationDn) {
      try {
        const xref = await this.search(`CN=Partitions,${this.configurationDn}`, {
          scope: 'one', filter: and(fixed('(objectClass=crossRef)'), eq('nCName', this.baseDn)), attributes: ['nETBIOSName'],
        })
        this.netbiosName = firstString(xref[0]?.nETBIOSName as RawAttribute)
      } catch (err) {
        this.log(`directory: NetBIOS domain name not readable (${classifyError(err).message})`)
      }
    }
    this.log(`directory: base ${this.baseDn}, domain SID ${this.domainSid ?? 'unknown'}, NetBIOS name ${this.netbiosName ?? 'unknown'}`)
  }

  /** A paged search returning every entry (search references to other partitions are ignored). */
  async search(base: string, request: SearchRequest): Promise<Entry[]> {
    try {
      return await this.transport.search(base, request, this.pageSize)
    } catch (err) {
      if ((err as { code?: number }).code === 32) return [] // noSuchObject: the base does not exist → nothing found
      if (err instanceof UsmtStepsError) throw err
      const filter = typeof request.filter === 'string' ? request.filter : filterText(request.filter)
      throw new UsmtStepsError('USM0507', `search under ${base} for ${filter} failed: ${classifyError(err).message}`, { cause: err })
    }
  }

  private toAccount(e: Entry): DirectoryAccount | undefined {
    const sidRaw = firstValue(e.objectSid as RawAttribute)
    if (!Buffer.isBuffer(sidRaw)) return undefined
    const uac = parseUac(e.userAccountControl as RawAttribute)
    const deleted = (firstString(e.isDeleted as RawAttribute) ?? '').toUpperCase() === 'TRUE'
    return {
      dn: e.dn,
      sid: sidToString(sidRaw),
      samAccountName: firstString(e.sAMAccountName as RawAttribute) ?? '',
      userPrincipalName: firstString(e.userPrincipalName as RawAttribute),
      userAccountControl: uac,
      disabled: isDisabled(uac),
      deleted,
      lastLogon: fileTimeToDate(e.lastLogonTimestamp as RawAttribute),
      parentDn: deleted ? (firstString(e.lastKnownParent as RawAttribute) ?? parentDn(e.dn)) : parentDn(e.dn),
      whenChanged: firstString(e.whenChanged as RawAttribute),
    }
  }

  private async findAccounts(values: readonly string[], term: (v: string) => Filter, deleted: boolean): Promise<DirectoryAccount[]> {
    const out: DirectoryAccount[] = []
    for (let i = 0; i < values.length; i += BATCH) {
      const batch = values.slice(i, i + BATCH)
      const filter = deleted
        ? and(fixed('(&(isDeleted=TRUE)(objectClass=user))'), or(...batch.map(term)))
        : and(fixed(USER_FILTER), or(...batch.map(term)))
      const entries = await this.search(this.baseDn, { scope: 'sub', filter, attributes: USER_ATTRIBUTES, explicitBufferAttributes: ['objectSid'], showDeleted: deleted })
      for (const e of entries) {
        const a = this.toAccount(e)
        if (a && a.deleted === deleted) out.push(a)
      }
    }
    return out
  }

  /** Live user accounts with one of these SIDs, by canonical SID. */
  async findUsersBySid(sids: readonly string[]): Promise<Map<string, DirectoryAccount>> {
    const found = await this.findAccounts(sids, (s) => eq('objectSid', sidFromString(s)), false)
    return new Map(found.map((a) => [a.sid, a]))
  }

  /** Tombstones (deleted accounts, CN=Deleted Objects) with one of these SIDs. */
  async findDeletedBySid(sids: readonly string[]): Promise<Map<string, DirectoryAccount>> {
    const found = await this.findAccounts(sids, (s) => eq('objectSid', sidFromString(s)), true)
    return new Map(found.map((a) => [a.sid, a]))
  }

  /** Live user accounts by sAMAccountName (case-insensitive key). */
  async findUsersByName(names: readonly string[]): Promise<Map<string, DirectoryAccount>> {
    const found = await this.findAccounts(names, (n) => eq('sAMAccountName', n), false)
    return new Map(found.map((a) => [a.samAccountName.toLowerCase(), a]))
  }

  /** Tombstones by sAMAccountName (case-insensitive key). */
  async findDeletedByName(names: readonly string[]): Promise<Map<string, DirectoryAccount>> {
    const found = await this.findAccounts(names, (n) => eq('sAMAccountName', n), true)
    return new Map(found.map((a) => [a.samAccountName.toLowerCase(), a]))
  }

  /** SIDs of every security group the account is in, transitively, including its primary group (tokenGroups). */
  async tokenGroups(dn: string): Promise<string[]> {
    const entries = await this.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['tokenGroups'], explicitBufferAttributes: ['tokenGroups'] })
    return allValues(entries[0]?.tokenGroups as RawAttribute).filter(Buffer.isBuffer).map((b) => sidToString(b))
  }

  /** Resolve a group given by SID, DN or sAMAccountName. Returns undefined when it does not exist. */
  async findGroup(spec: string): Promise<GroupRef | undefined> {
    const text = spec.trim()
    let term: Filter
    if (/^S-1-/i.test(text)) term = eq('objectSid', sidFromString(text))
    else if (text.includes('=')) term = eq('distinguishedName', text)
    else term = eq('sAMAccountName', text.replace(/^[^\\]*\\/, ''))
    const entries = await this.search(this.baseDn, { scope: 'sub', filter: and(fixed('(objectClass=group)'), term), attributes: ['objectSid', 'sAMAccountName'], explicitBufferAttributes: ['objectSid'] })
    const e = entries[0]
    const sid = firstValue(e?.objectSid as RawAttribute)
    if (!e || !Buffer.isBuffer(sid)) return undefined
    return { spec, dn: e.dn, sid: sidToString(sid), name: firstString(e.sAMAccountName as RawAttribute) ?? e.dn }
  }

  /** Whether a container (OU) exists. */
  async containerExists(dn: string): Promise<boolean> {
    const entries = await this.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] })
    return entries.length > 0 && dnKey(entries[0].dn) === dnKey(dn)
  }

  async close(): Promise<void> {
    await this.transport.close()
  }
}
