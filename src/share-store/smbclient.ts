import { execa, type Options as ExecaOptions } from 'execa'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants as fsConstants, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { parseWinPath } from '../windows/path.js'
import { AuthFile, type Credentials } from './credentials.js'
import { SmbSession } from './smb-session.js'
import { checkOutcome, lastLine, missingTransfers, parseLs, parseRecursiveLs, parseSpace, type SmbOutcome } from './smbclient-output.js'
import { splitSharePath, TransportError, type ShareEntry, type ShareSpace, type ShareTransport } from './transport.js'

export { classifyStatus, parseLs, parseRecursiveLs, parseSpace } from './smbclient-output.js'

/**
 * Samba's `smbclient` driven with execa: SMB3 only (`client min protocol = SMB3`), signing required
 * (`--client-protection=sign`), NTLMv2 or Kerberos. Credentials go through a 0600 authentication file
 * (`-A`), never argv. The operations of a transport run in one smbclient session (smb-session.ts: one logon
 * for all of them, commands on stdin) where `stdbuf` exists to line-buffer its output, else one process per
 * operation with a `-c` command string (or a stdin script when a name contains `;`). Streams (`getStream`,
 * `putStream`) always have a process of their own. File data goes straight between smbclient and the local file
 * or a Node stream, so large stores are never held in memory.
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
  /** One session for all operations (default: when `stdbuf` is on PATH); false: a process per operation. */
  session?: boolean
}

export type SmbRunner = (file: string, args: readonly string[], options: ExecaOptions) => ReturnType<typeof execa>

export const defaultSmbRunner: SmbRunner = (file, args, options) => execa(file, args, options)

let stdbufFound: boolean | undefined
/** Whether coreutils' `stdbuf` is on PATH (a session needs smbclient's stdin unbuffered and stdout line-buffered). */
export function hasStdbuf(): boolean {
  stdbufFound ??= (process.env.PATH ?? '').split(nodePath.delimiter).filter(Boolean).some((dir) => {
    try {
      accessSync(nodePath.join(dir, 'stdbuf'), fsConstants.X_OK)
      return true
    } catch {
      return false
    }
  })
  return stdbufFound
}

/** The shell line that starts a session: smbclient with stdin unbuffered, stdout line-buffered and stderr merged into it (smb-session.ts). */
export const SESSION_SHELL = 'exec stdbuf -i0 -oL "$0" "$@" 2>&1'

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
  private session: SmbSession | null = null
  private readonly useSession: boolean

  constructor(private readonly opts: SmbclientOptions) {
    const parsed = parseWinPath(opts.unc)
    if (parsed.kind !== 'unc') throw new TransportError('io', `${opts.unc} is not a UNC path`)
    this.root = opts.unc
    const [, server, share] = /^\\\\([^\\]+)\\(.+)$/.exec(parsed.root) ?? []
    this.service = `//${server}/${share}`
    this.baseDir = parsed.segments
    this.binary = opts.binary ?? 'smbclient'
    this.runner = opts.runner ?? defaultSmbRunner
    this.useSession = opts.session ?? hasStdbuf()
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

  /**
   * Run commands and check what they printed. `stdout` is smbclient's stdout alone in a process of its own (what
   * `get X -` wrote), and null in the session (where it is merged with stderr).
   */
  private async run(commands: string[], opts: { input?: Readable | string; phase?: 'op' | 'transfer'; allowStatus?: RegExp; script?: boolean } = {}): Promise<{ text: string; stdout: string | null }> {
    const outcome = this.useSession && opts.input === undefined ? { ...await this.inSession(commands), stdout: null } : await this.inProcess(commands, opts)
    checkOutcome(outcome, { root: this.root, binary: this.binary }, opts.phase ?? 'op', opts.allowStatus)
    return { text: outcome.text, stdout: outcome.stdout }
  }

  /** The commands in this transport's smbclient session (started on first use). */
  private async inSession(commands: string[]): Promise<SmbOutcome> {
    this.session ??= new SmbSession(() => this.runner('sh', ['-c', SESSION_SHELL, this.binary, ...this.baseArgs()], {
      // smbclient's stderr is merged into stdout by the shell line; the shell's own stderr says nothing we need
      // (a program it cannot run is exit code 127) and must not reach the step's console.
      reject: false, buffer: false, stdin: 'pipe', stdout: 'pipe', stderr: 'ignore', env: { LC_ALL: 'C' }, extendEnv: true,
    }) as unknown as ChildProcess)
    const r = await this.session.run(commands)
    if (!r.ended) return { text: r.text, exitCode: 0, notFound: false }
    // The session ended before the commands did: what smbclient said, else that it ended (the next operation
    // starts a new session). 127: stdbuf could not run smbclient (stdbuf itself was found before the session).
    return { text: r.text, exitCode: r.ended.exitCode === 0 ? 1 : r.ended.exitCode, notFound: r.ended.exitCode === 127 }
  }

  /** The commands in a process of their own (`-c`, or a stdin script for names with ';' and for batches). */
  private async inProcess(commands: string[], opts: { input?: Readable | string; script?: boolean }): Promise<SmbOutcome & { stdout: string }> {
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
    return {
      text: `${String(r.stderr ?? '')}\n${String(r.stdout ?? '')}`,
      exitCode: r.exitCode ?? null,
      notFound: r.failed && (r as { code?: string }).code === 'ENOENT',
      stdout: String(r.stdout ?? ''),
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
    const { text } = await this.run([`ls ${q(dir ? `${dir}\\*` : '*')}`], { allowStatus: /NO_SUCH_FILE/ })
    return parseLs(text)
  }

  async stat(path: string): Promise<ShareEntry | null> {
    try {
      const { text } = await this.run([`ls ${q(this.remote(path))}`])
      const name = splitSharePath(path).pop() ?? ''
      return parseLs(text).find((e) => e.name.toLowerCase() === name.toLowerCase()) ?? null
    } catch (err) {
      if (err instanceof TransportError && err.kind === 'notFound') return null
      throw err
    }
  }

  async readText(path: string): Promise<string | null> {
    try {
      if (!this.useSession) return (await this.run([`get ${q(this.remote(path))} -`])).stdout ?? ''
      // In the session stdout carries every command's output: the text goes through a private local file.
      return await this.withTempFile('get', async (local) => {
        await this.getFiles([{ path, localPath: local }], 'op')
        return readFileSync(local, 'utf8')
      })
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
    await this.withTempFile('put', async (local) => {
      try {
        writeFileSync(local, text, { mode: 0o600 })
        await this.putFiles([{ localPath: local, path: tmpRel }], [], 'op')
        await this.run([`rename ${q(tmp)} ${q(target)} -f`])
      } catch (err) {
        await this.removeFile(tmpRel).catch(() => undefined)
        throw err
      }
    })
  }

  /** `fn` with the path of a file in a private temporary folder, removed after. */
  private async withTempFile<T>(prefix: string, fn: (local: string) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(nodePath.join(this.opts.tempDir ?? os.tmpdir(), `usmt-steps-${prefix}-`))
    try {
      return await fn(nodePath.join(dir, 'data'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  async putFile(localPath: string, path: string): Promise<void> {
    await this.putFiles([{ localPath, path }])
  }

  async putStream(source: Readable, path: string): Promise<void> {
    await this.run([`put - ${q(this.remote(path))}`], { input: source, phase: 'transfer' })
  }

  async getFile(path: string, localPath: string): Promise<void> {
    await this.getFiles([{ path, localPath }])
  }

  getStream(path: string): { stream: Readable; done: Promise<void> } {
    const out = new PassThrough()
    if (this.remote(path).includes(';')) {
      // smbclient splits -c at ';' and a stdin script adds its own text to stdout: go through a private temp file.
      const done = this.withTempFile('get', async (local) => {
        try {
          await this.getFile(path, local)
          await pipeline(createReadStream(local), out)
        } catch (err) {
          out.destroy(err as Error)
          throw err
        }
      })
      done.catch(() => undefined)
      return { stream: out, done }
    }
    const args = [...this.baseArgs(), '-c', `get ${q(this.remote(path))} -`]
    const child = this.runner(this.binary, args, { reject: false, stdin: 'ignore', stdout: 'pipe', buffer: { stdout: false, stderr: true }, env: { LC_ALL: 'C' } })
    child.stdout?.pipe(out)
    const done = (async () => {
      const r = await child
      try {
        checkOutcome({ text: String(r.stderr ?? ''), exitCode: r.exitCode ?? null, notFound: r.failed && (r as { code?: string }).code === 'ENOENT' }, { root: this.root, binary: this.binary }, 'transfer')
      } catch (err) {
        out.destroy(err as Error)
        throw err
      }
    })()
    done.catch(() => undefined)
    return { stream: out, done }
  }

  /**
   * Upload files, creating `dirs` first (an existing folder is fine), in one go (the session, or one process).
   * smbclient carries on after a failed command, so every file is checked against its "putting file" line: one that
   * is missing fails the batch and is named.
   */
  async putFiles(items: ReadonlyArray<{ localPath: string; path: string }>, dirs: readonly string[] = [], phase: 'op' | 'transfer' = 'transfer'): Promise<void> {
    if (items.length === 0 && dirs.length === 0) return
    const puts = items.map((i) => ({ local: i.localPath, remote: this.remote(i.path), path: i.path }))
    const commands = [...dirs.map((d) => `mkdir ${q(this.remote(d))}`), ...puts.map((p) => `put ${q(p.local)} ${q(p.remote)}`)]
    const { text } = await this.run(commands, { phase, allowStatus: /OBJECT_NAME_COLLISION/, script: true })
    this.checkTransfers(text, 'put', puts, phase)
  }

  /** Download files in one go; every file is checked against its "getting file" line. */
  async getFiles(items: ReadonlyArray<{ path: string; localPath: string }>, phase: 'op' | 'transfer' = 'transfer'): Promise<void> {
    if (items.length === 0) return
    const gets = items.map((i) => ({ local: i.localPath, remote: this.remote(i.path), path: i.path }))
    const { text } = await this.run(gets.map((g) => `get ${q(g.remote)} ${q(g.local)}`), { phase, script: true })
    this.checkTransfers(text, 'get', gets, phase)
  }

  private checkTransfers(text: string, direction: 'put' | 'get', items: ReadonlyArray<{ local: string; remote: string; path: string }>, phase: 'op' | 'transfer'): void {
    const missing = missingTransfers(text, direction, items)
    if (missing.length === 0) return
    const names = `${missing.slice(0, 5).map((m) => m.path).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`
    throw new TransportError(phase === 'transfer' ? 'transfer' : 'io', `${this.root}: not ${direction === 'put' ? 'uploaded' : 'downloaded'}: ${names} (${lastLine(text)})`)
  }

  /** `recurse on; ls DIR\*` in one session: every file below DIR with its size. */
  async listTree(path: string): Promise<Array<{ path: string; size: number }>> {
    const dir = this.remote(path)
    // `recurse off` after: the session's later commands list one level again.
    const { text } = await this.run(['recurse on', `ls ${q(dir ? `${dir}\\*` : '*')}`, 'recurse off'], { script: true, allowStatus: /NO_SUCH_FILE/ })
    return parseRecursiveLs(text, dir)
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
    // back to the share root after: the session's later commands use paths from there.
    const { text } = await this.run(dir ? [`cd ${q(dir)}`, 'du', 'cd \\'] : ['du'])
    const s = parseSpace(text)
    if (!s) throw new TransportError('io', `${this.root}: smbclient did not report the free space`)
    return s
  }

  async close(): Promise<void> {
    const session = this.session
    this.session = null
    await session?.close()
    this.auth?.dispose()
    this.auth = undefined
  }
}
