import { Flags } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import type { StoreRecord } from '../../share-store/records.js'
import { storeFlags } from '../../share-store/flags.js'
import { defaultLocalPath, escrowKeyFor, storeServiceFor } from '../../share-store/index.js'
import { dpapiNgBridge } from '../../windows/dpapi-ng.js'
import { prepareStaging } from '../../share-store/staging.js'

interface RequestResult {
  type: 'capture' | 'restore'
  store: StoreRecord
  storePath: string
  localPath: string | null
  association: string | null
}

export default class StoreRequest extends StepCommand<RequestResult> {
  static override description = 'Request a state store on a share (capture: create one; restore: find this computer\'s), like Request State Store'
  static override examples = [
    '<%= config.bin %> store request --type capture --policy policy.yaml',
    '<%= config.bin %> store request --type restore --transport smbclient --local-path /tmp/restore',
  ]
  static override flags = {
    ...storeFlags,
    type: Flags.string({ description: 'capture or restore (default: OSDStateRequestType, else capture)', options: ['capture', 'restore'] }),
    'local-path': Flags.string({ description: 'Local staging folder (smbclient transport): capture writes here, restore downloads here' }),
    'estimate-bytes': Flags.string({ description: 'Expected store size in bytes, added to the share\'s free-space minimum' }),
  }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<RequestResult>> {
    const type = ((await ctx.setting('storeRequestType')) as 'capture' | 'restore' | undefined) ?? 'capture'
    const { service, policy, transport } = await storeServiceFor(ctx, flags)
    const local = (await ctx.setting('storeLocalPath')) as string | undefined
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
          variables: {
            OSDStateStorePath: store.path, USMTLocal: 'True', USMTStepsStoreType: 'share', USMTStepsStoreId: store.id, USMTStepsStoreRequestType: 'capture',
            USMTStepsStoreLocalPath: localPath ?? '', USMTStepsEncrypt: String(store.encrypted),
          },
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
        variables: {
          OSDStateStorePath: record.path, USMTLocal: 'True', USMTStepsStoreType: 'share', USMTStepsStoreId: record.id, USMTStepsStoreRequestType: 'restore',
          USMTStepsStoreLocalPath: localPath ?? '', USMTStepsStoreUsers: users.join(','), USMTStepsEncrypt: String(record.encrypted),
        },
      }
    } finally {
      await service.close()
    }
  }
}
