import { Flags } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { runCapture, type CaptureResult } from '../steps/capture.js'
import { USMT_FLAGS } from '../steps/flags.js'

export default class Capture extends StepCommand<CaptureResult> {
  static override description = 'Capture user state with USMT (Microsoft\'s scanstate.exe or the portable engine) into the planned store: validated options, encrypted network stores, offline capture in Windows PE, progress and clear outcomes'
  static override examples = [
    '<%= config.bin %> capture',
    '<%= config.bin %> capture --usmt-dir "%_SMSTSMDataPath%\\Packages\\ABC00012"',
    '<%= config.bin %> capture --ts-env json:env.json --volume C=/mnt/c --json',
  ]
  static override flags = {
    ...USMT_FLAGS,
    hardlink: Flags.boolean({ description: 'Hard-link store (/hardlink /nocompress); default from _OSDMigrateUseHardlinks / USMTStepsStoreType', allowNo: true }),
    encrypt: Flags.boolean({ description: 'Encrypt a network store (USMTStepsEncrypt, default on)', allowNo: true }),
    offline: Flags.boolean({ description: 'Capture an offline Windows (default in Windows PE; USMTOfflineMigration)', allowNo: true }),
    'offline-windir': Flags.string({ description: 'Windows folder to capture offline (OSDWinPEWinDir)' }),
    'cloud-only': Flags.string({ description: 'Cloud-only files (OneDrive placeholders) found before the capture: fail, warn or exclude them on purpose (USMTStepsCloudOnlyPolicy)', options: ['fail', 'warn', 'exclude'] }),
    attributes: Flags.string({ description: 'Mapped volumes: JSON file of Windows path → attributes, for a volume that cannot hold them (USMTStepsAttributesFile)' }),
    'at-risk': Flags.string({ description: 'When profiles or files were left out of a refresh capture: fail, warn or ignore (USMTStepsProfilesAtRisk)', options: ['fail', 'warn', 'ignore'] }),
    users: Flags.string({ description: 'Portable engine: JSON list of profiles {account, profile, sid} (as usmt-steps scanstate --users)' }),
  }

  protected async execute(ctx: StepContext): Promise<StepOutcome<CaptureResult>> {
    return runCapture(ctx)
  }
}
