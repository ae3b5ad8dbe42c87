import { Flags } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { settingFlags } from '../../cli/flags.js'
import { STORE_SETTINGS } from '../../share-store/index.js'
import { recoverStoreKey, type RecoveredKey } from '../../share-store/recover.js'

export default class StoreRecoverKey extends StepCommand<RecoveredKey> {
  static override description = 'Admin recovery: open a store\'s own data key with the escrow key (from a key file only) and write it to a new 0600 key file for loadstate/usmtutils /keyfile'
  static override examples = [
    '<%= config.bin %> store recover-key --store \\\\server\\migstore\\PC1-20261120T235501Z-9f3a1c0b --escrow-key-file escrow.txt --out store.key --policy policy.yaml',
    '<%= config.bin %> store recover-key --store D:\\copies\\PC1-20261120T235501Z-9f3a1c0b --escrow-key-file escrow.txt --out store.key',
  ]
  static override recordsResult = false
  static override settings = [...STORE_SETTINGS] as const
  static override flags = {
    ...settingFlags(StoreRecoverKey.settings),
    store: Flags.string({ description: 'The store: its UNC path on a policy share, or a local folder holding its store-key.json', required: true }),
    'escrow-key-file': Flags.string({ description: 'File holding the escrow key (USMTStepsEncryptionKey of the capture); never given on the command line', required: true }),
    out: Flags.string({ description: 'New file for the store\'s data key (created 0600; an existing file is not overwritten)', required: true }),
  }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<RecoveredKey>> {
    const out = flags.out as string
    if (!out) throw new UsmtStepsError('USM0418', '--out is required')
    const r = await recoverStoreKey(ctx, { store: flags.store as string, escrowKeyFile: flags['escrow-key-file'] as string, out })
    return { result: r, summary: `the data key of ${r.storeId} is in ${r.out} (pass it to loadstate or usmtutils with /decrypt /keyfile:${r.out}; delete it afterwards)` }
  }
}
