/**
 * Work a command will need that can start before the command's modules are loaded. The bundle's entry
 * (scripts/bundle.mjs) calls `warmUp` with the command it found in argv, then loads the command: `scanstate
 * /hardlink` starts its link thread (src/store/link-pipeline.ts), whose start-up (a V8 isolate and Node's
 * bootstrap, 50–100 ms of CPU) then overlaps the loading of the rule engine and the store instead of the scan's
 * first batches. A warm-up is only a head start: what it starts is used or, unused, ends with the process.
 */

/** What `id` run with `argv` can start early: the hard-link thread of a hard-link capture, or nothing. */
export function warmUpFor(id: string, argv: readonly string[]): 'link-thread' | null {
  // USMT options are case-insensitive and start with / or - (src/usmt/grammar.ts).
  return id === 'scanstate' && argv.some((a) => /^[/-]hardlink$/i.test(a)) ? 'link-thread' : null
}

/** Start what `warmUpFor` names (its module is loaded only then); resolves with its `ready`, or null. */
export async function warmUp(id: string, argv: readonly string[]): Promise<{ readonly ready: boolean } | null> {
  return warmUpFor(id, argv) === 'link-thread' ? (await import('../store/link-pipeline.js')).startLinkThread() : null
}
