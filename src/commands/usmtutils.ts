import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { PORTABLE_FLAGS, PORTABLE_SETTINGS, portableContext } from '../cli/portable.js'
import { runUsmtUtils, type UsmtUtilsResult } from '../portable/usmtutils.js'

export default class UsmtUtils extends StepCommand<UsmtUtilsResult> {
  static override description = "Portable UsmtUtils: /rd, /verify, /extract and /ec for usmt-steps stores; returns USMT's return codes"
  static override strict = false
  static override settings = PORTABLE_SETTINGS
  static override flags = PORTABLE_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false
  /** USMT's return codes: 0 success, 1 help shown, 3 success with ignored errors (/c); anything else failed. */
  static override successExitCodes = [0, 1, 3]
  static override warningExitCodes = [3]
  static override examples = ['<%= config.bin %> usmtutils /verify:all ./store/USMT/USMT.MIG /decrypt /keyfile:key.txt']

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<UsmtUtilsResult>> {
    const out: string[] = []
    const pctx = await portableContext(ctx, flags, this.argv, this.config.version, out)
    const result = await runUsmtUtils(pctx)
    return {
      result,
      summary: `usmtutils return code ${result.returnCode}: ${result.message}`,
      text: [...out, `Return code: ${result.returnCode} (${result.message})`].join('\n'),
      exitCode: result.returnCode,
    }
  }
}
