/**
 * Moving store files between this machine and a share, with their SHA-256 manifest: the upload after capture,
 * the download before restore, the restore logs sent back, and the remote checks of verify. Thin I/O over a
 * ShareTransport; what to compare and which folders to create comes from decide.ts.
 */
import { createHash } from 'node:crypto'
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { MIG_DIGEST_FILE, MIG_FILE, STORE_LOGS_DIR } from '../store/layout.js'
import { checkMigDigest, MIG_HEAD_BYTES, readMigDigest } from '../store/mig-digest.js'
import { STORE_KEY_FILE } from '../store/store-key.js'
import { authenticatedOnRead, compareWithManifest, foldersOf, isStoreContainer } from './decide.js'
import { sha256File } from '../runtime/file-hash.js'
import { walkLocal, type LocalFile } from './local-files.js'
import { MANIFEST_FILE, parseJsonDoc, RECORD_FILE, type Manifest, type ManifestEntry, type StoreRecord } from './records.js'
import { prepareStaging } from './staging.js'
import type { ShareTransport } from './transport.js'

/** `fn` over `items` with at most `limit` running at once; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }))
  return out
}

export async function remoteHash(t: ShareTransport, path: string): Promise<string> {
  const h = createHash('sha256')
  const { stream, done } = t.getStream(path)
  for await (const chunk of stream) h.update(chunk as Buffer)
  await done
  return h.digest('hex')
}

export async function readManifest(t: ShareTransport, rec: StoreRecord): Promise<Manifest> {
  const text = await t.readText(`${rec.id}/${MANIFEST_FILE}`)
  if (text === null) throw new UsmtStepsError('USM0415', `${rec.path} has no ${MANIFEST_FILE}`)
  try {
    return parseJsonDoc<Manifest>(text, `${rec.path}\\${MANIFEST_FILE}`)
  } catch (err) {
    throw new UsmtStepsError('USM0415', `${rec.path}\\${MANIFEST_FILE} is unreadable: ${(err as Error).message}`)
  }
}

/**
 * The manifest entries of a captured store: with `localPath` (a staged store) the files are uploaded and
 * hashed while they go, then the share's listing is checked against them; without, the store was written on
 * the share directly and is hashed there.
 */
export async function captureManifest(t: ShareTransport, rec: StoreRecord, localPath: string | undefined, log: (line: string) => void): Promise<ManifestEntry[]> {
  const id = rec.id
  if (!localPath) {
    const remote = (await t.listTree(id)).filter((f) => f.path !== RECORD_FILE && f.path !== MANIFEST_FILE)
    if (!remote.some((f) => /^USMT\//i.test(f.path))) throw new UsmtStepsError('USM0416', `${rec.path} holds no USMT folder: the capture has not written a store there`)
    // The container's record on the share spares reading the whole store back over the network; its size and (where
    // the transport reads the container's first bytes cheaply: a mounted share) its store id bind it.
    return mapLimit(remote, 2, async (f) => {
      if (isStoreContainer(f.path)) {
        const record = remote.find((r) => r.path.toLowerCase() === `${f.path.slice(0, -MIG_FILE.length)}${MIG_DIGEST_FILE}`.toLowerCase())
        const text = record ? await t.readText(`${id}/${record.path}`) : null
        const head = text !== null && t.readHead ? await t.readHead(`${id}/${f.path}`, MIG_HEAD_BYTES) : null
        const d = checkMigDigest(text, f.size, head)
        if ('sha256' in d) {
          log(`manifest: the SHA-256 of ${f.path} is the one its capture recorded in ${MIG_DIGEST_FILE} (not read back from the share)`)
          return { path: f.path, size: f.size, sha256: d.sha256 }
        }
        log(`${f.path}: hashed on the share for the manifest (${d.unusable})`)
      }
      return { path: f.path, size: f.size, sha256: await remoteHash(t, `${id}/${f.path}`) }
    })
  }
  const files = await walkLocal(localPath)
  if (!files.some((f) => /^USMT\//i.test(f.rel))) {
    throw new UsmtStepsError('USM0416', `${localPath} holds no USMT folder: the capture has not written a store there`)
  }
  // The portable container's SHA-256 comes from the record its capture wrote beside it (store/mig-digest.ts), made
  // from the bytes as they were written: reading 1 GiB again for it took 0.55 s of CPU beside smbclient and smbd
  // (bench/smb.mjs). Every other file (and a container without a usable record: Microsoft's USMT.MIG) is hashed
  // while the upload runs, read from the page cache a second time.
  const recorded: string[] = []
  const hashing = mapLimit(files, 1, async (f) => {
    const rec = isStoreContainer(f.rel) ? readMigDigest(f.abs, f.size) : null
    if (rec !== null && 'sha256' in rec) {
      recorded.push(f.rel)
      return { path: f.rel, size: f.size, sha256: rec.sha256 }
    }
    if (rec !== null) log(`${f.rel}: hashed for the manifest (${rec.unusable})`)
    return { path: f.rel, size: f.size, sha256: await sha256File(f.abs) }
  })
  hashing.catch(() => undefined)
  const started = Date.now()
  await t.putFiles(files.map((f) => ({ localPath: f.abs, path: `${id}/${f.rel}` })), foldersOf(files.map((f) => f.rel), `${id}/`))
  const bytes = files.reduce((a, f) => a + f.size, 0)
  log(`uploaded ${files.length} file(s), ${bytes} bytes, to ${rec.path} in ${Date.now() - started} ms: ${files.map((f) => f.rel).join(', ')}`)
  const entries = await hashing
  if (recorded.length) log(`manifest: the SHA-256 of ${recorded.join(', ')} is the one its capture recorded in ${MIG_DIGEST_FILE} (not read again)`)
  const problems = compareWithManifest(entries, await t.listTree(id))
  if (problems.length) throw new UsmtStepsError('USM0412', `the upload to ${rec.path} is incomplete: ${problems.slice(0, 5).join('; ')}`)
  return entries
}

/**
 * Download a captured store into `localPath` (emptied of an earlier attempt first) and check it against the manifest:
 * every file's size, and the SHA-256 of every file the restore would not authenticate itself. The portable
 * container (`authenticatedOnRead`) is not read a second time here: loadstate checks each of its frames and files as
 * it decodes them, so hashing it after the download only doubled the reading (1 GiB: 0.77 s of SHA-256 on top of a
 * 3.3 s transfer on the 2-core VM). Hashed files are hashed after the download, not while smbclient writes them:
 * reading a file while it is written made smbd and smbclient slower than the hashing saved (1 GiB: 4.4–4.6 s against
 * 2.9–4.0 s hashed after, interleaved; smbd's CPU rose from 2.0–2.6 s to 3.4–3.9 s).
 */
export async function downloadStore(t: ShareTransport, rec: StoreRecord, localPath: string, log: (line: string) => void): Promise<void> {
  const manifest = await readManifest(t, rec)
  const { removed } = await prepareStaging(localPath)
  if (removed.length) log(`${localPath}: removed what an earlier attempt left (${removed.join(', ')})`)
  const files = manifest.files.map((f) => ({ ...f, local: nodePath.join(localPath, ...f.path.split('/')) }))
  for (const dir of new Set(files.map((f) => nodePath.dirname(f.local)))) await fsp.mkdir(dir, { recursive: true })
  const started = Date.now()
  await t.getFiles(files.map((f) => ({ path: `${rec.id}/${f.path}`, localPath: f.local })))
  const downloaded = Date.now() - started
  // The store's own key document (written at request, next to the store like its record) comes along even
  // when the manifest does not list it: restore opens the data key from it.
  if (!manifest.files.some((f) => f.path === STORE_KEY_FILE)) {
    const keyText = await t.readText(`${rec.id}/${STORE_KEY_FILE}`)
    if (keyText !== null) await fsp.writeFile(nodePath.join(localPath, STORE_KEY_FILE), keyText, { mode: 0o600 })
  }
  const checks = await mapLimit(files, 2, async (f) => {
    const { size, head } = await sizeAndHead(f.local)
    if (size !== f.size) return `${f.path} of ${rec.path} has ${size} bytes after download, the manifest says ${f.size}`
    if (authenticatedOnRead(f.path, head)) return { f, deferred: true }
    const sum = await sha256File(f.local)
    return sum === f.sha256 ? { f, deferred: false } : `${f.path} of ${rec.path} differs from the manifest after download (sha256 ${sum}, expected ${f.sha256})`
  })
  const problem = checks.find((c) => typeof c === 'string')
  if (problem !== undefined) throw new UsmtStepsError('USM0415', problem)
  const deferred = checks.flatMap((c) => (typeof c !== 'string' && c.deferred ? [c.f] : []))
  const bytes = files.reduce((a, f) => a + f.size, 0)
  const left = deferred.length
    ? `; ${deferred.map((f) => `${f.path} (${f.size} bytes)`).join(', ')}: size checked, content authenticated by the restore as it reads it (portable container: every frame and file digest)`
    : ''
  log(`store ${rec.path} downloaded to ${localPath} (${manifest.files.length} files, ${bytes} bytes in ${downloaded} ms; sha256 verified for ${files.length - deferred.length}${left})`)
}

/** A local file's size and its first bytes (enough for the container's magic). */
async function sizeAndHead(file: string): Promise<{ size: number; head: Buffer }> {
  const fh = await fsp.open(file, 'r')
  try {
    const head = Buffer.alloc(16)
    const { bytesRead } = await fh.read(head, 0, head.length, 0)
    return { size: (await fh.stat()).size, head: head.subarray(0, bytesRead) }
  } finally {
    await fh.close()
  }
}

/** Files below `<local>/Logs` that the capture did not put into the store (never overwrites a manifest file). */
export async function uploadRestoreLogs(t: ShareTransport, rec: StoreRecord, localPath: string, log: (line: string) => void): Promise<string[]> {
  let files: LocalFile[]
  try {
    files = await walkLocal(nodePath.join(localPath, STORE_LOGS_DIR))
  } catch {
    return []
  }
  let inStore: Set<string>
  try {
    inStore = new Set((await readManifest(t, rec)).files.map((f) => f.path.toLowerCase()))
  } catch (err) {
    log(`restore logs not uploaded: ${(err as Error).message}`)
    return []
  }
  const logs = files.map((f) => ({ ...f, rel: `${STORE_LOGS_DIR}/${f.rel}` })).filter((f) => !inStore.has(f.rel.toLowerCase()))
  if (logs.length === 0) return []
  try {
    await t.putFiles(logs.map((f) => ({ localPath: f.abs, path: `${rec.id}/${f.rel}` })), foldersOf(logs.map((f) => f.rel), `${rec.id}/`))
  } catch (err) {
    log(`restore logs not uploaded to ${rec.path}: ${(err as Error).message}`)
    return []
  }
  const sent = logs.map((f) => f.rel)
  log(`restore logs uploaded to ${rec.path}: ${sent.join(', ')}`)
  return sent
}

export interface VerifyResult {
  store: string
  ok: boolean
  deep: boolean
  files: number
  bytes: number
  problems: string[]
}

/** A captured store on its share against its manifest: missing or resized files, and with `deep` changed content. */
export async function verifyStore(t: ShareTransport, rec: StoreRecord, deep: boolean): Promise<VerifyResult> {
  const manifest = await readManifest(t, rec)
  const remote = await t.listTree(rec.id)
  const problems = compareWithManifest(manifest.files, remote)
  // Files the manifest does not list (added after the capture was sealed): not restored, but reported — a
  // store that verifies holds exactly what was captured (issue #20 item 6).
  const listed = new Set(manifest.files.map((f) => f.path.toLowerCase()))
  for (const r of remote) {
    if (r.path === RECORD_FILE || r.path === MANIFEST_FILE || r.path === STORE_KEY_FILE || listed.has(r.path.toLowerCase())) continue
    problems.push(`${r.path} is an extra file the capture did not write (${r.size} bytes)`)
  }
  if (deep) {
    for (const f of manifest.files) {
      if (problems.some((p) => p.startsWith(`${f.path} `))) continue
      const sum = await remoteHash(t, `${rec.id}/${f.path}`)
      if (sum !== f.sha256) problems.push(`${f.path} content differs (sha256 ${sum}, expected ${f.sha256})`)
    }
  }
  return { store: rec.path, ok: problems.length === 0, deep, files: manifest.files.length, bytes: manifest.files.reduce((a, f) => a + f.size, 0), problems }
}
