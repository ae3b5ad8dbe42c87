import { settingFlags } from '../../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import type { StoreRecord } from '../../share-store/records.js'
import { STORE_SETTINGS, storeServiceFor } from '../../share-store/index.js'

export default class StoreRelease extends StepCommand<{ type: 'capture' | 'restore'; store: StoreRecord }> {
  static override description = 'Release a state store: after capture upload/verify it and mark it captured; after restore mark it restored and start retention'
  static override examples = [
    '<%= config.bin %> store release --type capture --local-path /tmp/store',
    '<%= config.bin %> store release --type restore',
  ]
  static override settings = [...STORE_SETTINGS, 'storeReleaseType', 'storePath', 'storeLocalPath'] as const
  static override flags = settingFlags(StoreRelease.settings)

  protected async execute(ctx: StepContext): Promise<StepOutcome<{ type: 'capture' | 'restore'; store: StoreRecord }>> {
    const type = await ctx.setting('storeReleaseType')
    if (!type) throw new UsmtStepsError('USM0416', 'release needs --type capture|restore (or USMTStepsStoreRequestType from store request)')
    const storePath = await ctx.setting('storePath')
    if (!storePath) throw new UsmtStepsError('USM0418', 'no store to release: OSDStateStorePath is empty and --store was not given')
    const { service, transport } = await storeServiceFor(ctx)
    try {
      if (type === 'capture') {
        const local = await ctx.setting('storeLocalPath')
        if (transport === 'smbclient' && !local) throw new UsmtStepsError('USM0417', 'the smbclient transport uploads a staged store: pass --local-path or set USMTStepsStoreLocalPath')
        const store = await service.releaseCapture(storePath, { localPath: local })
        return { result: { type, store }, summary: `store ${store.path} captured (${store.manifest?.files ?? 0} files, ${store.manifest?.bytes ?? 0} bytes)` }
      }
      const store = await service.releaseRestore(storePath, { localPath: (await ctx.setting('storeLocalPath')) || undefined })
      return { result: { type, store }, summary: `store ${store.path} restored; kept until ${store.retainUntil}` }
    } finally {
      await service.close()
    }
  }
}
