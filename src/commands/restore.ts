import { inputFlags, settingFlags } from '../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { RESTORE_SETTINGS } from '../steps/inputs.js'
import { runRestore, type RestoreResult } from '../steps/restore.js'

export default class Restore extends StepCommand<RestoreResult> {
  static override description = 'Restore user state with USMT from the store: refuses missing or incomplete stores, verifies compressed stores first, removes a hard-link store after a clean restore and keeps the store after a failure'
  static override examples = [
    '<%= config.bin %> restore',
    '<%= config.bin %> restore --keep-store',
    '<%= config.bin %> restore --ts-env json:env.json --volume C=/mnt/c --json',
  ]
  static override settings = RESTORE_SETTINGS
  // volume, removable, computer: the portable engine's inputs (as usmt-steps loadstate)
  static override flags = { ...settingFlags(RESTORE_SETTINGS), ...inputFlags('volume', 'removable', 'computer') }

  protected async execute(ctx: StepContext): Promise<StepOutcome<RestoreResult>> {
    return runRestore(ctx)
  }
}
