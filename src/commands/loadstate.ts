import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { PORTABLE_FLAGS, PORTABLE_SETTINGS, portableContext } from '../cli/portable.js'
import { runLoadState, type LoadStateResult } from '../portable/loadstate.js'

export default class LoadState extends StepCommand<LoadStateResult> {
  static override description = "Portable LoadState: restore a usmt-steps store onto mapped volumes with USMT's syntax and restore semantics; returns USMT's return codes"
  static override strict = false
  static override settings = PORTABLE_SETTINGS
  static override flags = PORTABLE_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false
  /** USMT's return codes: 0 success, 1 help shown, 3 success with ignored errors (/c); anything else failed. */
  static override successExitCodes = [0, 1, 3]
  static override warningExitCodes = [3]
  static override examples = ['<%= config.bin %> loadstate --volume C=./target/C ./store /i:MigDocs.xml /lac /lae /l:load.log']

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<LoadStateResult>> {
    const out: string[] = []
    const pctx = await portableContext(ctx, flags, this.argv, this.config.version, out)
    const result = await runLoadState(pctx)
    return {
      result,
      summary: `loadstate return code ${result.returnCode}: ${result.message}`,
      text: [...out, `Return code: ${result.returnCode} (${result.message})`].join('\n'),
      exitCode: result.returnCode,
    }
  }
}
