import { Flags } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { redactor } from '../../runtime/redact.js'

export default class EnvList extends StepCommand<{ environment: string; variables: Record<string, string> }> {
  static override description = 'List task-sequence variables (secret values are masked)'
  static override flags = { filter: Flags.string({ description: 'only names containing this text (case-insensitive)' }) }
  static override recordsResult = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<{ environment: string; variables: Record<string, string> }>> {
    const env = await ctx.tsEnv()
    const filter = (flags.filter as string | undefined)?.toLowerCase()
    const all = redactor.maskVariables(env.list())
    const variables = Object.fromEntries(Object.entries(all).filter(([k]) => !filter || k.toLowerCase().includes(filter)).sort(([a], [b]) => a.localeCompare(b)))
    const text = Object.entries(variables).map(([k, v]) => `${k}=${v}`).join('\n')
    return { result: { environment: env.description, variables }, summary: `${Object.keys(variables).length} variables`, text }
  }
}
