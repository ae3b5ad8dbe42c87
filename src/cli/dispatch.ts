/**
 * Running a command without loading oclif (the bundle's entry, scripts/bundle.mjs). A task-sequence step pays the
 * CLI's start before it does any work: oclif's Config (plugins, hooks, its ~130 KB of modules) is half of it, and
 * none of it is needed to run a command the build already knows. So the build writes a dispatch table beside the
 * bundle (each command's id, whether it is strict, how many arguments it declares: from oclif's own manifest), and
 * the entry finds the command in argv exactly as oclif does (`findCommandInArgv`), loads that command's module and
 * runs it (`StepCommand.run`, which parses argv with src/cli/parse.ts). Everything else — help, `help`, a topic,
 * an unknown command, a run with an OCLIF_* setting — is left to oclif, unchanged.
 * test/unit/cli/dispatch.test.ts checks the lookup against oclif's; test/integration/cli/fast-path.test.ts runs
 * the same command lines both ways and compares stdout, stderr and the exit code.
 */
import { readFileSync } from 'node:fs'
import type { CliConfig } from './step-command.js'

/** A command of the dispatch table: what oclif's lookup needs to know of it. */
export interface DispatchEntry {
  /** false: the command takes words beyond its declared arguments. */
  strict: boolean
  /** How many arguments the command declares. */
  args: number
}

export type DispatchTable = Readonly<Record<string, DispatchEntry>>

/** The dispatch table of oclif's manifest (commands with aliases are refused: the lookup would have to know them). */
export function dispatchTable(manifest: { commands: Record<string, { strict?: boolean; args?: Record<string, unknown>; aliases?: string[]; hiddenAliases?: string[] }> }): Record<string, DispatchEntry> {
  const out: Record<string, DispatchEntry> = {}
  for (const [id, c] of Object.entries(manifest.commands)) {
    if ((c.aliases?.length ?? 0) + (c.hiddenAliases?.length ?? 0) > 0) throw new Error(`${id} has aliases: the dispatch table (src/cli/dispatch.ts) does not know aliases`)
    out[id] = { strict: c.strict !== false, args: Object.keys(c.args ?? {}).length }
  }
  return out
}

/**
 * The command argv names and the words after its name, as oclif finds them for a CLI whose topics are separated by
 * spaces (help/util normalizeArgv, then Config.findCommand): `store request --x` and `store:request --x` name
 * store:request; `report index DIR` names report:index. Undefined when argv names no command of the table (oclif
 * then shows a topic's help or says the command is not found).
 */
export function findCommandInArgv(argv: readonly string[], table: DispatchTable): { id: string; argv: string[] } | undefined {
  const has = (id: string): boolean => Object.hasOwn(table, id)
  let words = [...argv]
  if (words.length > 1 && !words[0].includes(':')) {
    const usable = new Set(Object.keys(table).flatMap((id) => id.split(':').map((_, i, a) => a.slice(0, i + 1).join(':'))))
    const final: string[] = []
    const idOf = (s?: string): string => (s ? [...final, s] : final).filter(Boolean).join(':')
    const hasArgs = (): boolean => {
      const id = idOf()
      return Boolean(id && has(id) && (!table[id].strict || table[id].args > 0))
    }
    for (const word of words) {
      if (usable.has(idOf(word))) final.push(word)
      else if (word.includes('=') || word.startsWith('-') || hasArgs()) break
      else final.push(word)
    }
    const id = idOf()
    if (id) words = [id, ...words.slice(id.split(':').length)]
  }
  const [id, ...rest] = words
  return id !== undefined && has(id) ? { id, argv: rest } : undefined
}

/** Whether oclif would show help for argv instead of running a command (a help flag before `--`, or no argv). */
export function asksForHelp(argv: readonly string[], helpFlags: readonly string[]): boolean {
  if (argv.length === 0) return true
  for (const a of argv) {
    if (helpFlags.includes(a)) return true
    if (a === '--') return false
  }
  return false
}

type ManifestCommand = { id: string; flags?: Record<string, { type: string }> }

/** The CLI configuration a command sees when oclif is not loaded: the version, and the commands of oclif's manifest (read when asked). */
export class ManifestConfig implements CliConfig {
  private list: ManifestCommand[] | undefined

  constructor(readonly version: string, private readonly manifestFile: string) {}

  get commands(): ManifestCommand[] {
    this.list ??= Object.values((JSON.parse(readFileSync(this.manifestFile, 'utf8')) as { commands: Record<string, ManifestCommand> }).commands)
    return this.list
  }

  findCommand(id: string): ManifestCommand | undefined {
    return this.commands.find((c) => c.id === id)
  }
}
