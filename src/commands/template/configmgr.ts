import { Flags } from '../../cli/spec.js'
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
    '<%= config.bin %> template configmgr --scenario refresh --package-id ABC00012 --usmt-package-id ABC00013 --policy policy.yaml --out usmt-refresh.xml',
    '<%= config.bin %> template configmgr --scenario replace-source --package-id ABC00012 --usmt-in-package --format powershell --out New-UsmtReplaceSource.ps1',
  ]

  static override settings = TEMPLATE_SETTINGS
  static override flags = {
    ...TEMPLATE_FLAGS,
    'package-id': Flags.string({ description: 'ConfigMgr package made from the usmt-steps package folder (every usmt-steps step runs from it); required for xml and json, a parameter of the PowerShell script otherwise' }),
    'usmt-package-id': Flags.string({ description: 'A separate ConfigMgr package holding USMT: a Download Package Content step fetches it before capture and restore, which get --usmt-dir "%USMTStepsUsmtPackage01%"' }),
    'usmt-in-package': Flags.boolean({ description: 'USMT is in the usmt-steps package\'s own USMT\\ folder (npm run package -- --usmt-dir): capture and restore get --usmt-dir USMT' }),
    format: Flags.string({ description: 'xml: sequence XML; powershell: script with the ConfigMgr cmdlets; json: the sequence model', options: ['xml', 'powershell', 'json'], default: 'xml' }),
    out: Flags.string({ description: 'Write to this file instead of stdout' }),
  }

  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<Result>> {
    const scenario = flags.scenario as Scenario
    const format = flags.format as ConfigMgrFormat
    const { sequence, content } = generateConfigMgr({
      scenario, packageId: flags['package-id'] as string | undefined, usmtPackageId: flags['usmt-package-id'] as string | undefined,
      usmtInPackage: Boolean(flags['usmt-in-package']), launcher: await ctx.setting('templateLauncher'),
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
