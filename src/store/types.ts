import { UsmtStepsError } from '../runtime/errors.js'
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

/**
 * Decides what happens when one file cannot be written on restore (an errno error from the destination:
 * EACCES, ENOSPC, EISDIR…): 'ignore' skips that file (a partly written file is removed) and the restore
 * goes on; 'abort' rethrows the error. Store integrity errors (UsmtStepsError) never reach the handler.
 */
export type RestoreErrorHandler<E> = (err: NodeJS.ErrnoException, entry: E, dest: string) => 'ignore' | 'abort'

/** An errno error (from the file system), as opposed to a store integrity or programming error. */
export function isFileError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && !(err instanceof UsmtStepsError) && typeof (err as NodeJS.ErrnoException).code === 'string'
}
