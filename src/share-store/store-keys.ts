/**
 * A share store's own data key (issue #19): created when an encrypted store is placed, wrapped by the admins'
 * escrow key and, where DPAPI-NG runs, for the source and destination computers, and written as store-key.json
 * into the store (the data key itself is not kept); read back for a restore's staging folder and for
 * `store recover-key`.
 */
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'
import type { StoreAccessPolicy } from '../plan/types.js'
import { newStoreKey, STORE_KEY_FILE, type DpapiNg } from '../store/store-key.js'
import { accountOf } from './access.js'
import { slotName, SLOTS_DIR, type StoreRecord } from './records.js'
import type { StoreScope } from './scope.js'
import type { ShareTransport } from './transport.js'

/** What a store request needs to give an encrypted store its own key. */
export interface StoreKeyOptions {
  /** The admins' escrow key (USMTStepsEncryptionKey / the key file: #13's key). */
  escrowKey: string
  /** DPAPI-NG for the source and destination computers (Windows). */
  dpapi?: DpapiNg
}

/** Write the new store's key document; without it there is no store (it and its slot are removed, USM04xx). */
export async function createStoreKey(s: StoreScope, t: ShareTransport, rec: StoreRecord, k: StoreKeyOptions): Promise<void> {
  const computers = [...new Set([rec.source.computerName, rec.destination ?? rec.source.computerName])]
  const template: StoreAccessPolicy = s.opts.policy.access ?? { admins: '', computerAccount: '{domain}\\{computer}$', accounts: {} }
  const accounts = computers.map((c) => accountOf(template, c, s.opts.credentials?.domain ?? s.opts.env?.USERDOMAIN))
  const { doc } = await newStoreKey({ storeId: rec.id, escrowKey: k.escrowKey, now: s.now(), dpapi: k.dpapi ? { bridge: k.dpapi, computers, accounts } : undefined })
  try {
    await t.writeText(`${rec.id}/${STORE_KEY_FILE}`, `${JSON.stringify(doc, null, 2)}\n`)
  } catch (err) {
    // No store without its key: remove it (and its slot) so the request can go on elsewhere or be retried.
    await t.removeTree(rec.id).catch(() => undefined)
    if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
    return s.fail(err, t.root, `write the key of ${rec.path}`, rec.path)
  }
  s.log(`store ${rec.path}: its own data key, wrapped for the escrow key (id ${doc.escrow.escrowId})${doc.dpapiNg ? ` and through DPAPI-NG for ${doc.dpapiNg.computers.join(', ')}` : ''}`)
}

/** The store's key document as text (store-key.json), or null for a store without its own key. */
export async function storeKeyText(s: StoreScope, storePath: string): Promise<string | null> {
  const { share, id } = s.shareOfStore(storePath)
  try {
    return await (await s.open(share)).readText(`${id}/${STORE_KEY_FILE}`)
  } catch (err) {
    return s.fail(err, share.path, `read the key of ${storePath}`, storePath)
  }
}

/** Copy the store's key document (if it has one) into a local staging folder. */
export async function copyStoreKey(s: StoreScope, storePath: string, localPath: string): Promise<boolean> {
  const text = await storeKeyText(s, storePath)
  if (text === null) return false
  await fsp.mkdir(localPath, { recursive: true })
  await fsp.writeFile(nodePath.join(localPath, STORE_KEY_FILE), text, { mode: 0o600 })
  return true
}
