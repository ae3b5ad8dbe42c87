import { inputFlags, settingFlags } from '../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { POLICY_SETTING_KEYS } from '../runtime/settings/directory.js'
import { runUsersStep, type UsersResult } from '../directory/users-step.js'

export default class Users extends StepCommand<UsersResult> {
  static override description = `List the machine's user profiles, resolve each in Active Directory and decide which to capture

Profiles come from ProfileList on Windows, or from C:\\Users of a mounted volume (--volume C=DIR) plus an
optional --users FILE. Each is resolved over LDAP (StartTLS or LDAPS, certificate validated, simple bind):
account, SID, enabled/disabled, deleted or not found, transitive groups, lastLogonTimestamp, OU. The policy
(flags, task-sequence variables or --policy FILE) decides; the result is written as /ue:*\\* /ui:… to
USMTStepsUserArgs, OSDMigrateAdditionalCaptureOptions and UDProfiles, with a table of every decision.
Orphaned profiles (SID not resolvable) fail the step unless mapped (--orphan-map) or knowingly excluded.`

  static override examples = [
    '<%= config.bin %> users --domain corp.example.com --exclude-group "Kiosk Users" --inactive-days 90',
    '<%= config.bin %> users --volume C=./samples/machine/C --users ./samples/machine/users.json --directory none',
    '<%= config.bin %> users --dc ldaps://dc1.corp.example.com --ca-file corp-ca.pem --orphans exclude --json',
  ]

  static override settings = ['usersFile', 'computerName', 'directoryMode', 'directoryDc', 'directoryDomain', 'directoryDnsServer', 'directoryBind', 'inWinPE',
    'directoryBaseDn', 'directoryTls', 'directoryCaFile', 'directoryUser', 'directoryPassword', 'directoryPasswordFile', 'directoryTimeout',
    'directoryRetries', 'directoryPageSize', 'directoryUnavailable', 'selectionPolicyFile', ...POLICY_SETTING_KEYS] as const
  // volume, removable: list C:\Users of a mounted volume instead of ProfileList
  static override flags = { ...settingFlags(Users.settings), ...inputFlags('volume', 'removable') }


  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<UsersResult>> {
    return runUsersStep(ctx, { volumes: flags.volume as string[] | undefined, removable: flags.removable as string[] | undefined })
  }
}
