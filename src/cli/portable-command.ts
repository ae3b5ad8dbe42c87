/** The one command shape of the three portable USMT tools (scanstate, loadstate, usmtutils). */
import type { PortableContext, PortableResult } from '../portable/common.js'
import { PORTABLE_FLAGS, PORTABLE_SETTINGS, portableContext } from './portable.js'
import { StepCommand, type StepContext, type StepOutcome } from './step-command.js'

/**
 * A portable tool: USMT's own command line (not strict: every argument oclif does not know is USMT's), no
 * task-sequence variables, and USMT's return codes as the exit code (0 success, 1 help shown, 3 success with
 * ignored errors under /c; anything else failed).
 */
export abstract class PortableToolCommand<R extends PortableResult> extends StepCommand<R> {
  static override strict = false
  static override settings = PORTABLE_SETTINGS
  static override flags = PORTABLE_FLAGS
  static override recordsResult = false
  static override usesTsEnv = false
  static override successExitCodes = [0, 1, 3]
  static override warningExitCodes = [3]

  /** `scanstate`, `loadstate` or `usmtutils`, as the summary line names it. */
  protected abstract readonly tool: string

  protected abstract runTool(pctx: PortableContext): Promise<R>

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<R>> {
    const out: string[] = []
    const result = await this.runTool(await portableContext(ctx, flags, this.argv, this.config.version, out))
    return {
      result,
      summary: `${this.tool} return code ${result.returnCode}: ${result.message}`,
      text: [...out, `Return code: ${result.returnCode} (${result.message})`].join('\n'),
      exitCode: result.returnCode,
    }
  }
}
