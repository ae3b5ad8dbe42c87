/**
 * The proof of a restore: every file the capture stored, checked on the destination against its
 * capture-time identity from the store's catalog.
 *
 *  - **content** (compressed and uncompressed stores): the SHA-256 of the destination file equals the digest
 *    the catalog recorded when the file was captured. Costs one full read of the restored data.
 *  - **same-file** (hard-link stores): the destination is the very file the store links (same device and
 *    inode): its content cannot differ from what was captured, and nothing is read.
 *  - **size-time** (hard-link stores whose file was copied rather than linked): size and modification time
 *    equal the catalog's.
 *
 * A file is **missing** when nothing is at its destination (or the restore skipped it with an error), and
 * **changed** when something else is there. Files the restore left out on purpose (a user or component not
 * selected, a merge rule that kept the destination's own file) are counted apart, never as verified.
 */
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import * as nodePath from 'node:path'

export type ProofMethod = 'content' | 'same-file' | 'size-time' | 'size'

export interface ProofItem {
  /** Windows path on the source (as captured). */
  source: string
  /** Windows path on the destination (after /mu, locationModify, a collision rename…). */
  destination: string
  /** The destination as this process reads it. */
  local: string
  size: number
  mtimeMs: number
  /** Content digest from the catalog. */
  sha256?: string
  /** The store's own copy of the file (hard-link stores): same device and inode proves the same file. */
  storeFile?: { dev: number; ino: number }
}

export interface ProofBad {
  /** Destination Windows path. */
  path: string
  source: string
  why: string
}

export interface RestoreProof {
  /** False when the store's files could not be listed (nothing was proven; see `note`). */
  checked: boolean
  note?: string
  /** Files checked and found as captured. */
  verified: number
  missing: ProofBad[]
  changed: ProofBad[]
  /** Left out on purpose by the restore (not selected, merge rule kept the destination's file). */
  notRestored: number
  /** How the verified files were proven. */
  methods: Record<ProofMethod, number>
  /** What each store kind proves, for the log and the report. */
  method: string
  durationMs: number
  /** Bytes read to prove content. */
  bytesRead: number
}

export const PROOF_METHOD_TEXT: Record<'compressed' | 'uncompressed' | 'mirror' | 'hardlink', string> = {
  compressed: 'content: SHA-256 of every restored file equals the digest in the store catalog',
  uncompressed: 'content: SHA-256 of every restored file equals the digest in the store catalog',
  mirror: 'content: SHA-256 of every restored file equals the digest in the store catalog',
  hardlink: 'same file: every restored file is the store\'s hard link (same inode), else size and modification time equal the catalog\'s',
}

/** One buffer for every read of the proof (it runs on one thread, file after file). */
const READ_BUFFER = Buffer.allocUnsafe(1 << 20)

/**
 * SHA-256 of an open file, read with plain system calls into one reused buffer. A restore's files are mostly small
 * and in the page cache: per file, the cost is the calls (open, fstat, read, close), so no stream, promise or
 * thread-pool round trip is spent on each (a read stream per file made the proof 2x the restore at 200k files).
 */
function sha256OfFd(fd: number): { digest: string; read: number } {
  const h = createHash('sha256')
  let read = 0
  for (;;) {
    const n = readSync(fd, READ_BUFFER, 0, READ_BUFFER.length, null)
    if (n === 0) break
    h.update(READ_BUFFER.subarray(0, n))
    read += n
  }
  return { digest: h.digest('hex'), read }
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file)
  } catch {
    return null
  }
}

/** Modification times as stored survive a round trip to the millisecond (some file systems keep less). */
function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 2
}

type OneResult = { ok: true; method: ProofMethod; read: number } | { ok: false; missing: boolean; why: string }

const unreadable = (err: unknown): OneResult => {
  const code = (err as NodeJS.ErrnoException).code
  return { ok: false, missing: true, why: code === 'ENOENT' || code === 'ENOTDIR' ? 'not on the destination' : `cannot be read (${code ?? String(err)})` }
}

function proveOne(it: ProofItem): OneResult {
  let st: Stats
  try {
    st = statSync(it.local)
  } catch (err) {
    return unreadable(err)
  }
  if (!st.isFile()) return { ok: false, missing: true, why: 'the destination is not a file' }
  if (it.storeFile && st.ino === it.storeFile.ino && st.dev === it.storeFile.dev) return { ok: true, method: 'same-file', read: 0 }
  if (st.size !== it.size) return { ok: false, missing: false, why: `size ${st.size} bytes, captured ${it.size}` }
  if (it.sha256 !== undefined) {
    let fd: number
    try {
      fd = openSync(it.local, 'r')
    } catch (err) {
      return unreadable(err)
    }
    try {
      const { digest, read } = sha256OfFd(fd)
      return digest === it.sha256 ? { ok: true, method: 'content', read } : { ok: false, missing: false, why: 'content differs from the captured file (SHA-256)' }
    } catch (err) {
      return unreadable(err)
    } finally {
      closeSync(fd)
    }
  }
  if (!sameTime(st.mtimeMs, it.mtimeMs)) return { ok: false, missing: false, why: `modified ${new Date(st.mtimeMs).toISOString()}, captured ${new Date(it.mtimeMs).toISOString()}` }
  return { ok: true, method: 'size-time', read: 0 }
}

export interface ProveOptions {
  /** Files the restore skipped with an error (destination Windows path → why): missing without a look. */
  skipped?: ReadonlyArray<{ source: string; destination: string; why: string }>
  notRestored?: number
  method: string
}

/** Check every item on the destination. */
export async function proveRestore(items: readonly ProofItem[], o: ProveOptions): Promise<RestoreProof> {
  const started = Date.now()
  const proof: RestoreProof = {
    checked: true, verified: 0, missing: [], changed: [], notRestored: o.notRestored ?? 0, methods: { content: 0, 'same-file': 0, 'size-time': 0, size: 0 },
    method: o.method, durationMs: 0, bytesRead: 0,
  }
  for (const s of o.skipped ?? []) proof.missing.push({ path: s.destination, source: s.source, why: s.why })
  // File after file with plain system calls; the event loop gets a turn every ~50 ms (progress, heartbeats).
  let slice = Date.now()
  for (const it of items) {
    const r = proveOne(it)
    if (r.ok) {
      proof.verified++
      proof.methods[r.method]++
      proof.bytesRead += r.read
    } else {
      (r.missing ? proof.missing : proof.changed).push({ path: it.destination, source: it.source, why: r.why })
    }
    if (Date.now() - slice > 50) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      slice = Date.now()
    }
  }
  const byPath = (a: ProofBad, b: ProofBad): number => a.path.localeCompare(b.path)
  proof.missing.sort(byPath)
  proof.changed.sort(byPath)
  proof.durationMs = Date.now() - started
  return proof
}

/** One line for logs and summaries. */
export function describeProof(p: RestoreProof): string {
  return `${p.verified} file(s) verified, ${p.missing.length} missing, ${p.changed.length} changed${p.notRestored ? `, ${p.notRestored} left out on purpose` : ''} (${(p.durationMs / 1000).toFixed(1)} s)`
}

/** What a proof without a readable store says (nothing verified, and why). */
export function uncheckedProof(note: string, method = 'none'): RestoreProof {
  return { checked: false, note, verified: 0, missing: [], changed: [], notRestored: 0, methods: { content: 0, 'same-file': 0, 'size-time': 0, size: 0 }, method, durationMs: 0, bytesRead: 0 }
}

/** One line of the portable loadstate's --applied file. */
export interface AppliedRecord {
  source: string
  destination: string
  action: 'restored' | 'renamed' | 'overwritten' | 'kept-destination' | 'skipped-error'
  local: string | null
  error?: number
}

export function parseApplied(text: string): AppliedRecord[] {
  const out: AppliedRecord[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const [source, destination, action, local, error] = JSON.parse(line) as [string, string, AppliedRecord['action'], string | null, number | undefined]
    out.push({ source, destination, action, local, ...(error !== undefined ? { error } : {}) })
  }
  return out
}

/** The catalog fields the proof needs. */
export interface ProofCatalogEntry {
  path: string
  size: number
  mtimeMs: number
  sha256?: string
  /** Hard-link and mirror stores: the file below USMT/File, `/`-separated. */
  storePath?: string
}

export interface ProofPlan {
  items: ProofItem[]
  skipped: Array<{ source: string; destination: string; why: string }>
  notRestored: number
}

/**
 * Pair every catalogued file with what the restore did with it. `storeFileDir` (hard-link stores): the local
 * USMT/File folder, whose files are the links the destination should share. `toLocal` maps a destination
 * Windows path when the restore did not say where it wrote it.
 */
export async function planProof(entries: Iterable<ProofCatalogEntry>, applied: readonly AppliedRecord[], o: { storeFileDir?: string; toLocal: (win: string) => string | null }): Promise<ProofPlan> {
  const bySource = new Map<string, AppliedRecord[]>()
  for (const r of applied) {
    const k = r.source.toLowerCase()
    const list = bySource.get(k)
    if (list) list.push(r)
    else bySource.set(k, [r])
  }
  const plan: ProofPlan = { items: [], skipped: [], notRestored: 0 }
  for (const e of entries) {
    const recs = bySource.get(e.path.toLowerCase())
    if (!recs?.length) {
      plan.notRestored++
      continue
    }
    for (const r of recs) {
      if (r.action === 'kept-destination') {
        plan.notRestored++
        continue
      }
      if (r.action === 'skipped-error') {
        plan.skipped.push({ source: e.path, destination: r.destination, why: `loadstate could not write it${r.error !== undefined ? ` (error ${r.error})` : ''} and skipped it` })
        continue
      }
      const local = r.local ?? o.toLocal(r.destination)
      if (!local) {
        plan.skipped.push({ source: e.path, destination: r.destination, why: 'its destination is not on a mapped volume' })
        continue
      }
      let storeFile: ProofItem['storeFile']
      if (o.storeFileDir && e.storePath) {
        const st = statOrNull(nodePath.join(o.storeFileDir, ...e.storePath.split('/')))
        if (st) storeFile = { dev: st.dev, ino: st.ino }
      }
      plan.items.push({ source: e.path, destination: r.destination, local, size: e.size, mtimeMs: e.mtimeMs, sha256: e.sha256, storeFile })
    }
  }
  return plan
}
