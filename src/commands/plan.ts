import { inputFlags, settingFlags } from '../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { decisionText, planStore } from '../plan/index.js'
import type { DecisionRecord } from '../plan/types.js'

export default class Plan extends StepCommand<DecisionRecord> {
  static override description = 'Decide where the user state goes (hard-link, share, SMP or none), explain why, and set the variables later steps read'
  static override examples = [
    '<%= config.bin %> plan --ts-env json:env.json --facts facts.json --policy policy.yaml --json',
    '<%= config.bin %> plan --scenario replace --policy policy.yaml',
    '<%= config.bin %> plan --volume C=/mnt/c --rules MigDocs.xml --users users.json --json',
  ]
  static override settings = ['storePolicy', 'planFacts', 'planScenario', 'planEstimateBytes', 'rulesMaxXmlBytes'] as const
  // volume: the non-Windows probe and the volumes the engine measures; rules, users: the size estimate's inputs
  static override flags = { ...settingFlags(Plan.settings), ...inputFlags('volume', 'rules', 'users') }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<DecisionRecord>> {
    const tsEnv = await ctx.tsEnv()
    const estimate = await ctx.setting('planEstimateBytes')
    const { decision } = await planStore({
      variables: tsEnv.list(),
      policyFile: await ctx.setting('storePolicy'),
      factsFile: await ctx.setting('planFacts'),
      scenario: await ctx.setting('planScenario'),
      estimateBytes: estimate,
      estimateSource: estimate === undefined ? undefined : flags['estimate-bytes'] !== undefined ? '--estimate-bytes' : 'USMTStepsEstimateBytes',
      volumes: (flags.volume as string[] | undefined) ?? [],
      rules: (flags.rules as string[] | undefined) ?? [],
      usersFile: flags.users as string | undefined,
      maxXmlBytes: await ctx.setting('rulesMaxXmlBytes'),
      env: ctx.env,
      cwd: ctx.cwd,
      log: (line) => ctx.logger.info(line),
    })
    return {
      result: decision,
      summary: `${decision.storeType} store${decision.storePath ? ` at ${decision.storePath}` : ''} (rule ${decision.rule})`,
      text: decisionText(decision),
      variables: decision.variables,
    }
  }
}
