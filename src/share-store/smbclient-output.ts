/**
 * What smbclient prints, read: `ls` and recursive `ls` listings, the free-space line, NT_STATUS codes as transport
 * error kinds, and the check of one operation's output (an NT_STATUS line, a failed connection, an exit code, a
 * file the "putting file"/"getting file" lines do not name). Pure functions over text; the processes are in
 * smbclient.ts and smb-session.ts.
 */
import { TransportError, type ShareEntry, type ShareSpace, type TransportErrorKind } from './transport.js'

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

export function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim()).pop()?.trim() ?? 'no output'
}

/** Parse the "N blocks of size M. K blocks available" line of `ls`/`du`. */
export function parseSpace(stdout: string): ShareSpace | null {
  const m = /(\d+) blocks of size (\d+)\. (\d+) blocks available/.exec(stdout)
  if (!m) return null
  const size = Number(m[2])
  return { totalBytes: Number(m[1]) * size, freeBytes: Number(m[3]) * size }
}


/** How one smbclient operation ended: its output (stderr and stdout), exit code, and whether the binary was found. */
export interface SmbOutcome {
  text: string
  exitCode: number | null
  notFound: boolean
}

/**
 * Throws the TransportError an operation's outcome means: the first NT_STATUS that `allow` does not accept
 * (classified as a failed connection when smbclient could not log on), else a non-zero exit. `root` names the share
 * in the message, `binary` the program.
 */
export function checkOutcome(o: SmbOutcome, where: { root: string; binary: string }, phase: 'op' | 'transfer', allow?: RegExp): void {
  if (o.notFound) throw new TransportError('io', `${where.binary} was not found (install the smbclient package)`, 'ENOENT')
  const statuses = [...o.text.matchAll(/NT_STATUS_[A-Z0-9_]+/g)].map((m) => m[0]).filter((s) => !(allow && allow.test(s)))
  const connectFailed = /session setup failed|tree connect failed|protocol negotiation failed|Connection to .* failed|do_connect/.test(o.text)
  if (statuses.length > 0) {
    const status = statuses[0]
    const line = o.text.split('\n').find((l) => l.includes(status))?.trim() ?? status
    throw new TransportError(classifyStatus(status, connectFailed ? 'connect' : phase), `${where.root}: ${line}`, status)
  }
  if (o.exitCode !== 0 && !(allow && o.exitCode === 1 && /NT_STATUS/.test(o.text))) {
    const last = o.text.trim().split('\n').pop() ?? ''
    throw new TransportError(connectFailed ? 'unreachable' : phase === 'transfer' ? 'transfer' : 'io', `${where.root}: smbclient exited with ${o.exitCode ?? 'a signal'}${last ? `: ${last}` : ''}`)
  }
}

/**
 * The files of a batch that smbclient did not transfer: each one that arrived has its "putting file L as \R (" or
 * "getting file \R of size N as L (" line (smbclient goes on after a failed file and prints no line for it).
 */
export function missingTransfers<T extends { local: string; remote: string }>(text: string, direction: 'put' | 'get', items: readonly T[]): T[] {
  return items.filter((i) => direction === 'put'
    ? !text.includes(`putting file ${i.local} as \\${i.remote} (`)
    : !text.includes(`getting file \\${i.remote} of size `) || !text.includes(` as ${i.local} (`))
}
