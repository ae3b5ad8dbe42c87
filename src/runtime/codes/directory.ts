import { defineCodes } from './types.js'

/** USM0500–USM0599: AD-aware profile selection (LDAP). */
export const DIRECTORY_CODES = defineCodes({
  USM0500: {
    exit: 'config', summary: 'The directory connection settings are incomplete or invalid.',
    actions: ['Set --dc (or USMTStepsDC) or --domain (or USMTStepsDomain) so a domain controller can be found, and check the value named in the message.'],
  },
  USM0501: {
    exit: 'directoryUnavailable', summary: 'No domain controller could be reached.',
    actions: [
      'Check that the machine has network access to the domain controller on the LDAP port (389 for StartTLS, 636 for LDAPS).',
      'Set USMTStepsDirectoryUnavailable=keep-all to capture every profile (nothing excluded) when the directory cannot be reached.',
    ],
  },
  USM0502: {
    exit: 'directoryAuth', summary: 'The directory refused the credentials.',
    actions: ['Check USMTStepsDirectoryUser / USMTStepsDirectoryPassword (a DN, user@domain or DOMAIN\\user) and that the account is enabled and not locked out.'],
  },
  USM0503: {
    exit: 'directoryAuth', summary: 'The domain controller\'s TLS certificate was not trusted.',
    actions: [
      'Pass --ca-file (USMTStepsDirectoryCAFile) with the PEM certificate of the CA that issued the domain controller certificate.',
      'Connect by the name the certificate was issued to (see --dc); certificate validation cannot be switched off.',
    ],
  },
  USM0504: {
    exit: 'directoryAuth', summary: 'The domain controller requires an encrypted connection for this bind.',
    actions: ['Use --tls starttls (the default for ldap://) or an ldaps:// address; a simple bind over an unencrypted connection is refused by current domain controllers.'],
  },
  USM0505: {
    exit: 'config', summary: 'No directory credentials were given.',
    actions: [
      'Set USMTStepsDirectoryUser and USMTStepsDirectoryPassword (or OSDJoinAccount / OSDJoinPassword) as task-sequence variables, or run where ConfigMgr\'s network access account is set (_SMSTSReserved1/2): it is used when neither is set.',
      'Or decide for every profile without the directory: USMTStepsDirectoryUnavailable=keep-all keeps them all with a warning; --directory none is the file-based mode.',
    ],
  },
  USM0506: {
    exit: 'directoryUnavailable', summary: 'No domain controller was found in DNS.',
    actions: ['Check the domain name and the DNS server of this machine (SRV record _ldap._tcp.dc._msdcs.<domain>), or name a domain controller with --dc.'],
  },
  USM0507: {
    exit: 'directoryUnavailable', summary: 'A directory search failed.',
    actions: ['Check that the bind account may read users, groups and deleted objects under the search base (--base-dn).'],
  },
  USM0508: {
    exit: 'config', summary: 'A group or OU named in the selection policy does not exist in the directory.',
    actions: ['Fix the group (name, DN or SID) or OU (DN) in the policy; a misspelt exclusion would otherwise capture profiles it was meant to skip.'],
  },
  USM0509: {
    exit: 'profilesAtRisk', summary: 'Orphaned profiles (SID not resolvable in the directory) or Entra ID profiles would not be migrated.',
    actions: [
      'Map each orphaned profile to an account with --orphan-map FILE (USMTStepsOrphanMap) so it is captured and restored under that account.',
      'Or, after checking the data is not needed, set --orphans exclude (USMTStepsOrphanPolicy) to leave them out knowingly.',
      'Entra ID (Azure AD) profiles (S-1-12-1-…, AzureAD\\…): USMT does not support them. Move their data another way first (OneDrive known folders), then set --orphans exclude.',
    ],
  },
  USM0510: {
    exit: 'config', summary: 'The selection policy file is invalid.',
    actions: ['Fix the JSON file named in the message; see the "users" section of the README for its keys.'],
  },
  USM0511: {
    exit: 'io', summary: 'The user profiles could not be listed.',
    actions: ['Check --volume C=DIR points at the Windows volume (with a Users folder) and that --users FILE is a JSON list of {account, profile, sid}.'],
  },
  USM0512: {
    exit: 'config', summary: 'The orphan mapping file is invalid.',
    actions: ['Write the file as JSON: {"S-1-5-21-…-1109": "CORP\\\\newuser", "CORP\\\\olduser": "CORP\\\\newuser"}.'],
  },
  USM0513: {
    exit: 'config', summary: 'A profile cannot be expressed as a USMT /ui argument.',
    actions: ['Fix the account name in --users FILE (USMT treats * and ? in /ui as wildcards, which would widen the capture).'],
  },
  USM0514: {
    exit: 'config', summary: 'The computer account cannot read the directory here.',
    actions: [
      '--bind computer (USMTStepsDirectoryBind=computer) needs the full OS of a domain-joined Windows with PowerShell: in Windows PE there is no computer account.',
      'In Windows PE give USMTStepsDirectoryUser / USMTStepsDirectoryPassword (or OSDJoinAccount / OSDJoinPassword), or run where the network access account is set, with --bind auto or credentials.',
    ],
  },
})
