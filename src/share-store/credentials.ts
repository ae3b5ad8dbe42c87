import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { redactor } from '../runtime/redact.js'
import { connectNetworkFolderAccount, networkAccessAccount } from '../ts-env/accounts.js'

/**
 * Credentials for a share. They come from task-sequence variables (MDT `UserID`/`UserDomain`/`UserPassword`,
 * ConfigMgr's Connect To Network Folder account `SMSConnectNetworkFolderAccount`/`SMSConnectNetworkFolderPassword`,
 * or the ConfigMgr network access account `_SMSTSReserved1`/`_SMSTSReserved2` when OSDStateFallbackToNAA is
 * true; both accounts are read by src/ts-env/accounts.ts) or from USMT_STEPS_SMB_USER/USMT_STEPS_SMB_PASSWORD
 * (admins' tools). The password is registered with the redactor as soon as it is read, and only ever leaves this process through a 0600 authentication file
 * (smbclient -A) or a child's stdin (Windows WNetAddConnection2 helper) — never argv, never a log line.
 */
export interface Credentials {
  username: string
  domain?: string
  password: string
  /** Where they came from, for the log (never the values). */
  source: string
}

export function splitAccount(account: string): { domain?: string; username: string } {
  const bs = account.indexOf('\\')
  if (bs > 0) return { domain: account.slice(0, bs), username: account.slice(bs + 1) }
  return { username: account }
}

export function credentialsFrom(get: (name: string) => string | undefined, opts: { fallbackToNaa: boolean; env?: Record<string, string | undefined> }): Credentials | undefined {
  const env = opts.env ?? process.env
  const user = get('UserID')
  const pass = get('UserPassword')
  if (user && pass !== undefined) {
    redactor.add(pass)
    const acct = splitAccount(user)
    return { username: acct.username, domain: get('UserDomain') || acct.domain, password: pass, source: 'MDT UserID/UserDomain/UserPassword' }
  }
  const cnf = connectNetworkFolderAccount(get)
  if (cnf) return { ...splitAccount(cnf.user), password: cnf.password, source: cnf.names }
  const naa = networkAccessAccount(get)
  if (opts.fallbackToNaa && naa) {
    return { ...splitAccount(naa.user), password: naa.password, source: `network access account (${naa.names}, OSDStateFallbackToNAA=true)` }
  }
  if (env.USMT_STEPS_SMB_USER && env.USMT_STEPS_SMB_PASSWORD !== undefined) {
    redactor.add(env.USMT_STEPS_SMB_PASSWORD)
    return { ...splitAccount(env.USMT_STEPS_SMB_USER), password: env.USMT_STEPS_SMB_PASSWORD, source: 'USMT_STEPS_SMB_USER/USMT_STEPS_SMB_PASSWORD' }
  }
  return undefined
}

/**
 * A private authentication file for smbclient (`-A FILE`): `username`, `password`, `domain` lines, mode 0600
 * in a 0700 folder, deleted by `dispose()` (and at process exit).
 */
const liveAuthDirs = new Set<string>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const d of liveAuthDirs) rmSync(d, { recursive: true, force: true })
  })
}

export class AuthFile {
  readonly path: string
  private readonly dir: string
  private disposed = false

  constructor(creds: Credentials, tempDir = os.tmpdir()) {
    if (/[\r\n]/.test(creds.password) || /[\r\n]/.test(creds.username) || /[\r\n]/.test(creds.domain ?? '')) {
      throw new Error('credentials must not contain line breaks')
    }
    this.dir = mkdtempSync(nodePath.join(tempDir, 'usmt-steps-auth-'))
    chmodSync(this.dir, 0o700)
    this.path = nodePath.join(this.dir, 'auth')
    const lines = [`username = ${creds.username}`, `password = ${creds.password}`]
    if (creds.domain) lines.push(`domain = ${creds.domain}`)
    writeFileSync(this.path, `${lines.join('\n')}\n`, { mode: 0o600 })
    chmodSync(this.path, 0o600)
    liveAuthDirs.add(this.dir)
    installExitHook()
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    liveAuthDirs.delete(this.dir)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
