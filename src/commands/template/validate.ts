import { Args, Flags } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { validateFile } from '../../templates/service.js'
import type { ValidationReport } from '../../templates/validate.js'
import { textTable } from '../../runtime/text-table.js'

export default class TemplateValidate extends StepCommand<ValidationReport> {
  static override description = 'Check that the usmt-steps steps of a task sequence are wired consistently (sequence XML, console export object.xml or MDT ts.xml)'

  static override examples = ['<%= config.bin %> template validate usmt-refresh.xml']

  static override args = { file: Args.string({ description: 'Sequence XML, object.xml of a console export, or an MDT ts.xml', required: true }) }

  static override settings = ['taskStepsDir'] as const
  static override flags = {
    'package-dir': Flags.string({ description: 'The usmt-steps package folder, where the policy files the steps name (--policy) are checked against each step (default: the folder of FILE and the current folder)', multiple: true }),
  }

  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<ValidationReport>> {
    const file = args.file as string
    const report = validateFile(file, await ctx.setting('taskStepsDir'), flags['package-dir'] as string[] | undefined)
    const lines = report.problems.map((p) => `${p.level.toUpperCase()}: ${p.step}: ${p.message}`)
    const errors = report.problems.filter((p) => p.level === 'error')
    if (errors.length > 0) {
      // A problem that says exactly what to add (no package, no USMT source, a policy the step rejects) gives its own code.
      const code = errors.find((p) => p.code)?.code ?? 'USM0604'
      throw new UsmtStepsError(code, `${file}: ${errors.length} error(s): ${lines.join(' | ')}`, { data: { file, problems: report.problems, steps: report.steps } })
    }
    for (const p of report.problems) ctx.warn(`${p.step}: ${p.message}`)
    const summary = `${file}: ${report.steps.length} usmt-steps steps of ${report.total} are wired consistently${report.problems.length ? ` (${report.problems.length} warnings)` : ''}`
    const text = [...textTable(report.steps.map((s) => [s.id, s.path]), { indent: '  ', columns: [{ width: 14 }] }), summary].join('\n')
    return { result: report, summary, text, status: report.problems.length ? 'warning' : 'success' }
  }
}
