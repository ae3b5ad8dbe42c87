import type { CatalogAttributes } from './catalog.js'

/** A file to capture: where it is on the source (Windows path) and where its bytes are here. */
export interface SourceFile {
  path: string
  localPath: string
  user: string | null
  component: string
  bytes: number
  mtimeMs: number
  atimeMs: number
  birthtimeMs: number
  attributes: CatalogAttributes
}

/** A restore or extract instruction: one catalogued file and the local path it is written to. */
export interface RestoreItem<E> {
  entry: E
  dest: string
}

export interface RestoreFileResult {
  dest: string
  /** 'linked' when a hard link was made (hard-link stores on the same device), else 'written'. */
  how: 'linked' | 'written'
  /** What could not be restored as on the source (on Linux: birth time, hidden/system attributes). */
  notes: string[]
}
