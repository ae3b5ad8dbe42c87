/**
 * The two uncompressed store kinds, both a tree below STORE/USMT/File/<drive letter>/… plus
 * STORE/USMT/Catalog.json:
 *  - hard-link store (`/hardlink /nocompress`): every entry is a hard link (link(2)) to the captured file,
 *    so the store needs almost no space and must be on the data's volume (same device id);
 *  - mirror store (`/nocompress`): every entry is a copy, with its SHA-256 in the catalog.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants as fsConstants, linkSync, mkdirSync } from 'node:fs'
import { chmod, copyFile, link, mkdir, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { sha256File } from '../runtime/file-hash.js'
import { writeAll } from '../runtime/write-all.js'
import { decodeFileCatalog, FileCatalogWriter, storeDirOf, unsafeFileName, type Catalog, type CatalogEntry, type FileCatalogEntry, type StoreMeta } from './catalog.js'
import { LinkPipeline } from './link-pipeline.js'
import { isFileError, type RestoreErrorHandler, type RestoreFileResult, type RestoreItem, type SourceFile } from './types.js'

export const FILE_DIR = 'File'
export const CATALOG_FILE = 'Catalog.json'

/** fsync a directory (makes a rename or a new entry in it durable). */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } catch (err) {
    // Some file systems refuse fsync on directories (EINVAL/EISDIR): the data itself was synced.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err
  } finally {
    await fh.close()
  }
}

/** Copy src → dest while hashing; returns the SHA-256 hex and size. */
export async function copyHashing(src: string, dest: string, flags = 'w'): Promise<{ sha256: string; size: number }> {
  const input = await open(src, 'r')
  try {
    const output = await open(dest, flags)
    try {
      const h = createHash('sha256')
      const buf = Buffer.allocUnsafe(1 << 20)
      let size = 0
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, buf.length, null)
        if (bytesRead === 0) break
        const chunk = buf.subarray(0, bytesRead)
        h.update(chunk)
        await writeAll(output, chunk)
        size += bytesRead
      }
      return { sha256: h.digest('hex'), size }
    } finally {
      await output.close()
    }
  } finally {
    await input.close()
  }
}

/** Restore timestamps and the read-only attribute on a written file; report what Linux cannot keep. */
export async function applyMetadata(dest: string, e: CatalogEntry): Promise<string[]> {
  const notes: string[] = []
  await utimes(dest, e.atimeMs / 1000, e.mtimeMs / 1000)
  if (e.attributes.readOnly) {
    const st = await stat(dest)
    await chmod(dest, st.mode & 0o7555)
  }
  if (process.platform !== 'win32') {
    if (e.attributes.hidden) notes.push('hidden attribute not representable on this OS')
    if (e.attributes.system) notes.push('system attribute not representable on this OS')
    if (e.birthtimeMs && Math.abs(e.birthtimeMs - e.mtimeMs) > 1) notes.push('creation time cannot be set on this OS')
  }
  return notes
}

/** A source file's catalog entry, with its size as stored. */
const entryOf = (src: SourceFile, size: number): FileCatalogEntry => ({
  path: src.path, user: src.user, component: src.component, size, mtimeMs: src.mtimeMs, atimeMs: src.atimeMs,
  birthtimeMs: src.birthtimeMs, attributes: src.attributes,
})

/** The rows in a batch's lines (UTF-8, each after a line break). */
const rowsOf = (lines: Buffer): string[] => (lines.length === 0 ? [] : lines.toString('utf8', 1).split('\n'))

/** A queued file that was not linked: its place in the batch, what its catalog row names, and why. */
export interface LinkedFailure {
  index: number
  path: string
  user: string | null
  bytes: number
  error: unknown
}

/**
 * The outcome of a batch of queued links, as the store tells it: `count` files (`bytes` as queued), of which
 * `linked` (`linkedBytes`) were linked and catalogued and `failed` were not, in order. The linked files' paths
 * are read back from their catalog rows on demand (`paths`, for /listfiles and a verbose log; `lastPath`, for
 * progress): no object per file is kept while a link is in flight.
 */
export interface LinkedBatch {
  count: number
  bytes: number
  linked: number
  linkedBytes: number
  failed: readonly LinkedFailure[]
  paths(): string[]
  lastPath(): string
}

/**
 * Writes a hard-link or mirror store below USMT/File and streams its catalog to USMT/Catalog.json.
 * Each source folder is resolved, checked and created once (files arrive folder by folder from the
 * engine's walk); only the file name is checked per file. Nothing per file is kept in memory.
 */
export class FileStoreWriter {
  private readonly fileRoot: string
  private readonly catalog: FileCatalogWriter
  private readonly made = new Set<string>()
  /** The Windows folder of the last file (its length: where its name starts) and its store folder. */
  private lastWinDir: string | null = null
  private lastLocalDir = ''
  /** The store folder the last destOf() resolved for the first time ('' when it was known already). */
  private newDir = ''
  private pipe: LinkPipeline | null = null
  files = 0
  bytesIn = 0

  /** With `sealKey` the catalog is sealed (src/store/seal.ts). */
  constructor(readonly usmtDir: string, readonly kind: 'hardlink' | 'mirror', sealKey?: string) {
    this.fileRoot = nodePath.join(usmtDir, FILE_DIR)
    mkdirSync(this.fileRoot, { recursive: true })
    this.made.add(this.fileRoot)
    this.catalog = new FileCatalogWriter(nodePath.join(usmtDir, CATALOG_FILE), kind, sealKey)
  }

  /**
   * Create the store folder destOf() left in `newDir`: its parent normally exists already, so one mkdir(2)
   * suffices. A folder that could not be made is tried again for the next file.
   */
  private makeNewDir(): void {
    const dir = this.newDir
    if (!dir) return
    try {
      mkdirSync(dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      try {
        if (code === 'ENOENT') mkdirSync(dir, { recursive: true })
        else if (code !== 'EEXIST') throw err
      } catch (again) {
        this.made.delete(dir)
        this.lastWinDir = null
        throw again
      }
    }
  }

  /**
   * Where a source file goes in the store; throws USM0217 for a path that cannot be stored. Its store folder is
   * resolved and checked once per Windows folder (files come folder by folder); a folder not seen before is left
   * in `newDir` for the caller to create (here, or on the link thread).
   */
  private destOf(winPath: string): string {
    const cut = winPath.lastIndexOf('\\')
    const name = cut < 0 ? '' : winPath.slice(cut + 1)
    const bad = cut < 0 ? 'not a drive-absolute Windows path' : unsafeFileName(name)
    if (bad) throw new UsmtStepsError('USM0217', `cannot store ${winPath}: ${bad}`)
    this.newDir = ''
    // Same folder as the last file: compared in place (no per-file copy of the folder's path).
    if (this.lastWinDir === null || this.lastWinDir.length !== cut || !winPath.startsWith(this.lastWinDir)) {
      const winDir = winPath.slice(0, cut)
      const local = nodePath.join(this.fileRoot, ...storeDirOf(winDir).split('/'))
      if (!this.made.has(local)) {
        this.made.add(local)
        this.newDir = local
      }
      this.lastWinDir = winDir
      this.lastLocalDir = local
    }
    return this.lastLocalDir + nodePath.sep + name
  }

  private crossDevice(source: string, err: unknown): UsmtStepsError {
    return new UsmtStepsError('USM0216', `cannot hard-link ${source} into the store ${this.usmtDir}: they are on different devices`, { cause: err })
  }

  private catalogLinked(src: SourceFile): void {
    this.catalog.add(entryOf(src, src.bytes))
    this.files++
    this.bytesIn += src.bytes
  }

  /**
   * Hard-link stores: start the link thread (see link-pipeline.ts) now, before the first file is queued, so that
   * its start overlaps the scan's own; `queueLink` starts it otherwise.
   */
  startLinks(): void {
    if (this.kind !== 'hardlink') throw new Error('startLinks is for hard-link stores')
    this.pipe ??= new LinkPipeline()
  }

  /**
   * Hard-link stores: queue a file to be linked on the background thread (see link-pipeline.ts) while the
   * scan goes on; read the results with `linkOutcomes()`, in the same order. Nothing is catalogued before
   * its link is made: the file's catalog row travels with its link, and only that text is kept meanwhile.
   */
  queueLink(src: SourceFile): void {
    if (this.kind !== 'hardlink') throw new Error('queueLink is for hard-link stores')
    const pipe = (this.pipe ??= new LinkPipeline())
    const row = this.catalog.rowText(entryOf(src, src.bytes))
    let dest: string
    try {
      dest = this.destOf(src.path)
    } catch (err) {
      pipe.pushFailed(row, src.bytes, err)
      return
    }
    pipe.push(this.newDir, src.localPath, dest, row, src.bytes)
  }

  /** Batches of links sent and not read by linkOutcomes() yet. */
  get linkUnread(): number {
    return this.pipe?.unread ?? 0
  }

  /** Batches of queued links not answered yet. */
  get linkBacklog(): number {
    return this.pipe?.backlog ?? 0
  }

  /** Wait until at most `max` batches of links are outstanding. */
  async drainLinks(max: number): Promise<void> {
    await this.pipe?.drain(max)
  }

  /**
   * Every queued file's outcome in order, a batch at a time: the files linked are catalogued, the others are
   * named with their error (the file-system error as it is, USM0216 for a link across devices, USM0217 for a
   * path that cannot be stored).
   */
  async *linkOutcomes(keep = 0): AsyncGenerator<LinkedBatch> {
    if (!this.pipe) return
    const catalog = this.catalog
    for await (const { count, bytes, lines, failed } of this.pipe.outcomes(keep)) {
      if (failed.length === 0) {
        catalog.addRowBytes(lines, count)
        this.files += count
        this.bytesIn += bytes
        yield {
          count, bytes, linked: count, linkedBytes: bytes, failed: [],
          paths: () => rowsOf(lines).map((r) => catalog.describeRow(r).path),
          lastPath: () => catalog.describeRow(lines.toString('utf8', lines.lastIndexOf(0x0a) + 1)).path,
        }
        continue
      }
      // Every file's row is in `lines`, in order: the linked ones go to the catalog, the others are named.
      const rows = rowsOf(lines)
      const failures: LinkedFailure[] = []
      const kept: string[] = []
      for (let i = 0, k = 0; i < count; i++) {
        if (failed[k]?.index !== i) {
          kept.push(rows[i])
          continue
        }
        const { path, user, size } = catalog.describeRow(rows[i])
        const error = failed[k++].error
        failures.push({ index: i, path, user, bytes: size, error: (error as NodeJS.ErrnoException).code === 'EXDEV' ? this.crossDevice(path, error) : error })
      }
      const linkedBytes = bytes - failures.reduce((n, f) => n + f.bytes, 0)
      if (kept.length > 0) catalog.addRowBytes(Buffer.from(`\n${kept.join('\n')}`, 'utf8'), kept.length)
      this.files += kept.length
      this.bytesIn += linkedBytes
      yield {
        count, bytes, linked: kept.length, linkedBytes, failed: failures,
        paths: () => kept.map((r) => catalog.describeRow(r).path),
        lastPath: () => catalog.describeRow(rows[count - 1]).path,
      }
    }
  }

  /**
   * Hard-link stores link synchronously (one link(2) per file, no copy, no read, no stat: size and times
   * come from the engine's walk); a link across devices fails with USM0216. Mirror stores copy and hash.
   * Source errors (ENOENT, EACCES…) are thrown as they are, before anything is catalogued.
   */
  addFileSync(src: SourceFile): void {
    if (this.kind !== 'hardlink') throw new Error('addFileSync is for hard-link stores')
    const dest = this.destOf(src.path)
    this.makeNewDir()
    try {
      linkSync(src.localPath, dest)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EXDEV') throw this.crossDevice(src.localPath, err)
      throw err
    }
    this.catalogLinked(src)
  }

  async addFile(src: SourceFile): Promise<void> {
    if (this.kind === 'hardlink') return this.addFileSync(src)
    const dest = this.destOf(src.path)
    this.makeNewDir()
    let sha256: string
    let size: number
    try {
      ({ sha256, size } = await copyHashing(src.localPath, dest, 'wx'))
      await utimes(dest, src.atimeMs / 1000, src.mtimeMs / 1000)
    } catch (err) {
      // A file that could not be read completely is not left half-copied in the store.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await rm(dest, { force: true }).catch(() => undefined)
      throw err
    }
    this.catalog.add({ ...entryOf(src, size), sha256 })
    this.files++
    this.bytesIn += size
  }

  /** Finish and sync the catalog (the caller then marks the store complete by renaming its folder). */
  async finish(meta: StoreMeta): Promise<{ files: number; bytesIn: number }> {
    if (this.pipe) {
      if (this.pipe.backlog > 0 || this.pipe.pending) throw new Error('finish() before every queued link was read from linkOutcomes()')
      await this.pipe.close()
      this.pipe = null
    }
    this.catalog.finish(meta)
    await syncDir(this.usmtDir)
    return { files: this.files, bytesIn: this.bytesIn }
  }

  /** Abandon: stop the link thread (before the caller removes the folder) and close the catalog. */
  async abort(): Promise<void> {
    await this.pipe?.close()
    this.pipe = null
    this.catalog.abort()
  }
}

export interface FileVerifyResult {
  entry: CatalogEntry
  ok: boolean
  reason?: string
}

export class FileStoreReader {
  private constructor(readonly usmtDir: string, readonly catalog: Catalog) {}

  /** Open and check the catalog; with `sealKey` its seal must match (USM0222 otherwise). */
  static async open(usmtDir: string, sealKey?: string): Promise<FileStoreReader> {
    const file = nodePath.join(usmtDir, CATALOG_FILE)
    let buf: Buffer
    try {
      buf = await readFile(file)
    } catch (err) {
      throw new UsmtStepsError('USM0210', `${usmtDir}: the store has no catalog (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err })
    }
    const catalog = decodeFileCatalog(buf, file, sealKey)
    if (catalog.meta.kind !== 'hardlink' && catalog.meta.kind !== 'mirror') throw new UsmtStepsError('USM0211', `${file}: kind ${catalog.meta.kind} is not a file store`)
    for (const e of catalog.files) if (e.storePath === undefined) throw new UsmtStepsError('USM0211', `${file}: entry ${e.path} has no store path`)
    return new FileStoreReader(usmtDir, catalog)
  }

  get kind(): 'hardlink' | 'mirror' {
    return this.catalog.meta.kind as 'hardlink' | 'mirror'
  }

  localOf(e: CatalogEntry): string {
    return nodePath.join(this.usmtDir, FILE_DIR, ...(e.storePath as string).split('/'))
  }

  /**
   * Check every entry: mirror stores by SHA-256 and size; hard-link stores by presence and size (their
   * files are the user's own files, which may legitimately change until the restore).
   */
  async verify(entries: readonly CatalogEntry[] = this.catalog.files, onFile?: (r: FileVerifyResult) => void): Promise<FileVerifyResult[]> {
    const out: FileVerifyResult[] = []
    for (const e of entries) {
      const local = this.localOf(e)
      let r: FileVerifyResult
      try {
        const st = await stat(local)
        if (!st.isFile()) r = { entry: e, ok: false, reason: 'not a regular file' }
        else if (st.size !== e.size) r = { entry: e, ok: false, reason: `size ${st.size}, catalog says ${e.size}` }
        else if (this.kind === 'mirror') {
          r = await sha256File(local) === e.sha256 ? { entry: e, ok: true } : { entry: e, ok: false, reason: 'content does not match its SHA-256' }
        } else {
          r = { entry: e, ok: true }
        }
      } catch (err) {
        r = { entry: e, ok: false, reason: (err as NodeJS.ErrnoException).code ?? String(err) }
      }
      out.push(r)
      onFile?.(r)
    }
    return out
  }

  /**
   * Restore files to their destinations (the caller has decided names and overwrites; an existing
   * destination is replaced). Hard-link stores link when the destination is on the same device and copy
   * otherwise; mirror stores copy and check the SHA-256 again.
   */
  async restore(
    items: ReadonlyArray<RestoreItem<CatalogEntry>>,
    onFile?: (r: RestoreFileResult, e: CatalogEntry) => void,
    onError?: RestoreErrorHandler<CatalogEntry>,
  ): Promise<RestoreFileResult[]> {
    const out: RestoreFileResult[] = []
    const made = new Set<string>()
    for (const { entry, dest } of items) {
      const src = this.localOf(entry)
      let r: RestoreFileResult
      try {
        const dir = nodePath.dirname(dest)
        if (!made.has(dir)) {
          await mkdir(dir, { recursive: true })
          made.add(dir)
        }
        if (this.kind === 'hardlink') {
          r = await placeFile(dest, async (target) => {
            try {
              await link(src, target)
              return { dest, how: 'linked', notes: [] }
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
              await copyFile(src, target, fsConstants.COPYFILE_EXCL)
              return { dest, how: 'written', notes: [] }
            }
          })
          if (r.how === 'written') r.notes = await applyMetadata(dest, entry)
        } else {
          await placeFile(dest, async (target) => {
            const { sha256 } = await copyHashing(src, target, 'wx')
            if (sha256 !== entry.sha256) throw new UsmtStepsError('USM0212', `${src}: content does not match its catalog digest`)
          })
          r = { dest, how: 'written', notes: await applyMetadata(dest, entry) }
        }
      } catch (err) {
        if (!isFileError(err) || !onError || onError(err, entry, dest) !== 'ignore') throw err
        continue
      }
      out.push(r)
      onFile?.(r, entry)
    }
    return out
  }
}

/** A temporary name beside `dest` (replacing an existing file happens by rename, never by deleting it first). */
export function tempBeside(dest: string): string {
  return nodePath.join(nodePath.dirname(dest), `.usmt-steps-${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Write a file at `dest` through `write(target)`, which must create `target` exclusively. A new file is
 * written in place; an existing one is replaced only once the new content is complete (written beside it,
 * then renamed over it), so a failed write never destroys the destination's file. A partly written file is
 * removed before the error is passed on.
 */
export async function placeFile<R>(dest: string, write: (target: string) => Promise<R>): Promise<R> {
  try {
    return await write(dest)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      await rmIfFile(dest, err)
      throw err
    }
  }
  const tmp = tempBeside(dest)
  try {
    const r = await write(tmp)
    await rename(tmp, dest)
    // rename(2) does nothing when both names already link the same file (a hard-link restore over the
    // file itself): the temporary name must not stay behind.
    await rm(tmp, { force: true })
    return r
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
}

/** After a failed exclusive create: remove what the failed write left at `path` (never an older file: EEXIST is excluded by the caller). */
async function rmIfFile(path: string, err: unknown): Promise<void> {
  const code = (err as NodeJS.ErrnoException).code
  // These fail before anything is created at `path`.
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') return
  await rm(path, { force: true }).catch(() => undefined)
}
