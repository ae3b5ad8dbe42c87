import { Args } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { validateFile } from '../../templates/service.js'
import type { ValidationReport } from '../../templates/validate.js'
import { textTable } from '../../runtime/text-table.js'

export default class TemplateValidate extends StepCommand<ValidationReport> {
  static override description = 'Check that the usmt-steps steps of a task sequence are wired consistently (sequence XML, console export object.xml or MDT ts.xml)'

  static override examples = ['<%= config.bin %> template validate usmt-refresh.xml']

  static override args = { file: Args.string({ description: 'Sequence XML, object.xml of a console export, or an MDT ts.xml', required: true }) }

  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, _flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<ValidationReport>> {
    const file = args.file as string
    const report = validateFile(file, (await ctx.setting('taskStepsDir')) as string | undefined)
    const lines = report.problems.map((p) => `${p.level.toUpperCase()}: ${p.step}: ${p.message}`)
    const errors = report.problems.filter((p) => p.level === 'error')
    if (errors.length > 0) {
      throw new UsmtStepsError('USM0604', `${file}: ${errors.length} error(s): ${lines.join(' | ')}`, { data: { file, problems: report.problems, steps: report.steps } })
    }
    for (const p of report.problems) ctx.warn(`${p.step}: ${p.message}`)
    const summary = `${file}: ${report.steps.length} usmt-steps steps of ${report.total} are wired consistently${report.problems.length ? ` (${report.problems.length} warnings)` : ''}`
    const text = [...textTable(report.steps.map((s) => [s.id, s.path]), { indent: '  ', columns: [{ width: 14 }] }), summary].join('\n')
    return { result: report, summary, text, status: report.problems.length ? 'warning' : 'success' }
  }
}
