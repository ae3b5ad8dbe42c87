import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { engineInputFromFlags, RULES_FLAGS, RULES_SETTINGS } from '../../cli/engine-input.js'
import { formatBytes } from '../../engine/preview.js'
import { prepare, previewText, streamPreviewJson, warningSummary, type EngineWarning, type PreviewSummary } from '../../engine/index.js'

export type { PreviewResult, PreviewSummary } from '../../engine/index.js'

export default class RulesPreview extends StepCommand<PreviewSummary> {
  static override description = 'Evaluate USMT migration XML (and Config.xml) over a Windows volume and list what scanstate would capture and why'
  static override examples = [
    '<%= config.bin %> rules preview --rules MigUser.xml --volume C=./samples/machine/C --volume D=./samples/machine/D --removable E=./samples/machine/E --users ./samples/machine/users.json',
    '<%= config.bin %> rules preview --rules MigDocs.xml --config Config.xml --volume C=/mnt/windows --ue "*\\*" --ui "CONTOSO\\*" --json',
  ]
  static override settings = RULES_SETTINGS
  static override flags = RULES_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false

  /**
   * --json: the result goes to stdout while walking, in one pass (ctx.streamResult), so a whole disk costs
   * constant memory per file. Otherwise: the readable tree, with bounded file lists.
   */
  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<PreviewSummary>> {
    const p = prepare(await engineInputFromFlags(ctx, flags))
    // Each warning goes to the log file (and to the console with --verbose); the console gets one line per kind.
    const seen: EngineWarning[] = []
    const log = (w: EngineWarning): void => {
      ctx.logger.verbose(`${w.code}: ${w.message}${w.file ? ` [${w.file}${w.line ? `:${w.line}` : ''}]` : ''}`)
      if (seen.length < 100_000) seen.push(w)
    }
    const summarize = (): void => {
      for (const l of warningSummary(seen)) ctx.logger.warn(`${l} (--json lists each warning, --verbose logs each)`)
    }
    const line = (s: PreviewSummary): string => {
      const t = s.totals
      return `${t.files} files (${formatBytes(t.bytes)})${t.settings ? ` and ${t.settings} registry settings` : ''} would be captured for ${t.users.migrated} of ${t.users.total} users; ${t.excluded} excluded; ${s.warnings} warnings`
    }
    if (ctx.json) {
      const result = await streamPreviewJson(p, ctx.streamResult(), log)
      summarize()
      return { result, summary: line(result) }
    }
    const { text, summary: result } = previewText(p, log)
    summarize()
    const summary = line(result)
    return { result, summary, text: `${text}\n${summary}` }
  }
}
