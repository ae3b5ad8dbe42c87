import { Args } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { engineInputFromFlags, RULES_FLAGS, RULES_SETTINGS } from '../../cli/engine-input.js'
import { explainPaths, prepare, type ExplainResult } from '../../engine/index.js'
import { textTable } from '../../runtime/text-table.js'

export default class RulesExplain extends StepCommand<ExplainResult[]> {
  static override description = 'Explain why Windows paths are (not) captured: every matching rule per component and context, and which one decided'
  static override examples = ['<%= config.bin %> rules explain "C:\\Users\\ann\\Documents\\notes.txt" --rules MigUser.xml --volume C=./samples/machine/C']
  static override strict = false
  static override args = { path: Args.string({ description: 'Windows path(s) to explain, e.g. C:\\Users\\ann\\Documents\\a.docx', required: true }) }
  static override settings = RULES_SETTINGS
  static override flags = RULES_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<ExplainResult[]>> {
    const paths = this.argv.filter((a, i, all) => !a.startsWith('-') && !isFlagValue(all, i))
    if (paths.length === 0) throw new UsmtStepsError('USM0113', 'no path to explain')
    const p = prepare(await engineInputFromFlags(ctx, flags))
    const result = explainPaths(p, paths)
    const text: string[] = []
    for (const r of result) {
      if (r.kind === 'folder') {
        text.push(`${r.path} (folder): ${r.reason}`)
        continue
      }
      text.push(`${r.path}${r.exists ? '' : ' (not on the volume)'}: ${r.captured ? 'CAPTURED' : 'NOT CAPTURED'} — ${r.reason}`)
      if (r.decidedBy) text.push(`  decided by: ${r.decidedBy}`)
      for (const m of r.matches) {
        text.push(...textTable([[m.kind, `${m.component}${m.user ? ` [${m.user}]` : ' [System]'}: ${m.rule} (depth ${m.specificity.depth}, leaf ${m.specificity.leaf})${m.inactive ? ` — ${m.inactive}` : ''}`]], { columns: [{ width: 20 }], indent: '  ' }))
      }
      for (const v of r.verdicts) text.push(`  => ${v.component}${v.user ? ` [${v.user}]` : ' [System]'}: ${v.included ? 'include' : 'exclude'}: ${v.why}${v.inactive ? ` (${v.inactive})` : ''}`)
    }
    const files = result.filter((r) => r.kind !== 'folder')
    const folders = result.length - files.length
    const summary = `${files.filter((r) => r.captured).length} of ${files.length} file paths would be captured${folders ? `; ${folders} folder(s) summarised` : ''}`
    return { result, summary, text: `${text.join('\n')}\n${summary}` }
  }
}

/** Value flags take the next argv element. */
function isFlagValue(argv: string[], i: number): boolean {
  if (i === 0) return false
  const prev = argv[i - 1]
  if (!prev.startsWith('--') || prev.includes('=')) return false
  const name = prev.slice(2)
  const def = (RULES_FLAGS as Record<string, { type: string }>)[name]
  return def !== undefined && def.type === 'option'
}
