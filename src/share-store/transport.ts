import type { Readable } from 'node:stream'

/**
 * One interface for every way of reaching a store share. Paths are relative to the share root the
 * transport was opened on (a UNC path `\\server\share[\folder]`), with `/` or `\` separators.
 * Implementations: `fs` (the OS's SMB client: UNC paths on Windows, a mounted share elsewhere) and
 * `smbclient` (Samba's client, SMB3 with signing). The npm `smb2` package is deliberately not one of
 * them: see docs/readme/20-plan-and-stores.md and test/integration/share-store/smb2-refused.test.ts.
 */
export interface ShareEntry {
  name: string
  isDirectory: boolean
  size: number
  mtimeMs: number
}

export interface ShareSpace {
  totalBytes: number
  freeBytes: number
}

export type TransportErrorKind = 'unreachable' | 'auth' | 'exists' | 'notFound' | 'denied' | 'transfer' | 'io'

export class TransportError extends Error {
  constructor(readonly kind: TransportErrorKind, message: string, readonly status?: string) {
    super(message)
    this.name = 'TransportError'
  }
}

export interface ShareTransport {
  readonly kind: 'fs' | 'smbclient'
  /** UNC of the share root this transport serves. */
  readonly root: string
  /** Check that the share answers (and the credentials work). */
  probe(): Promise<void>
  /** Create one directory; throws TransportError('exists') when it is already there (atomic on SMB). */
  mkdir(path: string): Promise<void>
  /** Create a directory and its parents; existing ones are fine. */
  ensureDir(path: string): Promise<void>
  /** Entries of a directory (no `.`/`..`); throws 'notFound'. */
  list(path: string): Promise<ShareEntry[]>
  /** The entry, or null when it does not exist. */
  stat(path: string): Promise<ShareEntry | null>
  /** Small text file, or null when it does not exist. */
  readText(path: string): Promise<string | null>
  /** Replace a small text file atomically (temp file + rename). */
  writeText(path: string, text: string): Promise<void>
  /** Upload a local file (streamed; never held in memory). */
  putFile(localPath: string, path: string): Promise<void>
  /** Upload from a stream. */
  putStream(source: Readable, path: string): Promise<void>
  /** Download to a local file (streamed). */
  getFile(path: string, localPath: string): Promise<void>
  /** Download as a stream; `done` settles when the transfer has finished or failed. */
  getStream(path: string): { stream: Readable; done: Promise<void> }
  /**
   * The first `bytes` bytes of a file (fewer when it is shorter), where the transport reads part of a file cheaply
   * (a mounted share); absent where it does not (smbclient gets whole files).
   */
  readHead?(path: string, bytes: number): Promise<Buffer>
  /**
   * Upload several files in one go (smbclient: one session for all of them), creating `dirs` first (parents
   * before children; existing ones are fine). Fails when any file did not arrive.
   */
  putFiles(items: ReadonlyArray<{ localPath: string; path: string }>, dirs?: readonly string[]): Promise<void>
  /** Download several files in one go (local parent folders must exist). Fails when any file did not arrive. */
  getFiles(items: ReadonlyArray<{ path: string; localPath: string }>): Promise<void>
  /** Every file below a directory, with paths relative to it (`a/b.txt`), in one listing where the transport can. */
  listTree(path: string): Promise<Array<{ path: string; size: number }>>
  rename(from: string, to: string, overwrite?: boolean): Promise<void>
  removeFile(path: string): Promise<void>
  removeDir(path: string): Promise<void>
  /** Delete a directory tree. */
  removeTree(path: string): Promise<void>
  space(): Promise<ShareSpace>
  close(): Promise<void>
}

/** `a\b/c` → ['a','b','c'], refusing `..` and empty paths that would escape the share. */
export function splitSharePath(path: string): string[] {
  const segs = path.split(/[\\/]+/).filter((s) => s.length > 0 && s !== '.')
  if (segs.some((s) => s === '..')) throw new TransportError('io', `path ${path} leaves the share`)
  return segs
}
