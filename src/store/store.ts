/**
 * A migration store on disk: STORE/USMT/ holds either USMT.MIG (compressed, optionally encrypted) or
 * File/ + Catalog.json (hard-link or mirror). A capture writes into STORE/USMT.partial-<id>/ and the store
 * becomes complete only when that folder is renamed to USMT/ — after the catalog has been written and
 * synced. An interrupted capture therefore leaves only a partial folder, which no reader accepts.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, statSync } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { writeAll } from '../runtime/write-all.js'
import type { Catalog, CatalogEntry, StoreMeta } from './catalog.js'
import type { CatalogKind } from './kind.js'
import { ContainerReader, ContainerWriter, type MigEntry, type StoreCodec } from './container.js'
import type { KdfName } from './crypto.js'
import type { CatalogSeal } from './seal.js'
import { applyMetadata, CATALOG_FILE, FILE_DIR, FileStoreReader, FileStoreWriter, syncDir, tempBeside, type LinkedBatch } from './file-store.js'
import { MIG_DIGEST_FILE, MIG_FILE, USMT_DIR } from './layout.js'
import { writeMigDigest } from './mig-digest.js'
import { isFileError, type RestoreErrorHandler, type RestoreFileResult, type RestoreItem, type SourceFile } from './types.js'

export { MIG_FILE, USMT_DIR }
const PARTIAL_PREFIX = 'USMT.partial-'
const OLD_PREFIX = 'USMT.old-'

export interface StoreState {
  exists: boolean
  complete: boolean
  partials: string[]
}

/** What is at a store path: a complete store, leftovers of interrupted captures, or nothing. */
export async function storeState(root: string): Promise<StoreState> {
  let names: string[]
  try {
    names = await readdir(root)
  } catch {
    return { exists: false, complete: false, partials: [] }
  }
  const partials = names.filter((n) => n.startsWith(PARTIAL_PREFIX) || n.startsWith(OLD_PREFIX))
  const complete = names.includes(USMT_DIR)
  return { exists: complete || partials.length > 0, complete, partials }
}

export interface CreateStoreOptions {
  kind: CatalogKind
  overwrite: boolean
  secret?: string
  kdf?: KdfName
  level?: number
  /** Codec of a compressed store (default auto: zstd where the runtime has it). */
  codec?: StoreCodec | 'auto'
  /** Hard-link and mirror stores: seal the catalog with this key (src/store/seal.ts). */
  sealKey?: string
}

/** A capture in progress. */
export class StoreSession {
  private done = false

  private constructor(
    readonly root: string,
    readonly kind: CatalogKind,
    readonly partialDir: string,
    private readonly overwrite: boolean,
    private readonly container: ContainerWriter | null,
    private readonly files: FileStoreWriter | null,
  ) {}

  static async create(root: string, opts: CreateStoreOptions): Promise<StoreSession> {
    const state = await storeState(root)
    if (state.exists && !opts.overwrite) {
      throw new UsmtStepsError('USM0215', `${root} already holds a store${state.complete ? '' : ' (an interrupted capture)'}`)
    }
    await mkdir(root, { recursive: true })
    const partialDir = nodePath.join(root, `${PARTIAL_PREFIX}${randomBytes(6).toString('hex')}`)
    await mkdir(partialDir)
    try {
      if (opts.kind === 'compressed') {
        const c = await ContainerWriter.create(nodePath.join(partialDir, MIG_FILE), { secret: opts.secret, kdf: opts.kdf, level: opts.level, codec: opts.codec, digest: true })
        return new StoreSession(root, opts.kind, partialDir, opts.overwrite, c, null)
      }
      return new StoreSession(root, opts.kind, partialDir, opts.overwrite, null, new FileStoreWriter(partialDir, opts.kind, opts.sealKey))
    } catch (err) {
      await rm(partialDir, { recursive: true, force: true })
      throw err
    }
  }

  get bytesIn(): number {
    return this.container?.bytesIn ?? this.files?.bytesIn ?? 0
  }

  addFile(src: SourceFile): Promise<void> {
    return this.container ? this.container.addFile(src) : (this.files as FileStoreWriter).addFile(src)
  }

  /** Hard-link stores add files synchronously (no promise per file); null for the other kinds. */
  get addFileSync(): ((src: SourceFile) => void) | null {
    const files = this.files
    return files && files.kind === 'hardlink' ? (src) => files.addFileSync(src) : null
  }

  /**
   * Hard-link stores only: start the link thread and return its queue, to link files on the background thread
   * while the scan goes on (`queue`), and read every file's outcome in order (`outcomes`: during the scan with
   * `keep` batches left in flight, then all at the end); the catalog gets a file once its link is made. The thread
   * starts here, before the first file, so that its start-up overlaps the scan's.
   */
  startLinkPipeline(): { queue(src: SourceFile): void; backlog(): number; unread(): number; drain(max: number): Promise<void>; outcomes(keep?: number): AsyncGenerator<LinkedBatch> } | null {
    const files = this.files
    if (!files || files.kind !== 'hardlink') return null
    files.startLinks()
    return {
      queue: (src) => files.queueLink(src),
      backlog: () => files.linkBacklog,
      unread: () => files.linkUnread,
      drain: (max) => files.drainLinks(max),
      outcomes: (keep = 0) => files.linkOutcomes(keep),
    }
  }

  /**
   * Finish the catalog, sync it, then mark the store complete: rename the partial folder to USMT/ (an
   * existing store is moved aside first and removed afterwards, only with overwrite).
   */
  async commit(meta: StoreMeta): Promise<{ files: number; bytesIn: number; bytesStored?: number }> {
    let r: { files: number; bytesIn: number; bytesStored?: number }
    if (this.container) {
      const c = await this.container.finish(meta)
      // The container's SHA-256, recorded beside it for the share's manifest at release (mig-digest.ts).
      if (c.sha256 !== undefined) writeMigDigest(this.container.path, { size: c.bytesStored, storeId: c.storeId, sha256: c.sha256 })
      r = { files: c.files, bytesIn: c.bytesIn, bytesStored: c.bytesStored }
    } else {
      r = await (this.files as FileStoreWriter).finish(meta)
    }
    await syncDir(this.partialDir)
    const finalDir = nodePath.join(this.root, USMT_DIR)
    const state = await storeState(this.root)
    const old: string[] = []
    if (state.complete) {
      if (!this.overwrite) throw new UsmtStepsError('USM0215', `${this.root} received a store while this capture ran`)
      const aside = nodePath.join(this.root, `${OLD_PREFIX}${randomBytes(6).toString('hex')}`)
      await rename(finalDir, aside)
      old.push(aside)
    }
    await rename(this.partialDir, finalDir)
    await syncDir(this.root)
    this.done = true
    for (const p of [...old, ...state.partials.map((n) => nodePath.join(this.root, n)).filter((p) => p !== this.partialDir)]) {
      await rm(p, { recursive: true, force: true })
    }
    return r
  }

  /** Abandon the capture and remove the partial folder. */
  async abort(): Promise<void> {
    if (this.done) return
    await this.container?.abort()
    await this.files?.abort()
    await rm(this.partialDir, { recursive: true, force: true })
  }
}

export interface StoreVerifyResult {
  entry: CatalogEntry
  ok: boolean
  reason?: string
}

/** A complete store opened for reading. Call `verify()` before restoring: it checks every file. */
export interface OpenedStore {
  root: string
  kind: CatalogKind
  encrypted: boolean
  catalog: Catalog
  /** The USMT.MIG path (compressed stores). */
  migPath?: string
  /**
   * Hard-link and mirror stores: how the catalog's seal was checked (verified with the seal key; unchecked: sealed,
   * no key given; unsealed: no seal, no key). Compressed stores have none (an encrypted one is authenticated by its key).
   */
  catalogSeal?: CatalogSeal
  verify(onFile?: (r: StoreVerifyResult) => void): Promise<StoreVerifyResult[]>
  /**
   * Files in STORE/USMT that the store does not account for (issue #20 item 6): anything beside USMT.MIG, or
   * beside Catalog.json and the catalogued files of a file store. Never restored; /verify reports them.
   * Paths are relative to the store folder, with `/`.
   */
  extras(): Promise<string[]>
  /**
   * Write files (destinations decided by the caller). A destination that cannot be written goes to
   * `onError`: skipped when it answers 'ignore' (nothing half-written stays), else the error ends the restore.
   */
  restore(
    items: ReadonlyArray<RestoreItem<CatalogEntry>>,
    onFile?: (r: RestoreFileResult, e: CatalogEntry) => void,
    onError?: RestoreErrorHandler<CatalogEntry>,
  ): Promise<RestoreFileResult[]>
  close(): Promise<void>
}

/**
 * Open a complete store at `root` (the folder given to scanstate/loadstate). The USMT.MIG container is
 * authenticated on open (key check, catalog digest) and catalog paths are checked; file contents are
 * checked by `verify()`. `sealKey` (hard-link and mirror stores) checks the catalog's seal on open; a compressed
 * store ignores it (the caller says so).
 */
export async function openStore(root: string, opts: { secret?: string; sealKey?: string } = {}): Promise<OpenedStore> {
  const state = await storeState(root)
  if (!state.complete) {
    throw new UsmtStepsError('USM0210', state.partials.length
      ? `${root} holds only an incomplete store (${state.partials.join(', ')}): the capture was interrupted`
      : `${root} holds no store (no ${USMT_DIR} folder)`)
  }
  const usmtDir = nodePath.join(root, USMT_DIR)
  const migPath = nodePath.join(usmtDir, MIG_FILE)
  const hasMig = await stat(migPath).then(() => true, () => false)
  if (hasMig) {
    const reader = await ContainerReader.open(migPath, opts.secret)
    return compressedStore(root, reader)
  }
  if (opts.secret !== undefined) {
    const files = await FileStoreReader.open(usmtDir)
    throw new UsmtStepsError('USM0214', `${root} is a ${files.kind} store: it is not encrypted, but a key was given`)
  }
  const files = await FileStoreReader.open(usmtDir, opts.sealKey)
  return {
    root, kind: files.kind, encrypted: false, catalog: files.catalog, catalogSeal: files.catalog.seal,
    verify: (onFile) => files.verify(files.catalog.files, onFile),
    extras: async () => {
      const known = new Set(files.catalog.files.map((e) => `${USMT_DIR}/${FILE_DIR}/${e.storePath as string}`))
      return (await listTree(root, USMT_DIR)).filter((p) => p !== `${USMT_DIR}/${CATALOG_FILE}` && !known.has(p))
    },
    restore: (items, onFile, onError) => files.restore(items, onFile, onError),
    close: async () => undefined,
  }
}

/** Every file below root/dir, as `dir/…` paths with `/` (a missing dir lists nothing). */
async function listTree(root: string, dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (rel: string): Promise<void> => {
    let names: Dirent[]
    try {
      names = await readdir(nodePath.join(root, ...rel.split('/')), { withFileTypes: true })
    } catch {
      return
    }
    for (const d of names) {
      const p = `${rel}/${d.name}`
      if (d.isDirectory()) await walk(p)
      else out.push(p)
    }
  }
  await walk(dir)
  return out.sort()
}

/** Wrap a ContainerReader as an OpenedStore (also used by usmtutils on a bare USMT.MIG path). */
export function compressedStore(root: string, reader: ContainerReader): OpenedStore {
  return {
    root, kind: 'compressed', encrypted: reader.encrypted, catalog: reader.catalog, migPath: reader.path,
    verify: async (onFile) => (await reader.verifyStored(reader.entries, onFile ? (r) => onFile(r) : undefined)),
    extras: async () => (await listTree(nodePath.dirname(nodePath.dirname(reader.path)), USMT_DIR)).filter((p) => p !== `${USMT_DIR}/${MIG_FILE}` && p !== `${USMT_DIR}/${MIG_DIGEST_FILE}`),
    restore: (items, onFile, onError) => restoreFromContainer(reader, items as ReadonlyArray<RestoreItem<MigEntry>>, onFile, onError),
    close: () => reader.close(),
  }
}

async function restoreFromContainer(
  reader: ContainerReader,
  items: ReadonlyArray<RestoreItem<MigEntry>>,
  onFile?: (r: RestoreFileResult, e: CatalogEntry) => void,
  onError?: RestoreErrorHandler<CatalogEntry>,
): Promise<RestoreFileResult[]> {
  const byEntry = new Map<MigEntry, string[]>()
  for (const it of items) byEntry.set(it.entry, [...(byEntry.get(it.entry) ?? []), it.dest])
  /** One destination being written: its handle, the temporary name when it replaces an existing file. */
  interface Out { dest: string; fh: FileHandle | null; tmp: string | null; written: boolean; bytes: number }
  const open_ = new Map<MigEntry, Out[]>()
  const results: RestoreFileResult[] = []
  const made = new Set<string>()
  /** A failed destination: skipped when the handler says so (the partial file is removed), else rethrown. */
  const failed = async (e: MigEntry, out: Out, err: unknown): Promise<void> => {
    await out.fh?.close().catch(() => undefined)
    out.fh = null
    if (out.tmp !== null) await rm(out.tmp, { force: true }).catch(() => undefined)
    else if (out.written) await rm(out.dest, { force: true }).catch(() => undefined)
    if (!isFileError(err) || !onError || onError(err, e, out.dest) !== 'ignore') throw err
  }
  try {
    await reader.decode([...byEntry.keys()], {
      begin: async (e) => {
        const outs: Out[] = []
        open_.set(e, outs)
        for (const dest of byEntry.get(e) ?? []) {
          const out: Out = { dest, fh: null, tmp: null, written: false, bytes: 0 }
          outs.push(out)
          try {
            const dir = nodePath.dirname(dest)
            if (!made.has(dir)) {
              await mkdir(dir, { recursive: true })
              made.add(dir)
            }
            try {
              out.fh = await open(dest, 'wx')
              out.written = true
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
              // Replace an existing file only once the new one is complete.
              out.tmp = tempBeside(dest)
              out.fh = await open(out.tmp, 'wx')
            }
          } catch (err) {
            await failed(e, out, err)
          }
        }
      },
      data: async (e, chunk) => {
        for (const out of open_.get(e) ?? []) {
          if (!out.fh) continue
          try {
            await writeAll(out.fh, chunk)
            out.bytes += chunk.length
          } catch (err) {
            await failed(e, out, err)
          }
        }
      },
      end: async (e) => {
        for (const out of open_.get(e) ?? []) {
          if (!out.fh) continue
          try {
            await out.fh.close()
            out.fh = null
            // A file is written whole or not at all: the bytes written and the size on disk must be the
            // catalog's size before it counts as restored (a full disk surfaces here at the latest).
            const onDisk = (await stat(out.tmp ?? out.dest)).size
            if (out.bytes !== e.size || onDisk !== e.size) {
              throw Object.assign(new Error(`${out.dest}: ${onDisk} of ${e.size} bytes written`), { code: 'ENOSPC' })
            }
            if (out.tmp !== null) {
              await rename(out.tmp, out.dest)
              out.tmp = null
            }
            const r: RestoreFileResult = { dest: out.dest, how: 'written', notes: await applyMetadata(out.dest, e) }
            results.push(r)
            onFile?.(r, e)
          } catch (err) {
            await failed(e, out, err)
          }
        }
        open_.delete(e)
      },
    })
  } finally {
    // A run that stops half-way (an aborting error, a corrupted frame, a full disk) leaves no open handle, no
    // temporary file and no partly written new file (a file it created and did not finish is removed).
    for (const outs of open_.values()) {
      for (const out of outs) {
        const open = out.fh !== null
        await out.fh?.close().catch(() => undefined)
        if (out.tmp !== null) await rm(out.tmp, { force: true }).catch(() => undefined)
        else if (open && out.written) await rm(out.dest, { force: true }).catch(() => undefined)
      }
    }
  }
  return results
}

/** Device id of a path (the nearest existing ancestor for a path that does not exist yet). */
export function deviceOf(path: string): number {
  let p = nodePath.resolve(path)
  for (;;) {
    try {
      return statSync(p).dev
    } catch {
      const up = nodePath.dirname(p)
      if (up === p) throw new UsmtStepsError('USM0218', `cannot stat ${path} or any parent`)
      p = up
    }
  }
}

/** Create a folder synchronously (store roots). */
export function ensureDirSync(path: string): void {
  mkdirSync(path, { recursive: true })
}

/**
 * Remove a store folder (usmtutils /rd). Only folders that hold a store (USMT/ or a partial capture) are
 * removed; symbolic links inside are removed, never followed; hard links only lose one name.
 */
export async function removeStore(root: string): Promise<{ removed: boolean }> {
  const state = await storeState(root)
  if (!state.exists) {
    const exists = await stat(root).then(() => true, () => false)
    if (!exists) return { removed: false }
    throw new UsmtStepsError('USM0211', `${root} does not hold a migration store; refusing to remove it`)
  }
  try {
    await rm(root, { recursive: true, force: false, maxRetries: 2 })
  } catch (err) {
    throw new UsmtStepsError('USM0220', `cannot remove ${root}: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err })
  }
  return { removed: true }
}
