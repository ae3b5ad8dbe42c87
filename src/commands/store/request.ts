import { settingFlags } from '../../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import type { StoreRecord } from '../../share-store/records.js'
import { defaultLocalPath, escrowKeyFor, STORE_SETTINGS, storeServiceFor } from '../../share-store/index.js'
import { dpapiNgBridge } from '../../windows/dpapi-ng.js'
import { prepareStaging } from '../../share-store/staging.js'
import { stepVariables } from '../../runtime/variables.js'

interface RequestResult {
  type: 'capture' | 'restore'
  store: StoreRecord
  storePath: string
  localPath: string | null
  association: string | null
}

/** What store request hands the later steps (capture or restore, release). */
function requestVariables(type: 'capture' | 'restore', store: StoreRecord, localPath: string | null, users?: string[]): Record<string, string> {
  return stepVariables('store-request', {
    OSDStateStorePath: store.path, USMTLocal: 'True', USMTStepsStoreType: 'share', USMTStepsStoreId: store.id, USMTStepsStoreRequestType: type,
    USMTStepsStoreLocalPath: localPath ?? '', USMTStepsStoreUsers: users?.join(','), USMTStepsEncrypt: String(store.encrypted),
  })
}

export default class StoreRequest extends StepCommand<RequestResult> {
  static override description = 'Request a state store on a share (capture: create one; restore: find this computer\'s), like Request State Store'
  static override examples = [
    '<%= config.bin %> store request --type capture --policy policy.yaml',
    '<%= config.bin %> store request --type restore --transport smbclient --local-path /tmp/restore',
  ]
  static override settings = [...STORE_SETTINGS, 'storeRequestType', 'storeLocalPath', 'storeEstimateBytes', 'encryptionKey', 'encryptionKeyFile'] as const
  static override flags = settingFlags(StoreRequest.settings)

  protected async execute(ctx: StepContext): Promise<StepOutcome<RequestResult>> {
    const type = (await ctx.setting('storeRequestType')) ?? 'capture'
    const { service, policy, transport } = await storeServiceFor(ctx, { estimateBytes: await ctx.setting('storeEstimateBytes') })
    const local = await ctx.setting('storeLocalPath')
    try {
      if (type === 'capture') {
        // An explicit staging folder is checked (and cleared of an earlier attempt) before a store is created.
        if (transport === 'smbclient' && local) await prepareStaging(local)
        const escrowKey = policy.encryptNetworkStores ? await escrowKeyFor(ctx) : undefined
        if (policy.encryptNetworkStores && escrowKey === undefined) ctx.warn('the store is encrypted but no escrow key (USMTStepsEncryptionKey) is set here: it gets no key of its own, and capture needs the key')
        const store = await service.requestCapture({ encrypted: policy.encryptNetworkStores, key: escrowKey === undefined ? undefined : { escrowKey, dpapi: dpapiNgBridge() ?? undefined } })
        const localPath = transport === 'smbclient' ? local ?? defaultLocalPath(store.id) : null
        // The capture writes the staging folder: it finds the store's key document there.
        if (localPath && escrowKey !== undefined) await service.copyStoreKey(store.path, localPath)
        return {
          result: { type, store, storePath: store.path, localPath, association: store.association },
          summary: `store ${store.path} ${store.reused ? 'already requested for this computer (same store returned)' : 'requested for capture'}${store.destination ? ` (destination ${store.destination})` : ''}`,
          variables: requestVariables(type, store, localPath),
        }
      }
      const { record, association, localPath } = await service.requestRestore({
        // smbclient: a private folder per store unless one is given, so no two stores ever share a download folder
        localPath: local ?? (transport === 'smbclient' ? (id: string) => defaultLocalPath(`restore-${id}`) : undefined),
      })
      const users = association && association.behavior !== 'CaptureAndRestoreAll' ? association.users : []
      return {
        result: { type, store: record, storePath: record.path, localPath, association: association?.id ?? null },
        summary: `store ${record.path} of ${record.source.computerName} found for restore${localPath ? ` and downloaded to ${localPath}` : ''}`,
        variables: requestVariables(type, record, localPath, users),
      }
    } finally {
      await service.close()
    }
  }
}
