import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { StepCommand, type StepContext, type StepOutcome } from '../../../src/cli/step-command.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { redactor } from '../../../src/runtime/redact.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

const SECRET = 'Str3am-s3cret-value'

/** A command whose result is streamed (as rules preview's is): three items, or a failure after the first two. */
class StreamedResult extends StepCommand<{ items: number }> {
  static override recordsResult = false
  static override usesTsEnv = false
  static fail = false

  protected async execute(ctx: StepContext): Promise<StepOutcome<{ items: number }>> {
    redactor.add(SECRET)
    const out = ctx.streamResult()
    out.write('{"items":[\n')
    out.write(`"one",\n"${SECRET}"`)
    if (StreamedResult.fail) {
      out.write(']}') // the command closes what it wrote
      throw new UsmtStepsError('USM0104', 'the third item cannot be read')
    }
    out.write(',\n"three"]}')
    return { result: { items: 3 }, summary: '3 items' }
  }
}

/** Contracts every command keeps: --json status follows the exit code, -h is help, a missing json: file is an error. */
describe('cli contracts', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  it('--json says "error" whenever the exit code is a failure, the portable tools included', async () => {
    const bad = await runCli(['scanstate', path.join(t.dir, 'store'), '/bogus', '--json'])
    expect(bad.exitCode).to.equal(11)
    expect(parseJsonOutput(bad.stdout).status).to.equal('error')
    const usage = await runCli(['loadstate', '--json'])
    expect(usage.exitCode).to.not.equal(0)
    expect(parseJsonOutput(usage.stdout).status).to.equal('error')
  })

  it('a streamed --json result: {result, status, warnings}, each block redacted; a failure after it started adds status error and the error', async () => {
    try {
      StreamedResult.fail = false
      const ok = await runCli(['--json'], { command: StreamedResult })
      expect(ok.exitCode).to.equal(0)
      const doc = parseJsonOutput(ok.stdout)
      expect(Object.keys(doc)).to.deep.equal(['result', 'status', 'warnings'])
      expect(doc).to.deep.include({ status: 'success', result: { items: ['one', '********', 'three'] } })
      expect(ok.stdout).to.not.include(SECRET)
      StreamedResult.fail = true
      const bad = await runCli(['--json'], { command: StreamedResult })
      expect(bad.exitCode).to.not.equal(0)
      const err = parseJsonOutput(bad.stdout)
      expect(Object.keys(err)).to.deep.equal(['result', 'status', 'error', 'warnings'])
      expect(err).to.deep.include({ status: 'error', result: { items: ['one', '********'] } })
      expect((err.error as { code: string }).code).to.equal('USM0104')
    } finally {
      redactor.reset()
    }
  })

  it('-h shows the help like --help', async () => {
    const r = await runCli(['plan', '-h'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.include('USAGE')
  })

  it('a json: variables file that does not exist is USM0021 on read; env set creates it and says so', async () => {
    const missing = path.join(t.dir, 'missing.json')
    const list = await runCli(['env', 'list', '--ts-env', `json:${missing}`, '--json'])
    expect(list.exitCode).to.equal(4)
    expect((parseJsonOutput(list.stdout).error as { code: string }).code).to.equal('USM0021')
    expect(existsSync(missing)).to.equal(false)
    const set = await runCli(['env', 'set', 'A=1', '--ts-env', `json:${missing}`, '--json'])
    expect(set.exitCode).to.equal(0)
    expect(parseJsonOutput(set.stdout).warnings.join(' ')).to.include(`${missing} does not exist: it is created`)
    expect(JSON.parse(readFileSync(missing, 'utf8'))).to.deep.equal({ A: '1' })
  })
})
