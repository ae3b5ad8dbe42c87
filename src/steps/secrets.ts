/**
 * The encryption key reaches USMT only through /keyfile: a file in a folder that only this process's user
 * can open (0700/0600; on Windows the folder is created under the process's own TEMP, which only SYSTEM
 * and the user can read in a task sequence). The file is removed when the work ends, also on failure.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { openStoreKey, parseStoreKeyDoc, STORE_KEY_FILE } from '../store/store-key.js'
import { dpapiNgBridge } from '../windows/dpapi-ng.js'
import { localPathOf, type VolumeMap } from '../windows/volume-map.js'

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
/**
 * Where a key file for the portable tools goes: the first of `candidates` (default the temp folder, then the log
 * folder) that the tools resolve to itself. The tools read Windows paths through the volume map, so a key file in a
 * temp folder on a drive the map redirects (`--volume C=R:\` under Wine) would be looked for on the mapped volume
 * instead (return code 33). Undefined: the temp folder.
 */
export function keyFileDir(volumes: VolumeMap, cwd: string, candidates: readonly string[]): string | undefined {
  for (const dir of candidates) {
    const r = localPathOf(volumes, dir, cwd)
    if (!('problem' in r) && nodePath.resolve(r.path) === nodePath.resolve(dir)) return dir
  }
  return undefined
}

export async function withKeyFile<T>(key: string | undefined, fn: (file: string | undefined) => Promise<T>, baseDir?: string): Promise<T> {
  if (key === undefined) return fn(undefined)
  const kf = createKeyFile(key, baseDir)
  try {
    return await fn(kf.path)
  } finally {
    kf.dispose()
  }
}

/**
 * A share store with a key of its own (issue #19): `store-key.json` at the store's root holds its data key,
 * wrapped for the escrow key and (Windows) for the source and destination computers through DPAPI-NG. When
 * the store has one, that data key — never the escrow key — encrypts and decrypts the store. Returns the
 * escrow key unchanged for a store without one.
 */
export async function storeDataKey(o: { storeRoot: string; storeId?: string; escrowKey?: string; log: (line: string) => void }): Promise<{ key: string | undefined; perStore: boolean }> {
  const file = nodePath.join(o.storeRoot, STORE_KEY_FILE)
  if (!existsSync(file)) return { key: o.escrowKey, perStore: false }
  const doc = parseStoreKeyDoc(readFileSync(file, 'utf8'), file)
  const storeId = o.storeId || doc.storeId
  if (o.storeId && o.storeId !== doc.storeId) {
    throw new UsmtStepsError('USM0425', `${file} is the key of ${doc.storeId}, not of the store ${o.storeId} (USMTStepsStoreId): a store's key opens only that store`, { data: { file } })
  }
  const { dataKey, how } = await openStoreKey(doc, { storeId, escrowKey: o.escrowKey, dpapi: dpapiNgBridge() ?? undefined })
  o.log(`the store ${storeId} has its own data key (${STORE_KEY_FILE}); opened with ${how}`)
  return { key: dataKey, perStore: true }
}
