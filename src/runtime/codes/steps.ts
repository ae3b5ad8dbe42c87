import { defineCodes } from './types.js'

/** USM0300–USM0399: The capture and restore steps (driving USMT). */
export const STEPS_CODES = defineCodes({
  USM0300: {
    exit: 'usmtNotFound', summary: 'USMT (scanstate.exe, loadstate.exe, usmtutils.exe) was not found.',
    actions: [
      'Pass --usmt-dir with the USMT folder (the one holding amd64\\, x86\\, arm64\\ or the binaries themselves), or reference the USMT package in the step (_OSDMigrateUsmtPackageID).',
      'Or use --engine portable to run the portable USMT-compatible tools shipped with usmt-steps.',
    ],
  },
  USM0301: {
    exit: 'usmtNotFound', summary: 'The USMT binary has the wrong architecture for this operating system.',
    actions: ['Use the USMT folder that matches the running OS or Windows PE (amd64, x86 or arm64): a 32-bit WinPE needs x86\\scanstate.exe, a 64-bit one amd64\\scanstate.exe.'],
  },
  USM0302: {
    exit: 'config', summary: 'The capture or restore options cannot be used together.',
    actions: ['Fix the variable or flag named in the message (OSDMigrateAdditionalCaptureOptions, OSDMigrateAdditionalRestoreOptions, ScanStateArgs, LoadStateArgs); nothing was run.'],
  },
  USM0303: {
    exit: 'config', summary: 'The network store must be encrypted but no encryption key is set.',
    actions: [
      'Set the secret task-sequence variable USMTStepsEncryptionKey (or MDT\'s UserDataKey) on the capture and the restore task sequence.',
      'Or, if the policy allows unencrypted network stores, set USMTStepsEncrypt=false.',
    ],
  },
  USM0304: {
    exit: 'storeMissing', summary: 'There is no complete state store to restore.',
    actions: [
      'Check OSDStateStorePath and that the capture step succeeded (its log is in the store\'s Logs folder and in usmt-steps-capture.json).',
      'If this computer has no user state on purpose, skip the restore step (condition USMTStepsStoreType not equals none) or set USMTStepsAllowMissingStore=true.',
    ],
  },
  USM0305: {
    exit: 'usmtFailed', summary: 'USMT returned a failure code.',
    actions: ['Read the documented meaning and fix in the message; the full scanstate/loadstate log is next to usmt-steps.log.'],
  },
  USM0306: {
    exit: 'usmtPartial', summary: 'USMT skipped errors (/c) and the policy treats that as a failure.',
    actions: ['Look at the ignored errors listed in usmt-steps.log (from the progress log); set USMTStepsFailOnIgnoredErrors=false to accept them.'],
  },
  USM0307: {
    exit: 'config', summary: 'A hard-link store must be on the same volume as the user profiles.',
    actions: ['Put the store on the profiles volume (e.g. %SystemDrive%\\_SMSTaskSequence\\UserState), or use a compressed network store (KB 2269650: hard links across volumes fail on restore with code 38).'],
  },
  USM0308: {
    exit: 'profilesAtRisk', summary: 'Some profiles or files were not captured and would be lost when the disk is wiped.',
    actions: [
      'Read the list in the message: orphaned profiles (SID not resolvable), profiles never used (no NTUSER.DAT: USMT never migrates them; copy what they hold elsewhere), Entra ID profiles and cloud-only OneDrive files are not in the store.',
      'Resolve them (map the profile, make OneDrive files available offline), or set USMTStepsProfilesAtRisk=warn to continue knowingly.',
    ],
  },
  USM0309: {
    exit: 'config', summary: 'The offline Windows directory could not be found.',
    actions: ['Set OSDWinPEWinDir (or --offline-windir) to the Windows folder of the installation to capture, e.g. C:\\Windows, or map its volume with --volume C=DIR.'],
  },
  USM0310: {
    exit: 'io', summary: 'The protected key file could not be written.',
    actions: ['Check that the temporary folder (TEMP, or USMT_WORKING_DIR in Windows PE) is writable.'],
  },
  USM0311: {
    exit: 'storeIntegrity', summary: 'The state store is damaged or the encryption key does not match.',
    actions: [
      'Check that USMTStepsEncryptionKey on this task sequence is the key used at capture.',
      'Run usmtutils /verify:all on the store to list damaged files; the store was kept.',
    ],
  },
  USM0312: {
    exit: 'config', summary: 'This step cannot run in this environment.',
    actions: ['Restore runs in the full OS, not in Windows PE; move the step after the OS is installed.'],
  },
  USM0313: {
    exit: 'usmtNotFound', summary: 'Microsoft\'s USMT cannot run on this operating system.',
    actions: ['Use --engine portable (or auto) off Windows, or set USMT_STEPS_EXE_HOST to a program that runs Windows executables.'],
  },
  USM0314: {
    exit: 'config', summary: 'No state store path is set.',
    actions: ['Run usmt-steps plan (or store request, or the native Request State Store step) before this step, or set OSDStateStorePath / --store.'],
  },
  USM0316: {
    exit: 'profilesAtRisk', summary: 'Users captured in the store were not restored.',
    actions: [
      'Local accounts that do not exist on this computer are skipped unless /lac is given: set OSDMigrateLocalAccounts=true (and OSDMigrateLocalAccountPassword), then run the restore again.',
      'The store was kept; nothing was deleted. To leave these users behind on purpose, select users at restore (UDProfiles, /ui, /ue, /uel) or set USMTStepsUsersLeftBehind=warn.',
    ],
  },
  USM0315: {
    exit: 'config', summary: 'A migration XML or Config.xml file was not found.',
    actions: ['Check the file names in OSDMigrateConfigFiles, USMTMigFiles, USMTConfigFile or --rules against the USMT folder named in the message.'],
  },
  USM0317: {
    exit: 'profilesAtRisk', summary: 'The profiles hold cloud-only files (OneDrive placeholders whose content is not on this disk) and the policy stops the capture.',
    actions: [
      'Have the users make the files available on this device ("Always keep on this device"), or let OneDrive sync them before the migration.',
      'If the files are safe in the cloud, set USMTStepsCloudOnlyPolicy=exclude (or --cloud-only exclude) to leave them out on purpose, or warn to leave them out with a warning.',
    ],
  },
  USM0318: {
    exit: 'profilesAtRisk', summary: 'After the restore, stored files are missing or changed on the destination; the store was kept.',
    actions: [
      'The paths are in the message, the log and the report\'s Proof section; restore them by hand from the kept store (the command is in the log) or run the restore again.',
      'To accept the differences (e.g. a user changed a file right after the restore), set USMTStepsProofPolicy=warn; the store is kept either way.',
    ],
  },
  USM0319: {
    exit: 'storeIntegrity', summary: 'The catalog of the hard-link or uncompressed store does not carry the seal the capture made with USMTStepsStoreSealKey: files were added to or removed from it after the capture. Nothing was restored; the store was kept.',
    actions: [
      'Do not restore this store: its list of files was rewritten after the capture. Check who could write the store folder, then capture again if the source still exists.',
      'If the store was captured again by hand (scanstate without --seal-key-file) after the capture step, clear USMTStepsStoreSealKey before restoring it; the restore then says its catalog was not checked against a seal.',
    ],
  },
  USM0320: {
    exit: 'storeIntegrity', summary: 'The list of captured files that the capture recorded in the store is damaged; the restore cannot be proven.',
    actions: [
      'The store was kept. Check the store\'s Logs folder (usmt-steps-listed.jsonl) for tampering or a cut copy, and the restore\'s log for what loadstate applied.',
      'To restore without the proof, remove the damaged file from the store\'s Logs folder: the proof then says "not checked".',
    ],
  },
})
