// Mocha global fixtures. Real servers (Samba, LDAP) are started by the suites that need them through
// test/helpers/servers.ts, so a unit-only run needs none of them.
export async function mochaGlobalSetup(): Promise<void> {
  process.env.USMT_STEPS_QUIET = '1'
}
