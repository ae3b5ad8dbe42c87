import { execa, type Options as ExecaOptions } from 'execa'
import { randomBytes } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { parseWinPath } from '../windows/path.js'
import { AuthFile, type Credentials } from './credentials.js'
import { splitSharePath, TransportError, type ShareEntry, type ShareSpace, type ShareTransport, type TransportErrorKind } from './transport.js'

/**
 * Samba's `smbclient` driven with execa: SMB3 only (`client min protocol = SMB3`), signing required
 * (`--client-protection=sign`), NTLMv2 or Kerberos. Credentials go through a 0600 authentication file
 * (`-A`), never argv. Every operation is one smbclient process with a `-c` command string (or a stdin
 * script when a name contains `;`); file data streams straight between smbclient and the local file or
 * a Node stream, so large stores are never held in memory.
 */
export interface SmbclientOptions {
  /** UNC of the share root: \\server\share[\folder]. */
  unc: string
  port?: number
  credentials?: Credentials
  /** smbclient binary (default: smbclient on PATH). */
  binary?: string
  /** Per-operation timeout in seconds passed to smbclient -t (default 60). */
  timeoutSeconds?: number
  /** Replaceable process runner (tests record the argv of every child through it). */
  runner?: SmbRunner
  tempDir?: string
}

export type SmbRunner = (file: string, args: readonly string[], options: ExecaOptions) => ReturnType<typeof execa>

export const defaultSmbRunner: SmbRunner = (file, args, options) => execa(file, args, options)

const UNREACHABLE = /CONNECTION_REFUSED|HOST_UNREACHABLE|NETWORK_UNREACHABLE|IO_TIMEOUT|CONNECTION_RESET|CONNECTION_DISCONNECTED|CONNECTION_ABORTED|BAD_NETWORK_NAME|NOT_SUPPORTED|INVALID_NETWORK_RESPONSE|PIPE_BROKEN|NETWORK_NAME_DELETED|END_OF_FILE|LOCAL_DISCONNECT|REMOTE_DISCONNECT|NO_LOGON_SERVERS|TIMEOUT/
const AUTH = /LOGON_FAILURE|WRONG_PASSWORD|NO_SUCH_USER|ACCOUNT_(?:DISABLED|LOCKED_OUT|RESTRICTION|EXPIRED)|PASSWORD_(?:EXPIRED|MUST_CHANGE)|INVALID_LOGON_HOURS|TRUSTED_RELATIONSHIP_FAILURE/

export function classifyStatus(status: string, phase: 'connect' | 'op' | 'transfer'): TransportErrorKind {
  if (AUTH.test(status)) return 'auth'
  if (status.includes('ACCESS_DENIED')) return phase === 'connect' ? 'auth' : 'denied'
  if (UNREACHABLE.test(status)) return phase === 'transfer' ? 'transfer' : 'unreachable'
  if (status.includes('OBJECT_NAME_COLLISION')) return 'exists'
  if (/OBJECT_NAME_NOT_FOUND|OBJECT_PATH_NOT_FOUND|NO_SUCH_FILE|NOT_FOUND/.test(status)) return 'notFound'
  return phase === 'transfer' ? 'transfer' : 'io'
}

const LS_LINE = /^ {2}(.+?)\s+([ADHSRNVIOLPE]*)\s+(\d+)\s+(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})$/

/** Parse smbclient `ls` output. */
export function parseLs(stdout: string): ShareEntry[] {
  const out: ShareEntry[] = []
  for (const line of stdout.split('\n')) {
    const m = LS_LINE.exec(line.replace(/\r$/, ''))
    if (!m || m[1] === '.' || m[1] === '..') continue
    out.push({ name: m[1], isDirectory: m[2].includes('D'), size: Number(m[3]), mtimeMs: Date.parse(`${m[4]}`) })
  }
  return out
}

/**
 * Parse `recurse on; ls DIR\*`: the entries of DIR come first, then one block per sub-folder headed by its path
 * from the share root (`\DIR\sub`). Returns the files with paths relative to DIR, `/`-separated.
 */
export function parseRecursiveLs(stdout: string, dir: string): Array<{ path: string; size: number }> {
  const prefix = dir ? `\\${dir}`.toLowerCase() : ''
  const out: Array<{ path: string; size: number }> = []
  let current: string[] = []
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '')
    if (line.startsWith('\\')) {
      const rest = line.toLowerCase().startsWith(`${prefix}\\`) ? line.slice(prefix.length + 1) : prefix === '' ? line.slice(1) : null
      current = rest === null ? [] : rest.split('\\').filter(Boolean)
      continue
    }
    const m = LS_LINE.exec(line)
    if (!m || m[1] === '.' || m[1] === '..' || m[2].includes('D')) continue
    out.push({ path: [...current, m[1]].join('/'), size: Number(m[3]) })
  }
  return out
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim()).pop()?.trim() ?? 'no output'
}

/** Parse the "N blocks of size M. K blocks available" line of `ls`/`du`. */
export function parseSpace(stdout: string): ShareSpace | null {
  const m = /(\d+) blocks of size (\d+)\. (\d+) blocks available/.exec(stdout)
  if (!m) return null
  const size = Number(m[2])
  return { totalBytes: Number(m[1]) * size, freeBytes: Number(m[3]) * size }
}

function q(name: string): string {
  if (/["\r\n]/.test(name)) throw new TransportError('io', `name ${JSON.stringify(name)} cannot be sent to smbclient`)
  return `"${name}"`
}

export class SmbclientTransport implements ShareTransport {
  readonly kind = 'smbclient' as const
  readonly root: string
  private readonly service: string
  private readonly baseDir: string[]
  private readonly binary: string
  private readonly runner: SmbRunner
  private auth: AuthFile | undefined

  constructor(private readonly opts: SmbclientOptions) {
    const parsed = parseWinPath(opts.unc)
    if (parsed.kind !== 'unc') throw new TransportError('io', `${opts.unc} is not a UNC path`)
    this.root = opts.unc
    const [, server, share] = /^\\\\([^\\]+)\\(.+)$/.exec(parsed.root) ?? []
    this.service = `//${server}/${share}`
    this.baseDir = parsed.segments
    this.binary = opts.binary ?? 'smbclient'
    this.runner = opts.runner ?? defaultSmbRunner
  }

  /** The argv of every smbclient child (no secret can be in it: credentials are only in the -A file). */
  baseArgs(): string[] {
    const args = [this.service, '--configfile=/dev/null', '--max-protocol=SMB3', '--option=client min protocol=SMB3', '--client-protection=sign',
      '-t', String(this.opts.timeoutSeconds ?? 60)]
    if (this.opts.port) args.push('-p', String(this.opts.port))
    if (this.opts.credentials) {
      this.auth ??= new AuthFile(this.opts.credentials, this.opts.tempDir)
      args.push('-A', this.auth.path)
    } else {
      args.push('--use-kerberos=required')
    }
    return args
  }

  private remote(path: string): string {
    return [...this.baseDir, ...splitSharePath(path)].join('\\')
  }

  private async run(commands: string[], opts: { input?: Readable | string; phase?: 'op' | 'transfer'; allowStatus?: RegExp; script?: boolean } = {}): Promise<{ stdout: string; stderr: string }> {
    // A stdin script: for names with ';' (-c splits at it) and for batches (one argv string is limited to 128 KiB).
    const useStdinScript = opts.script === true || commands.some((c) => c.includes(';'))
    if (useStdinScript && opts.input !== undefined) throw new TransportError('io', 'a name containing ";" cannot be streamed')
    const args = this.baseArgs()
    const base = { reject: false, stripFinalNewline: false, env: { LC_ALL: 'C' }, extendEnv: true } as const
    let options: ExecaOptions
    if (useStdinScript) {
      options = { ...base, input: `${commands.join('\n')}\nexit\n` }
    } else {
      args.push('-c', commands.join('; '))
      options = typeof opts.input === 'string' ? { ...base, input: opts.input } : { ...base, stdin: opts.input ? 'pipe' : 'ignore' }
    }
    let child: ReturnType<typeof execa>
    try {
      child = this.runner(this.binary, args, options)
    } catch (err) {
      throw new TransportError('io', `cannot run ${this.binary}: ${(err as Error).message}`)
    }
    if (opts.input && typeof opts.input !== 'string' && child.stdin) {
      const stdin = child.stdin
      stdin.on('error', () => undefined)
      opts.input.on('error', (e) => stdin.destroy(e))
      opts.input.pipe(stdin)
    }
    const r = await child
    const stdout = String(r.stdout ?? '')
    const stderr = String(r.stderr ?? '')
    this.check(stdout, stderr, r.exitCode ?? null, r.failed && (r as { code?: string }).code === 'ENOENT', opts.phase ?? 'op', opts.allowStatus)
    return { stdout, stderr }
  }

  private check(stdout: string, stderr: string, exitCode: number | null, notFound: boolean, phase: 'op' | 'transfer', allow?: RegExp): void {
    if (notFound) throw new TransportError('io', `${this.binary} was not found (install the smbclient package)`, 'ENOENT')
    const text = `${stderr}\n${stdout}`
    const statuses = [...text.matchAll(/NT_STATUS_[A-Z0-9_]+/g)].map((m) => m[0]).filter((s) => !(allow && allow.test(s)))
    const connectFailed = /session setup failed|tree connect failed|protocol negotiation failed|Connection to .* failed|do_connect/.test(text)
    if (statuses.length > 0) {
      const status = statuses[0]
      const line = text.split('\n').find((l) => l.includes(status))?.trim() ?? status
      throw new TransportError(classifyStatus(status, connectFailed ? 'connect' : phase), `${this.root}: ${line}`, status)
    }
    if (exitCode !== 0 && !(allow && exitCode === 1 && /NT_STATUS/.test(text))) {
      const last = text.trim().split('\n').pop() ?? ''
      throw new TransportError(connectFailed ? 'unreachable' : phase === 'transfer' ? 'transfer' : 'io', `${this.root}: smbclient exited with ${exitCode ?? 'a signal'}${last ? `: ${last}` : ''}`)
    }
  }

  async probe(): Promise<void> {
    await this.run([`ls ${q(this.remote('') ? `${this.remote('')}\\*` : '*')}`])
  }

  async mkdir(path: string): Promise<void> {
    await this.run([`mkdir ${q(this.remote(path))}`])
  }

  async ensureDir(path: string): Promise<void> {
    // One session for every level (an existing folder answers OBJECT_NAME_COLLISION, which is fine).
    const segs = [...this.baseDir, ...splitSharePath(path)]
    if (segs.length === 0) return
    await this.run(segs.map((_, i) => `mkdir ${q(segs.slice(0, i + 1).join('\\'))}`), { script: true, allowStatus: /OBJECT_NAME_COLLISION/ })
  }

  async list(path: string): Promise<ShareEntry[]> {
    const dir = this.remote(path)
    const { stdout } = await this.run([`ls ${q(dir ? `${dir}\\*` : '*')}`], { allowStatus: /NO_SUCH_FILE/ })
    return parseLs(stdout)
  }

  async stat(path: string): Promise<ShareEntry | null> {
    try {
      const { stdout } = await this.run([`ls ${q(this.remote(path))}`])
      const name = splitSharePath(path).pop() ?? ''
      return parseLs(stdout).find((e) => e.name.toLowerCase() === name.toLowerCase()) ?? null
    } catch (err) {
      if (err instanceof TransportError && err.kind === 'notFound') return null
      throw err
    }
  }

  async readText(path: string): Promise<string | null> {
    try {
      const { stdout } = await this.run([`get ${q(this.remote(path))} -`])
      return stdout
    } catch (err) {
      if (err instanceof TransportError && err.kind === 'notFound') return null
      throw err
    }
  }

  async writeText(path: string, text: string): Promise<void> {
    const target = this.remote(path)
    const tmpRel = `${path}.tmp-${randomBytes(6).toString('hex')}`
    const tmp = this.remote(tmpRel)
    // `put -` ends smbclient's command list at EOF of stdin, so the text goes through a private local file.
    const dir = mkdtempSync(nodePath.join(this.opts.tempDir ?? os.tmpdir(), 'usmt-steps-put-'))
    const local = nodePath.join(dir, 'data')
    try {
      writeFileSync(local, text, { mode: 0o600 })
      await this.run([`put ${q(local)} ${q(tmp)}`, `rename ${q(tmp)} ${q(target)} -f`])
    } catch (err) {
      await this.removeFile(tmpRel).catch(() => undefined)
      throw err
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  async putFile(localPath: string, path: string): Promise<void> {
    await this.run([`put ${q(localPath)} ${q(this.remote(path))}`], { phase: 'transfer' })
  }

  async putStream(source: Readable, path: string): Promise<void> {
    await this.run([`put - ${q(this.remote(path))}`], { input: source, phase: 'transfer' })
  }

  async getFile(path: string, localPath: string): Promise<void> {
    await this.run([`get ${q(this.remote(path))} ${q(localPath)}`], { phase: 'transfer' })
  }

  getStream(path: string): { stream: Readable; done: Promise<void> } {
    const out = new PassThrough()
    if (this.remote(path).includes(';')) {
      // smbclient splits -c at ';' and a stdin script adds its own text to stdout: go through a private temp file.
      const done = (async () => {
        const dir = mkdtempSync(nodePath.join(this.opts.tempDir ?? os.tmpdir(), 'usmt-steps-get-'))
        try {
          const local = nodePath.join(dir, 'data')
          await this.getFile(path, local)
          await pipeline(createReadStream(local), out)
        } catch (err) {
          out.destroy(err as Error)
          throw err
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      })()
      done.catch(() => undefined)
      return { stream: out, done }
    }
    const args = [...this.baseArgs(), '-c', `get ${q(this.remote(path))} -`]
    const child = this.runner(this.binary, args, { reject: false, stdin: 'ignore', stdout: 'pipe', buffer: { stdout: false, stderr: true }, env: { LC_ALL: 'C' } })
    child.stdout?.pipe(out)
    const done = (async () => {
      const r = await child
      try {
        this.check('', String(r.stderr ?? ''), r.exitCode ?? null, r.failed && (r as { code?: string }).code === 'ENOENT', 'transfer')
      } catch (err) {
        out.destroy(err as Error)
        throw err
      }
    })()
    done.catch(() => undefined)
    return { stream: out, done }
  }

  /**
   * One smbclient session for a whole store: `mkdir` for each folder (an existing one is fine), then `put` for
   * each file. smbclient carries on after a failed command, so every file is checked against its "putting file"
   * line: one that is missing fails the batch.
   */
  async putFiles(items: ReadonlyArray<{ localPath: string; path: string }>, dirs: readonly string[] = []): Promise<void> {
    if (items.length === 0 && dirs.length === 0) return
    const puts = items.map((i) => ({ local: i.localPath, remote: this.remote(i.path), path: i.path }))
    const commands = [...dirs.map((d) => `mkdir ${q(this.remote(d))}`), ...puts.map((p) => `put ${q(p.local)} ${q(p.remote)}`)]
    const { stdout, stderr } = await this.run(commands, { phase: 'transfer', allowStatus: /OBJECT_NAME_COLLISION/, script: true })
    const text = `${stderr}\n${stdout}`
    const missing = puts.filter((p) => !text.includes(`putting file ${p.local} as \\${p.remote} (`))
    if (missing.length) throw new TransportError('transfer', `${this.root}: not uploaded: ${missing.slice(0, 5).map((m) => m.path).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (${lastLine(text)})`)
  }

  /** One smbclient session for many downloads; every file is checked against its "getting file" line. */
  async getFiles(items: ReadonlyArray<{ path: string; localPath: string }>): Promise<void> {
    if (items.length === 0) return
    const gets = items.map((i) => ({ local: i.localPath, remote: this.remote(i.path), path: i.path }))
    const { stdout, stderr } = await this.run(gets.map((g) => `get ${q(g.remote)} ${q(g.local)}`), { phase: 'transfer', script: true })
    const text = `${stderr}\n${stdout}`
    const missing = gets.filter((g) => !text.includes(`getting file \\${g.remote} of size `) || !text.includes(` as ${g.local} (`))
    if (missing.length) throw new TransportError('transfer', `${this.root}: not downloaded: ${missing.slice(0, 5).map((m) => m.path).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (${lastLine(text)})`)
  }

  /** `recurse on; ls DIR\*` in one session: every file below DIR with its size. */
  async listTree(path: string): Promise<Array<{ path: string; size: number }>> {
    const dir = this.remote(path)
    const { stdout } = await this.run(['recurse on', `ls ${q(dir ? `${dir}\\*` : '*')}`], { script: true, allowStatus: /NO_SUCH_FILE/ })
    return parseRecursiveLs(stdout, dir)
  }

  async rename(from: string, to: string, overwrite = false): Promise<void> {
    await this.run([`rename ${q(this.remote(from))} ${q(this.remote(to))}${overwrite ? ' -f' : ''}`])
  }

  async removeFile(path: string): Promise<void> {
    await this.run([`del ${q(this.remote(path))}`])
  }

  async removeDir(path: string): Promise<void> {
    await this.run([`rmdir ${q(this.remote(path))}`])
  }

  async removeTree(path: string): Promise<void> {
    if (splitSharePath(path).length === 0) throw new TransportError('io', 'refusing to delete the share root')
    await this.run([`deltree ${q(this.remote(path))}`])
  }

  async space(): Promise<ShareSpace> {
    const dir = this.remote('')
    const { stdout } = await this.run([...(dir ? [`cd ${q(dir)}`] : []), 'du'])
    const s = parseSpace(stdout)
    if (!s) throw new TransportError('io', `${this.root}: smbclient did not report the free space`)
    return s
  }

  async close(): Promise<void> {
    this.auth?.dispose()
    this.auth = undefined
  }
}
