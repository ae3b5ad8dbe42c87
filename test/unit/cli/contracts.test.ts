import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

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
