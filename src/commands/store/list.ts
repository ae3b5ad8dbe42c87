import { settingFlags } from '../../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { STORE_SETTINGS, storeServiceFor } from '../../share-store/index.js'
import type { ShareListing } from '../../share-store/service.js'
import { textTable } from '../../runtime/text-table.js'

export default class StoreList extends StepCommand<{ shares: ShareListing[] }> {
  static override description = 'List the stores and computer associations on the policy\'s shares'
  static override examples = ['<%= config.bin %> store list --policy policy.yaml --json']
  static override settings = STORE_SETTINGS
  static override flags = settingFlags(STORE_SETTINGS)

  protected async execute(ctx: StepContext): Promise<StepOutcome<{ shares: ShareListing[] }>> {
    const { service } = await storeServiceFor(ctx)
    try {
      const shares = await service.list()
      const lines: string[] = []
      for (const s of shares) {
        lines.push(`${s.share}: ${s.reachable ? `${s.stores.length} store(s), ${s.slotsUsed ?? 0}/${s.maxClients} clients, ${s.space?.freeBytes ?? '?'} bytes free` : `unreachable (${s.error})`}`)
        lines.push(...textTable(s.stores.map((r) => [r.id, r.state, `${r.source.computerName}${r.destination ? ` → ${r.destination}` : ''}  created ${r.createdAt}${r.retainUntil ? `  kept until ${r.retainUntil}` : ''}`]), { indent: '  ', columns: [{ width: 0, sep: '  ' }, { width: 9 }] }))
        for (const a of s.associations) lines.push(`  association ${a.source} → ${a.destination} (${a.behavior}${a.users.length ? `: ${a.users.join(', ')}` : ''})`)
      }
      const total = shares.reduce((n, s) => n + s.stores.length, 0)
      return { result: { shares }, summary: `${total} store(s) on ${shares.length} share(s)`, text: lines.join('\n') }
    } finally {
      await service.close()
    }
  }
}
