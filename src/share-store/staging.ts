import { existsSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { STORE_LOGS_DIR, STORE_META_FILE } from '../store/layout.js'
import { STORE_KEY_FILE } from '../store/store-key.js'

/**
 * The local staging folder of a share store reached through smbclient (USMTStepsStoreLocalPath): scanstate
 * writes the store there before `store release` uploads it, and `store request --type restore` downloads the
 * store there for loadstate. Everything in it is uploaded or restored, so it must hold exactly one store: what
 * an earlier attempt left (USMT, Logs, usmt-steps-store.json, store-key.json) is removed first, and a folder holding anything
 * else is refused rather than mixed into a store.
 */
const STORE_ENTRIES = new Set(['usmt', STORE_LOGS_DIR.toLowerCase(), STORE_META_FILE.toLowerCase(), STORE_KEY_FILE.toLowerCase()])

export async function prepareStaging(dir: string): Promise<{ removed: string[] }> {
  if (!existsSync(dir)) {
    await fsp.mkdir(dir, { recursive: true })
    return { removed: [] }
  }
  const stat = await fsp.stat(dir)
  if (!stat.isDirectory()) throw new UsmtStepsError('USM0416', `the local store folder ${dir} is a file`, { data: { localPath: dir } })
  const entries = await fsp.readdir(dir)
  const foreign = entries.filter((e) => !STORE_ENTRIES.has(e.toLowerCase()))
  if (foreign.length > 0) {
    throw new UsmtStepsError('USM0416', `the local store folder ${dir} holds other files (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); everything in it would go into the store`, {
      data: { localPath: dir, foreign: foreign.slice(0, 20) },
      actions: ['Give --local-path (USMTStepsStoreLocalPath) an empty or new folder, or leave it unset for a private folder in the temp folder.'],
    })
  }
  for (const e of entries) await fsp.rm(nodePath.join(dir, e), { recursive: true, force: true })
  return { removed: entries }
}
