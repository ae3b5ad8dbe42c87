import { defineCodes } from './types.js'

/** USM0001–USM0099: CLI, settings, task-sequence environment, logging. */
export const FOUNDATION_CODES = defineCodes({
  USM0001: { exit: 'failure', summary: 'Unexpected internal error.', actions: ['Send usmt-steps.log with the step name to the maintainers.'] },
  USM0002: { exit: 'usage', summary: 'Invalid command line.', actions: ['Run the command with --help to see its flags.'] },
  USM0003: { exit: 'config', summary: 'Invalid setting value.', actions: ['Check the flag, task-sequence variable or environment variable named in the message.'] },
  USM0010: { exit: 'tsEnv', summary: 'Unknown task-sequence environment provider.', actions: ['Use --ts-env configmgr, mdt[:FILE], json:FILE or env.'] },
  USM0011: { exit: 'tsEnv', summary: 'The ConfigMgr task-sequence environment is not available.', actions: ['Run the step inside a running ConfigMgr task sequence, or choose --ts-env json:FILE / mdt:FILE for testing.'] },
  USM0012: { exit: 'tsEnv', summary: 'The task-sequence variable is read-only.', actions: ['Variables whose names start with "_" are set by the task-sequence engine; choose a name without the leading underscore.'] },
  USM0013: { exit: 'tsEnv', summary: 'The task-sequence variable value is too long.', actions: ['Values are limited to 4000 characters; store large data in a file and put its path in the variable.'] },
  USM0014: { exit: 'tsEnv', summary: 'Invalid task-sequence variable name.', actions: ['Names start with a letter and contain only letters, digits, "_" and "-" (at most 256 characters).'] },
  USM0015: { exit: 'tsEnv', summary: 'The variables file is malformed.', actions: ['Fix or restore the file named in the message; it was not modified.'] },
  USM0016: { exit: 'tsEnv', summary: 'The variables file is locked by another process.', actions: ['Another step holds VARIABLES.DAT.LOCK; if no step is running, delete the stale lock file.'] },
  USM0017: { exit: 'tsEnv', summary: 'The task-sequence environment is read-only.', actions: ['The process environment (--ts-env env) cannot be written; use configmgr, mdt or json:FILE.'] },
  USM0018: { exit: 'tsEnv', summary: 'The variables file could not be read or written.', actions: ['Check that the path exists and the step can write there.'] },
  USM0019: { exit: 'tsEnv', summary: 'The Windows COM bridge failed.', actions: ['Check that powershell.exe or cscript.exe can run in this environment (WinPE needs WinPE-Scripting or WinPE-PowerShell).'] },
  USM0020: { exit: 'io', summary: 'The log folder could not be written.', actions: ['Pass --log-dir with a writable folder, or check _SMSTSLogPath.'] },
  USM0021: { exit: 'tsEnv', summary: 'The variables file does not exist.', actions: ['Check the path given in --ts-env json:FILE (or USMT_STEPS_TS_ENV); usmt-steps env set creates a new file.'] },
})
