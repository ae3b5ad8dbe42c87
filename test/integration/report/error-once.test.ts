/** A failed run shows its error once: in "Why it failed", not again as rows of the errors table. */
import { expect } from 'chai'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT, parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('report: a failed run shows its error once', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir('usmt-steps-once-') })
  afterEach(() => t.cleanup())

  it('the failed step\'s error and the cause line are not repeated in the errors table; the cause section does not repeat the return code text', async () => {
    const root = path.join(t.dir, 'replace-failed')
    cpSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'report', 'replace-failed'), root, { recursive: true })
    const env = path.join(root, 'ts.json')
    writeFileSync(env, JSON.stringify({ _SMSTSLogPath: path.join(root, 'logs'), _SMSTSMachineName: 'PC-0277' }))
    const r = await runCli(['report', '--ts-env', `json:${env}`, '--json'])
    expect(r.exitCode, r.stdout).to.equal(0)
    const sum = parseJsonOutput<{ result: { summary: { cause: { text: string }; problems: Array<{ kind: string; reason: string; object?: string }> } } }>(r.stdout).result.summary
    expect(sum.problems.filter((p) => p.kind === 'step')).to.deep.equal([])
    expect(sum.problems.filter((p) => p.reason === sum.cause.text)).to.deep.equal([])
    expect(sum.problems.filter((p) => p.kind === 'summary' && p.object === 'C:\\Users\\kwong\\Desktop\\dvd.iso')).to.deep.equal([])
    // The row that stopped USMT stays (with its own detail); the cause section has the rest.
    expect(sum.problems.filter((p) => p.kind === 'aborted').map((p) => p.object)).to.deep.equal(['C:\\Users\\kwong\\Desktop\\dvd.iso'])
    const html = readFileSync(path.join(root, 'logs', 'usmt-steps-report.html'), 'utf8').replace(/<script[\s\S]*?<\/script>/g, '')
    expect(html.split('Processing stopped due to an I/O error').length - 1).to.equal(1)
    expect(html).to.contain('usmt-steps error <strong>USM0310</strong>')
  })
})
