/**
 * The two uncompressed store kinds, both a tree below STORE/USMT/File/<drive letter>/… plus
 * STORE/USMT/Catalog.json:
 *  - hard-link store (`/hardlink /nocompress`): every entry is a hard link (link(2)) to the captured file,
 *    so the store needs almost no space and must be on the data's volume (same device id);
 *  - mirror store (`/nocompress`): every entry is a copy, with its SHA-256 in the catalog.
 */
import { createHash } from 'node:crypto'
import { linkSync, mkdirSync } from 'node:fs'
import { chmod, copyFile, link, mkdir, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { decodeFileCatalog, encodeFileCatalog, storePathOf, type Catalog, type CatalogEntry, type StoreMeta } from './catalog.js'
import type { RestoreFileResult, RestoreItem, SourceFile } from './types.js'

export const FILE_DIR = 'File'
export const CATALOG_FILE = 'Catalog.json'

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

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
        await output.write(chunk)
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

export class FileStoreWriter {
  private readonly dirs = new Set<string>()
  private readonly entries: CatalogEntry[] = []
  bytesIn = 0

  constructor(readonly usmtDir: string, readonly kind: 'hardlink' | 'mirror') {
    mkdirSync(nodePath.join(usmtDir, FILE_DIR), { recursive: true })
  }

  private ensureDir(dir: string): void {
    if (this.dirs.has(dir)) return
    mkdirSync(dir, { recursive: true })
    this.dirs.add(dir)
  }

  /**
   * Hard-link stores link synchronously (one link(2) per file, no copy, no read); a link across devices
   * fails with USM0216. Mirror stores copy and hash. Source errors (ENOENT, EACCES…) are thrown as they are.
   */
  async addFile(src: SourceFile): Promise<void> {
    const rel = storePathOf(src.path)
    const dest = nodePath.join(this.usmtDir, FILE_DIR, ...rel.split('/'))
    this.ensureDir(nodePath.dirname(dest))
    const entry: CatalogEntry = {
      path: src.path, user: src.user, component: src.component, size: src.bytes, mtimeMs: src.mtimeMs, atimeMs: src.atimeMs,
      birthtimeMs: src.birthtimeMs, attributes: src.attributes, storePath: rel,
    }
    if (this.kind === 'hardlink') {
      try {
        linkSync(src.localPath, dest)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EXDEV') {
          throw new UsmtStepsError('USM0216', `cannot hard-link ${src.localPath} into the store ${this.usmtDir}: they are on different devices`, { cause: err })
        }
        throw err
      }
    } else {
      const { sha256, size } = await copyHashing(src.localPath, dest, 'wx')
      entry.sha256 = sha256
      entry.size = size
      await utimes(dest, src.atimeMs / 1000, src.mtimeMs / 1000)
    }
    this.bytesIn += entry.size
    this.entries.push(entry)
  }

  /** Write and sync the catalog (the caller then marks the store complete by renaming its folder). */
  async finish(meta: StoreMeta): Promise<{ files: number; bytesIn: number }> {
    const catalog: Catalog = { format: 'usmt-steps-catalog', version: 1, meta, files: this.entries }
    const file = nodePath.join(this.usmtDir, CATALOG_FILE)
    await writeFile(file, encodeFileCatalog(catalog), { flag: 'wx' })
    await syncFile(file)
    await syncDir(this.usmtDir)
    return { files: this.entries.length, bytesIn: this.bytesIn }
  }
}

export interface FileVerifyResult {
  entry: CatalogEntry
  ok: boolean
  reason?: string
}

export class FileStoreReader {
  private constructor(readonly usmtDir: string, readonly catalog: Catalog) {}

  static async open(usmtDir: string): Promise<FileStoreReader> {
    const file = nodePath.join(usmtDir, CATALOG_FILE)
    let buf: Buffer
    try {
      buf = await readFile(file)
    } catch (err) {
      throw new UsmtStepsError('USM0210', `${usmtDir}: the store has no catalog (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err })
    }
    const catalog = decodeFileCatalog(buf, file)
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
          const h = createHash('sha256')
          const fh = await open(local, 'r')
          try {
            const buf = Buffer.allocUnsafe(1 << 20)
            for (;;) {
              const { bytesRead } = await fh.read(buf, 0, buf.length, null)
              if (bytesRead === 0) break
              h.update(buf.subarray(0, bytesRead))
            }
          } finally {
            await fh.close()
          }
          r = h.digest('hex') === e.sha256 ? { entry: e, ok: true } : { entry: e, ok: false, reason: 'content does not match its SHA-256' }
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
  async restore(items: ReadonlyArray<RestoreItem<CatalogEntry>>, onFile?: (r: RestoreFileResult, e: CatalogEntry) => void): Promise<RestoreFileResult[]> {
    const out: RestoreFileResult[] = []
    const made = new Set<string>()
    for (const { entry, dest } of items) {
      const dir = nodePath.dirname(dest)
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true })
        made.add(dir)
      }
      const src = this.localOf(entry)
      await rm(dest, { force: true })
      let r: RestoreFileResult
      if (this.kind === 'hardlink') {
        try {
          await link(src, dest)
          r = { dest, how: 'linked', notes: [] }
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
          await copyFile(src, dest)
          r = { dest, how: 'written', notes: await applyMetadata(dest, entry) }
        }
      } else {
        const { sha256 } = await copyHashing(src, dest, 'w')
        if (sha256 !== entry.sha256) throw new UsmtStepsError('USM0212', `${src}: content does not match its catalog digest`)
        r = { dest, how: 'written', notes: await applyMetadata(dest, entry) }
      }
      out.push(r)
      onFile?.(r, entry)
    }
    return out
  }
}
