import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { PORTABLE_FLAGS, PORTABLE_SETTINGS, portableContext } from '../cli/portable.js'
import { runScanState, type ScanStateResult } from '../portable/scanstate.js'

export default class ScanState extends StepCommand<ScanStateResult> {
  static override description = "Portable ScanState: capture user state with USMT's command-line syntax into a usmt-steps store (hard-link, mirror or compressed/encrypted); returns USMT's return codes"
  static override strict = false
  static override settings = PORTABLE_SETTINGS
  static override flags = PORTABLE_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false
  /** USMT's return codes: 0 success, 1 help shown, 3 success with ignored errors (/c); anything else failed. */
  static override successExitCodes = [0, 1, 3]
  static override warningExitCodes = [3]
  static override examples = ['<%= config.bin %> scanstate --volume C=./samples/machine/C --users samples/machine/users.json ./store /i:MigDocs.xml /o /c /l:scan.log /progress:scan.progress']

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<ScanStateResult>> {
    const out: string[] = []
    const pctx = await portableContext(ctx, flags, this.argv, this.config.version, out)
    const result = await runScanState(pctx)
    return {
      result,
      summary: `scanstate return code ${result.returnCode}: ${result.message}`,
      text: [...out, `Return code: ${result.returnCode} (${result.message})`].join('\n'),
      exitCode: result.returnCode,
    }
  }
}
