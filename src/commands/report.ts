import { inputFlags, settingFlags } from '../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { createReport } from '../report/index.js'
import type { ReportSummary } from '../report/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { truncate } from '../runtime/step-result.js'
import { stepVariables } from '../runtime/variables.js'
import { VolumeMap } from '../windows/volume-map.js'

export interface ReportCommandResult {
  html: string
  json: string
  store?: string
  copy?: string
  summary: ReportSummary
}

const STATUS_WORD = { success: 'Success', warning: 'Warning', error: 'Failed', incomplete: 'Incomplete' } as const

export default class Report extends StepCommand<ReportCommandResult> {
  static override description = 'Write the migration report (HTML + JSON summary) of this task sequence\'s plan, capture and restore into _SMSTSLogPath, the store and optionally a central folder'
  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --copy-to \\\\server\\migreports',
    '<%= config.bin %> report --log-dir ./logs --volume C=./samples/machine/C --json',
  ]
  static override settings = ['reportCopyTo', 'reportStorePath', 'reportToStore', 'reportCopyRequired'] as const
  // volume: non-Windows hosts, where a Windows drive is (to measure files and find the store)
  static override flags = { ...settingFlags(Report.settings), ...inputFlags('volume') }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<ReportCommandResult>> {
    const logDir = ctx.logDir()
    if (!logDir) throw new UsmtStepsError('USM0701', 'no log folder: _SMSTSLogPath is not set and --log-dir was not given')
    const tsEnv = await ctx.tsEnv()
    const copyTo = await ctx.setting('reportCopyTo')
    const r = createReport({
      logDir,
      storePath: await ctx.setting('reportStorePath'),
      copyTo: copyTo || undefined,
      toStore: await ctx.setting('reportToStore'),
      copyRequired: await ctx.setting('reportCopyRequired'),
      variables: tsEnv.list(),
      volumes: VolumeMap.parse((flags.volume as string[] | undefined) ?? [], [], ctx.cwd),
      generator: `usmt-steps ${this.config.version}`,
      warn: (m) => ctx.warn(m),
      log: (l) => ctx.logger.info(l),
    })
    const s = r.summary
    const result: ReportCommandResult = { html: r.files.html, json: r.files.json, store: r.store?.html, copy: r.copy?.html, summary: s }
    const variables = stepVariables('report', {
      USMTStepsReportPath: r.files.html,
      USMTStepsReportSummary: r.files.json,
      USMTStepsReportCopyPath: r.copy?.html ?? '',
      USMTStepsReportStatus: STATUS_WORD[s.status],
      USMTStepsReportHeadline: truncate(s.headline, 1000),
      USMTStepsReportUsers: String(s.totals.users),
      USMTStepsReportFiles: String(s.totals.files),
      USMTStepsReportBytes: String(s.totals.bytes),
    })
    const lines = [
      `Migration on ${s.computer}: ${STATUS_WORD[s.status]} — ${s.headline}`,
      ...(s.cause ? [`Cause (${s.cause.source}${s.cause.line ? ` line ${s.cause.line}` : ''}): ${s.cause.text}`] : []),
      `Report: ${r.files.html}`,
      ...(r.store ? [`In the store: ${r.store.html}`] : []),
      ...(r.copy ? [`Copy: ${r.copy.html}`] : []),
    ]
    return {
      result, variables, text: lines.join('\n'),
      summary: `report written to ${r.files.html} (migration: ${STATUS_WORD[s.status]})`,
    }
  }
}
