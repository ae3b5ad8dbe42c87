import { Flags } from '../../cli/spec.js'
import * as nodePath from 'node:path'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { TEMPLATE_FLAGS, TEMPLATE_SETTINGS, templateOptions } from '../../cli/template-flags.js'
import type { Scenario } from '../../templates/scenarios.js'
import { generateMdt, writeOutput } from '../../templates/service.js'

interface Result { scenario: string; placement: string[]; files?: string[]; tsXml?: string; customSettings?: string }

export default class TemplateMdt extends StepCommand<Result> {
  static override description = 'Generate the usmt-steps groups for an MDT ts.xml and the CustomSettings.ini lines (UserDataLocation, UDShare, USMT files, encryption key property)'

  static override examples = [
    '<%= config.bin %> template mdt --scenario refresh --ud-share \\\\MDT01\\MigData$ --out-dir mdt',
  ]

  static override settings = TEMPLATE_SETTINGS
  static override flags = {
    ...TEMPLATE_FLAGS,
    'ud-share': Flags.string({ description: 'UNC share for network stores (UDShare), e.g. \\\\MDT01\\MigData$' }),
    'out-dir': Flags.string({ description: 'Write usmt-steps-<scenario>.ts.xml and CustomSettings.usmt-steps.ini into this folder instead of printing them' }),
  }

  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<Result>> {
    const scenario = flags.scenario as Scenario
    const r = generateMdt({
      scenario, launcher: await ctx.setting('templateLauncher'), options: templateOptions(flags),
      taskStepsDir: await ctx.setting('taskStepsDir'), udShare: flags['ud-share'] as string | undefined,
    })
    const dir = flags['out-dir'] as string | undefined
    if (dir) {
      const files = [
        writeOutput(nodePath.join(dir, `usmt-steps-${scenario}.ts.xml`), r.tsXml),
        writeOutput(nodePath.join(dir, 'CustomSettings.usmt-steps.ini'), r.customSettings),
      ]
      return { result: { scenario, placement: r.placement, files }, summary: `wrote ${files.length} files to ${nodePath.resolve(dir)}`, text: [...files.map((f) => `wrote ${f}`), ...r.placement].join('\n') }
    }
    const text = [`# ts.xml groups (${scenario})`, r.tsXml, '# CustomSettings.ini lines', r.customSettings.replace(/\r\n/g, '\n')].join('\n')
    return { result: { scenario, placement: r.placement, tsXml: r.tsXml, customSettings: r.customSettings }, summary: `MDT template for ${scenario}`, text }
  }
}
