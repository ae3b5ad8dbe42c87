import { Parser } from '@oclif/core'
import { expect } from 'chai'
import { parseArgv, type ParseInput } from '../../../src/cli/parse.js'
import { Args, Flags, type FlagMap } from '../../../src/cli/spec.js'
import type { StepCommand } from '../../../src/cli/step-command.js'
import { toUsmtStepsError, UsmtStepsError } from '../../../src/runtime/errors.js'
import { cliConfig } from '../../helpers/cli.js'

type Outcome = { flags: unknown; args: unknown; argv: unknown } | { error: string; code: string }

/** oclif's parser (what the commands ran on before src/cli/parse.ts), its error as the command base turned it into a usage error. */
async function oclifParse(argv: string[], input: ParseInput): Promise<Outcome> {
  try {
    // oclif writes each flag's name into its definition: give it copies, with the identity `parse` its own
    // Flags.string/Flags.boolean/Args.string add (src/cli/spec.ts declares none: the values are the words given)
    const withParse = <T extends object>(defs: Record<string, T>): Record<string, T> =>
      Object.fromEntries(Object.entries(structuredClone(defs)).map(([k, d]) => [k, { parse: async (i: unknown) => i, ...d }]))
    const r = await Parser.parse(argv, { flags: withParse(input.flags), args: withParse(input.args), strict: input.strict } as never)
    return { flags: r.flags, args: r.args, argv: r.argv }
  } catch (err) {
    const e = toUsmtStepsError(err)
    return { error: e.message, code: e.code }
  }
}

async function ourParse(argv: string[], input: ParseInput): Promise<Outcome> {
  try {
    const r = await parseArgv(argv, input)
    return { flags: r.flags, args: r.args, argv: r.argv }
  } catch (err) {
    expect(err).to.be.instanceOf(UsmtStepsError)
    return { error: (err as UsmtStepsError).message, code: (err as UsmtStepsError).code }
  }
}

/** Command lines that reach every branch of the parser for these flags and arguments. */
function commandLines(input: ParseInput): string[][] {
  const { flags, args } = input
  const value = (name: string): string => {
    const f = flags[name]
    return f.type === 'option' && f.options ? f.options[0] : `${name}-value`
  }
  // the required flags and arguments, so that the variants below reach past the "missing" checks
  const full = [
    ...Object.keys(args).filter((a) => args[a].required).map((a) => `${a}-word`),
    ...Object.entries(flags).filter(([, f]) => f.required).flatMap(([n]) => [`--${n}`, value(n)]),
  ]
  const variants: string[][] = [
    [], ['--nope'], ['--nope=1'], ['-x'], ['extra'], ['extra', 'more'], ['--', '--json', 'after'], ['-5'], ['-'], ['--json', '--json'],
    ['--json=1'], ['--no-json'], ['--json', '--', 'a'], ['a', '--json'], ['--json', 'a', 'b'], ['--', '-'],
  ]
  for (const [name, f] of Object.entries(flags)) {
    const flag = `--${name}`
    if (f.type === 'boolean') {
      variants.push([flag], [`--no-${name}`], [flag, `--no-${name}`], [`--no-${name}`, flag], [`${flag}=x`], [flag, 'word'])
      continue
    }
    variants.push(
      [flag, value(name)], [`${flag}=${value(name)}`], [flag], [flag, '--json'], [flag, '-v'], [`${flag}=`], [`${flag}=a=b`],
      [flag, value(name), flag, value(name)], [flag, value(name), 'word', 'word2'], [flag, value(name), '--json', 'word'],
      [flag, value(name), '--', 'word'], [flag, 'not-an-option'], ['word', flag, value(name)],
    )
  }
  return [...variants, ...variants.map((v) => [...full, ...v]), ...variants.map((v) => [...v, ...full])]
}

/** Every command of src/commands with the flags, arguments and strictness it parses with. */
async function commandInputs(): Promise<Array<{ id: string; input: ParseInput }>> {
  const config = await cliConfig()
  const out: Array<{ id: string; input: ParseInput }> = []
  for (const c of config.commands) {
    if (c.id === 'help') continue
    const C = (await c.load()) as unknown as typeof StepCommand
    out.push({ id: c.id, input: { flags: { ...C.baseFlags, ...C.flags }, args: C.args, strict: C.strict } })
  }
  return out
}

describe('cli/parse: argv parsed as oclif parses it, without oclif', function () {
  this.timeout(120000)
  const g = globalThis as { oclif?: { stdinCache?: string } }
  let saved: typeof g.oclif
  // A missing argument is read from stdin when it is not a terminal: both parsers share oclif's stdin cache.
  beforeEach(() => { saved = g.oclif; g.oclif = { ...saved, stdinCache: 'piped-word' } })
  afterEach(() => { g.oclif = saved })

  it('gives every command oclif\'s flags, arguments and words, or oclif\'s error message as a usage error, for ~100 command lines each', async () => {
    const inputs = await commandInputs()
    expect(inputs.map((i) => i.id)).to.include.members(['capture', 'exit-codes', 'env:set', 'rules:preview', 'scanstate', 'store:recover-key', 'template:configmgr'])
    let compared = 0
    let errors = 0
    for (const { id, input } of inputs) {
      for (const argv of commandLines(input)) {
        const ours = await ourParse(argv, input)
        expect(ours, `${id} ${JSON.stringify(argv)}`).to.deep.equal(await oclifParse(argv, input))
        compared++
        if ('error' in ours) {
          errors++
          expect(ours.code).to.equal('USM0002')
        }
      }
    }
    // both outcomes are exercised, in numbers
    expect(compared).to.be.greaterThan(2000)
    expect(errors).to.be.greaterThan(500)
    expect(compared - errors).to.be.greaterThan(500)
  })

  it('matches oclif on the kinds of flag the spec offers, one by one (options, defaults, repeatable greedy and not, negation)', async () => {
    const flags: FlagMap = {
      format: Flags.string({ options: ['xml', 'json'], default: 'xml' }),
      list: Flags.string({ multiple: true, options: ['a', 'b'] }),
      lazy: Flags.string({ multiple: true, multipleNonGreedy: true }),
      need: Flags.string({ required: true }),
      also: Flags.string({ required: true }),
      on: Flags.boolean({ allowNo: true }),
      yes: Flags.boolean({ default: true }),
    }
    const input: ParseInput = { flags, args: { first: Args.string({ required: true, description: 'the first one' }), second: Args.string({ description: 'a second' }) }, strict: true }
    const cases = [
      ['x', '--need', 'n', '--also', 'a'], ['--need', 'n'], [], ['x', 'y', 'z', '--need', 'n', '--also', 'a'],
      ['x', '--need', 'n', '--also', 'a', '--list', 'a', 'b', 'a'], ['x', '--need', 'n', '--also', 'a', '--list', 'a', 'c'],
      ['x', '--need', 'n', '--also', 'a', '--lazy', 'p', 'q'], ['x', '--need', 'n', '--also', 'a', '--format', 'json', '--no-on'],
      ['x', '--need', 'n', '--also', 'a', '--format'], ['x', '--need', 'n', '--also', 'a', '--format', '--on'], ['--list', 'a', 'x'],
      ['x', '--need', 'n', '--also', 'a', '--no-yes'], ['x', '--need=n', '--also=a=b'], ['--on'],
    ]
    for (const argv of cases) expect(await ourParse(argv, input), JSON.stringify(argv)).to.deep.equal(await oclifParse(argv, input))
    const r = await parseArgv(['x', '--need', 'n', '--also', 'a', '--list', 'a', 'b'], input)
    expect(r.flags).to.deep.equal({ format: 'xml', list: ['a', 'b'], need: 'n', also: 'a', yes: true })
  })

  it('reads a missing argument from piped stdin, as oclif does', async function () {
    const input: ParseInput = { flags: {}, args: { name: Args.string({ required: true }) }, strict: true }
    if (process.stdin.isTTY) this.skip() // a terminal is never read: nothing to compare
    const ours = await parseArgv([], input)
    expect(ours.args).to.deep.equal({ name: 'piped-word' })
    expect(await ourParse([], input)).to.deep.equal(await oclifParse([], input))
  })
})
