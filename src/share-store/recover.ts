import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { StepContext } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { readStoreKey } from '../store/crypto.js'
import { parseStoreKeyDoc, STORE_KEY_FILE, unwrapEscrow } from '../store/store-key.js'
import { isUnc, normalize, parseWinPath } from '../windows/path.js'
import { storeServiceFor } from './index.js'
import { isStoreId } from './records.js'

export interface RecoveredKey {
  storeId: string
  out: string
  escrowId: string
  dpapiNg: string[]
}

/**
 * `store recover-key`: an admin opens a store's own data key with the escrow key, which is read from a key file
 * only (never argv, never a variable), and gets it in a new 0600 file for `/decrypt /keyfile:`. The store is a
 * UNC path on the policy's shares (read with the admin's share credentials) or a local folder (a copy).
 */
export async function recoverStoreKey(ctx: StepContext, o: { store: string; escrowKeyFile: string; out: string }): Promise<RecoveredKey> {
  const escrowKey = await readStoreKey({ keyFile: o.escrowKeyFile }) as string
  let text: string | null
  let storeId: string
  if (isUnc(o.store)) {
    const unc = normalize(o.store)
    storeId = parseWinPath(unc).segments.at(-1) ?? ''
    const { service } = await storeServiceFor(ctx)
    try {
      text = await service.storeKeyText(unc)
    } finally {
      await service.close()
    }
  } else {
    const file = nodePath.join(o.store, STORE_KEY_FILE)
    // A folder named by its store id must hold that store's key; a copy under another name opens the key it holds.
    storeId = nodePath.basename(nodePath.resolve(o.store))
    text = existsSync(file) ? readFileSync(file, 'utf8') : null
  }
  if (text === null) throw new UsmtStepsError('USM0425', `${o.store} has no ${STORE_KEY_FILE}: it has no key of its own (it was encrypted with the escrow key itself, or not at all)`, { data: { store: o.store } })
  const doc = parseStoreKeyDoc(text, `${o.store}\\${STORE_KEY_FILE}`)
  if (!isStoreId(storeId)) storeId = doc.storeId
  const dataKey = await unwrapEscrow(doc, escrowKey, storeId)
  try {
    writeFileSync(o.out, dataKey, { encoding: 'utf8', mode: 0o600, flag: 'wx' })
  } catch (err) {
    throw new UsmtStepsError('USM0425', `cannot create ${o.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (an existing file is never overwritten)`, { data: { file: o.out } })
  }
  ctx.logger.info(`store ${storeId}: data key opened with the escrow key (id ${doc.escrow.escrowId}) and written to ${o.out}`)
  return { storeId, out: o.out, escrowId: doc.escrow.escrowId, dpapiNg: doc.dpapiNg?.computers ?? [] }
}
