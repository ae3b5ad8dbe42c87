import { Flags } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { USMT_FLAGS } from '../steps/flags.js'
import { runRestore, type RestoreResult } from '../steps/restore.js'

export default class Restore extends StepCommand<RestoreResult> {
  static override description = 'Restore user state with USMT from the store: refuses missing or incomplete stores, verifies compressed stores first, removes a hard-link store after a clean restore and keeps the store after a failure'
  static override examples = [
    '<%= config.bin %> restore',
    '<%= config.bin %> restore --keep-store',
    '<%= config.bin %> restore --ts-env json:env.json --volume C=/mnt/c --json',
  ]
  static override flags = {
    ...USMT_FLAGS,
    'keep-store': Flags.boolean({ description: 'Keep a hard-link store after a successful restore (USMTStepsKeepStore)', allowNo: true }),
    'allow-missing': Flags.boolean({ description: 'Succeed with a warning when there is no store (USMTStepsAllowMissingStore)', allowNo: true }),
  }

  protected async execute(ctx: StepContext): Promise<StepOutcome<RestoreResult>> {
    return runRestore(ctx)
  }
}
