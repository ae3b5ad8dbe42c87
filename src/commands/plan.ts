import { Flags } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { decisionText, planStore } from '../plan/index.js'
import type { DecisionRecord, Scenario } from '../plan/types.js'

export default class Plan extends StepCommand<DecisionRecord> {
  static override description = 'Decide where the user state goes (hard-link, share, SMP or none), explain why, and set the variables later steps read'
  static override examples = [
    '<%= config.bin %> plan --ts-env json:env.json --facts facts.json --policy policy.yaml --json',
    '<%= config.bin %> plan --scenario replace --policy policy.yaml',
    '<%= config.bin %> plan --volume C=/mnt/c --rules MigDocs.xml --users users.json --json',
  ]
  static override flags = {
    policy: Flags.string({ description: 'Policy file (JSON or YAML); also USMTStepsPolicy / USMT_STEPS_POLICY' }),
    facts: Flags.string({ description: 'Machine facts as JSON instead of probing this machine' }),
    scenario: Flags.string({ description: 'refresh or replace (default: from DeploymentType)', options: ['refresh', 'replace'] }),
    'estimate-bytes': Flags.string({ description: 'Size estimate of the user state in bytes (overrides the facts)' }),
    volume: Flags.string({ description: 'Map a Windows drive to a local folder, LETTER=DIR (repeatable): the non-Windows probe, and the volumes the engine measures for the size estimate', multiple: true }),
    rules: Flags.string({ description: 'Migration XML for the size estimate (repeatable; default USMTStepsRules, else every file of the profiles)', multiple: true }),
    users: Flags.string({ description: 'Profiles for the size estimate: JSON list of {account, profile, sid?, lastUse?} (default: folders under C:\\Users)' }),
  }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<DecisionRecord>> {
    const tsEnv = await ctx.tsEnv()
    const estimate = await ctx.setting('planEstimateBytes')
    const { decision } = await planStore({
      variables: tsEnv.list(),
      policyFile: (await ctx.setting('storePolicy')) as string | undefined,
      factsFile: (await ctx.setting('planFacts')) as string | undefined,
      scenario: (await ctx.setting('planScenario')) as Scenario | undefined,
      estimateBytes: typeof estimate === 'number' ? estimate : undefined,
      estimateSource: typeof estimate === 'number' ? (flags['estimate-bytes'] !== undefined ? '--estimate-bytes' : 'USMTStepsEstimateBytes') : undefined,
      volumes: (flags.volume as string[] | undefined) ?? [],
      rules: (flags.rules as string[] | undefined) ?? [],
      usersFile: flags.users as string | undefined,
      maxXmlBytes: Number(await ctx.setting('rulesMaxXmlBytes')),
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
