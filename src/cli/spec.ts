/**
 * How a command declares its flags and arguments: plain data, without loading oclif. The objects have the shape
 * oclif's own `Flags.string`/`Flags.boolean`/`Args.string` build (type, multiple, allowNo, input …), so oclif reads
 * them unchanged for help, the manifest and its command lookup, while running a command parses argv with
 * `parseArgv` (src/cli/parse.ts) and needs nothing of oclif's runtime (bench/startup: a command starts in about
 * the time Node does). Only what the commands use is offered: a flag kind oclif has and this file lacks is added
 * here together with its parsing and its case in test/unit/cli/parse.test.ts.
 */

interface Common {
  description?: string
  /** The section of --help the flag is listed in (GLOBAL for the flags every command has). */
  helpGroup?: string
  hidden?: boolean
  required?: boolean
}

/** A flag that takes a value: `--name VALUE` or `--name=VALUE`. */
export interface OptionFlag extends Common {
  type: 'option'
  /** The value must be one of these. */
  options?: readonly string[]
  /** Repeatable: the value is a list. */
  multiple: boolean
  /** A repeatable flag takes one value each time (else the words after it are its values too, until the next flag). */
  multipleNonGreedy?: boolean
  default?: string | readonly string[]
  /** oclif's field (always empty): kept so the object is one of oclif's option flags. */
  input: string[]
}

/** A switch: `--name` (true), `--no-name` (false) when allowNo. */
export interface BooleanFlag extends Common {
  type: 'boolean'
  allowNo: boolean
  default?: boolean
}

export type FlagDef = OptionFlag | BooleanFlag

/** A positional argument (a string). */
export interface ArgDef {
  description?: string
  required?: boolean
  hidden?: boolean
  default?: string
  input: string[]
  type: 'option'
}

export type FlagMap = Record<string, FlagDef>
export type ArgMap = Record<string, ArgDef>

type OptionOptions = Omit<Partial<OptionFlag>, 'type' | 'input'>
type BooleanOptions = Omit<Partial<BooleanFlag>, 'type'>

export const Flags = {
  string(options: OptionOptions = {}): OptionFlag {
    return { ...options, input: [], multiple: Boolean(options.multiple), type: 'option' }
  },
  boolean(options: BooleanOptions = {}): BooleanFlag {
    return { ...options, allowNo: Boolean(options.allowNo), type: 'boolean' }
  },
}

export const Args = {
  string(options: Omit<Partial<ArgDef>, 'type' | 'input'> = {}): ArgDef {
    return { ...options, input: [], type: 'option' }
  },
}
