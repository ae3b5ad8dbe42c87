import { Flags } from '../../cli/spec.js'
import { settingFlags } from '../../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { STORE_SETTINGS, storeServiceFor } from '../../share-store/index.js'
import type { VerifyResult } from '../../share-store/service.js'

export default class StoreVerify extends StepCommand<VerifyResult> {
  static override description = 'Check a store against its manifest (presence and sizes; --deep also re-hashes every file over the network)'
  static override examples = ['<%= config.bin %> store verify --store \\\\server\\migstore\\PC1-20261120T235501Z-9f3a1c0b --deep']
  static override settings = [...STORE_SETTINGS, 'storePath'] as const
  static override flags = {
    ...settingFlags(StoreVerify.settings),
    deep: Flags.boolean({ description: 'Download and sha256 every file' }),
  }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<VerifyResult>> {
    const storePath = await ctx.setting('storePath')
    if (!storePath) throw new UsmtStepsError('USM0418', 'no store to verify: OSDStateStorePath is empty and --store was not given')
    const { service } = await storeServiceFor(ctx)
    try {
      const r = await service.verify(storePath, Boolean(flags.deep))
      if (!r.ok) throw new UsmtStepsError('USM0415', `${r.store}: ${r.problems.slice(0, 10).join('; ')}`, { data: { problems: r.problems } })
      return { result: r, summary: `store ${r.store} verified${r.deep ? ' (sha256)' : ' (sizes)'}: ${r.files} files, ${r.bytes} bytes` }
    } finally {
      await service.close()
    }
  }
}
