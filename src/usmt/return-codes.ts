/**
 * USMT's return codes (usmt.md §2, from Microsoft's "USMT return codes" article and its 2017 revision):
 * every documented code, its name, category, messages and the documented troubleshooting text, plus a
 * classification helper used by the capture/restore steps and the error type the portable tools use to
 * end with a given code.
 */

export type UsmtCategory =
  | 'Success or User Cancel'
  | 'Invalid Command Lines'
  | 'Setup and Initialization'
  | 'Non-fatal Errors'
  | 'Fatal Errors'
  | 'Undocumented'

export interface UsmtReturnCodeInfo {
  code: number
  name: string
  category: UsmtCategory
  /** Documented messages with the documented troubleshooting text for each. */
  messages: ReadonlyArray<{ text: string; fix: string }>
}

const REVIEW_CMD = 'Review ScanState log or LoadState log for details about command-line errors.'
const ACCESS = 'Make sure that the store path is accessible and that the proper permission levels are set.'
const XML_ERRORS = 'Check the ScanState log file for migration .xml file errors.'
const XML_OR_HELP = 'Check the ScanState log file for migration .xml file errors, or use online Help by typing /? on the command line.'
const ELEVATE = 'Sign in as Administrator, and run with elevated privileges.'
const DATA_TRANSFER = 'Data transfer has begun, and there was an error during migration-store creation or during the apply phase. Review the ScanState log or LoadState log for details.'

/** The documented message texts, by a stable key (the portable tools and validators use these, never free text). */
export const USMT_MESSAGES = {
  success: 'Successful run',
  help: 'Command line help requested',
  efsAbort: 'Gather was aborted because of an EFS file',
  userCancel: 'User chose to cancel (such as pressing CTRL+C)',
  wouldHaveFailed: 'At least one error was skipped as a result of /c.',
  // 11
  allConflicts: '/all conflicts with /ui, /ue or /uel',
  autoParam: '/auto expects an optional parameter for the script folder',
  encryptNoCompress: "/encrypt can't be used with /nocompress",
  encryptNeedsKey: '/encrypt requires /key or /keyfile',
  genconfigOthers: "/genconfig can't be used with most other options",
  genmigxmlOthers: "/genmigxml can't be used with most other options",
  hardlinkNeedsNoCompress: '/hardlink requires /nocompress',
  keyAndKeyfile: '/key and /keyfile both specified',
  keyWithoutEncryption: '/key or /keyfile used without enabling encryption',
  laeNeedsLac: '/lae is only used with /lac',
  listfilesWithP: '/listfiles cannot be used with /p',
  offlinePath: '/offline requires a valid path to an XML file describing offline paths',
  offlineWinDirPath: '/offlinewindir requires a valid path to offline windows folder',
  offlineWinOldPath: '/offlinewinold requires a valid path to offline windows folder',
  commandAlreadySpecified: 'A command was already specified',
  argumentMissing: 'An option argument is missing',
  ambiguous: 'An option is specified more than once and is ambiguous',
  autoExcludes: 'By default /auto selects all users and uses the highest log verbosity level. Switches like /all, /ui, /ue, /v are not allowed.',
  argsRequired: 'Command line arguments are required. Specify /? for options.',
  optionNotValid: 'Command line option is not valid',
  efsParam: 'EFS parameter specified is not valid for /efs',
  genconfigFile: 'File argument is invalid for /genconfig',
  genmigxmlFile: 'File argument is invalid for /genmigxml',
  estimatePath: 'Invalid space estimate path. Check the parameters and/or file system permissions',
  listfilesPath: 'List file path argument is invalid for /listfiles',
  retryInteger: 'Retry argument must be an integer',
  storeInvalid: 'Settings store argument specified is invalid',
  algorithm: 'Specified encryption algorithm is not supported',
  efsHardlink: 'The /efs:hardlink requires /hardlink',
  targetWindows7: 'The /targetWindows7 option is only available for Windows XP, Windows Vista, and Windows 7',
  storeRequired: 'The store parameter is required but not specified',
  mdMapping: 'The source-to-target domain mapping is invalid for /md',
  muMapping: 'The source-to-target user account mapping is invalid for /mu',
  undefinedOption: 'Undefined or incomplete command line option',
  legacyEstimate: 'Use /nocompress, or provide an XML file path with /p"pathtoafile" to get a compressed store size estimate',
  userExclusion: 'User exclusion argument is invalid',
  verbosity: 'Verbosity level must be specified as a sum of the desired log options: Verbose (0x01), Record Objects (0x04), Echo to debug port (0x08)',
  vscHardlink: 'Volume shadow copy feature is not supported with a hardlink store',
  waitInteger: 'Wait delay argument must be an integer',
  // 12, 13, 14
  argTooLong: 'Command line arguments cannot exceed 256 characters',
  storePathTooLong: 'Specified settings store path exceeds the maximum allowed length of 256 characters',
  logPath: 'Log path argument is invalid for /l',
  useLac: 'Unable to create a local account because /lac was not specified',
  // 26
  multipleWindows: 'Multiple Windows installations found',
  malfunction: 'Software malfunction or unknown exception',
  noWindowsDir: 'Unable to find a valid Windows directory to proceed with requested offline operation; Check if offline input file is present and has valid entries',
  // 27
  storeExists: "A store path can't be used because an existing store exists; specify /o to overwrite",
  storeMissing: 'A store path is missing or has incomplete data',
  storeCreation: 'An error occurred during store creation',
  storeDevice: 'An inappropriate device such as a floppy disk was specified for the store',
  storePathInvalid: 'Invalid store path; check the store parameter and/or file system permissions',
  storeNotRecognized: 'The file layout and/or file content is not recognized as a valid store',
  storeIncompatible: 'The store path holds a store incompatible with the current USMT version',
  storeReadOnly: 'The store save location is read-only or does not support a requested storage option',
  // 28
  scriptInvalid: 'Script file is invalid for /i',
  scriptMissing: 'Unable to find a script file specified by /i',
  // 29
  tempSpace: 'A minimum of 250 MB of free space is required for temporary files',
  anotherProcess: 'Another process is preventing migration; only one migration tool can run at a time',
  startupFailed: 'Failed to start main processing, look in log for system errors or check the installation',
  xmlError: 'Migration failed because of an XML error; look in the log for specific details',
  driveMapping: 'Unable to automatically map the drive letters to match the online drive letter layout; Use /offline to provide a mapping table',
  // 31, 32
  discover: 'An error occurred during the discover phase; the log should have more specific information',
  migrationSystem: 'An error occurred processing the migration system',
  // 33
  keyfileAccess: 'Error accessing the file specified by the /keyfile parameter',
  keyEmpty: 'The encryption key must have at least one character',
  // 34
  rdElevation: 'Directory removal requires elevated privileges',
  noRightsCreate: 'No rights to create user profiles; log in as Administrator; run with elevated privileges',
  noRightsRead: 'No rights to read or delete user profiles; log in as Administrator, run with elevated privileges',
  // 35
  rebootToRemove: 'A reboot is required to remove the store',
  storeNotOverwritable: "A store path can't be used because it contains data that could not be overwritten",
  storeRemoval: 'There was an error removing the store',
  // 36
  compliance: 'Compliance check failure; please check the logs for details',
  offlineApply: 'Use of /offline is not supported during apply',
  offlineGather: 'Use /offline to run gather on this platform',
  // 37, 38, 39
  wrongKey: 'The store holds encrypted data but the correct encryption key was not provided',
  storeAccess: 'An error occurred during store access',
  configRead: 'Error reading Config.xml',
  configFile: 'File argument is invalid for /config',
  // 40, 41
  progressWrite: 'Error writing to the progress log',
  progressPath: 'Progress log argument is invalid for /progress',
  cannotOverwrite: "Can't overwrite existing file",
  // 42
  corruptedStore: 'The store contains one or more corrupted files',
  // 61
  ioStopped: 'Processing stopped due to an I/O error',
  // 71
  win32: 'A Windows Win32 API error occurred',
  diagInit: 'An error occurred when attempting to initialize the diagnostic mechanisms such as the log',
  diagRecord: 'Failed to record diagnostic information',
  notElevated: 'Unable to start. Make sure you are running USMT with elevated privileges',
  // 72
  closeStore: 'An error occurred closing the store',
  applyError: 'An error occurred in the apply process',
  gatherError: 'An error occurred in the gather process',
  storeDiskFull: 'Out of disk space while writing the store',
  tempDiskFull: 'Out of temporary disk space on the local system',
} as const

export type UsmtMessageKey = keyof typeof USMT_MESSAGES

const M = USMT_MESSAGES
const m = (text: string, fix: string): { text: string; fix: string } => ({ text, fix })

const INVALID_11 = [
  M.allConflicts, M.autoParam, M.encryptNoCompress, M.encryptNeedsKey, M.genconfigOthers, M.genmigxmlOthers,
  M.hardlinkNeedsNoCompress, M.keyAndKeyfile, M.keyWithoutEncryption, M.laeNeedsLac, M.listfilesWithP, M.offlinePath,
  M.offlineWinDirPath, M.offlineWinOldPath, M.commandAlreadySpecified, M.argumentMissing, M.ambiguous, M.autoExcludes,
  M.argsRequired, M.optionNotValid, M.efsParam, M.genconfigFile, M.genmigxmlFile, M.estimatePath, M.listfilesPath,
  M.retryInteger, M.storeInvalid, M.algorithm, M.efsHardlink, M.targetWindows7, M.storeRequired, M.mdMapping,
  M.muMapping, M.undefinedOption, M.legacyEstimate, M.userExclusion, M.verbosity, M.vscHardlink, M.waitInteger,
]

/** Every documented return code (usmt.md §2). */
export const USMT_RETURN_CODES: readonly UsmtReturnCodeInfo[] = [
  { code: 0, name: 'USMT_SUCCESS', category: 'Success or User Cancel', messages: [m(M.success, 'NA')] },
  { code: 1, name: 'USMT_DISPLAY_HELP', category: 'Success or User Cancel', messages: [m(M.help, 'NA')] },
  { code: 2, name: 'USMT_STATUS_CANCELED', category: 'Success or User Cancel', messages: [m(M.efsAbort, 'NA'), m(M.userCancel, 'NA')] },
  { code: 3, name: 'USMT_WOULD_HAVE_FAILED', category: 'Undocumented', messages: [m(M.wouldHaveFailed, 'Review ScanState, LoadState, or UsmtUtils log for details about command-line errors.')] },
  {
    code: 11, name: 'USMT_INVALID_PARAMETERS', category: 'Invalid Command Lines',
    messages: INVALID_11.map((t) => m(t, t === M.commandAlreadySpecified
      ? 'Verify that the command-line syntax is correct and that there are no duplicate commands.'
      : t === M.storeInvalid ? `${REVIEW_CMD} ${ACCESS}` : REVIEW_CMD)),
  },
  { code: 12, name: 'USMT_ERROR_OPTION_PARAM_TOO_LARGE', category: 'Invalid Command Lines', messages: [m(M.argTooLong, REVIEW_CMD), m(M.storePathTooLong, REVIEW_CMD)] },
  { code: 13, name: 'USMT_INIT_LOGFILE_FAILED', category: 'Invalid Command Lines', messages: [m(M.logPath, 'When /l is specified in the ScanState command line, USMT validates the path. Verify that the drive and other information, for example file system characters, are correct.')] },
  { code: 14, name: 'USMT_ERROR_USE_LAC', category: 'Invalid Command Lines', messages: [m(M.useLac, 'When creating local accounts, the command-line options /lac and /lae should be used.')] },
  {
    code: 26, name: 'USMT_INIT_ERROR', category: 'Setup and Initialization', messages: [
      m(M.multipleWindows, 'Listfiles.txt couldn\'t be created. Verify that the location you specified for the creation of this file is valid.'),
      m(M.malfunction, 'Check all loaded .xml files for errors, common error when using /i to load the Config.xml file.'),
      m(M.noWindowsDir, 'Verify that the offline input file is present and that it has valid entries. USMT couldn\'t find valid offline operating system. Verify your offline directory mapping.'),
    ],
  },
  {
    code: 27, name: 'USMT_INVALID_STORE_LOCATION', category: 'Setup and Initialization', messages: [
      m(M.storeExists, 'Specify /o to overwrite an existing intermediate or migration store.'),
      m(M.storeMissing, ACCESS), m(M.storeCreation, `${ACCESS} Specify /o to overwrite an existing intermediate or migration store.`),
      m(M.storeDevice, ACCESS), m(M.storePathInvalid, ACCESS),
      m(M.storeNotRecognized, `${ACCESS} Specify /o to overwrite an existing intermediate or migration store.`),
      m(M.storeIncompatible, ACCESS), m(M.storeReadOnly, ACCESS),
    ],
  },
  {
    code: 28, name: 'USMT_UNABLE_GET_SCRIPTFILES', category: 'Setup and Initialization', messages: [
      m(M.scriptInvalid, 'Check all specified migration .xml files for errors. This error is common when using /i to load the Config.xml file.'),
      m(M.scriptMissing, 'Verify the location of your script files, and ensure that the command-line options are correct.'),
    ],
  },
  {
    code: 29, name: 'USMT_FAILED_MIGSTARTUP', category: 'Setup and Initialization', messages: [
      m(M.tempSpace, 'Verify that the system meets the minimum temporary disk space requirement of 250 MB. As a workaround, you can set the environment variable USMT_WORKING_DIR=<path> to redirect the temporary files working directory.'),
      m(M.anotherProcess, XML_ERRORS), m(M.startupFailed, XML_ERRORS), m(M.xmlError, XML_ERRORS), m(M.driveMapping, XML_ERRORS),
    ],
  },
  { code: 31, name: 'USMT_UNABLE_FINDMIGUNITS', category: 'Setup and Initialization', messages: [m(M.discover, XML_ERRORS)] },
  { code: 32, name: 'USMT_FAILED_SETMIGRATIONTYPE', category: 'Setup and Initialization', messages: [m(M.migrationSystem, XML_OR_HELP)] },
  { code: 33, name: 'USMT_UNABLE_READKEY', category: 'Setup and Initialization', messages: [m(M.keyfileAccess, XML_OR_HELP), m(M.keyEmpty, XML_OR_HELP)] },
  { code: 34, name: 'USMT_ERROR_INSUFFICIENT_RIGHTS', category: 'Setup and Initialization', messages: [m(M.rdElevation, ELEVATE), m(M.noRightsCreate, ELEVATE), m(M.noRightsRead, ELEVATE)] },
  {
    code: 35, name: 'USMT_UNABLE_DELETE_STORE', category: 'Setup and Initialization', messages: [
      m(M.rebootToRemove, 'Reboot to delete any files that couldn\'t be deleted when the command was executed.'),
      m(M.storeNotOverwritable, 'A migration store couldn\'t be deleted. If you\'re using a hardlink migration store, you might have a locked file in it. You should manually delete the store, or use UsmtUtils.exe /rd command to delete the store.'),
      m(M.storeRemoval, 'Review ScanState log or LoadState log for details.'),
    ],
  },
  {
    code: 36, name: 'USMT_ERROR_UNSUPPORTED_PLATFORM', category: 'Setup and Initialization', messages: [
      m(M.compliance, 'Investigate whether there\'s an active temporary profile on the system.'),
      m(M.offlineApply, 'The /offline command wasn\'t used while running in the Windows Preinstallation Environment (WinPE).'),
      m(M.offlineGather, 'The /offline command wasn\'t used while running in WinPE.'),
    ],
  },
  { code: 37, name: 'USMT_ERROR_NO_INVALID_KEY', category: 'Setup and Initialization', messages: [m(M.wrongKey, 'Verify that the correct encryption key or keyfile was included with the /key or /keyfile option.')] },
  { code: 38, name: 'USMT_ERROR_CORRUPTED_NOTENCRYPTED_STORE', category: 'Setup and Initialization', messages: [m(M.storeAccess, `Review ScanState log or LoadState log for details about command-line errors. ${ACCESS}`)] },
  {
    code: 39, name: 'USMT_UNABLE_TO_READ_CONFIG_FILE', category: 'Setup and Initialization', messages: [
      m(M.configRead, 'Review ScanState log or LoadState log for details about command-line errors in the Config.xml file.'),
      m(M.configFile, 'Check the command line you used to load the Config.xml file. You can use online Help by typing /? on the command line.'),
    ],
  },
  {
    code: 40, name: 'USMT_ERROR_UNABLE_CREATE_PROGRESS_LOG', category: 'Setup and Initialization', messages: [
      m(M.progressWrite, 'The Progress log couldn\'t be created. Verify that the location is valid and that you have write access.'),
      m(M.progressPath, 'The Progress log couldn\'t be created. Verify that the location is valid and that you have write access.'),
    ],
  },
  {
    code: 41, name: 'USMT_PREFLIGHT_FILE_CREATION_FAILED', category: 'Setup and Initialization', messages: [
      m(M.cannotOverwrite, 'The Progress log couldn\'t be created. Verify that the location is valid and that you have write access.'),
      m(M.estimatePath, 'Review ScanState log or LoadState log for details.'),
    ],
  },
  { code: 42, name: 'USMT_ERROR_CORRUPTED_STORE', category: 'Undocumented', messages: [m(M.corruptedStore, 'Review UsmtUtils log for details about the corrupted files. For information on how to extract the files that are not corrupted, see Extract Files from a Compressed USMT Migration Store.')] },
  { code: 61, name: 'USMT_MIGRATION_STOPPED_NONFATAL', category: 'Non-fatal Errors', messages: [m(M.ioStopped, 'USMT exited but can continue with the /c command-line option, with the optional configurable <ErrorControl> section or by using the /vsc command-line option.')] },
  {
    code: 71, name: 'USMT_INIT_OPERATING_ENVIRONMENT_FAILED', category: 'Fatal Errors', messages: [
      m(M.win32, DATA_TRANSFER), m(M.diagInit, DATA_TRANSFER), m(M.diagRecord, DATA_TRANSFER),
      m(M.notElevated, 'Exit USMT and sign in again with elevated privileges.'),
    ],
  },
  {
    code: 72, name: 'USMT_UNABLE_DOMIGRATION', category: 'Fatal Errors', messages: [
      m(M.closeStore, DATA_TRANSFER), m(M.applyError, DATA_TRANSFER), m(M.gatherError, DATA_TRANSFER),
      m(M.storeDiskFull, DATA_TRANSFER), m(M.tempDiskFull, DATA_TRANSFER),
    ],
  },
]

const BY_CODE = new Map(USMT_RETURN_CODES.map((r) => [r.code, r]))

export function usmtReturnCode(code: number): UsmtReturnCodeInfo | undefined {
  return BY_CODE.get(code)
}

/** The documented return code a message belongs to (first match), or undefined. */
export function returnCodeOfMessage(text: string): number | undefined {
  for (const r of USMT_RETURN_CODES) if (r.messages.some((msg) => msg.text === text)) return r.code
  return undefined
}

/**
 * What a return code means for a step:
 *  - success: 0; partial: 3 (errors ignored because of /c);
 *  - help / canceled: 1 / 2;
 *  - usage: 11–14 (the command line is wrong: fix the arguments, do not retry);
 *  - store: 27, 35, 37, 38, 42 (the store location or its content);
 *  - setup: the other 2x/3x/4x codes (environment, XML, key file, logs);
 *  - nonFatal: 61 (stopped on an I/O error; /c or ErrorControl would continue);
 *  - fatal: 71, 72;
 *  - unknown: anything undocumented.
 */
export type UsmtOutcomeKind = 'success' | 'partial' | 'help' | 'canceled' | 'usage' | 'store' | 'setup' | 'nonFatal' | 'fatal' | 'unknown'

export interface UsmtClassification {
  code: number
  name: string
  kind: UsmtOutcomeKind
  category: UsmtCategory | 'Unknown'
  /** True for 0 and 3: a store/restore was produced. */
  succeeded: boolean
  /** True when running again unchanged can help (transient: locks, another process, I/O, disk space). */
  retryable: boolean
  /** The documented message (the first one when several are documented), or a generic line for unknown codes. */
  message: string
  /** The documented troubleshooting text for that message. */
  fix: string
}

const STORE_CODES = new Set([27, 35, 37, 38, 42])
const RETRYABLE = new Set([29, 35, 61, 72])

export function classifyReturnCode(code: number, message?: string): UsmtClassification {
  const info = BY_CODE.get(code)
  if (!info) {
    return {
      code, name: 'UNKNOWN', kind: 'unknown', category: 'Unknown', succeeded: false, retryable: false,
      message: message ?? `Undocumented USMT return code ${code}`,
      fix: 'Review the ScanState, LoadState or UsmtUtils log for details.',
    }
  }
  const msg = (message && info.messages.find((x) => x.text === message)) || info.messages[0]
  let kind: UsmtOutcomeKind
  if (code === 0) kind = 'success'
  else if (code === 3) kind = 'partial'
  else if (code === 1) kind = 'help'
  else if (code === 2) kind = 'canceled'
  else if (code >= 11 && code <= 14) kind = 'usage'
  else if (STORE_CODES.has(code)) kind = 'store'
  else if (code === 61) kind = 'nonFatal'
  else if (code === 71 || code === 72) kind = 'fatal'
  else kind = 'setup'
  return {
    code, name: info.name, kind, category: info.category, succeeded: code === 0 || code === 3,
    retryable: RETRYABLE.has(code), message: message ?? msg.text, fix: msg.fix,
  }
}

/**
 * Thrown inside the portable tools to end the run with a USMT return code and one of the documented
 * messages. `argIndex` marks the offending command-line argument (the main log shows `##ERROR## -->`
 * before it, as USMT does).
 */
export class UsmtFailure extends Error {
  readonly returnCode: number
  readonly argIndex?: number
  /** Extra detail for the main log (never shown as the documented message). */
  readonly detail?: string

  constructor(returnCode: number, message: string, options: { argIndex?: number; detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'UsmtFailure'
    this.returnCode = returnCode
    this.argIndex = options.argIndex
    this.detail = options.detail
  }

  static of(key: UsmtMessageKey, options: { argIndex?: number; detail?: string; cause?: unknown } = {}): UsmtFailure {
    const text = USMT_MESSAGES[key]
    const code = returnCodeOfMessage(text)
    if (code === undefined) throw new Error(`message ${key} has no return code`)
    return new UsmtFailure(code, text, options)
  }
}
