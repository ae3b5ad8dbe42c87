/**
 * A command's argv → its flags, arguments and remaining words, without oclif's runtime. It follows oclif's parser
 * (@oclif/core lib/parser) step for step for the flag kinds of src/cli/spec.ts, with the same results and the same
 * error messages (test/unit/cli/parse.test.ts runs both over every command's flags): `--name VALUE`,
 * `--name=VALUE`, `--no-name`, a repeatable flag taking the words after it (unless non-greedy), `--` ending the
 * flags, an unknown flag or an extra argument refused (`strict`), a missing argument read from piped stdin, the
 * checks of options and required flags. Errors are usage errors (USM0002, exit class `usage`), as oclif's were
 * through the command base. One difference: oclif dims the list of failed flag checks on a colour terminal.
 */
import { UsmtStepsError } from '../runtime/errors.js'
import type { ArgDef, ArgMap, FlagDef, FlagMap } from './spec.js'

export interface ParseInput {
  flags: FlagMap
  args: ArgMap
  /** false: words beyond the declared arguments are allowed (they are in `argv`). */
  strict: boolean
}

export interface Parsed {
  flags: Record<string, unknown>
  args: Record<string, string | undefined>
  /** The positional words (declared arguments first), in command-line order. */
  argv: string[]
  nonExistentFlags: string[]
}

type Token = { type: 'flag'; flag: string; input: string } | { type: 'arg'; arg: string | undefined; input: string }

const NEGATION = '--no-'
const SEE_HELP = '\nSee more help with --help'

const usage = (message: string): UsmtStepsError => new UsmtStepsError('USM0002', message)

/** oclif's `stdtermwidth` without OCLIF_COLUMNS (the CLI leaves a run with OCLIF_* settings to oclif). */
function termWidth(): number {
  const out = process.stdout
  if (!out.isTTY) return 80
  const width = out.getWindowSize()[0]
  return width < 1 ? 80 : width < 40 ? 40 : width
}

/** The `wordwrap` package's soft wrap (start, stop) of oclif's lists, trimmed as oclif trims it. */
function wrap(start: number, stop: number, text: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && start + line.length + 1 + word.length > stop) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  lines.push(line)
  return lines.join(`\n${' '.repeat(start)}`).trim()
}

/** oclif's two-column list (ux/list). */
function renderList(items: Array<[string, string | undefined]>): string {
  const width = Math.max(0, ...items.map((i) => i[0].length))
  return items.map(([left, right]) => (right ? `${left.padEnd(width)}  ${wrap(width + 2, termWidth(), right)}` : left)).join('\n')
}

/** oclif reads a missing argument from stdin when stdin is not a terminal (waiting 10 ms for it at most). */
async function readStdin(): Promise<string | null> {
  const { stdin } = process
  if (stdin.isTTY) return null
  const g = globalThis as { oclif?: { stdinCache?: string } }
  if (g.oclif?.stdinCache) return g.oclif.stdinCache
  const { createInterface } = await import('node:readline')
  const { EOL } = await import('node:os')
  return new Promise((resolve) => {
    const lines: string[] = []
    const rl = createInterface({ input: stdin, output: process.stdout, terminal: false })
    // As oclif: closing on the timeout resolves with what was read so far ('' when nothing was).
    const timeout = setTimeout(() => {
      rl.close()
      resolve(null)
    }, 10)
    rl.on('line', (line) => lines.push(line))
    rl.once('close', () => {
      const result = lines.join(EOL)
      clearTimeout(timeout)
      g.oclif = { ...g.oclif, stdinCache: result }
      resolve(result)
    })
  })
}

function validOption(name: string, flag: FlagDef, input: string): string {
  if (flag.type === 'option' && flag.options && !flag.options.includes(input)) {
    throw usage(`Expected --${name}=${input} to be one of: ${flag.options.join(', ')}${SEE_HELP}`)
  }
  return input
}

/** Parse a command's argv (the words after the command's name) as oclif would. */
export async function parseArgv(argv: readonly string[], input: ParseInput): Promise<Parsed> {
  const { flags, args } = input
  const argNames = Object.keys(args)
  const queue = [...argv]
  const raw: Token[] = []
  let current: { name: string; flag: FlagDef } | undefined
  let argTokens = 0

  const longFlag = (arg: string): string | undefined => {
    if (!arg.startsWith('--')) return undefined // no one-letter flags are declared
    const name = arg.slice(2)
    if (Object.hasOwn(flags, name)) return name
    if (arg.startsWith(NEGATION)) {
      const base = arg.slice(NEGATION.length)
      const f = Object.hasOwn(flags, base) ? flags[base] : undefined
      if (f?.type === 'boolean' && f.allowNo) return base
    }
    return undefined
  }

  const parseFlag = (arg: string): boolean => {
    const name = longFlag(arg)
    if (!name) {
      const i = arg.indexOf('=')
      if (i === -1) return false
      queue.unshift(arg.slice(i + 1))
      const parsed = parseFlag(arg.slice(0, i))
      if (!parsed) queue.shift()
      return parsed
    }
    const flag = flags[name]
    if (flag.type === 'option') {
      if (!flag.multiple && raw.some((t) => t.type === 'flag' && t.flag === name)) throw usage(`Flag --${name} can only be specified once`)
      current = { name, flag }
      const value = queue.shift()
      if (value === undefined || longFlag(value)) {
        throw usage(flag.options ? `Flag --${name} expects one of these values: ${flag.options.join(', ')}` : `Flag --${name} expects a value`)
      }
      raw.push({ type: 'flag', flag: name, input: value })
    } else {
      raw.push({ type: 'flag', flag: name, input: arg })
    }
    return true
  }

  let parsingFlags = true
  const nonExistentFlags: string[] = []
  while (queue.length > 0) {
    const word = queue.shift() as string
    if (parsingFlags && word.startsWith('-') && word !== '-') {
      if (word === '--') {
        parsingFlags = false
        continue
      }
      if (parseFlag(word)) continue
      if (!/^-\d/.test(word)) {
        nonExistentFlags.push(word)
        continue
      }
    }
    if (parsingFlags && current && current.flag.type === 'option' && current.flag.multiple && !current.flag.multipleNonGreedy) {
      raw.push({ type: 'flag', flag: current.name, input: word })
      continue
    }
    raw.push({ type: 'arg', arg: argNames[argTokens++], input: word })
  }

  const flagValues = parseFlags(flags, raw)
  const { values: argValues, argv: words } = await parseArgs(args, raw)
  const order = [...argv]
  const out: Parsed = {
    flags: flagValues, args: argValues, nonExistentFlags,
    argv: [...words, ...nonExistentFlags].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
  }
  validate(input, out)
  return out
}

function parseFlags(flags: FlagMap, raw: readonly Token[]): Record<string, unknown> {
  const tokens = new Map<string, string[]>()
  for (const t of raw) if (t.type === 'flag') tokens.set(t.flag, [...(tokens.get(t.flag) ?? []), t.input])
  const out: Record<string, unknown> = {}
  for (const [name, flag] of Object.entries(flags)) {
    const given = tokens.get(name)
    let value: unknown
    if (given?.length) {
      const last = given[given.length - 1]
      if (flag.type === 'boolean') value = last !== `${NEGATION}${name}`
      else if (flag.multiple) value = given.map((v) => validOption(name, flag, v))
      else value = validOption(name, flag, last)
    } else {
      value = flag.default
    }
    if (value !== undefined) out[name] = value
  }
  return out
}

async function parseArgs(args: ArgMap, raw: readonly Token[]): Promise<{ values: Record<string, string | undefined>; argv: string[] }> {
  const tokens = raw.filter((t): t is Extract<Token, { type: 'arg' }> => t.type === 'arg')
  const values: Record<string, string | undefined> = {}
  const argv: string[] = []
  let stdinRead = false
  const take = (name: string, value: string): void => {
    argv.push(value)
    values[name] = value
  }
  for (const [name, arg] of Object.entries(args) as Array<[string, ArgDef]>) {
    const token = tokens.find((t) => t.arg === name)
    if (token) {
      take(name, token.input)
    } else if (!stdinRead) {
      stdinRead = true
      const stdin = await readStdin()
      if (stdin) take(name, stdin.trim())
    }
    if (values[name] === undefined && arg.default) take(name, arg.default)
  }
  for (const t of tokens) if (t.arg === undefined || values[t.arg] === undefined) argv.push(t.input)
  return { values, argv }
}

function validate(input: ParseInput, out: Parsed): void {
  const n = (count: number, word: string): string => `${word}${count === 1 ? '' : 's'}`
  if (out.nonExistentFlags.length > 0) {
    throw usage(`Nonexistent ${n(out.nonExistentFlags.length, 'flag')}: ${out.nonExistentFlags.join(', ')}${SEE_HELP}`)
  }
  const max = Object.keys(input.args).length
  if (input.strict && out.argv.length > max) {
    const extras = out.argv.slice(max)
    throw usage(`Unexpected ${n(extras.length, 'argument')}: ${extras.join(', ')}${SEE_HELP}`)
  }
  const missing = Object.entries(input.args).filter(([name, a]) => a.required && out.args[name] === undefined)
  if (missing.length > 0) {
    let message = `Missing ${missing.length} required ${n(missing.length, 'arg')}:\n${renderList(missing.map(([name, a]) => [name, a.description]))}`
    const multiple = Object.entries(input.flags).filter(([, f]) => f.type === 'option' && f.multiple).map(([name]) => name)
    if (multiple.length > 0) {
      const one = multiple.length === 1
      message += `\n\nNote: ${multiple.map((f) => `--${f}`).join(', ')} allow${one ? 's' : ''} multiple values. Because of this you need to provide all arguments before providing ${one ? 'that flag' : 'those flags'}.`
      message += '\nAlternatively, you can use "--" to signify the end of the flags and the beginning of arguments.'
    }
    throw usage(`${message}${SEE_HELP}`)
  }
  const failed = [...new Set(Object.entries(input.flags).filter(([name, f]) => f.required && out.flags[name] === undefined).map(([name]) => `Missing required flag ${name}`))].sort()
  if (failed.length > 0) throw usage(`The following ${failed.length === 1 ? 'error' : 'errors'} occurred:\n  ${failed.join('\n  ')}${SEE_HELP}`)
}
