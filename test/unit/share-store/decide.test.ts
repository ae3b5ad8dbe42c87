import { expect } from 'chai'
import type { SharePolicy } from '../../../src/plan/types.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import {
  authenticatedOnRead, capturedRecord, chooseRestoreStore, compareWithManifest, deniedStoresOf, DAY_MS, foldersOf, freeSlots, newStoreRecord, pruneReason, restoredRecord, spaceProblem,
  staleSlots, storeOnShares,
} from '../../../src/share-store/decide.js'
import type { Association, StoreRecord } from '../../../src/share-store/records.js'
import { MIG_MAGIC } from '../../../src/store/container-format.js'

const SHARE: SharePolicy = { path: '\\\\srv\\mig', maxClients: 3, minFreeBytes: 100 }
const NOW = new Date('2026-12-06T03:00:00Z')
const ID = 'PC1-20261206T030000Z-0123abcd'
const me = { computerName: 'PC1', smbiosGuid: null, macAddresses: [] }
const record = (over: Partial<StoreRecord> = {}): StoreRecord => ({
  ...newStoreRecord({ id: ID, share: SHARE.path, path: `${SHARE.path}\\${ID}`, slot: 1, source: me, association: undefined, encrypted: false, now: NOW }), ...over,
})
const assoc = (source: string, destination: string, createdAt: string): Association => ({ schema: 1, id: `${source}__${destination}`, source, destination, behavior: 'CaptureAndRestoreAll', users: [], createdAt })

describe('share-store/decide: the pure decisions of the share stores', () => {
  it('leaves to the restore only the portable container: USMT/USMT.MIG that begins with its magic', () => {
    const own = Buffer.concat([MIG_MAGIC, Buffer.from([3, 0, 0, 0])])
    expect(authenticatedOnRead('USMT/USMT.MIG', own)).to.equal(true)
    expect(authenticatedOnRead('usmt/usmt.mig', own), 'Windows names: case-insensitive').to.equal(true)
    // Microsoft's USMT.MIG (or one whose first bytes were damaged) is hashed against the manifest after download.
    expect(authenticatedOnRead('USMT/USMT.MIG', Buffer.from('MSMIG\0\0\0\0\0\0\0'))).to.equal(false)
    expect(authenticatedOnRead('USMT/USMT.MIG', Buffer.from('USMTSMI'))).to.equal(false)
    expect(authenticatedOnRead('USMT/USMT.MIG', Buffer.alloc(0))).to.equal(false)
    // The same bytes anywhere else are not the store the restore decodes.
    for (const p of ['USMT/File/C$/x/USMT.MIG', 'Logs/USMT.MIG', 'USMT/USMT.MIG.bak', 'USMT.MIG']) expect(authenticatedOnRead(p, own), p).to.equal(false)
  })

  it('finds the share and id of a store path, case-insensitively; anything else is USM0418', () => {
    expect(storeOnShares(`\\\\SRV\\MIG\\${ID}`, [SHARE])).to.deep.equal({ share: SHARE, id: ID })
    for (const p of [`\\\\srv\\other\\${ID}`, '\\\\srv\\mig\\not-a-store', `\\\\srv\\mig\\${ID}\\USMT`]) {
      expect(() => storeOnShares(p, [SHARE]), p).to.throw(UsmtStepsError).with.property('code', 'USM0418')
    }
  })

  it('a share needs its minimum free space (bytes or percent, the larger) plus the estimate', () => {
    expect(spaceProblem(SHARE, { totalBytes: 1000, freeBytes: 100 }, undefined)).to.equal(null)
    expect(spaceProblem({ ...SHARE, minFreePercent: 50 }, { totalBytes: 1000, freeBytes: 400 }, undefined)).to.equal('only 400 bytes free, 500 needed (minFree 500)')
    expect(spaceProblem(SHARE, { totalBytes: 1000, freeBytes: 150 }, 60)).to.equal('only 150 bytes free, 160 needed (minFree 100 + estimate 60)')
  })

  it('free client slots are the unused ones, shuffled', () => {
    expect(freeSlots(4, new Set([0, 2]), () => 0).sort()).to.deep.equal([1, 3])
    expect(freeSlots(2, new Set([0, 1]))).to.deep.equal([])
    expect(freeSlots(5, new Set(), () => 0)).to.not.deep.equal([0, 1, 2, 3, 4])
  })

  it('restores the newest captured store of the associated source; refuses a newer one never captured', () => {
    const old = { rec: record({ id: 'a', state: 'captured', createdAt: '2026-12-01T00:00:00Z', source: { ...me, computerName: 'OLD' } }) }
    const newer = { rec: record({ id: 'b', state: 'captured', createdAt: '2026-12-02T00:00:00Z', source: { ...me, computerName: 'OLD' } }) }
    const own = { rec: record({ id: 'c', state: 'captured', createdAt: '2026-12-03T00:00:00Z' }) }
    const choice = chooseRestoreStore('NEW', [old, newer, own], [assoc('OTHER', 'NEW', '2026-11-01T00:00:00Z'), assoc('OLD', 'NEW', '2026-11-02T00:00:00Z')])
    expect(choice.kind).to.equal('captured')
    expect(choice.kind === 'captured' && choice.store.rec.id).to.equal('b')
    expect(choice.association?.source).to.equal('OLD')
    expect(chooseRestoreStore('PC1', [own], []).kind).to.equal('captured')
    expect(chooseRestoreStore('PC1', [{ rec: record() }], []).kind).to.equal('pending')
    expect(chooseRestoreStore('PC2', [own], [])).to.deep.equal({ kind: 'none', association: null })
  })

  it('records the capture totals and the restore with its retention; retention deletes what is due', () => {
    const cap = capturedRecord(record(), [{ path: 'USMT/USMT.MIG', size: 10, sha256: 'x' }, { path: 'Logs/a.log', size: 5, sha256: 'y' }], 'PC1', NOW)
    expect(cap).to.include({ state: 'captured', capturedAt: NOW.toISOString() })
    expect(cap.manifest).to.deep.equal({ files: 2, bytes: 15 })
    const done = restoredRecord(cap, { restoredDays: 2, abandonedDays: 7 }, 'PC2', NOW, ['Logs/loadstate.log'])
    expect(done).to.include({ state: 'restored', slot: null, retainUntil: new Date(NOW.getTime() + 2 * DAY_MS).toISOString() })
    expect(done.history.at(-1)).to.deep.include({ event: 'restored', computer: 'PC2', detail: 'restore logs: Logs/loadstate.log' })
    const retention = { restoredDays: 2, abandonedDays: 7 }
    expect(pruneReason(done, retention, NOW.getTime() + DAY_MS)).to.equal(null)
    expect(pruneReason(done, retention, NOW.getTime() + 2 * DAY_MS)).to.match(/^restored .*, retained until /)
    expect(pruneReason(record(), retention, NOW.getTime() + 7 * DAY_MS)).to.match(/never captured \(abandoned after 7 days\)/)
    expect(pruneReason(cap, retention, NOW.getTime() + 365 * DAY_MS)).to.equal(null)
  })

  it('stale slots: folders no live store holds, older than an hour', () => {
    const t = NOW.getTime()
    const slots = [{ name: '00000', isDirectory: true, mtimeMs: t - 7_200_000 }, { name: '00001', isDirectory: true, mtimeMs: t - 7_200_000 },
      { name: '00002', isDirectory: true, mtimeMs: t - 60_000 }, { name: 'x.tmp', isDirectory: false, mtimeMs: 0 }]
    expect(staleSlots(slots, new Set([1]), t).map((s) => s.name)).to.deep.equal(['00000'])
  })

  it('compares an upload with its manifest by path (case-insensitively) and size; lists the folders to create', () => {
    const manifest = [{ path: 'USMT/USMT.MIG', size: 10, sha256: '' }, { path: 'Logs/scan.log', size: 3, sha256: '' }, { path: 'x', size: 1, sha256: '' }]
    expect(compareWithManifest(manifest, [{ path: 'usmt/usmt.mig', size: 10 }, { path: 'Logs/scan.log', size: 4 }]))
      .to.deep.equal(['Logs/scan.log has 4 bytes, expected 3', 'x is missing'])
    expect(foldersOf(['USMT/File/a/b.txt', 'USMT/USMT.MIG', 'top.txt'], 'ID/')).to.deep.equal(['ID/USMT', 'ID/USMT/File', 'ID/USMT/File/a'])
  })

  it('a restore denied stores names those of its source computers only (by the computer part of the store id)', () => {
    const denied = [{ share: SHARE.path, id: ID }, { share: SHARE.path, id: 'PC10-20261206T030000Z-0123abcd' }, { share: SHARE.path, id: 'MY-PC-20261206T030000Z-0123abcd' }]
    expect(deniedStoresOf(denied, ['PC1']).map((d) => d.id)).to.deep.equal([ID])
    expect(deniedStoresOf(denied, ['my.pc']).map((d) => d.id)).to.deep.equal(['MY-PC-20261206T030000Z-0123abcd'])
    expect(deniedStoresOf(denied, ['PC2'])).to.deep.equal([])
  })
})
