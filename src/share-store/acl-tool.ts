import { execa } from 'execa'
import { parseWinPath } from '../windows/path.js'
import { AuthFile, type Credentials } from './credentials.js'
import { classifyStatus, defaultSmbRunner, type SmbRunner } from './smbclient.js'
import { isSid } from './access.js'
import { splitSharePath, TransportError } from './transport.js'

/**
 * Reads and sets the DACL of a folder or file on a store share, and resolves account names to SIDs.
 * Linux: Samba's `smbcacls --sddl` and `rpcclient lookupnames` (Debian smbclient package), signed SMB3, with
 * the credentials in a 0600 authentication file (`-A`), never argv. Both tools always use port 445 (they have
 * no port option), so per-store access needs the share on the standard port. Windows: the NTFS ACL of the UNC
 * path through a fixed PowerShell script (Get-Acl / SetSecurityDescriptorSddlForm / Set-Acl); every value
 * (path, SDDL, names) reaches it through environment variables, never interpolated into the script.
 */
export interface AclTool {
  /** SID of each account or group name (a SID is returned as it is). */
  resolve(names: readonly string[]): Promise<Map<string, string>>
  /** The DACL as SDDL (`D:...`), with owner and group. */
  getSddl(path: string): Promise<string>
  /** Replace the DACL (`D:P(...)` protects it from inheritance). */
  setSddl(path: string, sddl: string): Promise<void>
  close(): Promise<void>
}

export interface SmbAclOptions {
  unc: string
  port?: number
  credentials?: Credentials
  runner?: SmbRunner
  tempDir?: string
}

export class SmbcaclsTool implements AclTool {
  private readonly server: string
  private readonly service: string
  private readonly baseDir: string[]
  private readonly runner: SmbRunner
  private auth: AuthFile | undefined

  constructor(private readonly opts: SmbAclOptions) {
    const parsed = parseWinPath(opts.unc)
    if (parsed.kind !== 'unc') throw new TransportError('io', `${opts.unc} is not a UNC path`)
    const [, server, share] = /^\\\\([^\\]+)\\(.+)$/.exec(parsed.root) ?? []
    if (opts.port !== undefined && opts.port !== 445) {
      throw new TransportError('io', `${opts.unc}: per-store access needs the share on port 445 (smbcacls and rpcclient have no port option; the policy gives port ${opts.port})`)
    }
    this.server = server
    this.service = `//${server}/${share}`
    this.baseDir = parsed.segments
    this.runner = opts.runner ?? defaultSmbRunner
  }

  private authArgs(): string[] {
    if (!this.opts.credentials) return ['--use-kerberos=required']
    this.auth ??= new AuthFile(this.opts.credentials, this.opts.tempDir)
    return ['-A', this.auth.path]
  }

  private async run(file: string, args: string[]): Promise<string> {
    const r = await this.runner(file, args, { reject: false, stdin: 'ignore', env: { LC_ALL: 'C' }, extendEnv: true })
    const out = `${String(r.stdout ?? '')}\n${String(r.stderr ?? '')}`
    if ((r as { code?: string }).code === 'ENOENT') throw new TransportError('io', `${file} was not found (install the smbclient package)`, 'ENOENT')
    const status = /NT_STATUS_[A-Z0-9_]+/.exec(out)?.[0]
    if (r.exitCode !== 0 || (status && status !== 'NT_STATUS_OK' && !/lookup domain sid|RPC fault/.test(out.split('\n').find((l) => l.includes(status)) ?? ''))) {
      const connect = /cli_full_connection failed|session setup failed|tree connect failed/.test(out)
      const line = out.split('\n').find((l) => l.includes(status ?? '\u0000'))?.trim() ?? out.trim().split('\n').pop() ?? ''
      throw new TransportError(status ? classifyStatus(status, connect ? 'connect' : 'op') : 'io', `${this.opts.unc}: ${file}: ${line || `exit ${r.exitCode}`}`, status)
    }
    return String(r.stdout ?? '')
  }

  private remote(path: string): string {
    return [...this.baseDir, ...splitSharePath(path)].join('\\') || '\\'
  }

  private base(): string[] {
    return [this.service, '--configfile=/dev/null', '--client-protection=sign', '--max-protocol=SMB3', ...this.authArgs()]
  }

  async resolve(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    const lookup = [...new Set(names.filter((n) => !isSid(n)))]
    for (const n of names) if (isSid(n)) out.set(n, n.toUpperCase())
    if (lookup.length === 0) return out
    for (const n of lookup) if (/["\r\n]/.test(n)) throw new TransportError('io', `the account name ${JSON.stringify(n)} cannot be looked up`)
    const args = [this.server, '--configfile=/dev/null', '--client-protection=sign', ...this.authArgs(), '-c', `lookupnames ${lookup.map((n) => `"${n}"`).join(' ')}`]
    let stdout: string
    try {
      stdout = await this.run('rpcclient', args)
    } catch (err) {
      if (err instanceof TransportError && err.status === 'NT_STATUS_NONE_MAPPED') throw new TransportError('notFound', `${this.opts.unc}: none of ${lookup.join(', ')} is an account the server knows`, err.status)
      throw err
    }
    for (const line of stdout.split('\n')) {
      const m = /^(.*) (S-1-[\d-]+) \(/.exec(line.trim())
      if (!m) continue
      const name = lookup.find((n) => n.toLowerCase() === m[1].toLowerCase() || m[1].toLowerCase().endsWith(`\\${n.toLowerCase()}`))
      if (name && !out.has(name)) out.set(name, m[2])
    }
    const missing = lookup.filter((n) => !out.has(n))
    if (missing.length) throw new TransportError('notFound', `${this.opts.unc}: the server knows no account ${missing.join(', ')}`)
    return out
  }

  async getSddl(path: string): Promise<string> {
    const stdout = await this.run('smbcacls', [...this.base(), '--sddl', this.remote(path)])
    return stdout.split('\n').find((l) => /^O:|^D:|^G:/.test(l.trim()))?.trim() ?? ''
  }

  async setSddl(path: string, sddl: string): Promise<void> {
    await this.run('smbcacls', [...this.base(), '--sddl', this.remote(path), '-S', sddl])
  }

  async close(): Promise<void> {
    this.auth?.dispose()
    this.auth = undefined
  }
}

/** The fixed script of the Windows ACL tool: every value comes from the environment (USMT_ACL_*). */
export const WINDOWS_ACL_SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  'switch ($env:USMT_ACL_OP) {',
  "  'resolve' { foreach ($n in ($env:USMT_ACL_NAMES -split \"`n\")) { if ($n) { $s = ([Security.Principal.NTAccount]::new($n)).Translate([Security.Principal.SecurityIdentifier]).Value; \"$s`t$n\" } } }",
  "  'get' { (Get-Acl -LiteralPath $env:USMT_ACL_PATH).Sddl }",
  "  'set' { $a = Get-Acl -LiteralPath $env:USMT_ACL_PATH; $a.SetSecurityDescriptorSddlForm($env:USMT_ACL_SDDL, 'Access'); Set-Acl -LiteralPath $env:USMT_ACL_PATH -AclObject $a }",
  '}',
].join('\n')

/** Windows: the NTFS ACL of the store on the UNC path (the OS's own SMB client and identity). */
export class WindowsAclTool implements AclTool {
  constructor(private readonly unc: string) {}

  private async ps(env: Record<string, string>): Promise<string> {
    const r = await execa('powershell.exe', ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'], {
      input: WINDOWS_ACL_SCRIPT, env, extendEnv: true, reject: false,
    })
    if (r.exitCode !== 0) {
      const msg = String(r.stderr ?? '').trim().split('\n')[0] ?? ''
      throw new TransportError(/denied/i.test(msg) ? 'denied' : /not be translated|IdentityNotMapped/i.test(msg) ? 'notFound' : 'io', `${this.unc}: ${msg || `powershell exited with ${r.exitCode}`}`)
    }
    return String(r.stdout ?? '')
  }

  private local(path: string): string {
    const segs = splitSharePath(path)
    return segs.length ? `${this.unc}\\${segs.join('\\')}` : this.unc
  }

  async resolve(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    const lookup = names.filter((n) => !isSid(n))
    for (const n of names) if (isSid(n)) out.set(n, n.toUpperCase())
    if (lookup.length === 0) return out
    const stdout = await this.ps({ USMT_ACL_OP: 'resolve', USMT_ACL_NAMES: lookup.join('\n') })
    for (const line of stdout.split(/\r?\n/)) {
      const [sid, name] = line.split('\t')
      if (sid && name) out.set(name, sid)
    }
    return out
  }

  async getSddl(path: string): Promise<string> {
    return (await this.ps({ USMT_ACL_OP: 'get', USMT_ACL_PATH: this.local(path) })).trim()
  }

  async setSddl(path: string, sddl: string): Promise<void> {
    await this.ps({ USMT_ACL_OP: 'set', USMT_ACL_PATH: this.local(path), USMT_ACL_SDDL: sddl })
  }

  async close(): Promise<void> {}
}
