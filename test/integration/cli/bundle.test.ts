import { expect } from 'chai'
import { execa } from 'execa'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { redactor } from '../../../src/runtime/redact.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'

/**
 * bin/run.js runs dist/bundle/ (scripts/bundle.mjs, written by `npm run build`): a command loads only its own
 * chunks, and oclif finds commands and their help in oclif.manifest.json instead of loading every command class.
 */
describe('CLI bundle (bin/run.js → dist/bundle)', function () {
  this.timeout(60000)
  const bundleDir = path.join(PROJECT_ROOT, 'dist', 'bundle')
  const bin = path.join(PROJECT_ROOT, 'bin', 'run.js')
  // A module-resolution hook that prints every bundle file Node loads, one per line, on stderr.
  const hook = `data:text/javascript,${encodeURIComponent([
    "import { register } from 'node:module'",
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent("export async function load(url, ctx, next) { if (url.includes('/dist/bundle/')) process.stderr.write('LOADED ' + url.slice(url.lastIndexOf('/') + 1) + '\\n'); return next(url, ctx) }")}`)})`,
  ].join('\n'))}`
  const loaded = async (args: string[], env: Record<string, string> = {}): Promise<{ files: string[]; stdout: string; exitCode: number }> => {
    const r = await execa(process.execPath, ['--import', hook, bin, ...args], { reject: false, env: { USMT_STEPS_QUIET: '1', NODE_DISABLE_COMPILE_CACHE: '1', ...env }, stdin: 'ignore' })
    return { files: String(r.stderr).split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7)), stdout: String(r.stdout), exitCode: r.exitCode ?? 1 }
  }
  const chunkOf = (id: string): string => {
    const name = id.split(':').pop() as string
    const c = readdirSync(bundleDir).filter((f) => f.startsWith(`${name === 'index' ? 'index' : name}-`) && f.endsWith('.mjs'))
    expect(c, `chunk of ${id}`).to.have.length.greaterThan(0)
    return c[0]
  }

  it('has an oclif manifest with every command of src/commands', () => {
    const manifest = JSON.parse(readFileSync(path.join(bundleDir, 'oclif.manifest.json'), 'utf8')) as { version: string; commands: Record<string, { flags: Record<string, unknown> }> }
    const pjson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(manifest.version).to.equal(pjson.version)
    for (const id of ['capture', 'restore', 'plan', 'exit-codes', 'rules:preview', 'store:request', 'scanstate', 'help']) expect(manifest.commands, id).to.have.property(id)
    expect(manifest.commands.capture.flags).to.have.property('json')
  })

  it('runs a command with its own chunks only, not every command', async () => {
    const r = await loaded(['exit-codes', '--json'])
    expect(r.exitCode).to.equal(0)
    expect(JSON.parse(r.stdout).status).to.equal('success')
    expect(r.files).to.include('usmt-steps.mjs')
    expect(r.files).to.include(chunkOf('exit-codes'))
    for (const other of ['capture', 'restore', 'scanstate', 'preview']) expect(r.files).not.to.include(chunkOf(other))
  })

  it('scanstate /hardlink starts its link thread before loading the command; a run refused before its capture still ends at once', async () => {
    const r = await execa(process.execPath, ['--import', hook, bin, 'scanstate', 'C:\\store', '/i:MigUser.xml', '/hardlink'], { reject: false, timeout: 20_000, env: { USMT_STEPS_QUIET: '1', NODE_DISABLE_COMPILE_CACHE: '1' }, stdin: 'ignore' })
    // /hardlink without /nocompress: scanstate's return code 11, before any store; the thread started early did not
    // keep the process alive (an idle link thread is unreferenced).
    expect(r.timedOut).to.equal(false)
    expect(r.exitCode).to.equal(11)
    const files = String(r.stderr).split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7))
    const pipeline = files.findIndex((f) => f.startsWith('link-pipeline-'))
    expect(pipeline, files.join(' ')).to.be.greaterThan(-1)
    expect(pipeline).to.be.lessThan(files.indexOf(chunkOf('scanstate')))
    const plain = await loaded(['scanstate', 'C:\\store', '/i:MigUser.xml', '/nocompress'])
    expect(plain.files.some((f) => f.startsWith('link-pipeline-')), 'no /hardlink: no link thread started early').to.equal(false)
  })

  it('gives require, __filename and __dirname to the chunks that name them only; require is made on its first call', async () => {
    const chunks = readdirSync(bundleDir).filter((f) => f.endsWith('.mjs'))
    let withRequire = 0
    for (const f of chunks) {
      const [first, ...rest] = readFileSync(path.join(bundleDir, f), 'utf8').split('\n')
      const body = first.includes('process.getBuiltinModule(') ? rest.join('\n') : [first, ...rest].join('\n')
      expect(/\brequire\b/.test(body), `${f}: require is defined exactly when the code names it`).to.equal(first.includes('function require(id)'))
      expect(/\b__(filename|dirname)\b/.test(body), `${f}: __dirname likewise`).to.equal(first.includes('const __dirname'))
      expect(first, `${f}: no eager CommonJS loader`).not.to.match(/import \{ createRequire|const require = /)
      if (first.includes('function require(id)')) withRequire++
    }
    expect(withRequire, 'oclif\'s chunks call require').to.be.greaterThan(0)
    expect(withRequire).to.be.below(chunks.length / 4)
    // A step's own chunks never make Node's require (counted through a wrapped createRequire, which the old banner
    // called once per chunk as it was evaluated).
    const probe = await execa(process.execPath, ['--input-type=module', '-e', [
      'const mod = process.getBuiltinModule("node:module")',
      'const real = mod.createRequire',
      'let made = 0',
      'mod.createRequire = (...a) => { made++; return real(...a) }',
      'mod.syncBuiltinESMExports()',
      `const m = await import(${JSON.stringify(pathToFileURL(path.join(bundleDir, 'usmt-steps.mjs')).href)})`,
      'await m.main(["exit-codes", "--json"])',
      'const afterStep = made',
      'process.env.OCLIF_COLUMNS = "80"',
      'await m.main(["plan", "--help"])',
      'process.stderr.write(`MADE ${afterStep} ${made}\\n`)',
    ].join(';')], { reject: false, env: { USMT_STEPS_QUIET: '1' }, stdin: 'ignore' })
    expect(probe.exitCode, String(probe.stderr)).to.equal(0)
    const [, step, withOclif] = /MADE (\d+) (\d+)/.exec(String(probe.stderr)) ?? []
    expect(step, 'exit-codes made no require').to.equal('0')
    expect(Number(withOclif), 'oclif\'s help path made it when it called it').to.be.greaterThan(0)
  })

  it('shows a command\'s help from the manifest without loading that command', async () => {
    const r = await loaded(['capture', '--help'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.include('USAGE')
    expect(r.stdout).to.include('--hardlink')
    expect(r.files).not.to.include(chunkOf('capture'))
  })

  it('prints --help rendered at build time, byte for byte what oclif prints, without loading oclif', async () => {
    const manifest = JSON.parse(readFileSync(path.join(bundleDir, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }
    const texts = JSON.parse(readFileSync(path.join(bundleDir, 'help.json'), 'utf8')) as Record<string, string>
    expect(Object.keys(texts).sort()).to.deep.equal(['', ...Object.keys(manifest.commands)].sort())
    const fast = await loaded(['capture', '--help'])
    expect(fast.exitCode).to.equal(0)
    // (printed through the stream guard, as oclif's help is: `/key: …` in a description is masked either way)
    expect(fast.stdout).to.equal(redactor.redact(texts.capture).replace(/\n$/, ''))
    // Only the entry and its small chunks: no command, no oclif.
    expect(fast.files.length).to.be.below(5)
    expect(fast.files).not.to.include(chunkOf('capture'))
    for (const argv of [['--help'], ['plan', '--help'], ['capture', '--help'], ['rules', 'preview', '-h'], ['store:request', '--help'], ['scanstate', '--help']]) {
      const cached = await loaded(argv)
      // OCLIF_COLUMNS=80 is the same width, but makes the entry leave the help to oclif.
      const real = await loaded(argv, { OCLIF_COLUMNS: '80' })
      expect(real.files.length, argv.join(' ')).to.be.greaterThan(cached.files.length + 2)
      expect(real.exitCode).to.equal(0)
      expect(cached.stdout, argv.join(' ')).to.equal(real.stdout)
      expect(cached.stdout).to.include('USAGE')
    }
  })

  it('is importable and runs commands named with spaces or colons', async () => {
    const run = (args: string[]) => execa(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(path.join(bundleDir, 'usmt-steps.mjs')).href)}); await m.main(${JSON.stringify(args)})`], { reject: false, env: { USMT_STEPS_QUIET: '1' }, stdin: 'ignore' })
    const spaced = await run(['rules', 'lint', '--help'])
    const colon = await run(['rules:lint', '--help'])
    expect(spaced.exitCode).to.equal(0)
    expect(String(spaced.stdout)).to.include('USAGE')
    expect(String(colon.stdout)).to.equal(String(spaced.stdout))
  })

  it('build --if-stale (npm run demo) does not rebuild a current dist/', async function () {
    this.timeout(600000)
    const build = () => execa(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'build.mjs'), '--if-stale'], { reject: false, cwd: PROJECT_ROOT, stdin: 'ignore' })
    const first = await build() // rebuilds only when a source changed since the last build
    expect(first.exitCode, String(first.stderr)).to.equal(0)
    const stamp = statSync(path.join(PROJECT_ROOT, 'dist', '.build-stamp')).mtimeMs
    const second = await build()
    expect(second.exitCode).to.equal(0)
    expect(String(second.stderr)).to.include('dist/ is current')
    expect(statSync(path.join(PROJECT_ROOT, 'dist', '.build-stamp')).mtimeMs).to.equal(stamp)
    const pjson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pjson.scripts.demo).to.match(/^node scripts\/build\.mjs --if-stale && /)
  })
})
