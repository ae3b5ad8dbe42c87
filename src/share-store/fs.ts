import { execa } from 'execa'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { findBridgeHost } from '../windows/com-bridge.js'
import { parseWinPath } from '../windows/path.js'
import type { Credentials } from './credentials.js'
import { splitSharePath, TransportError, type ShareEntry, type ShareSpace, type ShareTransport, type TransportErrorKind } from './transport.js'

/**
 * The OS's own SMB client through ordinary file I/O. On Windows (full OS and WinPE) the root is the UNC
 * path itself, so the redirector gives SMB 3.1.1, signing, encryption and Kerberos, exactly what scanstate
 * and loadstate use. Elsewhere the root is a folder where the share is mounted (`--mount`). When
 * credentials are needed on Windows, `connectWithCredentials` calls WNetAddConnection2 (what `net use` does)
 * from a fixed PowerShell script that reads the password from its stdin, never from argv.
 */
export interface FsTransportOptions {
  unc: string
  /** Local folder where the UNC root is mounted (non-Windows). Default: the UNC path itself (Windows). */
  mount?: string
}

function kindOf(err: NodeJS.ErrnoException): TransportErrorKind {
  switch (err.code) {
    case 'EEXIST': case 'ENOTEMPTY': return err.code === 'EEXIST' ? 'exists' : 'io'
    case 'ENOENT': case 'ENOTDIR': return 'notFound'
    case 'EACCES': case 'EPERM': return 'denied'
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ETIMEDOUT': case 'ECONNREFUSED': case 'ECONNRESET': case 'EHOSTDOWN': case 'UNKNOWN': return 'unreachable'
    default: return 'io'
  }
}

export class FsTransport implements ShareTransport {
  readonly kind = 'fs' as const
  readonly root: string
  private readonly base: string
  private readonly sep: string

  constructor(opts: FsTransportOptions) {
    if (parseWinPath(opts.unc).kind !== 'unc') throw new TransportError('io', `${opts.unc} is not a UNC path`)
    this.root = opts.unc
    this.base = opts.mount ?? opts.unc
    this.sep = opts.mount ? nodePath.sep : '\\'
  }

  local(path: string): string {
    const segs = splitSharePath(path)
    return segs.length ? `${this.base.replace(/[\\/]+$/, '')}${this.sep}${segs.join(this.sep)}` : this.base
  }

  private async wrap<T>(what: string, path: string, fn: () => Promise<T>, transfer = false): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof TransportError) throw err
      const e = err as NodeJS.ErrnoException
      const kind = kindOf(e)
      throw new TransportError(transfer && (kind === 'io' || kind === 'unreachable') ? 'transfer' : kind, `${this.root}: ${what} ${path}: ${e.message}`, e.code)
    }
  }

  async probe(): Promise<void> {
    await this.wrap('open', '', async () => {
      const s = await fsp.stat(this.base)
      if (!s.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
    })
  }

  async mkdir(path: string): Promise<void> {
    await this.wrap('mkdir', path, () => fsp.mkdir(this.local(path)))
  }

  async ensureDir(path: string): Promise<void> {
    await this.wrap('mkdir -p', path, () => fsp.mkdir(this.local(path), { recursive: true }))
  }

  async list(path: string): Promise<ShareEntry[]> {
    return this.wrap('list', path, async () => {
      const dir = this.local(path)
      const names = await fsp.readdir(dir)
      const out: ShareEntry[] = []
      for (const name of names) {
        const s = await fsp.stat(`${dir}${this.sep}${name}`).catch(() => null)
        if (s) out.push({ name, isDirectory: s.isDirectory(), size: s.isDirectory() ? 0 : s.size, mtimeMs: s.mtimeMs })
      }
      return out
    })
  }

  async stat(path: string): Promise<ShareEntry | null> {
    try {
      const s = await fsp.stat(this.local(path))
      return { name: splitSharePath(path).pop() ?? '', isDirectory: s.isDirectory(), size: s.isDirectory() ? 0 : s.size, mtimeMs: s.mtimeMs }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      return this.wrap('stat', path, () => Promise.reject(err))
    }
  }

  async readText(path: string): Promise<string | null> {
    try {
      return await fsp.readFile(this.local(path), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      return this.wrap('read', path, () => Promise.reject(err))
    }
  }

  async readHead(path: string, bytes: number): Promise<Buffer> {
    return this.wrap('read', path, async () => {
      const fh = await fsp.open(this.local(path), 'r')
      try {
        const buf = Buffer.alloc(bytes)
        const { bytesRead } = await fh.read(buf, 0, bytes, 0)
        return buf.subarray(0, bytesRead)
      } finally {
        await fh.close()
      }
    })
  }

  async writeText(path: string, text: string): Promise<void> {
    const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
    await this.wrap('write', path, async () => {
      try {
        await fsp.writeFile(this.local(tmp), text)
        await fsp.rename(this.local(tmp), this.local(path))
      } catch (err) {
        await fsp.rm(this.local(tmp), { force: true }).catch(() => undefined)
        throw err
      }
    })
  }

  async putFile(localPath: string, path: string): Promise<void> {
    await this.wrap('upload', path, () => pipeline(createReadStream(localPath), createWriteStream(this.local(path))), true)
  }

  async putStream(source: Readable, path: string): Promise<void> {
    await this.wrap('upload', path, () => pipeline(source, createWriteStream(this.local(path))), true)
  }

  async getFile(path: string, localPath: string): Promise<void> {
    await this.wrap('download', path, () => pipeline(createReadStream(this.local(path)), createWriteStream(localPath)), true)
  }

  getStream(path: string): { stream: Readable; done: Promise<void> } {
    const out = new PassThrough()
    const src = createReadStream(this.local(path))
    const done = new Promise<void>((resolve, reject) => {
      src.on('error', (e) => {
        const err = new TransportError(kindOf(e) === 'notFound' ? 'notFound' : 'transfer', `${this.root}: download ${path}: ${e.message}`)
        out.destroy(err)
        reject(err)
      })
      src.on('end', () => resolve())
    })
    done.catch(() => undefined)
    src.pipe(out)
    return { stream: out, done }
  }

  async putFiles(items: ReadonlyArray<{ localPath: string; path: string }>, dirs: readonly string[] = []): Promise<void> {
    for (const d of dirs) await this.ensureDir(d)
    for (const i of items) await this.putFile(i.localPath, i.path)
  }

  async getFiles(items: ReadonlyArray<{ path: string; localPath: string }>): Promise<void> {
    for (const i of items) await this.getFile(i.path, i.localPath)
  }

  async listTree(path: string): Promise<Array<{ path: string; size: number }>> {
    const out: Array<{ path: string; size: number }> = []
    const walk = async (rel: string[]): Promise<void> => {
      for (const e of await this.list([path, ...rel].join('/'))) {
        if (e.isDirectory) await walk([...rel, e.name])
        else out.push({ path: [...rel, e.name].join('/'), size: e.size })
      }
    }
    await walk([])
    return out
  }

  async rename(from: string, to: string, overwrite = false): Promise<void> {
    await this.wrap('rename', from, async () => {
      if (!overwrite && (await this.stat(to))) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' })
      await fsp.rename(this.local(from), this.local(to))
    })
  }

  async removeFile(path: string): Promise<void> {
    await this.wrap('delete', path, () => fsp.unlink(this.local(path)))
  }

  async removeDir(path: string): Promise<void> {
    await this.wrap('rmdir', path, () => fsp.rmdir(this.local(path)))
  }

  async removeTree(path: string): Promise<void> {
    if (splitSharePath(path).length === 0) throw new TransportError('io', 'refusing to delete the share root')
    await this.wrap('delete tree', path, () => fsp.rm(this.local(path), { recursive: true, force: false }))
  }

  async space(): Promise<ShareSpace> {
    return this.wrap('statfs', '', async () => {
      const s = await fsp.statfs(this.base)
      return { totalBytes: Number(s.blocks) * Number(s.bsize), freeBytes: Number(s.bavail) * Number(s.bsize) }
    })
  }

  async close(): Promise<void> {
    // Connections made by connectWithCredentials stay for the later steps (scanstate/loadstate use them).
  }
}

/** Fixed PowerShell text: reads `user\n domain\n password\n` from stdin and calls WNetAddConnection2 for $env:USMT_STEPS_UNC. */
export const CONNECT_SCRIPT = `$ErrorActionPreference = 'Stop'
Add-Type -Namespace UsmtSteps -Name Mpr -MemberDefinition @'
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, CharSet = System.Runtime.InteropServices.CharSet.Unicode)]
public class NetResource { public int Scope; public int Type = 1; public int DisplayType; public int Usage; public string LocalName; public string RemoteName; public string Comment; public string Provider; }
[System.Runtime.InteropServices.DllImport("mpr.dll", CharSet = System.Runtime.InteropServices.CharSet.Unicode)]
public static extern int WNetAddConnection2(NetResource netResource, string password, string username, int flags);
'@
$user = [Console]::In.ReadLine(); $domain = [Console]::In.ReadLine(); $pass = [Console]::In.ReadLine()
if ($domain) { $user = $domain + '\\' + $user }
$r = New-Object UsmtSteps.Mpr+NetResource
$r.RemoteName = $env:USMT_STEPS_UNC
$rc = [UsmtSteps.Mpr]::WNetAddConnection2($r, $pass, $user, 0)
[Console]::Out.WriteLine('RC;' + $rc)
`

export type ConnectRunner = (file: string, args: string[], input: string, env: Record<string, string>) => Promise<{ stdout: string; stderr: string; exitCode: number }>

const defaultConnectRunner: ConnectRunner = async (file, args, input, env) => {
  const r = await execa(file, args, { input, env, reject: false, windowsHide: true, timeout: 120000 })
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 }
}

/** `net use \\server\share` with credentials, without the password in any argv (Windows only). */
export async function connectWithCredentials(unc: string, creds: Credentials, opts: { env?: Record<string, string | undefined>; runner?: ConnectRunner } = {}): Promise<void> {
  const host = findBridgeHost({ platform: 'win32', env: opts.env ?? process.env })
  if (!host || host.kind !== 'powershell') {
    throw new TransportError('io', `cannot connect to ${unc} with credentials: powershell.exe is not available (map the share before this step, e.g. with the task sequence's own connection)`)
  }
  const root = parseWinPath(unc).root
  const args = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(CONNECT_SCRIPT, 'utf16le').toString('base64')]
  const r = await (opts.runner ?? defaultConnectRunner)(host.executable, args, `${creds.username}\n${creds.domain ?? ''}\n${creds.password}\n`, { USMT_STEPS_UNC: root })
  const m = /RC;(\d+)/.exec(r.stdout)
  const rc = m ? Number(m[1]) : -1
  // 0 = connected, 1219 = already connected with other credentials (the existing session is used).
  if (rc === 0 || rc === 1219) return
  const kind: TransportErrorKind = rc === 1326 || rc === 86 || rc === 5 ? 'auth' : rc === 53 || rc === 67 || rc === 1231 ? 'unreachable' : 'io'
  throw new TransportError(kind, `cannot connect to ${root} (Windows error ${rc}${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''})`)
}
