import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { engineInputFromFlags, RULES_FLAGS, RULES_SETTINGS } from '../../cli/engine-input.js'
import { estimateMigration, type EstimateResult } from '../../engine/index.js'
import { formatBytes } from '../../engine/preview.js'

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
    for (const [u, t] of Object.entries(result.byUser)) lines.push(`  ${u.padEnd(32)} ${String(t.files).padStart(8)} files  ${formatBytes(t.bytes).padStart(10)}`)
    lines.push('By component:')
    for (const [c, t] of Object.entries(result.byComponent)) lines.push(`  ${c.padEnd(32)} ${String(t.files).padStart(8)} files  ${formatBytes(t.bytes).padStart(10)}`)
    const summary = `${result.totals.files} files, ${formatBytes(result.totals.bytes)} (${result.totals.bytes} bytes) for ${result.users.filter((u) => u.migrated).length} users`
    return { result, summary, text: `${lines.join('\n')}\n${summary}` }
  }
}
