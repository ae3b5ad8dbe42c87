import { Args } from '../../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { isSecretName, MASK } from '../../runtime/redact.js'

export default class EnvGet extends StepCommand<{ name: string; value: string | null; environment: string }> {
  static override description = 'Print one task-sequence variable (secret variables are masked)'
  static override examples = ['<%= config.bin %> env get OSDStateStorePath --ts-env json:env.json']
  static override args = { name: Args.string({ required: true, description: 'variable name (case-insensitive)' }) }
  static override recordsResult = false

  protected async execute(ctx: StepContext, _flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<{ name: string; value: string | null; environment: string }>> {
    const env = await ctx.tsEnv()
    const name = String(args.name)
    const raw = env.get(name)
    const value = raw === undefined ? null : isSecretName(name) ? MASK : raw
    return { result: { name, value, environment: env.description }, summary: `${name} read`, text: value ?? '' }
  }
}
