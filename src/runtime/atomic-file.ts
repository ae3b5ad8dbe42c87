import { writeAllSync } from './write-all.js'
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs'
import * as path from 'node:path'

/**
 * Write a file atomically: a temp file beside it, fsync, rename over the target. A crash leaves either
 * the old file or the new one, never a torn one.
 */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`)
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeAllSync(fd, data)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    try { unlinkSync(tmp) } catch { /* best effort */ }
    throw err
  }
  closeSync(fd)
  try {
    renameSync(tmp, file)
  } catch (err) {
    try { unlinkSync(tmp) } catch { /* best effort */ }
    throw err
  }
}
