import { execa, type ResultPromise } from 'execa'
import { createInterface } from 'node:readline'
import type { Entry } from 'ldapts'
import { UsmtStepsError } from '../runtime/errors.js'
import { filterText } from './filter.js'
import { DirectoryClient, type DirectoryConnection, type SearchRequest, type SearchTransport } from './client.js'

/**
 * Active Directory through ADSI, as the account the step runs as. Under ConfigMgr a step runs as SYSTEM, which
 * reaches the network as the computer account: a domain-joined PC in its full OS can read users and groups with
 * no credentials at all (Kerberos, signed and sealed: AuthenticationTypes Secure | Signing | Sealing). In WinPE
 * there is no computer account; the step uses OSDJoinAccount or the network access account over ldapts instead.
 *
 * One powershell.exe session answers every search of a `users` run: the fixed script below reads one request per
 * line on stdin and writes one answer per line on stdout. Data never enters the script text (it is passed with
 * -EncodedCommand and contains no value from outside); requests and answers are JSON with every character outside
 * printable ASCII escaped (\uXXXX), so no console code page can change them.
 *
 * Request:  {"id":1,"server":"","base":"DC=corp,…","scope":"subtree","filter":"(…)","attributes":[…],"tombstone":false,"pageSize":500}
 *           base "" reads the rootDSE (LDAP://RootDSE: ADSI's locator picks a domain controller of the computer's domain)
 * Answer:   {"id":1,"ok":true,"entries":[{"dn":"…","attributes":{"objectsid":[{"b64":"…"}],"samaccountname":["ann"]}}]}
 *           {"id":1,"ok":false,"hresult":"0x8007203a","message":"The server is not operational."}
 * Values come back as DirectorySearcher types them: byte[] as {"b64"}, Boolean as TRUE/FALSE, DateTime as LDAP
 * generalized time, numbers as decimal text; attribute names in lower case.
 */
export const ADSI_SEARCH_SCRIPT = `$ErrorActionPreference = 'Stop'
Add-Type -AssemblyName System.DirectoryServices
$auth = [System.DirectoryServices.AuthenticationTypes]'Secure, Signing, Sealing'
function AdsPath([string]$server, [string]$dn) {
  $p = 'LDAP://'
  if ($server) { $p += $server + '/' }
  if ($dn) { return $p + $dn.Replace('/', '\\/') }
  return $p + 'RootDSE'
}
function Val($v) {
  if ($v -is [byte[]]) { return @{ b64 = [Convert]::ToBase64String($v) } }
  if ($v -is [bool]) { if ($v) { return 'TRUE' }; return 'FALSE' }
  if ($v -is [datetime]) { return $v.ToUniversalTime().ToString('yyyyMMddHHmmss.0Z', [Globalization.CultureInfo]::InvariantCulture) }
  return [string]$v
}
function Answer($o) {
  $json = ConvertTo-Json -InputObject $o -Compress -Depth 8
  $ascii = [regex]::Replace($json, '[^\\x20-\\x7e]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })
  [Console]::Out.WriteLine($ascii); [Console]::Out.Flush()
}
while ($null -ne ($line = [Console]::In.ReadLine())) {
  if (-not $line.Trim()) { continue }
  $id = $null
  try {
    $r = ConvertFrom-Json -InputObject $line
    $id = $r.id
    $list = New-Object System.Collections.ArrayList
    $wanted = @($r.attributes | Where-Object { $_ -ne '1.1' })
    if (-not $r.base) {
      $e = [System.DirectoryServices.DirectoryEntry]::new((AdsPath $r.server ''), $null, $null, $auth)
      $attrs = @{}
      foreach ($name in $wanted) {
        $vals = New-Object System.Collections.ArrayList
        foreach ($v in $e.Properties[$name]) { [void]$vals.Add((Val $v)) }
        if ($vals.Count -gt 0) { $attrs[$name.ToLowerInvariant()] = $vals }
      }
      [void]$list.Add(@{ dn = ''; attributes = $attrs })
    } else {
      $root = [System.DirectoryServices.DirectoryEntry]::new((AdsPath $r.server $r.base), $null, $null, $auth)
      $props = [string[]](@('distinguishedName') + $wanted)
      $s = [System.DirectoryServices.DirectorySearcher]::new($root, [string]$r.filter, $props, [System.DirectoryServices.SearchScope][string]$r.scope)
      $s.PageSize = [int]$r.pageSize
      $s.Tombstone = [bool]$r.tombstone
      $found = $s.FindAll()
      try {
        foreach ($res in $found) {
          $attrs = @{}
          foreach ($name in $res.Properties.PropertyNames) {
            if ($name -eq 'adspath' -or $name -eq 'distinguishedname') { continue }
            $vals = New-Object System.Collections.ArrayList
            foreach ($v in $res.Properties[$name]) { [void]$vals.Add((Val $v)) }
            $attrs[$name] = $vals
          }
          $dn = ''
          foreach ($v in $res.Properties['distinguishedname']) { $dn = [string]$v }
          [void]$list.Add(@{ dn = $dn; attributes = $attrs })
        }
      } finally { $found.Dispose() }
    }
    Answer @{ id = $id; ok = $true; entries = $list }
  } catch {
    $x = $_.Exception
    while ($x.InnerException -and -not ($x -is [System.Runtime.InteropServices.COMException])) { $x = $x.InnerException }
    Answer @{ id = $id; ok = $false; hresult = ('0x{0:x8}' -f $x.HResult); message = [string]$x.Message }
  }
}
`

/** The argv powershell.exe gets: the script travels as -EncodedCommand (UTF-16LE, Base64), never as text. */
export function adsiArgv(): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(ADSI_SEARCH_SCRIPT, 'utf16le').toString('base64')]
}

export interface AdsiRequest {
  id: number
  server: string
  base: string
  scope: 'base' | 'onelevel' | 'subtree'
  filter: string
  attributes: string[]
  tombstone: boolean
  pageSize: number
}

export type AdsiValue = string | { b64: string }
export interface AdsiEntry { dn: string; attributes: Record<string, AdsiValue[]> }
export type AdsiAnswer = { id: number; ok: true; entries: AdsiEntry[] } | { id: number | null; ok: false; hresult: string; message: string }

const SCOPES = { base: 'base', one: 'onelevel', sub: 'subtree' } as const

/** A request line: JSON with every character outside printable ASCII escaped. */
export function encodeAdsiRequest(req: AdsiRequest): string {
  return JSON.stringify(req).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function adsiRequest(id: number, server: string, base: string, request: SearchRequest, pageSize: number): AdsiRequest {
  return {
    id, server, base, scope: SCOPES[request.scope],
    filter: typeof request.filter === 'string' ? request.filter : filterText(request.filter),
    attributes: [...request.attributes], tombstone: request.showDeleted === true, pageSize,
  }
}

/**
 * An answer's entries in ldapts' shape, so the directory client reads both transports alike: attribute names
 * as requested (ADSI lower-cases them), binary values as Buffers where the request said so, one value as a
 * scalar and several as an array.
 */
export function adsiEntries(entries: readonly AdsiEntry[], request: SearchRequest): Entry[] {
  const binary = new Set((request.explicitBufferAttributes ?? []).map((a) => a.toLowerCase()))
  const names = new Map(request.attributes.map((a) => [a.toLowerCase(), a]))
  return entries.map((e) => {
    const out: Entry = { dn: e.dn }
    for (const [key, values] of Object.entries(e.attributes)) {
      const name = names.get(key.toLowerCase())
      if (!name) continue
      const decoded = values.map((v): string | Buffer => {
        if (typeof v === 'string') return binary.has(key.toLowerCase()) ? Buffer.from(v, 'utf8') : v
        const buf = Buffer.from(v.b64, 'base64')
        return binary.has(key.toLowerCase()) ? buf : buf.toString('utf8')
      })
      if (decoded.length === 0) continue
      out[name] = decoded.length === 1 ? decoded[0] : (decoded as string[] | Buffer[])
    }
    return out
  })
}

/** HRESULTs ADSI reports, by what they mean for the step (and its USM code). */
const UNREACHABLE = new Set(['0x8007203a', '0x8007054b', '0x80072029', '0x8007202b', '0x800704cf', '0x80070035'])
const REFUSED = new Set(['0x8007052e', '0x800706fd', '0x80072020', '0x80070005', '0x80072027'])
const NO_SUCH_OBJECT = '0x80072030'

/** The coded error for an ADSI failure (an error with LDAP code 32 for a base that does not exist). */
export function adsiError(hresult: string, message: string, where: string): Error {
  const hr = hresult.toLowerCase()
  const text = `${message.trim()} (${hr})`
  if (hr === NO_SUCH_OBJECT) return Object.assign(new Error(text), { code: 32 })
  if (UNREACHABLE.has(hr)) {
    return new UsmtStepsError('USM0501', `no domain controller answered ADSI as the computer account${where ? ` (${where})` : ''}: ${text}`, { data: { hresult: hr } })
  }
  if (REFUSED.has(hr)) {
    return new UsmtStepsError('USM0502', `the directory refused the computer account${where ? ` (${where})` : ''}: ${text}`, {
      data: { hresult: hr },
      actions: ['Run the step as SYSTEM (ConfigMgr does) on a PC joined to the domain with a working secure channel (Test-ComputerSecureChannel), or give USMTStepsDirectoryUser / USMTStepsDirectoryPassword.'],
    })
  }
  return new UsmtStepsError('USM0507', `an ADSI search failed${where ? ` (${where})` : ''}: ${text}`, { data: { hresult: hr } })
}

export interface AdsiOptions {
  powershell: string
  /** A domain controller (host or host:port) for ADSI's path; '' lets ADSI's locator choose one (serverless binding). */
  server: string
  timeoutMs: number
  env?: Record<string, string | undefined>
}

/** One powershell.exe running ADSI_SEARCH_SCRIPT: searches are lines in, answers are lines out. */
export class AdsiSession implements SearchTransport {
  private readonly child: ResultPromise
  private readonly waiting = new Map<number, { resolve(a: AdsiAnswer): void; reject(e: Error): void }>()
  private nextId = 1
  private exited: Error | undefined
  readonly connection: DirectoryConnection

  constructor(private readonly opts: AdsiOptions) {
    this.connection = { dc: `adsi://${opts.server || '(domain controller chosen by ADSI)'}`, transport: 'adsi', account: 'the computer account (SYSTEM)' }
    this.child = execa(opts.powershell, adsiArgv(), {
      stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, windowsHide: true, buffer: false,
      ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
    })
    const lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => this.onLine(line))
    let stderr = ''
    this.child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 2000) stderr += d.toString('utf8') })
    void this.child.then((r) => {
      this.exited = new UsmtStepsError('USM0507', `${opts.powershell} ended (exit ${String(r.exitCode ?? r.signal)}) before answering the directory search${stderr.trim() ? `: ${stderr.trim().slice(0, 300)}` : ''}`)
      this.failAll(this.exited)
    }, (err: unknown) => {
      this.exited = new UsmtStepsError('USM0507', `cannot run ${opts.powershell} for ADSI: ${(err as Error).message}`, { cause: err })
      this.failAll(this.exited)
    })
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err)
    this.waiting.clear()
  }

  private onLine(line: string): void {
    const text = line.trim()
    if (!text.startsWith('{')) return
    let answer: AdsiAnswer
    try {
      answer = JSON.parse(text) as AdsiAnswer
    } catch {
      return
    }
    if (answer.ok) {
      this.waiting.get(answer.id)?.resolve(answer)
      this.waiting.delete(answer.id)
    } else if (answer.id !== null && this.waiting.has(answer.id)) {
      this.waiting.get(answer.id)?.resolve(answer)
      this.waiting.delete(answer.id)
    } else {
      this.failAll(adsiError(answer.hresult, answer.message, this.opts.server))
    }
  }

  async search(base: string, request: SearchRequest, pageSize: number): Promise<Entry[]> {
    if (this.exited) throw this.exited
    const req = adsiRequest(this.nextId++, this.opts.server, base, request, pageSize)
    const answer = await new Promise<AdsiAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(req.id)
        reject(new UsmtStepsError('USM0501', `ADSI did not answer within ${this.opts.timeoutMs} ms (search under ${base || 'the rootDSE'})`))
      }, this.opts.timeoutMs)
      this.waiting.set(req.id, {
        resolve: (a) => { clearTimeout(timer); resolve(a) },
        reject: (e) => { clearTimeout(timer); reject(e) },
      })
      this.child.stdin?.write(`${encodeAdsiRequest(req)}\n`)
    })
    if (!answer.ok) throw adsiError(answer.hresult, answer.message, this.opts.server)
    return adsiEntries(answer.entries, request)
  }

  async close(): Promise<void> {
    this.child.stdin?.end()
    const timer = setTimeout(() => this.child.kill(), 5000)
    await this.child.catch(() => undefined)
    clearTimeout(timer)
  }
}

/** Read the directory as the computer account: the rootDSE and the domain's identity through a new ADSI session. */
export async function connectAsComputer(opts: AdsiOptions & { pageSize: number; baseDn?: string; log: (line: string) => void }): Promise<DirectoryClient> {
  const session = new AdsiSession(opts)
  const client = await DirectoryClient.open(session, opts, opts.log)
  opts.log(`directory: reading AD through ADSI as the computer account (${session.connection.dc}; Kerberos, signed and sealed; no credentials)`)
  return client
}
