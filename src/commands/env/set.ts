import { Args } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { isSecretName, redactor } from '../../runtime/redact.js'

export default class EnvSet extends StepCommand<{ set: string[]; deleted: string[]; environment: string }> {
  static override description = 'Set task-sequence variables (NAME=VALUE …; an empty value deletes)'
  static override examples = ['<%= config.bin %> env set USMTLocal=True UDShare=\\\\srv\\MigData$ --ts-env json:env.json']
  static override strict = false
  static override args = { assignments: Args.string({ required: true, description: 'NAME=VALUE pairs' }) }
  static override recordsResult = false
  static override createsTsEnv = true

  protected async execute(ctx: StepContext): Promise<StepOutcome<{ set: string[]; deleted: string[]; environment: string }>> {
    const env = await ctx.tsEnv()
    const set: string[] = []
    const deleted: string[] = []
    const pairs = this.parsedArgv.map((a) => {
      const i = a.indexOf('=')
      if (i <= 0) throw new UsmtStepsError('USM0002', `"${a}" is not NAME=VALUE`)
      return [a.slice(0, i), a.slice(i + 1)] as const
    })
    for (const [name, value] of pairs) {
      if (isSecretName(name)) redactor.add(value)
      env.set(name, value) // validates every pair before anything is written
      ;(value === '' ? deleted : set).push(name)
    }
    await env.commit()
    ctx.logger.info(`set ${set.join(', ') || '-'}; deleted ${deleted.join(', ') || '-'} in ${env.description}`)
    return { result: { set, deleted, environment: env.description }, summary: `${set.length} set, ${deleted.length} deleted`, text: `${set.length} set, ${deleted.length} deleted in ${env.description}` }
  }
}
