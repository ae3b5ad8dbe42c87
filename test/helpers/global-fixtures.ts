import { disposeWine } from './wine.js'

// Mocha global fixtures. Real servers (Samba, LDAP) are started by the suites that need them through
// test/helpers/servers.ts, so a unit-only run needs none of them.
export async function mochaGlobalSetup(): Promise<void> {
  process.env.USMT_STEPS_QUIET = '1'
}

/** The Wine lane's prefix (test/helpers/wine.ts) is shared by its suites: stop wineserver and remove it at the end. */
export async function mochaGlobalTeardown(): Promise<void> {
  disposeWine()
}
