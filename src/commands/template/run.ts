import { Args, Flags } from '@oclif/core'
import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { JsonEngineEnvironment, SequenceExecutor, type CommandRunner, type RunResult } from '../../templates/executor.js'
import { parseSequence } from '../../templates/sequence.js'
import { textTable } from '../../runtime/text-table.js'

export default class TemplateRun extends StepCommand<RunResult> {
  static override description = `Run a task sequence on this machine with a JSON variables file: conditions are evaluated, usmt-steps command lines run through this CLI, Set Task Sequence Variable and "cmd.exe /c exit N" are applied, continue-on-error and the _SMSTSLastAction* variables follow ConfigMgr's rules

Use it to try a generated template with the portable engine before importing it. Exits with the exit code of the step that stopped the sequence.`

  static override examples = ['<%= config.bin %> template run usmt-refresh.xml --variables env.json -- --volume C=./machine']

  static override strict = false

  static override args = { file: Args.string({ description: 'Sequence XML, object.xml or MDT ts.xml', required: true }) }

  static override flags = {
    variables: Flags.string({ description: 'JSON file of task-sequence variables the steps read and write (passed to each step as --ts-env json:FILE)', required: true }),
    'skip-unrunnable': Flags.boolean({ description: 'Treat steps that only run under ConfigMgr/MDT (native steps) as succeeded instead of stopping' }),
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
    const entry = process.argv[1]
    const runner: CommandRunner = async (argv, opts) => {
      ctx.logger.info(`running step "${opts.stepName}": usmt-steps ${argv.join(' ')}`)
      const r = await execa(process.execPath, [entry, ...argv, ...extra], {
        env: { USMT_STEPS_TS_ENV: `json:${varsFile}` }, reject: false, timeout: opts.timeoutMs, stdin: 'ignore',
      })
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) }
    }
    const result = await new SequenceExecutor(new JsonEngineEnvironment(varsFile), runner, { skipUnrunnable: Boolean(flags['skip-unrunnable']) }).run(seq)
    const table = textTable(result.steps.map((s) => [s.status, s.exitCode === undefined ? '' : String(s.exitCode), s.path]), { columns: [{ width: 22 }, { width: 4, align: 'right', sep: '  ' }] })
    const lines = result.steps.map((s, i) => `${table[i]}${s.commandLine ? `\n${' '.repeat(28)}${s.commandLine}` : ''}`)
    const ran = result.steps.filter((s) => s.exitCode !== undefined).length
    const summary = result.completed ? `sequence completed: ${ran} steps ran, ${result.steps.length - ran} skipped` : `sequence stopped at "${result.failedStep}" with exit code ${result.exitCode}`
    return { result, summary, text: [...lines, summary].join('\n'), exitCode: result.exitCode }
  }
}
