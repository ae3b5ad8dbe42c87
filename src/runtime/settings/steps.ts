import type { SettingDef } from '../settings.js'

/**
 * Settings of `usmt-steps capture` and `usmt-steps restore`. The task-sequence variables are the ones the
 * native Capture/Restore User State steps (OSDMigrate*) and MDT's ZTIUserState (USMT*, ScanStateArgs …)
 * read, plus the decision `usmt-steps plan` writes (OSDStateStorePath, USMTSteps*). Flags win.
 */
export const STEPS_SETTINGS = [
  // where USMT is
  {
    key: 'usmtEngine', area: 'steps', type: 'enum', flag: 'engine', tsVariables: ['USMTStepsEngine'], envVar: 'USMT_STEPS_ENGINE',
    choices: ['auto', 'microsoft', 'portable'], default: 'auto',
    description: 'Which USMT runs: Microsoft\'s scanstate.exe/loadstate.exe, the portable tools of usmt-steps, or auto (Microsoft\'s where found on Windows, else portable)',
  },
  {
    key: 'usmtDir', area: 'steps', type: 'path', flag: 'usmt-dir', tsVariables: ['USMTStepsUsmtDir'], envVar: 'USMT_STEPS_USMT_DIR',
    description: 'USMT folder (with amd64\\, x86\\, arm64\\ sub-folders or the binaries themselves); default: the USMT package of the step (_OSDMigrateUsmtPackageID), MDT\'s Tools\\<arch>\\USMT5, then the Windows ADK',
  },
  {
    key: 'usmtArch', area: 'steps', type: 'enum', flag: 'arch', tsVariables: ['USMTStepsArchitecture'], choices: ['amd64', 'x86', 'arm64'],
    description: 'Architecture of the running OS or Windows PE (default: detected); picks the USMT sub-folder',
  },
  // the store
  {
    key: 'stepStorePath', area: 'steps', type: 'path', flag: 'store', tsVariables: ['USMTStepsStoreLocalPath', 'OSDStateStorePath'],
    description: 'State store folder USMT reads or writes: the local staging folder of a share store reached through smbclient (USMTStepsStoreLocalPath, set by store request), else OSDStateStorePath (written by usmt-steps plan, store request, or the native Request State Store step)',
  },
  {
    key: 'stepStoreType', area: 'steps', type: 'enum', tsVariables: ['USMTStepsStoreType'], choices: ['hardlink', 'share', 'smp', 'none'],
    description: 'Store type decided by usmt-steps plan; none skips the step; unset: hard-link for a local path in a refresh, share for a UNC path',
  },
  {
    key: 'stepHardLink', area: 'steps', type: 'boolean', flag: 'hardlink', tsVariables: ['_OSDMigrateUseHardlinks', 'USMTStepsHardLink'],
    description: 'Capture into a hard-link store (/hardlink /nocompress): "Capture locally by using links" of the native step',
  },
  {
    key: 'deploymentType', area: 'steps', type: 'string', tsVariables: ['DeploymentType', 'USMTStepsScenario'],
    description: 'REFRESH or REPLACE (MDT); replace means the store leaves the machine: network, compressed, encrypted',
  },
  // encryption
  {
    key: 'encryptNetworkStore', area: 'steps', type: 'boolean', flag: 'encrypt', tsVariables: ['USMTStepsEncrypt'], envVar: 'USMT_STEPS_ENCRYPT',
    default: 'true', description: 'Encrypt network (and other compressed) stores; false lets a capture write an unencrypted store',
  },
  {
    key: 'encryptionKey', area: 'steps', type: 'string', tsVariables: ['USMTStepsEncryptionKey', 'UserDataKey'], envVar: 'USMT_STEPS_ENCRYPTION_KEY',
    secret: true, description: 'Store encryption key (secret; never a flag). Passed to USMT only through a key file readable by this process alone, deleted afterwards',
  },
  {
    key: 'encryptionKeyFile', area: 'steps', type: 'path', flag: 'key-file', tsVariables: ['USMTStepsEncryptionKeyFile'], envVar: 'USMT_STEPS_ENCRYPTION_KEY_FILE',
    description: 'File whose content is the store encryption key (used when USMTStepsEncryptionKey is empty)',
  },
  {
    key: 'encryptionAlgorithm', area: 'steps', type: 'enum', flag: 'encrypt-algorithm', tsVariables: ['USMTStepsEncryptionAlgorithm'],
    choices: ['AES', 'AES_128', 'AES_192', 'AES_256', '3DES', '3DES_112'], default: 'AES_256',
    description: 'USMT encryption algorithm (/encrypt:ALG and /decrypt:ALG must match)',
  },
  // what to migrate
  {
    key: 'captureOptions', area: 'steps', type: 'string', tsVariables: ['OSDMigrateAdditionalCaptureOptions'],
    description: 'Extra ScanState options (validated before anything runs; /key: is refused, use the key variable)',
  },
  {
    key: 'restoreOptions', area: 'steps', type: 'string', tsVariables: ['OSDMigrateAdditionalRestoreOptions'],
    description: 'Extra LoadState options (validated; MDT\'s /encrypt /key on restore is corrected to /decrypt with a key file)',
  },
  {
    key: 'userMapArgs', area: 'steps', type: 'string', tsVariables: ['USMTStepsUserMapArgs'],
    description: 'The /mu:OLD:NEW mappings usmt-steps users wrote for mapped orphans; capture keeps them in the store, restore passes them to loadstate (else the ones the store carries)',
  },
  {
    key: 'scanStateArgs', area: 'steps', type: 'string', tsVariables: ['ScanStateArgs'],
    description: 'MDT base ScanState arguments (default /v:5 /c /o); OSDMigrateAdditionalCaptureOptions is appended',
  },
  {
    key: 'loadStateArgs', area: 'steps', type: 'string', tsVariables: ['LoadStateArgs'],
    description: 'MDT base LoadState arguments (default /v:5 /c); OSDMigrateAdditionalRestoreOptions is appended',
  },
  {
    key: 'migrateMode', area: 'steps', type: 'enum', tsVariables: ['OSDMigrateMode'], choices: ['Simple', 'Advanced'], default: 'Simple',
    description: 'Simple: the standard USMT XML files; Advanced: the files in OSDMigrateConfigFiles',
  },
  {
    key: 'migrateConfigFiles', area: 'steps', type: 'string', tsVariables: ['OSDMigrateConfigFiles'],
    description: 'Comma-separated migration XML files (OSDMigrateMode=Advanced), relative to the USMT folder',
  },
  {
    key: 'usmtMigFiles', area: 'steps', type: 'string', tsVariables: ['USMTMigFiles'],
    description: 'MDT list of migration XML files (USMTMigFiles001…, USMTMigFiles1… or a comma-separated USMTMigFiles); default MigApp.xml, MigDocs.xml',
  },
  {
    key: 'usmtConfigFile', area: 'steps', type: 'path', flag: 'config', tsVariables: ['USMTConfigFile'],
    description: 'Config.xml passed with /config: (MDT USMTConfigFile)',
  },
  {
    key: 'continueOnLockedFiles', area: 'steps', type: 'boolean', tsVariables: ['OSDMigrateContinueOnLockedFiles'], default: 'true',
    description: 'Capture: continue when some files cannot be captured (/c)',
  },
  {
    key: 'continueOnRestore', area: 'steps', type: 'boolean', tsVariables: ['OSDMigrateContinueOnRestore'], default: 'true',
    description: 'Restore: continue when some files cannot be restored (/c)',
  },
  {
    key: 'migrateVerbose', area: 'steps', type: 'boolean', tsVariables: ['OSDMigrateEnableVerboseLogging'], default: 'false',
    description: 'USMT verbose logging (/v:13 instead of /v:5)',
  },
  {
    key: 'skipEncryptedFiles', area: 'steps', type: 'boolean', tsVariables: ['OSDMigrateSkipEncryptedFiles'], default: 'false',
    description: 'Skip EFS-encrypted files (/efs:skip); otherwise they are copied raw (/efs:copyraw) or linked (/efs:hardlink)',
  },
  {
    key: 'fileAccess', area: 'steps', type: 'enum', tsVariables: ['OSDMigrateFileAccess'], choices: ['Normal', 'VSS'], default: 'Normal',
    description: 'VSS adds /vsc (volume shadow copy; not with hard-link stores)',
  },
  {
    key: 'udProfiles', area: 'steps', type: 'string', tsVariables: ['UDProfiles'],
    description: 'Comma-separated accounts to migrate (MDT), each becomes /ui:',
  },
  {
    key: 'migrateLocalAccounts', area: 'steps', type: 'boolean', tsVariables: ['OSDMigrateLocalAccounts'], default: 'false',
    description: 'Restore: create and enable local accounts (/lac /lae)',
  },
  {
    key: 'localAccountPassword', area: 'steps', type: 'string', tsVariables: ['OSDMigrateLocalAccountPassword'], secret: true,
    description: 'Restore: password of the created local accounts (secret)',
  },
  {
    key: 'lacPasswordOnCommandLine', area: 'steps', type: 'boolean', tsVariables: ['USMTStepsLacPasswordOnCommandLine'], default: 'false',
    description: 'Microsoft engine: pass OSDMigrateLocalAccountPassword as /lac:password (USMT has no other way; other processes can see it) and enable the accounts with /lae; off: accounts are created disabled',
  },
  // offline / WinPE
  {
    key: 'inWinPE', area: 'steps', type: 'boolean', tsVariables: ['_SMSTSInWinPE'], default: 'false',
    description: 'Set by the task sequence in Windows PE: capture then runs offline',
  },
  {
    key: 'offlineCapture', area: 'steps', type: 'boolean', flag: 'offline', tsVariables: ['USMTOfflineMigration', '_OSDMigrateOfflineUserState'],
    description: 'Capture offline (from Windows PE or a mounted Windows volume) with offline.xml / /offlinewindir',
  },
  {
    key: 'offlineWinDir', area: 'steps', type: 'string', flag: 'offline-windir', tsVariables: ['OSDWinPEWinDir', 'USMTStepsOfflineWinDir'],
    description: 'Windows folder of the offline installation (default: searched on the volumes, as MDT does)',
  },
  {
    key: 'originalArchitecture', area: 'steps', type: 'string', tsVariables: ['OriginalArchitecture'],
    description: 'Architecture of the offline Windows (X64/X86/ARM64) for MIG_OFFLINE_PLATFORM_ARCH (default: detected from SysWOW64)',
  },
  // policies
  {
    key: 'profilesAtRisk', area: 'steps', type: 'enum', flag: 'at-risk', tsVariables: ['USMTStepsProfilesAtRisk', 'USMTStepsUnresolvableProfiles'],
    choices: ['fail', 'warn', 'ignore'], default: 'fail',
    description: 'Refresh captures where profiles or files were left out (orphaned SID, cloud-only OneDrive files): fail before the wipe, warn, or ignore',
  },
  {
    key: 'cloudOnlyFiles', area: 'steps', type: 'enum', flag: 'cloud-only', tsVariables: ['USMTStepsCloudOnlyPolicy'], choices: ['fail', 'warn', 'exclude'], default: 'fail',
    description: 'Cloud-only files (OneDrive placeholders: RecallOnDataAccess, RecallOnOpen, Offline) found in the profiles before the capture: fail before anything is written, warn, or exclude them on purpose (they stay in the cloud); with warn and exclude they are left out of scanstate explicitly',
  },
  {
    key: 'attributesFile', area: 'steps', type: 'path', flag: 'attributes', tsVariables: ['USMTStepsAttributesFile'],
    description: 'Mapped volumes: JSON file of Windows path → attributes (letters, [IO.FileAttributes] names or a number) for a volume that cannot hold Windows attributes; an ntfs-3g mount is read directly',
  },
  {
    key: 'proofPolicy', area: 'steps', type: 'enum', tsVariables: ['USMTStepsProofPolicy'], choices: ['fail', 'warn'], default: 'fail',
    description: 'When the proof after a restore finds stored files missing or changed on the destination: fail (exit 23, the store is kept) or warn (the store is kept)',
  },
  {
    key: 'failOnIgnoredErrors', area: 'steps', type: 'boolean', tsVariables: ['USMTStepsFailOnIgnoredErrors'], default: 'false',
    description: 'Treat USMT return code 3 (errors skipped because of /c) as a failure (exit 22) instead of a warning',
  },
  {
    key: 'usersLeftBehind', area: 'steps', type: 'enum', tsVariables: ['USMTStepsUsersLeftBehind'], choices: ['fail', 'warn'], default: 'fail',
    description: 'What restore does when users in the store were not restored (e.g. local accounts without /lac) and no user selection asked for it: fail (exit 23, store kept) or warn (store kept)',
  },
  {
    key: 'keepStore', area: 'steps', type: 'boolean', flag: 'keep-store', tsVariables: ['USMTStepsKeepStore'], default: 'false',
    description: 'Keep a hard-link store after a successful restore (default: removed with usmtutils /rd)',
  },
  {
    key: 'allowMissingStore', area: 'steps', type: 'boolean', flag: 'allow-missing', tsVariables: ['USMTStepsAllowMissingStore'], default: 'false',
    description: 'Restore succeeds with a warning when there is no store (MDT\'s behaviour); default: exit 10',
  },
  {
    key: 'heartbeatSeconds', area: 'steps', type: 'integer', tsVariables: ['USMTStepsHeartbeatSeconds'], envVar: 'USMT_STEPS_HEARTBEAT_SECONDS',
    default: '60', min: 1, max: 3600, description: 'Seconds between "still working" progress and log lines while USMT runs',
  },
  {
    key: 'rulesFiles', area: 'steps', type: 'path', flag: 'rules', multiple: true, tsVariables: ['USMTStepsRules'],
    description: 'Extra migration XML files (/i:), ";"-separated, in addition to the variables',
  },
] as const satisfies readonly SettingDef[]
