import { Args, Flags } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../../runtime/errors.js'
import { writeFileAtomic } from '../../runtime/atomic-file.js'
import { lintRuleFiles, readKnownFindings, type KnownFinding, type LintResult } from '../../engine/index.js'

export default class RulesLint extends StepCommand<LintResult> {
  static override description = 'Check migration XML files: MigXML.xsd-level structure, duplicate urlids, unknown helpers, unresolvable variables, patterns that never match, and what the portable engine does not evaluate'
  static override examples = [
    '<%= config.bin %> rules lint MigUser.xml MigApp.xml custom.xml',
    '<%= config.bin %> rules lint MigApp.xml --write-known migapp-known.json   # record the stock file\'s findings once',
    '<%= config.bin %> rules lint MigApp.xml custom.xml --known migapp-known.json   # accept them; new errors still fail',
  ]
  static override strict = false
  static override args = { file: Args.string({ description: 'migration XML file(s)', required: true }) }
  static override flags = {
    known: Flags.string({ description: 'JSON file of accepted findings ({"known":[{file,code,message,note?}]}): matching errors are listed as known and do not fail' }),
    'write-known': Flags.string({ description: 'Write the current errors as a known-findings file (for a stock file you cannot edit) and succeed' }),
  }
  static override settings = ['rulesMaxXmlBytes'] as const
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<LintResult>> {
    const files = this.argv.filter((a, i, all) => !a.startsWith('-') && !(i > 0 && /^--(known|write-known)$/.test(all[i - 1]))).map((f) => nodePath.resolve(ctx.cwd, f))
    const maxBytes = await ctx.setting('rulesMaxXmlBytes')
    const knownFile = flags.known as string | undefined
    const known: KnownFinding[] = knownFile ? readKnownFindings(nodePath.resolve(ctx.cwd, knownFile), maxBytes) : []
    const result = lintRuleFiles(files, maxBytes, known)
    const fmt = (sev: string) => (i: LintResult['errors'][number]): string => `${i.file}:${i.line}: ${sev} ${i.code}: ${i.message}`
    const writeKnown = flags['write-known'] as string | undefined
    if (writeKnown) {
      const out = nodePath.resolve(ctx.cwd, writeKnown)
      const list: KnownFinding[] = [...result.known, ...result.errors].map((e) => ({ file: e.file, code: e.code, message: e.message, note: `accepted at line ${e.line}` }))
      writeFileAtomic(out, `${JSON.stringify({ known: list }, null, 2)}\n`)
      const summary = `${list.length} finding(s) of ${files.length} file(s) written to ${out}; pass it with --known`
      return { result: { ...result, known: [...result.known, ...result.errors], errors: [] }, summary, text: [...result.errors.map(fmt('known')), summary].join('\n') }
    }
    const lines = [...result.errors.map(fmt('error')), ...result.known.map(fmt('known')), ...result.warnings.map(fmt('warning'))]
    if (result.errors.length > 0) {
      throw new UsmtStepsError('USM0110', `${result.errors.length} error(s) in ${files.length} file(s):\n${result.errors.map(fmt('error')).join('\n')}`, {
        data: { errors: result.errors, warnings: result.warnings, known: result.known },
      })
    }
    const summary = `${files.length} file(s) checked: no errors${result.known.length ? `, ${result.known.length} known finding(s) accepted` : ''}, ${result.warnings.length} warning(s)`
    return { result, summary, text: [...lines, summary].join('\n'), status: result.warnings.length ? 'warning' : 'success' }
  }
}
