/**
 * The encryption key reaches USMT only through /keyfile: a file in a folder that only this process's user
 * can open (0700/0600; on Windows the folder is created under the process's own TEMP, which only SYSTEM
 * and the user can read in a task sequence). The file is removed when the work ends, also on failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'

export interface KeyFile {
  path: string
  dispose(): void
}

/** Write `key` to a private key file under `baseDir` (default: the temp folder). */
export function createKeyFile(key: string, baseDir: string = os.tmpdir()): KeyFile {
  redactor.add(key)
  let dir: string
  try {
    dir = mkdtempSync(nodePath.join(baseDir, 'usmt-steps-key-'))
    // mkdtemp creates the folder 0700; the file is 0600 and written without following links (wx).
    const file = nodePath.join(dir, 'key.txt')
    writeFileSync(file, key, { encoding: 'utf8', mode: 0o600, flag: 'wx' })
    let disposed = false
    const dispose = (): void => {
      if (disposed) return
      disposed = true
      process.removeListener('exit', dispose)
      try {
        writeFileSync(file, Buffer.alloc(Buffer.byteLength(key, 'utf8')))
      } catch {
        /* removed already */
      }
      rmSync(dir, { recursive: true, force: true })
    }
    // A cancelled task sequence ends the process: the key file goes with it.
    process.once('exit', dispose)
    return { path: file, dispose }
  } catch (err) {
    throw new UsmtStepsError('USM0310', `cannot create a protected key file under ${baseDir}: ${(err as Error).message}`, { cause: err })
  }
}

/** Run `fn` with a key file that is deleted afterwards whatever happens. */
export async function withKeyFile<T>(key: string | undefined, fn: (file: string | undefined) => Promise<T>, baseDir?: string): Promise<T> {
  if (key === undefined) return fn(undefined)
  const kf = createKeyFile(key, baseDir)
  try {
    return await fn(kf.path)
  } finally {
    kf.dispose()
  }
}
