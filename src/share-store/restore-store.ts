/**
 * The share store's part in a restore: `store request --type restore` (find the store this computer restores —
 * its association's source, or its own in a refresh — download it when a staging folder is given, note the
 * read) and `store release` after restore (mark it restored, free the client slot, start retention; under
 * per-store access the restoring computer only reads, so its events go to the journal and it withdraws its own
 * read).
 */
import type { SharePolicy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { join as winJoin } from '../windows/path.js'
import { chooseRestoreStore, deniedStoresOf, iso, restoredRecord } from './decide.js'
import { withJournal, writeEvent } from './journal.js'
import { associationsOn, storesOn, writeRecord } from './on-share.js'
import { slotName, SLOTS_DIR, type Association, type StoreRecord } from './records.js'
import type { StoreScope } from './scope.js'
import { downloadStore, uploadRestoreLogs } from './transfer.js'
import type { ShareTransport } from './transport.js'

export interface RestoreRequest {
  record: StoreRecord
  association: Association | null
  localPath: string | null
}

/** Request (restore): the store this computer should restore (association, or its own in a refresh). */
export async function requestRestore(s: StoreScope, opts: { localPath?: string | ((storeId: string) => string) } = {}): Promise<RestoreRequest> {
  const me = s.me
  const found: Array<{ t: ShareTransport; rec: StoreRecord }> = []
  const assocs: Association[] = []
  const errors: string[] = []
  const denied: Array<{ share: string; id: string }> = []
  for (const share of s.shares) {
    try {
      const t = await s.open(share)
      assocs.push(...await associationsOn(t))
      const ids: string[] = []
      for (const rec of await storesOn(t, { ...s.onShare, denied: ids })) found.push({ t, rec })
      denied.push(...ids.map((id) => ({ share: share.path, id })))
    } catch (err) {
      s.failOnAuth(err, share.path, 'log on')
      errors.push(`${share.path}: ${(err as Error).message}`)
    }
  }
  const choice = chooseRestoreStore(me, found, assocs)
  const { association } = choice
  // Per-store access: a store of the source this computer may not read yet (not released after capture, or
  // not associated with it) is a denial naming the store, not "no store".
  const sources = association ? [association.source] : [me]
  const closed = deniedStoresOf(denied, sources)
  if (choice.kind !== 'captured' && closed.length) {
    const names = closed.map((d) => winJoin(d.share, d.id))
    throw new UsmtStepsError('USM0423', `${me} may not read the store${names.length > 1 ? 's' : ''} ${names.join(', ')} of ${sources.join(', ')}: not released to it (release after capture grants read to the associated restoring computer only)`, {
      data: { store: names[0], computer: me },
    })
  }
  if (choice.kind === 'pending') {
    const pending = choice.store.rec
    throw new UsmtStepsError('USM0414', `the store ${pending.path} of ${pending.source.computerName} was requested on ${pending.createdAt} but never marked captured; it is refused`, { data: { store: pending.path } })
  }
  if (choice.kind === 'none') {
    const where = errors.length ? ` (unreachable: ${errors.join('; ')})` : ''
    throw new UsmtStepsError('USM0413', `no captured store for ${me}${association ? ` (association ${association.id}: source ${association.source})` : ' (no computer association names it; looked for its own store)'}${where}`, {
      exit: errors.length && found.length === 0 ? 'storeUnavailable' : undefined,
    })
  }
  const { t, rec } = choice.store
  const localPath = typeof opts.localPath === 'function' ? opts.localPath(rec.id) : opts.localPath ?? null
  try {
    if (localPath) await downloadStore(t, rec, localPath, s.log)
    const read = s.event('restore-requested', localPath ? `read by ${me}: downloaded to its staging folder` : `read by ${me}`)
    const updated: StoreRecord = { ...rec, history: [...rec.history, read] }
    // Per-store access: the restoring computer only reads the store, so its events go to the journal.
    if (s.access) await writeEvent(t, rec.id, read)
    else await writeRecord(t, updated)
    return { record: updated, association, localPath }
  } catch (err) {
    return s.fail(err, rec.share, `restore request for ${rec.path}`, rec.path)
  }
}

/**
 * Release (restore): mark restored, free the client slot, start retention. With the local copy the restore
 * read (smbclient), the logs the restore step added to its `Logs` folder (loadstate, progress, verify) are
 * uploaded into the store as well, so the store on the share holds both sides' logs. Best effort: a log
 * that cannot be uploaded is logged, not fatal (the restore itself is done).
 */
export async function releaseRestore(s: StoreScope, storePath: string, opts: { localPath?: string } = {}): Promise<StoreRecord> {
  const { share } = s.shareOfStore(storePath)
  try {
    const { t, rec } = await s.storeAt(storePath)
    if (rec.state === 'restored') return rec
    if (rec.state !== 'captured') throw new UsmtStepsError('USM0414', `${rec.path} is ${rec.state}, not captured: it cannot have been restored`)
    if (s.access) return await releaseRestoreAccess(s, t, share, rec)
    const logs = opts.localPath ? await uploadRestoreLogs(t, rec, opts.localPath, s.log) : []
    const done = restoredRecord(rec, s.opts.policy.retention, s.me, s.now(), logs)
    await writeRecord(t, done)
    if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch(() => undefined)
    return done
  } catch (err) {
    return s.fail(err, share.path, `release ${storePath} after restore`, storePath)
  }
}

/**
 * Release (restore) with per-store access: the restoring computer may only read the store, so the release
 * and the change of access go to the journal, then it withdraws its own read (nobody but the admins' group
 * keeps access until retention deletes the store). The restore logs stay in the local staging folder.
 */
async function releaseRestoreAccess(s: StoreScope, t: ShareTransport, share: SharePolicy, rec: StoreRecord): Promise<StoreRecord> {
  const control = s.access as NonNullable<StoreScope['access']>
  const restored = s.event('restored', `released by ${s.me}; the restore logs stay on the computer (it may only read the store)`)
  const change = control.describe(rec, 'restored', restored.at)
  // after the release in the journal's order, also within the same millisecond
  const withdrawn = { ...s.event('access', change.detail), at: iso(new Date(Math.max(s.now().getTime(), Date.parse(restored.at) + 1))) }
  await writeEvent(t, rec.id, restored)
  await writeEvent(t, rec.id, withdrawn)
  await control.apply(t, share, rec, 'restored')
  if (rec.slot !== null) await t.removeDir(`${SLOTS_DIR}/${slotName(rec.slot)}`).catch((err) => s.log(`client slot ${rec.slot} not freed (prune frees it): ${(err as Error).message}`))
  return { ...withJournal(rec, [restored, withdrawn], s.opts.policy.retention.restoredDays), access: change.access }
}
