import { execa, type Options as ExecaOptions } from 'execa'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { PROJECT_ROOT } from './cli.js'

/**
 * A real Samba smbd for integration tests: 127.0.0.1 on a free non-default port, `server signing = mandatory`,
 * `server min protocol = SMB3`, all state in a temp folder, a test user. Started by scripts/ci/start-smbd.sh, so
 * smbd is its own session and process-group leader (never --no-process-group: on SIGTERM smbd signals its whole
 * group, which would otherwise include mocha).
 */
export interface SambaServer {
  base: string
  port: number
  user: string
  password: string
  shares: string[]
  unc(share?: string): string
  /** Local folder behind a share (to check what the server really stored). */
  shareDir(share?: string): string
  pid(): number
  stop(): Promise<void>
  /** SIGKILL the whole smbd process group (a crash). */
  kill(): Promise<void>
  /** Start again on the same state (after stop/kill). */
  restart(): Promise<void>
  dispose(): Promise<void>
}

export function sambaAvailable(): boolean {
  return ['/usr/sbin/smbd', '/usr/bin/smbclient'].every((f) => existsSync(f))
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

/** Skip the suite loudly when Samba is not installed (CI installs it: apt-get install samba smbclient). */
export function requireSamba(ctx: Mocha.Context): void {
  if (!sambaAvailable()) {
    if (process.env.CI) throw new Error('SMB integration tests need Samba: apt-get install -y --no-install-recommends samba smbclient')
    console.warn('SKIPPED: smbd/smbclient not installed (apt-get install -y --no-install-recommends samba smbclient)')
    ctx.skip()
  }
}

/**
 * A Samba with NT ACLs and several accounts (computers' stand-ins and an admins' group) for the per-store
 * access tests: vfs_acl_xattr, `nt acl support`, `inherit acls`; smbd in its own network namespace on
 * 127.0.0.1:445, because smbcacls and rpcclient cannot use another port. Every client (smbclient, smbcacls,
 * rpcclient) runs through `runner`, which enters that namespace. Needs root (unix accounts, namespaces).
 */
export interface AclSambaServer extends SambaServer {
  /** Account names (unix and SMB) by role, e.g. { A: 'usmtpca', …, admin: 'usmtstadm' }. */
  accounts: Record<string, string>
  /** The admins' unix group (`Unix Group\<name>` on the server). */
  adminGroup: string
  /** Samba's domain (netbios name) for `DOMAIN\account`. */
  domain: string
  /** Runs a Samba client inside smbd's network namespace (an SmbRunner). */
  runner: (file: string, args: readonly string[], options: ExecaOptions) => ReturnType<typeof execa>
}

export function requireAclSamba(ctx: Mocha.Context): void {
  requireSamba(ctx)
  const missing = ['/usr/bin/smbcacls', '/usr/bin/rpcclient', '/usr/bin/nsenter', '/usr/bin/unshare'].filter((f) => !existsSync(f))
  const why = process.getuid?.() !== 0 ? 'root (unix accounts for the computers, a network namespace for smbd on port 445)' : missing.length ? missing.join(', ') : ''
  if (why) {
    if (process.env.CI) throw new Error(`the per-store ACL tests need ${why}`)
    console.warn(`SKIPPED: the per-store ACL tests need ${why}`)
    ctx.skip()
  }
}

export async function startAclSamba(roles: readonly string[], opts: { shares?: string[] } = {}): Promise<AclSambaServer> {
  const accounts = Object.fromEntries(roles.map((r) => [r, `usmt${r.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 20)]))
  const adminGroup = 'usmtstoreadmins'
  const base = await startSamba({
    ...opts, port: 445,
    env: { SMB_ACCOUNTS: Object.values(accounts).join(' '), SMB_GROUP: `${adminGroup}:${accounts.admin ?? ''}`, SMB_ACL: '1', SMB_NETNS: '1' },
  })
  const runner = (file: string, args: readonly string[], options: ExecaOptions): ReturnType<typeof execa> =>
    execa('nsenter', [`--net=/proc/${base.pid()}/ns/net`, file, ...args], options)
  return { ...base, accounts, adminGroup, domain: 'SMBTEST', runner }
}

export async function startSamba(opts: { shares?: string[]; signing?: 'mandatory' | 'default'; minProtocol?: string; extra?: string; port?: number; env?: Record<string, string> } = {}): Promise<SambaServer> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-smb-'))
  const port = opts.port ?? await freePort()
  const password = 'Sm8-test!pass'
  const shares = opts.shares ?? ['migstore']
  const user = process.getuid?.() === 0 ? 'smbtest' : os.userInfo().username
  const script = (name: string): string => path.join(PROJECT_ROOT, 'scripts', 'ci', name)
  const env = (keep: boolean): Record<string, string> => ({
    SMB_BASE: base, SMB_PORT: String(port), SMB_PASS: password, SMB_SHARES: shares.join(' '), SMB_USER: user,
    SMB_MIN_PROTOCOL: opts.minProtocol ?? 'SMB3', SMB_EXTRA: opts.extra ?? '', SMB_KEEP: keep ? '1' : '0', ...opts.env,
  })
  const start = async (keep: boolean): Promise<void> => {
    const r = await execa('bash', [script('start-smbd.sh'), opts.signing ?? 'mandatory'], { env: env(keep), reject: false, stdin: 'ignore' })
    if (r.exitCode !== 0) throw new Error(`start-smbd.sh failed: ${r.stdout}\n${r.stderr}`)
  }
  const stop = async (kill: boolean): Promise<void> => {
    await execa('bash', [script('stop-smbd.sh'), ...(kill ? ['--kill'] : [])], { env: env(true), reject: false, stdin: 'ignore' })
  }
  await start(false)
  const server: SambaServer = {
    base, port, user, password, shares,
    unc: (share = shares[0]) => `\\\\127.0.0.1\\${share}`,
    shareDir: (share = shares[0]) => path.join(base, 'shares', share),
    pid: () => Number(readFileSync(path.join(base, 'smbd.pid'), 'utf8').trim()),
    stop: () => stop(false),
    kill: () => stop(true),
    restart: () => start(true),
    dispose: async () => {
      await stop(false)
      rmSync(base, { recursive: true, force: true })
    },
  }
  return server
}
