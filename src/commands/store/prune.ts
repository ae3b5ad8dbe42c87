import { Flags } from '../../cli/spec.js'
import { settingFlags } from '../../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { STORE_SETTINGS, storeServiceFor } from '../../share-store/index.js'
import type { PruneResult } from '../../share-store/service.js'

export default class StorePrune extends StepCommand<PruneResult> {
  static override description = 'Delete stores past retention (restored + retention.restoredDays) and abandoned requests (retention.abandonedDays)'
  static override examples = ['<%= config.bin %> store prune --policy policy.yaml --dry-run']
  static override settings = STORE_SETTINGS
  static override flags = { ...settingFlags(STORE_SETTINGS), 'dry-run': Flags.boolean({ description: 'Only report what would be deleted' }) }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<PruneResult>> {
    const { service } = await storeServiceFor(ctx)
    try {
      const r = await service.prune(Boolean(flags['dry-run']))
      const text = r.deleted.map((d) => `${r.dryRun ? 'would delete' : 'deleted'} ${d.store}: ${d.reason}`).join('\n')
      return { result: r, summary: `${r.deleted.length} store(s) ${r.dryRun ? 'to delete' : 'deleted'}, ${r.kept} kept, ${r.slotsFreed} stale slot(s) freed`, text }
    } finally {
      await service.close()
    }
  }
}
