import { StepCommand, type StepOutcome } from '../cli/step-command.js'
import { exitTable } from '../runtime/exit-codes.js'
import { textTable } from '../runtime/text-table.js'

export default class ExitCodes extends StepCommand<ReturnType<typeof exitTable>> {
  static override description = 'Print the exit-code table of the usmt-steps steps (also: usmt-steps help exit-codes)'
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(): Promise<StepOutcome<ReturnType<typeof exitTable>>> {
    const rows = exitTable()
    const text = textTable(rows.map((r) => [String(r.code), r.name, r.meaning]), { columns: [{ width: 5, align: 'right', sep: '  ' }, { width: 22 }] }).join('\n')
    return { result: rows, summary: `${rows.length} exit codes`, text }
  }
}
