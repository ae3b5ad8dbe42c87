#!/usr/bin/env -S node --import tsx
/**
 * TEST DOUBLE for powershell.exe running the ADSI search script (src/directory/adsi.ts) as SYSTEM on a
 * domain-joined PC. Neither Windows' ADSI nor a computer account's Kerberos logon exist on Linux; the domain
 * controller does (the project's Samba AD DC), so the double answers every search from it. It is strict:
 *  - argv must be exactly -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <base64 UTF-16LE>,
 *    and the encoded script byte-for-byte ADSI_SEARCH_SCRIPT (no data can have been put into script text);
 *  - requests come only on stdin, one per line, printable ASCII only (non-ASCII must be \u-escaped), with exactly
 *    the request keys (id, server, base, scope, filter, attributes, tombstone, pageSize): a request can carry no
 *    credential; a bad request ends the session with exit 1, as a script error would;
 *  - the machine: USMT_STEPS_DOUBLE_MACHINE names a JSON file {"dc": "ldaps://127.0.0.1:636", "ca": "ca.pem",
 *    "account": "PC01$@corp.example.com", "password": "…"}, standing for the domain membership and the computer
 *    account's secret that LSA keeps. Without it the PC is not domain-joined: every search answers 0x8007054b, as
 *    ADSI's locator does. The computer account binds over TLS (standing for Kerberos with signing and sealing);
 *    a refused bind is 0x8007052e, an unreachable server 0x8007203a, a missing base object 0x80072030;
 *  - serverless binding (server "") goes to the machine's domain controller; a named server to that host;
 *  - answers are typed as DirectorySearcher types them: attribute names in lower case, objectSid / tokenGroups /
 *    objectGUID as byte arrays ({"b64"}), everything else as text; distinguishedName is the entry's DN;
 *  - filters are read with RFC 4515 (escaped bytes stay bytes); the product only sends &, |, !, equality and
 *    presence, and anything else is refused.
 * Every session is appended to USMT_STEPS_DOUBLE_LOG: argv, the names of the environment variables, each request line.
 */
import { AndFilter, Client, Control, EqualityFilter, type Filter, NotFilter, OrFilter, PresenceFilter } from 'ldapts'
import { appendFileSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { ADSI_SEARCH_SCRIPT, type AdsiAnswer, type AdsiEntry, type AdsiRequest } from '../../src/directory/adsi.js'

const argv = process.argv.slice(2)
const log = process.env.USMT_STEPS_DOUBLE_LOG
const record = (o: unknown): void => { if (log) appendFileSync(log, `${JSON.stringify(o)}\n`) }
function fatal(message: string): never {
  process.stderr.write(`adsi powershell double: ${message}\n`)
  process.exit(1)
}

record({ argv: argv.map((a, i) => (i === 5 ? `<${a.length} chars>` : a)), env: Object.keys(process.env).sort() })
const expected = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']
if (argv.length !== 6 || expected.some((a, i) => argv[i] !== a)) fatal(`unexpected argv ${JSON.stringify(argv.slice(0, 5))}`)
if (Buffer.from(argv[5], 'base64').toString('utf16le') !== ADSI_SEARCH_SCRIPT) fatal('the encoded command is not the ADSI search script')

interface Machine { dc: string; ca: string; account: string; password: string }
const machineFile = process.env.USMT_STEPS_DOUBLE_MACHINE
const machine: Machine | undefined = machineFile ? (JSON.parse(readFileSync(machineFile, 'utf8')) as Machine) : undefined

class HResult extends Error {
  constructor(readonly hresult: string, message: string) { super(message) }
}

/** RFC 4515 filter text → ldapts filter, with \xx escapes kept as bytes. */
function parseFilter(text: string): Filter {
  let i = 0
  const want = (c: string): void => {
    if (text[i] !== c) throw new HResult('0x80005000', `bad filter at ${i}: expected ${c} in ${text}`)
    i++
  }
  const item = (): Filter => {
    want('(')
    let f: Filter
    if (text[i] === '&' || text[i] === '|') {
      const op = text[i++]
      const filters: Filter[] = []
      while (text[i] === '(') filters.push(item())
      f = op === '&' ? new AndFilter({ filters }) : new OrFilter({ filters })
    } else if (text[i] === '!') {
      i++
      f = new NotFilter({ filter: item() })
    } else {
      const m = /^([A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)=/.exec(text.slice(i))
      if (!m) throw new HResult('0x80005000', `bad filter item at ${i} in ${text}`)
      i += m[0].length
      const bytes: number[] = []
      let star = false
      let raw = ''
      while (i < text.length && text[i] !== ')') {
        const c = text[i]
        raw += c
        if (c === '\\') {
          const hex = text.slice(i + 1, i + 3)
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new HResult('0x80005000', `bad escape at ${i} in ${text}`)
          bytes.push(parseInt(hex, 16))
          raw += hex
          i += 3
          continue
        }
        if (c === '*') star = true
        if (c === '(') throw new HResult('0x80005000', `unescaped ( at ${i} in ${text}`)
        bytes.push(...Buffer.from(c, 'utf8'))
        i++
      }
      if (raw === '*') f = new PresenceFilter({ attribute: m[1] })
      else if (star) throw new HResult('0x80005000', `substring filters are not sent by the product: ${text}`)
      else f = new EqualityFilter({ attribute: m[1], value: Buffer.from(bytes) })
    }
    want(')')
    return f
  }
  const f = item()
  if (i !== text.length) throw new HResult('0x80005000', `trailing text in filter ${text}`)
  return f
}

const BINARY = new Set(['objectsid', 'tokengroups', 'objectguid'])
const SHOW_DELETED_OID = '1.2.840.113556.1.4.417'
const clients = new Map<string, Client>()

async function bound(server: string): Promise<Client> {
  if (!machine) throw new HResult('0x8007054b', 'The specified domain either does not exist or could not be contacted.')
  let url = machine.dc
  if (server) {
    const [host, port] = server.split(':')
    url = port && port !== '636' ? `ldap://${host}:${port}` : `ldaps://${host}:636`
  }
  const known = clients.get(url)
  if (known) return known
  const tls = { ca: readFileSync(machine.ca, 'utf8'), rejectUnauthorized: true }
  const client = new Client({ url, timeout: 10000, connectTimeout: 5000, ...(url.startsWith('ldaps:') ? { tlsOptions: tls } : {}) })
  try {
    if (url.startsWith('ldap:')) await client.startTLS(tls)
    await client.bind(machine.account, machine.password)
  } catch (err) {
    await client.unbind().catch(() => undefined)
    if ((err as { code?: number }).code === 49) throw new HResult('0x8007052e', 'The user name or password is incorrect.')
    throw new HResult('0x8007203a', 'The server is not operational.')
  }
  clients.set(url, client)
  return client
}

function typed(name: string, value: string | Buffer): AdsiEntry['attributes'][string][number] {
  if (BINARY.has(name)) return { b64: (Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8')).toString('base64') }
  return Buffer.isBuffer(value) ? value.toString('utf8') : value
}

async function answer(req: AdsiRequest): Promise<AdsiEntry[]> {
  const client = await bound(req.server)
  const wanted = req.attributes.filter((a) => a !== '1.1')
  if (req.base === '') {
    const root = (await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: wanted })).searchEntries[0] ?? { dn: '' }
    const attributes: AdsiEntry['attributes'] = {}
    for (const a of wanted) {
      const v = root[a] ?? Object.entries(root).find(([k]) => k.toLowerCase() === a.toLowerCase())?.[1]
      if (v !== undefined && v !== '') attributes[a.toLowerCase()] = ([] as Array<string | Buffer>).concat(v as string | Buffer).map((x) => typed(a.toLowerCase(), x))
    }
    return [{ dn: '', attributes }]
  }
  const scope = ({ base: 'base', onelevel: 'one', subtree: 'sub' } as const)[req.scope]
  const out: AdsiEntry[] = []
  const controls = req.tombstone ? [new Control(SHOW_DELETED_OID, { critical: true })] : undefined
  try {
    for await (const page of client.searchPaginated(req.base, { scope, filter: parseFilter(req.filter), attributes: wanted.length ? wanted : ['1.1'], explicitBufferAttributes: wanted.filter((a) => BINARY.has(a.toLowerCase())), paged: { pageSize: req.pageSize } }, controls)) {
      for (const e of page.searchEntries) {
        const attributes: AdsiEntry['attributes'] = {}
        for (const [k, v] of Object.entries(e)) {
          if (k === 'dn') continue
          const values = ([] as Array<string | Buffer>).concat(v as string | Buffer)
          if (values.length) attributes[k.toLowerCase()] = values.map((x) => typed(k.toLowerCase(), x))
        }
        out.push({ dn: e.dn, attributes })
      }
    }
  } catch (err) {
    if (err instanceof HResult) throw err
    if ((err as { code?: number }).code === 32) throw new HResult('0x80072030', 'There is no such object on the server.')
    throw new HResult('0x80072020', `An operations error occurred. (${(err as Error).message})`)
  }
  return out
}

const KEYS = ['attributes', 'base', 'filter', 'id', 'pageSize', 'scope', 'server', 'tombstone']
function checkRequest(line: string): AdsiRequest {
  if (/[^\x20-\x7e]/.test(line)) fatal('a request line holds a character outside printable ASCII')
  let req: AdsiRequest
  try {
    req = JSON.parse(line) as AdsiRequest
  } catch {
    return fatal(`request is not JSON: ${line.slice(0, 80)}`)
  }
  if (Object.keys(req).sort().join(',') !== KEYS.join(',')) fatal(`request keys ${Object.keys(req).join(',')} are not ${KEYS.join(',')}`)
  if (!Number.isInteger(req.id) || typeof req.server !== 'string' || typeof req.base !== 'string' || typeof req.filter !== 'string') fatal('request field types')
  if (!['base', 'onelevel', 'subtree'].includes(req.scope) || typeof req.tombstone !== 'boolean' || !Number.isInteger(req.pageSize)) fatal('request field values')
  if (!Array.isArray(req.attributes) || !req.attributes.every((a) => typeof a === 'string')) fatal('request attributes')
  return req
}

const lines = createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on('line', (line) => {
  if (!line.trim()) return
  record({ request: line })
  const req = checkRequest(line)
  queue = queue.then(async () => {
    let reply: AdsiAnswer
    try {
      reply = { id: req.id, ok: true, entries: await answer(req) }
    } catch (err) {
      const e = err instanceof HResult ? err : new HResult('0x80004005', (err as Error).message)
      reply = { id: req.id, ok: false, hresult: e.hresult, message: e.message }
    }
    process.stdout.write(`${JSON.stringify(reply)}\r\n`)
  })
})
lines.on('close', () => {
  void queue.then(async () => {
    for (const c of clients.values()) await c.unbind().catch(() => undefined)
    process.exit(0)
  })
})
