/**
 * The one exit-code table of usmt-steps (the task-sequence steps, not the portable USMT tools, which
 * return USMT's own return codes). A task sequence only sees the exit code, so these numbers are a
 * contract: never renumber, never reuse. `usmt-steps help exit-codes` and the README render this table.
 */
export const EXIT_CODES = {
  success: { code: 0, meaning: 'The step succeeded.' },
  failure: { code: 1, meaning: 'Unexpected internal failure (a bug): see usmt-steps.log and report it.' },
  usage: { code: 2, meaning: 'Bad command line: unknown flag, missing or invalid argument.' },
  config: { code: 3, meaning: 'Invalid setting, policy file or task-sequence variable value.' },
  tsEnv: { code: 4, meaning: 'The task-sequence environment is unavailable, malformed or read-only.' },
  io: { code: 5, meaning: 'A file or folder the step needs could not be read or written.' },
  storeMissing: { code: 10, meaning: 'The state store is missing or was never marked complete.' },
  storeIntegrity: { code: 11, meaning: 'The state store failed verification (corrupt, truncated, tampered or wrong key).' },
  storeExists: { code: 12, meaning: 'A complete state store already exists where a new one would be written.' },
  storeUnavailable: { code: 13, meaning: 'No state store location is reachable or has room (share down, full, over capacity).' },
  noStore: { code: 14, meaning: 'Planning found no allowed store for this machine (reasons in the decision record).' },
  usmtNotFound: { code: 20, meaning: 'USMT (scanstate/loadstate/usmtutils) was not found or has the wrong architecture.' },
  usmtFailed: { code: 21, meaning: 'USMT returned a failure code (its meaning and a suggested fix are logged).' },
  usmtPartial: { code: 22, meaning: 'USMT completed with ignored errors and the policy treats that as failure.' },
  profilesAtRisk: { code: 23, meaning: 'Profiles would be lost (orphaned SID, cloud-only files, unresolved user) and the policy stops here.' },
  directoryUnavailable: { code: 30, meaning: 'The directory (LDAP/AD) could not be reached.' },
  directoryAuth: { code: 31, meaning: 'The directory refused the credentials or the TLS certificate.' },
  reboot: { code: 3010, meaning: 'Success; a restart is required and the task sequence restarts and continues (restore returns it when the hard-link store can only be removed after a restart).' },
} as const

export type ExitName = keyof typeof EXIT_CODES

export function exitCodeOf(name: ExitName): number {
  return EXIT_CODES[name].code
}

export function exitTable(): Array<{ name: ExitName; code: number; meaning: string }> {
  return (Object.keys(EXIT_CODES) as ExitName[])
    .map((name) => ({ name, code: EXIT_CODES[name].code, meaning: EXIT_CODES[name].meaning }))
    .sort((a, b) => a.code - b.code)
}
