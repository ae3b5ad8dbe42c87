import { Flags } from '@oclif/core'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
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

  static override flags = {
    volume: Flags.string({ multiple: true, description: 'Map a drive to a folder (LETTER=DIR), e.g. --volume C=/mnt/win: list C:\\Users there instead of ProfileList' }),
    removable: Flags.string({ multiple: true, description: 'Map a removable drive (LETTER=DIR)' }),
    users: Flags.string({ description: 'JSON list of profiles {account, profile, sid, lastUse} (as rules preview --users)' }),
    computer: Flags.string({ description: 'Computer name (accounts COMPUTER\\name are local)' }),
    directory: Flags.string({ options: ['ldap', 'none'], description: 'ldap: resolve in AD (default); none: file-based mode, nothing excluded' }),
    dc: Flags.string({ description: 'Domain controller(s) instead of DNS discovery: host, host:port, ldap://host, ldaps://host (";"-separated)' }),
    domain: Flags.string({ description: 'AD domain DNS name for SRV discovery (_ldap._tcp.dc._msdcs.<domain>)' }),
    'dns-server': Flags.string({ description: 'DNS server(s) for the SRV lookup (ip or ip:port, ";"-separated)' }),
    'base-dn': Flags.string({ description: 'Search base (default: defaultNamingContext)' }),
    tls: Flags.string({ options: ['auto', 'starttls', 'ldaps', 'none'], description: 'Transport security (default auto: LDAPS for ldaps://, else StartTLS)' }),
    'ca-file': Flags.string({ description: 'PEM CA certificate(s) trusted for the domain controller certificate' }),
    'bind-user': Flags.string({ description: 'Bind account (DN, user@domain or DOMAIN\\user); default USMTStepsDirectoryUser / OSDJoinAccount' }),
    'bind-password-file': Flags.string({ description: 'File holding the bind password (the password itself is never a flag)' }),
    timeout: Flags.integer({ description: 'Seconds per connection attempt and LDAP request (default 15)' }),
    retries: Flags.integer({ description: 'Extra connection attempts per domain controller (default 2)' }),
    'on-unavailable': Flags.string({ options: ['fail', 'keep-all'], description: 'No domain controller reachable: fail (default) or keep every profile' }),
    policy: Flags.string({ description: 'JSON selection policy file (flags and variables override it)' }),
    'include-group': Flags.string({ multiple: true, description: 'Only domain accounts in this group, transitively (name, DN or SID); repeatable' }),
    'exclude-group': Flags.string({ multiple: true, description: 'Never domain accounts in this group, transitively; repeatable' }),
    'include-ou': Flags.string({ multiple: true, description: 'Only domain accounts under this OU (DN); repeatable' }),
    'exclude-ou': Flags.string({ multiple: true, description: 'Never domain accounts under this OU (DN); repeatable' }),
    'skip-disabled': Flags.boolean({ allowNo: true, description: 'Leave out accounts disabled in AD' }),
    'skip-deleted': Flags.boolean({ allowNo: true, description: 'Leave out profiles of accounts deleted in AD (knowingly)' }),
    'inactive-days': Flags.integer({ description: 'Leave out accounts whose AD lastLogonTimestamp is older than N days' }),
    'keep-local': Flags.boolean({ allowNo: true, description: 'Capture local accounts (default true; --no-keep-local leaves them out)' }),
    orphans: Flags.string({ options: ['fail', 'exclude'], description: 'Unmapped orphaned profiles: fail the step (default) or exclude them knowingly' }),
    'orphan-map': Flags.string({ description: 'JSON file mapping orphaned SIDs / DOMAIN\\names to the accounts that should own them' }),
  }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<UsersResult>> {
    return runUsersStep(ctx, { volumes: flags.volume as string[] | undefined, removable: flags.removable as string[] | undefined })
  }
}
