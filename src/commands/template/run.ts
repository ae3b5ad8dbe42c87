import { Args, Flags } from '../../cli/spec.js'
import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { StepCommand, type CliConfig, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { JsonEngineEnvironment, SequenceExecutor, type CommandRunner, type RunResult } from '../../templates/executor.js'
import { parseSequence } from '../../templates/sequence.js'
import { textTable } from '../../runtime/text-table.js'

export default class TemplateRun extends StepCommand<RunResult> {
  static override description = `Run a task sequence on this machine with a JSON variables file: conditions are evaluated, usmt-steps command lines run through this CLI, Set Task Sequence Variable and "cmd.exe /c exit N" are applied, continue-on-error and the _SMSTSLastAction* variables follow ConfigMgr's rules

Use it to try a generated template with the portable engine before importing it. Exits with the exit code of the step that stopped the sequence.`

  static override examples = [
    '<%= config.bin %> template run usmt-refresh.xml --variables env.json --package ABC00012=./usmt-steps-package --package ABC00013=./USMT -- --volume C=./machine',
  ]

  static override strict = false

  static override args = { file: Args.string({ description: 'Sequence XML, object.xml or MDT ts.xml', required: true }) }

  static override flags = {
    variables: Flags.string({ description: 'JSON file of task-sequence variables the steps read and write (passed to each step as --ts-env json:FILE)', required: true }),
    'skip-unrunnable': Flags.boolean({ description: 'Treat steps that only run under ConfigMgr/MDT (native steps) as succeeded instead of stopping' }),
    package: Flags.string({ description: 'ID=DIR: a local folder standing for a ConfigMgr package; steps that run from it (/run:ID) start in DIR, and Download Package Content sets its variable to DIR', multiple: true }),
  }

  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>, args: Record<string, unknown>): Promise<StepOutcome<RunResult>> {
    const file = args.file as string
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsmtStepsError('USM0603', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
    }
    const seq = parseSequence(text, file)
    const varsFile = flags.variables as string
    const dash = this.argv.indexOf('--')
    const extra = dash >= 0 ? this.argv.slice(dash + 1) : []
    const packages: Record<string, string> = {}
    for (const p of (flags.package as string[] | undefined) ?? []) {
      const m = /^([^=]+)=(.+)$/.exec(p)
      if (!m) throw new UsmtStepsError('USM0602', `--package ${p}: expected ID=DIR`)
      packages[m[1].trim()] = nodePath.resolve(m[2])
    }
    const entry = process.argv[1]
    const runner: CommandRunner = async (argv, opts) => {
      // The flags after -- describe this machine (--volume, --facts …): each step gets the ones its command accepts.
      const own = extraFlagsFor(this.config, argv, extra)
      ctx.logger.info(`running step "${opts.stepName}": usmt-steps ${[...argv, ...own].join(' ')}${opts.cwd ? ` in ${opts.cwd}` : ''}`)
      const r = await execa(process.execPath, [nodePath.resolve(entry), ...argv, ...own], {
        env: { USMT_STEPS_TS_ENV: `json:${nodePath.resolve(varsFile)}` }, reject: false, timeout: opts.timeoutMs, stdin: 'ignore', cwd: opts.cwd,
      })
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) }
    }
    const result = await new SequenceExecutor(new JsonEngineEnvironment(varsFile), runner, { skipUnrunnable: Boolean(flags['skip-unrunnable']), packages }).run(seq)
    const table = textTable(result.steps.map((s) => [s.status, s.exitCode === undefined ? '' : String(s.exitCode), s.path]), { columns: [{ width: 22 }, { width: 4, align: 'right', sep: '  ' }] })
    const lines = result.steps.map((s, i) => `${table[i]}${s.commandLine ? `\n${' '.repeat(28)}${s.commandLine}` : ''}`)
    const ran = result.steps.filter((s) => s.exitCode !== undefined).length
    const summary = result.completed ? `sequence completed: ${ran} steps ran, ${result.steps.length - ran} skipped` : `sequence stopped at "${result.failedStep}" with exit code ${result.exitCode}`
    return { result, summary, text: [...lines, summary].join('\n'), exitCode: result.exitCode }
  }
}

/**
 * The flags of `extra` that the command of `argv` accepts (with their values). A flag another command knows as a
 * boolean takes no value; any other flag takes the token after it unless that token is a flag itself.
 */
export function extraFlagsFor(config: CliConfig, argv: readonly string[], extra: readonly string[]): string[] {
  const words = argv.filter((a) => !a.startsWith('-'))
  let cmd: ReturnType<CliConfig['findCommand']>
  for (let n = words.length; n > 0 && !cmd; n--) cmd = config.findCommand(words.slice(0, n).join(':'))
  const booleans = new Set(config.commands.flatMap((c) => Object.entries(c.flags ?? {}).filter(([, f]) => f.type === 'boolean').map(([k]) => k)))
  const accepts = new Set(Object.keys(cmd?.flags ?? {}))
  const out: string[] = []
  for (let i = 0; i < extra.length; i++) {
    const tok = extra[i]
    const m = /^--(?:no-)?([^=]+)(=.*)?$/.exec(tok)
    const name = m?.[1] ?? ''
    const takesValue = m !== null && m[2] === undefined && !booleans.has(name) && i + 1 < extra.length && !extra[i + 1].startsWith('--')
    if (m && accepts.has(name)) out.push(tok, ...(takesValue ? [extra[i + 1]] : []))
    if (takesValue) i++
  }
  return out
}
