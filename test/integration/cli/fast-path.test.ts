import { expect } from 'chai'
import { execa } from 'execa'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

/**
 * The bundle's entry runs a command without loading oclif (src/cli/dispatch.ts); an OCLIF_* setting in the
 * environment makes it leave the run to oclif (OCLIF_COLUMNS=80 changes nothing else for a pipe). The same command
 * lines, both ways, must print the same and end with the same exit code: results, usage errors, unknown commands.
 */
describe('CLI without oclif at run time (bin/run.js → dist/bundle, src/cli/dispatch.ts)', function () {
  this.timeout(120000)
  const bin = path.join(PROJECT_ROOT, 'bin', 'run.js')
  const hook = `data:text/javascript,${encodeURIComponent([
    "import { register } from 'node:module'",
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent("export async function load(url, ctx, next) { if (url.includes('/dist/bundle/')) process.stderr.write('LOADED ' + url.slice(url.lastIndexOf('/') + 1) + '\\n'); return next(url, ctx) }")}`)})`,
  ].join('\n'))}`
  let t: ReturnType<typeof tempDir>
  before(() => { t = tempDir() })
  after(() => t.cleanup())

  const run = async (argv: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; exitCode: number; files: string[] }> => {
    const r = await execa(process.execPath, ['--import', hook, bin, ...argv], { reject: false, cwd: t.dir, stdin: 'ignore', env: { USMT_STEPS_QUIET: '1', NODE_DISABLE_COMPILE_CACHE: '1', ...env } })
    const lines = String(r.stderr).split('\n')
    return {
      stdout: String(r.stdout), exitCode: r.exitCode ?? 1,
      stderr: lines.filter((l) => !l.startsWith('LOADED ')).join('\n'),
      files: lines.filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7)),
    }
  }

  it('prints the same and exits the same as through oclif, for results and for usage errors', async () => {
    const lines: string[][] = [
      ['exit-codes'], ['exit-codes', '--json'], ['help', 'exit-codes'], ['help', 'exit-codes', '--json'], ['exit-codes', '--nope'], ['exit-codes', 'extra', '--json'],
      ['settings', '--json'], ['env', 'get'], ['env', 'get', '--json'], ['env', 'get', 'X', '--ts-env', `json:${path.join(t.dir, 'missing.json')}`],
      ['store', 'recover-key', '--json'], ['store:recover-key'], ['template', 'configmgr', '--scenario', 'bad'], ['template:configmgr', '--scenario'],
      ['rules', 'lint', path.join(t.dir, 'missing.xml'), '--json'], ['capture', '--bogus', '--json'], ['plan', '--json', '--log-dir'], ['plan', 'extra'],
      ['store', 'nope'], ['nope'], ['exit-codes', '--json', '--verbose=1'], ['exit-codes', '--progress', 'sideways'],
    ]
    const fast: string[] = []
    for (const argv of lines) {
      const ours = await run(argv)
      const oclif = await run(argv, { OCLIF_COLUMNS: '80' })
      const label = argv.join(' ')
      expect(ours.exitCode, label).to.equal(oclif.exitCode)
      expect(ours.stdout, label).to.equal(oclif.stdout)
      expect(ours.stderr, label).to.equal(oclif.stderr)
      // oclif's own run loads more of the bundle (its chunks) than a run without it
      if (ours.files.length < oclif.files.length) fast.push(label)
    }
    // every line that names a command ran without oclif; oclif answers the others ("command … not found": a word
    // after a command without arguments is read as a subcommand, as oclif reads it)
    const oclifs = ['exit-codes extra --json', 'plan extra', 'store nope', 'nope']
    expect(fast).to.deep.equal(lines.map((l) => l.join(' ')).filter((l) => !oclifs.includes(l)))
  })

  it('runs a command loading no oclif chunk: fewer bundle files than oclif needs for the same command', async () => {
    const ours = await run(['exit-codes', '--json'])
    const oclif = await run(['exit-codes', '--json'], { OCLIF_COLUMNS: '80' })
    expect(JSON.parse(ours.stdout).status).to.equal('success')
    const extra = oclif.files.filter((f) => !ours.files.includes(f))
    expect(extra.length, extra.join(' ')).to.be.greaterThan(0)
    expect(ours.files.filter((f) => !oclif.files.includes(f))).to.deep.equal([])
  })
})
