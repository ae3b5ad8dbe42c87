import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { engineInputFromFlags, RULES_FLAGS, RULES_SETTINGS } from '../../cli/engine-input.js'
import { estimateMigration, type EstimateResult } from '../../engine/index.js'
import { formatBytes } from '../../engine/preview.js'
import { textTable } from '../../runtime/text-table.js'

export default class RulesEstimate extends StepCommand<EstimateResult> {
  static override description = 'Totals (files, bytes) per user and component that the rules would capture — the size estimate plan uses'
  static override examples = ['<%= config.bin %> rules estimate --rules MigUser.xml --volume C=./samples/machine/C --volume D=./samples/machine/D --json']
  static override settings = RULES_SETTINGS
  static override flags = RULES_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<EstimateResult>> {
    const result = await estimateMigration(await engineInputFromFlags(ctx, flags))
    const lines = ['By user:']
    lines.push(...totalsTable(result.byUser))
    lines.push('By component:')
    lines.push(...totalsTable(result.byComponent))
    const summary = `${result.totals.files} files, ${formatBytes(result.totals.bytes)} (${result.totals.bytes} bytes) for ${result.users.filter((u) => u.migrated).length} users`
    return { result, summary, text: `${lines.join('\n')}\n${summary}` }
  }
}

/** `  name   files files  bytes` lines of the estimate's totals by user or component. */
function totalsTable(totals: Record<string, { files: number; bytes: number }>): string[] {
  const rows = Object.entries(totals).map(([name, t]) => [name, String(t.files), formatBytes(t.bytes)])
  return textTable(rows, { indent: '  ', columns: [{ width: 32 }, { width: 8, align: 'right', sep: ' files  ' }, { width: 10, align: 'right' }] })
}
