import { Flags } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { describeCondition } from '../../templates/condition.js'
import { stepDefinitions } from '../../templates/service.js'
import { stepsMarkdown } from '../../templates/docs.js'
import type { TaskStepDef } from '../../templates/task-steps.js'

export default class TemplateSteps extends StepCommand<TaskStepDef[]> {
  static override description = 'List the task-sequence steps (command line, environment, success codes, continue on error, condition, variables read and written) from task-steps/'

  static override flags = { markdown: Flags.boolean({ description: 'Print the README table of the steps' }) }

  static override settings = ['taskStepsDir'] as const
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<TaskStepDef[]>> {
    const defs = stepDefinitions(await ctx.setting('taskStepsDir'))
    const text = flags.markdown ? stepsMarkdown(defs) : defs.map((d) => [
      `${d.id}: ${d.name}`,
      `  usmt-steps ${[...d.command, ...d.arguments].join(' ')}`,
      `  ${d.description}`,
      `  runs in ${d.runIn}; success codes ${d.successCodes.join(' ')}; continue on error ${d.continueOnError ? 'yes' : 'no'}${d.condition ? `; when ${describeCondition(d.condition)}` : ''}`,
      `  reads ${d.reads.join(', ') || '-'}; writes ${d.writes.join(', ') || '-'} (and USMTStepsLast*)`,
    ].join('\n')).join('\n\n')
    return { result: defs, summary: `${defs.length} task-sequence steps`, text }
  }
}
