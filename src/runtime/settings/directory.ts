import type { SettingDef } from '../settings.js'

/**
 * Settings of `usmt-steps users` (AD-aware profile selection). Lists (groups, OUs) are separated by ";"
 * because distinguished names contain commas; a repeated flag adds one item per use.
 */
export const DIRECTORY_SETTINGS = [
  // where the profiles come from
  {
    key: 'usersFile', area: 'directory', type: 'path', flag: 'users', tsVariables: ['USMTStepsUsersFile'], envVar: 'USMT_STEPS_USERS_FILE',
    description: 'JSON list of profiles {account, profile, sid, lastUse} (the format of rules preview --users); adds account names and SIDs to the folders found under C:\\Users',
  },
  {
    key: 'computerName', area: 'directory', type: 'string', flag: 'computer', tsVariables: ['OSDComputerName', '_SMSTSMachineName'], envVar: 'COMPUTERNAME',
    description: 'Name of the machine whose profiles are listed; accounts named COMPUTER\\name are local accounts',
  },
  // directory connection
  {
    key: 'directoryMode', area: 'directory', type: 'enum', flag: 'directory', tsVariables: ['USMTStepsDirectory'], envVar: 'USMT_STEPS_DIRECTORY',
    choices: ['ldap', 'none'], default: 'ldap',
    description: 'ldap resolves every profile in Active Directory; none lists profiles from local facts only (file-based mode, nothing is excluded)',
  },
  {
    key: 'directoryDc', area: 'directory', type: 'string', flag: 'dc', tsVariables: ['USMTStepsDC'], envVar: 'USMT_STEPS_DC',
    description: 'Domain controller to use instead of DNS discovery: host, host:port, ldap://host[:port] or ldaps://host[:port]; several separated by ";"',
  },
  {
    key: 'directoryDomain', area: 'directory', type: 'string', flag: 'domain', tsVariables: ['USMTStepsDomain', 'OSDJoinDomainName', 'JoinDomain'], envVar: 'USERDNSDOMAIN',
    description: 'DNS name of the AD domain; domain controllers are found from the SRV record _ldap._tcp.dc._msdcs.<domain>',
  },
  {
    key: 'directoryDnsServer', area: 'directory', type: 'string', flag: 'dns-server', tsVariables: ['USMTStepsDnsServer'], envVar: 'USMT_STEPS_DNS_SERVER',
    description: 'DNS server(s) for the SRV lookup, as ip or ip:port separated by ";" (default: the system resolver)',
  },
  {
    key: 'directoryBaseDn', area: 'directory', type: 'string', flag: 'base-dn', tsVariables: ['USMTStepsDirectoryBaseDN'], envVar: 'USMT_STEPS_DIRECTORY_BASE_DN',
    description: 'Search base; default: the defaultNamingContext of the domain controller',
  },
  {
    key: 'directoryTls', area: 'directory', type: 'enum', flag: 'tls', tsVariables: ['USMTStepsDirectoryTls'], envVar: 'USMT_STEPS_DIRECTORY_TLS',
    choices: ['auto', 'starttls', 'ldaps', 'none'], default: 'auto',
    description: 'Transport security: auto (ldaps:// addresses use LDAPS, others StartTLS), starttls, ldaps, or none (password sent unencrypted: only for lab directories, logged as a warning)',
  },
  {
    key: 'directoryCaFile', area: 'directory', type: 'path', flag: 'ca-file', tsVariables: ['USMTStepsDirectoryCAFile'], envVar: 'USMT_STEPS_DIRECTORY_CA_FILE',
    description: 'PEM file with the CA certificate(s) that issued the domain controller certificate (default: the system trust store); validation is always on',
  },
  {
    key: 'directoryBind', area: 'directory', type: 'enum', flag: 'bind', tsVariables: ['USMTStepsDirectoryBind'], envVar: 'USMT_STEPS_DIRECTORY_BIND',
    choices: ['auto', 'computer', 'credentials'], default: 'auto',
    description: 'How users reads AD: computer = through ADSI as the account the step runs as (SYSTEM is the computer account; full OS of a domain-joined PC, no credentials); credentials = a simple bind over LDAP(S) as USMTStepsDirectoryUser/OSDJoinAccount or the network access account; auto = credentials when a bind account is set, else the computer account in the full OS, else the network access account',
  },
  {
    key: 'directoryUser', area: 'directory', type: 'string', flag: 'bind-user', tsVariables: ['USMTStepsDirectoryUser', 'OSDJoinAccount'], envVar: 'USMT_STEPS_DIRECTORY_USER',
    description: 'Account for the simple bind: a DN, user@domain or DOMAIN\\user (a read-only account is enough)',
  },
  {
    key: 'directoryPassword', area: 'directory', type: 'string', tsVariables: ['USMTStepsDirectoryPassword', 'OSDJoinPassword'], envVar: 'USMT_STEPS_DIRECTORY_PASSWORD',
    secret: true, description: 'Password for the simple bind (never a flag: task-sequence variable, environment or --bind-password-file)',
  },
  {
    key: 'directoryPasswordFile', area: 'directory', type: 'path', flag: 'bind-password-file', tsVariables: ['USMTStepsDirectoryPasswordFile'], envVar: 'USMT_STEPS_DIRECTORY_PASSWORD_FILE',
    description: 'File whose first line is the bind password (used when USMTStepsDirectoryPassword is empty)',
  },
  {
    key: 'directoryTimeout', area: 'directory', type: 'integer', flag: 'timeout', tsVariables: ['USMTStepsDirectoryTimeout'], envVar: 'USMT_STEPS_DIRECTORY_TIMEOUT',
    default: '15', min: 1, max: 600, description: 'Seconds to wait for a connection or an LDAP answer',
  },
  {
    key: 'directoryRetries', area: 'directory', type: 'integer', flag: 'retries', tsVariables: ['USMTStepsDirectoryRetries'], envVar: 'USMT_STEPS_DIRECTORY_RETRIES',
    default: '2', min: 0, max: 10, description: 'Extra connection attempts per domain controller (with a growing pause) before the next one is tried',
  },
  {
    key: 'directoryPageSize', area: 'directory', type: 'integer', tsVariables: ['USMTStepsDirectoryPageSize'], envVar: 'USMT_STEPS_DIRECTORY_PAGE_SIZE',
    default: '500', min: 1, max: 5000, description: 'Entries per page of a paged LDAP search',
  },
  {
    key: 'directoryUnavailable', area: 'directory', type: 'enum', flag: 'on-unavailable', tsVariables: ['USMTStepsDirectoryUnavailable'], envVar: 'USMT_STEPS_DIRECTORY_UNAVAILABLE',
    choices: ['fail', 'keep-all'], default: 'fail',
    description: 'When no domain controller answers: fail the step, or keep every profile (nothing excluded, step ends with a warning)',
  },
  // selection policy
  {
    key: 'selectionPolicyFile', area: 'directory', type: 'path', flag: 'policy', tsVariables: ['USMTStepsUserPolicy', 'USMTStepsPolicy'], envVar: 'USMT_STEPS_USER_POLICY',
    description: 'The policy file (YAML or JSON); users reads its "users:" section (includeGroups, excludeGroups, includeOus, excludeOus, skipDisabled, skipDeleted, inactiveDays, keepLocal, orphans, orphanMap) and ignores "stores:"; flags and variables override it',
  },
  {
    key: 'includeGroups', area: 'directory', type: 'string', flag: 'include-group', multiple: true, tsVariables: ['USMTStepsIncludeGroups'],
    description: 'Only capture domain accounts that are (transitively) in one of these groups (name, DN or SID; ";"-separated)',
  },
  {
    key: 'excludeGroups', area: 'directory', type: 'string', flag: 'exclude-group', multiple: true, tsVariables: ['USMTStepsExcludeGroups'],
    description: 'Never capture domain accounts that are (transitively) in one of these groups',
  },
  {
    key: 'includeOus', area: 'directory', type: 'string', flag: 'include-ou', multiple: true, tsVariables: ['USMTStepsIncludeOUs'],
    description: 'Only capture domain accounts under one of these OUs (DN, absolute or relative to the base DN; ";"-separated)',
  },
  {
    key: 'excludeOus', area: 'directory', type: 'string', flag: 'exclude-ou', multiple: true, tsVariables: ['USMTStepsExcludeOUs'],
    description: 'Never capture domain accounts under one of these OUs',
  },
  {
    key: 'skipDisabled', area: 'directory', type: 'boolean', flag: 'skip-disabled', tsVariables: ['USMTStepsSkipDisabled'],
    default: 'false', description: 'Leave out accounts disabled in AD (userAccountControl ACCOUNTDISABLE)',
  },
  {
    key: 'skipDeleted', area: 'directory', type: 'boolean', flag: 'skip-deleted', tsVariables: ['USMTStepsSkipDeleted'],
    default: 'false', description: 'Leave out profiles of accounts deleted in AD (tombstone found), knowingly; otherwise they are orphans',
  },
  {
    key: 'inactiveDays', area: 'directory', type: 'integer', flag: 'inactive-days', tsVariables: ['USMTStepsInactiveDays'], min: 1, max: 36500,
    description: 'Leave out accounts whose AD lastLogonTimestamp is older than this many days (AD updates it only every 9-14 days: use 30 or more)',
  },
  {
    key: 'keepLocal', area: 'directory', type: 'boolean', flag: 'keep-local', tsVariables: ['USMTStepsKeepLocal'],
    default: 'true', description: 'Capture local (non-domain) accounts; false leaves them out',
  },
  {
    key: 'orphanPolicy', area: 'directory', type: 'enum', flag: 'orphans', tsVariables: ['USMTStepsOrphanPolicy'],
    choices: ['fail', 'exclude'], default: 'fail',
    description: 'Profiles whose SID does not resolve and that have no mapping: fail the step before capture, or exclude them knowingly (warning)',
  },
  {
    key: 'orphanMap', area: 'directory', type: 'path', flag: 'orphan-map', tsVariables: ['USMTStepsOrphanMap'],
    description: 'JSON file mapping an orphaned SID or old DOMAIN\\name to the account that should own the profile after restore',
  },
] as const satisfies readonly SettingDef[]

/** The selection-policy keys (shared by the policy file, flags and variables). */
export const POLICY_SETTING_KEYS = ['includeGroups', 'excludeGroups', 'includeOus', 'excludeOus', 'skipDisabled', 'skipDeleted',
  'inactiveDays', 'keepLocal', 'orphanPolicy', 'orphanMap'] as const
