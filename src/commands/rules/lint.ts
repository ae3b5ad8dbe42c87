import { Args } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../../runtime/errors.js'
import { lintRuleFiles, type LintResult } from '../../engine/index.js'

export default class RulesLint extends StepCommand<LintResult> {
  static override description = 'Check migration XML files: MigXML.xsd-level structure, duplicate urlids, unknown helpers, unresolvable variables, patterns that never match'
  static override examples = ['<%= config.bin %> rules lint MigUser.xml MigApp.xml custom.xml']
  static override strict = false
  static override args = { file: Args.string({ description: 'migration XML file(s)', required: true }) }
  static override settings = ['rulesMaxXmlBytes'] as const
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext): Promise<StepOutcome<LintResult>> {
    const files = this.argv.filter((a) => !a.startsWith('-')).map((f) => nodePath.resolve(ctx.cwd, f))
    const result = lintRuleFiles(files, await ctx.setting('rulesMaxXmlBytes'))
    const fmt = (sev: string) => (i: LintResult['errors'][number]): string => `${i.file}:${i.line}: ${sev} ${i.code}: ${i.message}`
    const lines = [...result.errors.map(fmt('error')), ...result.warnings.map(fmt('warning'))]
    if (result.errors.length > 0) {
      throw new UsmtStepsError('USM0110', `${result.errors.length} error(s) in ${files.length} file(s):\n${result.errors.map(fmt('error')).join('\n')}`, {
        data: { errors: result.errors, warnings: result.warnings },
      })
    }
    const summary = `${files.length} file(s) checked: no errors, ${result.warnings.length} warning(s)`
    return { result, summary, text: [...lines, summary].join('\n'), status: result.warnings.length ? 'warning' : 'success' }
  }
}
