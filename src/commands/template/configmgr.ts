import { Flags } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { TEMPLATE_FLAGS, TEMPLATE_SETTINGS, templateOptions } from '../../cli/template-flags.js'
import { SCENARIO_DESCRIPTIONS, type Scenario } from '../../templates/scenarios.js'
import { generateConfigMgr, writeOutput, type ConfigMgrFormat } from '../../templates/service.js'

interface Result { scenario: string; format: string; out?: string; steps: number; content?: string }

export default class TemplateConfigMgr extends StepCommand<Result> {
  static override description = `Generate a ConfigMgr task-sequence template (sequence XML, or a PowerShell script using the ConfigMgr cmdlets) from the task-step definitions

Scenarios:
  refresh              ${SCENARIO_DESCRIPTIONS.refresh}
  replace-source       ${SCENARIO_DESCRIPTIONS['replace-source']}
  replace-destination  ${SCENARIO_DESCRIPTIONS['replace-destination']}`

  static override examples = [
    '<%= config.bin %> template configmgr --scenario refresh --package-id ABC00012 --out usmt-refresh.xml',
    '<%= config.bin %> template configmgr --scenario replace-source --package-id ABC00012 --format powershell --out New-UsmtReplaceSource.ps1',
  ]

  static override settings = TEMPLATE_SETTINGS
  static override flags = {
    ...TEMPLATE_FLAGS,
    'package-id': Flags.string({ description: 'ConfigMgr package holding the usmt-steps package folder (Run Command Line "package")' }),
    format: Flags.string({ description: 'xml: sequence XML; powershell: script with the ConfigMgr cmdlets; json: the sequence model', options: ['xml', 'powershell', 'json'], default: 'xml' }),
    out: Flags.string({ description: 'Write to this file instead of stdout' }),
  }

  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<Result>> {
    const scenario = flags.scenario as Scenario
    const format = flags.format as ConfigMgrFormat
    const { sequence, content } = generateConfigMgr({
      scenario, packageId: flags['package-id'] as string | undefined, launcher: await ctx.setting('templateLauncher'),
      options: templateOptions(flags), taskStepsDir: await ctx.setting('taskStepsDir'),
    }, format)
    const steps = JSON.stringify(sequence).split('"kind":"step"').length - 1
    const out = flags.out as string | undefined
    if (out) {
      const file = writeOutput(out, content)
      return { result: { scenario, format, out: file, steps }, summary: `wrote ${file}`, text: `${format} template for ${scenario} (${steps} steps) written to ${file}` }
    }
    return { result: { scenario, format, steps, content }, summary: `${format} template for ${scenario}`, text: content }
  }
}
