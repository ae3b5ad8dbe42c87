import { Args } from '../../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../../cli/step-command.js'
import { createIndex } from '../../../report/index.js'
import type { Overview } from '../../../report/overview.js'

export default class ReportIndex extends StepCommand<{ html: string; json: string; overview: Overview }> {
  static override description = 'Build an overview page (index.html, index.json) of the reports many machines copied into one folder: counts, failures first'
  static override examples = ['<%= config.bin %> report index \\\\server\\migreports', '<%= config.bin %> report index ./reports --json']
  static override recordsResult = false
  static override usesTsEnv = false
  static override args = {
    dir: Args.string({ description: 'Folder that --copy-to wrote reports into', required: true }),
  }

  protected async execute(_ctx: StepContext, _flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<{ html: string; json: string; overview: Overview }>> {
    const r = createIndex(String(args.dir))
    const c = r.overview.counts
    const text = [
      `${c.computers} computers (${c.reports} reports): ${c.byStatus.error} failed, ${c.byStatus.warning} with warnings, ${c.byStatus.success} succeeded, ${c.byStatus.incomplete} incomplete`,
      ...r.overview.rows.filter((x) => x.latest && x.status === 'error').map((x) => `  FAILED ${x.computer}: ${x.headline}`),
      `Overview: ${r.html}`,
    ].join('\n')
    return { result: { html: r.html, json: r.json, overview: r.overview }, summary: `${c.computers} computers, ${c.byStatus.error} failed`, text }
  }
}
