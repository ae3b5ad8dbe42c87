import { inputFlags, settingFlags } from '../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { runCapture, type CaptureResult } from '../steps/capture.js'
import { CAPTURE_SETTINGS } from '../steps/inputs.js'

export default class Capture extends StepCommand<CaptureResult> {
  static override description = 'Capture user state with USMT (Microsoft\'s scanstate.exe or the portable engine) into the planned store: validated options, encrypted network stores, offline capture in Windows PE, progress and clear outcomes'
  static override examples = [
    '<%= config.bin %> capture',
    '<%= config.bin %> capture --usmt-dir "%_SMSTSMDataPath%\\Packages\\ABC00012"',
    '<%= config.bin %> capture --ts-env json:env.json --volume C=/mnt/c --json',
  ]
  static override settings = CAPTURE_SETTINGS
  // volume, removable, users, computer: the portable engine's inputs (as usmt-steps scanstate)
  static override flags = { ...settingFlags(CAPTURE_SETTINGS), ...inputFlags('volume', 'removable', 'users', 'computer') }

  protected async execute(ctx: StepContext): Promise<StepOutcome<CaptureResult>> {
    return runCapture(ctx)
  }
}
