import { Resolver } from 'node:dns/promises'
import { UsmtStepsError } from '../runtime/errors.js'

/**
 * Where the domain controllers are: an explicit `--dc` list, or the DNS SRV records Windows itself uses
 * (`_ldap._tcp.dc._msdcs.<domain>`, MS-ADTS 6.3.2.3). Candidates are tried in order: lowest priority first,
 * then highest weight (deterministic instead of RFC 2782's weighted random, so logs are reproducible).
 */
export type Transport = 'ldaps' | 'starttls' | 'none'
export type TlsSetting = 'auto' | Transport

export interface DcEndpoint {
  host: string
  port: number
  transport: Transport
  /** How it was found, for the log: 'dc' (explicit) or 'srv <record>'. */
  source: string
}

export interface SrvRecord {
  name: string
  port: number
  priority: number
  weight: number
}

/** A DNS lookup for SRV records (node:dns by default; tests point it at a local DNS server). */
export type SrvLookup = (name: string) => Promise<SrvRecord[]>

export function dnsSrvLookup(servers?: readonly string[], timeoutMs = 5000): SrvLookup {
  return async (name) => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
    if (servers?.length) resolver.setServers([...servers])
    return resolver.resolveSrv(name)
  }
}

function transportFor(scheme: 'ldap' | 'ldaps' | undefined, tls: TlsSetting): Transport {
  if (tls !== 'auto') return tls
  return scheme === 'ldaps' ? 'ldaps' : 'starttls'
}

function defaultPort(t: Transport): number {
  return t === 'ldaps' ? 636 : 389
}

/** Parse one `--dc` item: host, host:port, [v6]:port, ldap://host[:port], ldaps://host[:port]. */
export function parseDcSpec(spec: string, tls: TlsSetting): DcEndpoint {
  const text = spec.trim()
  const bad = (): never => {
    throw new UsmtStepsError('USM0500', `invalid domain controller "${spec}"`, {
      actions: ['Write --dc as dc1.corp.example.com, dc1.corp.example.com:389, ldap://dc1.corp.example.com or ldaps://dc1.corp.example.com:636'],
    })
  }
  const m = /^(?:(ldaps?):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/.exec(text)
  if (!m) return bad()
  const scheme = m[1]?.toLowerCase() as 'ldap' | 'ldaps' | undefined
  if (scheme === 'ldaps' && tls === 'starttls') {
    throw new UsmtStepsError('USM0500', `--dc ${spec} is an ldaps:// address but --tls is starttls`, { actions: ['Use ldap://host with --tls starttls, or ldaps://host with --tls ldaps or auto.'] })
  }
  if (scheme === 'ldaps' && tls === 'none') {
    throw new UsmtStepsError('USM0500', `--dc ${spec} is an ldaps:// address but --tls is none`, { actions: ['Drop --tls none, or use an ldap:// address.'] })
  }
  const transport = scheme === 'ldap' && tls === 'auto' ? 'starttls' : transportFor(scheme, tls)
  const port = m[3] ? Number(m[3]) : defaultPort(transport)
  if (port < 1 || port > 65535) return bad()
  return { host: m[2].replace(/^\[|\]$/g, ''), port, transport, source: 'dc' }
}

export function parseDcList(value: string, tls: TlsSetting): DcEndpoint[] {
  return value.split(/[;\s]+/).filter(Boolean).map((s) => parseDcSpec(s, tls))
}

export function srvName(domain: string): string {
  return `_ldap._tcp.dc._msdcs.${domain.trim().replace(/\.$/, '')}`
}

export function orderSrv(records: readonly SrvRecord[]): SrvRecord[] {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight || a.name.localeCompare(b.name))
}

const DOMAIN_NAME = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/

/** Domain controllers of `domain` from DNS. With LDAPS the SRV port (389) is replaced by 636. */
export async function discoverDcs(domain: string, tls: TlsSetting, lookup: SrvLookup = dnsSrvLookup()): Promise<DcEndpoint[]> {
  if (!DOMAIN_NAME.test(domain.trim())) {
    throw new UsmtStepsError('USM0500', `"${domain}" is not a DNS domain name`, { actions: ['Set --domain (USMTStepsDomain) to the DNS name of the domain, e.g. corp.example.com.'] })
  }
  const name = srvName(domain)
  let records: SrvRecord[]
  try {
    records = await lookup(name)
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error'
    throw new UsmtStepsError('USM0506', `DNS lookup of ${name} failed (${code}: ${(err as Error).message})`, { cause: err, data: { record: name, dnsCode: code } })
  }
  const usable = records.filter((r) => r.name && r.name !== '.')
  if (usable.length === 0) throw new UsmtStepsError('USM0506', `DNS has no domain controller for ${domain} (${name} is empty)`, { data: { record: name } })
  const transport = transportFor(undefined, tls)
  return orderSrv(usable).map((r) => ({
    host: r.name.replace(/\.$/, ''),
    port: transport === 'ldaps' ? 636 : r.port,
    transport,
    source: `srv ${name}`,
  }))
}

export function endpointUrl(e: DcEndpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host
  return `${e.transport === 'ldaps' ? 'ldaps' : 'ldap'}://${host}:${e.port}`
}
