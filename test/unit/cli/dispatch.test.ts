import { normalizeArgv } from '@oclif/core/help'
import { helpAddition } from '@oclif/core/run'
import { expect } from 'chai'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { asksForHelp, dispatchTable, findCommandInArgv, ManifestConfig } from '../../../src/cli/dispatch.js'
import { StepCommand } from '../../../src/cli/step-command.js'
import { cliConfig, PROJECT_ROOT } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

/** The dispatch table of the commands in src/ (what the build writes from the bundle's manifest). */
async function table(): Promise<ReturnType<typeof dispatchTable>> {
  const config = await cliConfig()
  return dispatchTable({ commands: Object.fromEntries(config.commands.map((c) => [c.id, c])) })
}

describe('cli/dispatch: running a command without oclif', () => {
  it('finds the command in argv as oclif does (normalizeArgv, then findCommand), for spaced and colon ids, topics, arguments and unknown words', async () => {
    const config = await cliConfig()
    const t = await table()
    const lines: string[][] = [
      [], ['exit-codes'], ['exit-codes', '--json'], ['store', 'request', '--json'], ['store:request', '--x'], ['store'], ['store', 'nope'],
      ['report'], ['report', 'index', 'DIR'], ['report', '--json'], ['report', 'DIR'], ['rules', 'lint', 'a.xml', 'b.xml'], ['rules'],
      ['env', 'set', 'A=1', 'B=2'], ['env', 'get', 'get'], ['plan', 'extra'], ['plan', 'a=b'], ['nope'], ['nope', 'more'], ['--json'],
      ['help', 'exit-codes'], ['help'], ['template', 'run', 'ts.xml', '--', '--x'], ['scanstate', 'C:\\store', '/i:MigUser.xml'],
      ['capture', '--', 'x'], ['store:request', 'store', 'request'], ['exit-codes', 'exit-codes'], ['constructor'], ['env:set:x', 'y'],
      ...config.commands.map((c) => [...c.id.split(':'), '--json']), ...config.commands.map((c) => [c.id, 'word']),
    ]
    for (const argv of lines) {
      const [id, ...rest] = normalizeArgv(config, [...argv])
      const cmd = id === undefined ? undefined : config.findCommand(id)
      expect(findCommandInArgv(argv, t), JSON.stringify(argv)).to.deep.equal(cmd ? { id, argv: rest } : undefined)
    }
  })

  it('leaves help to oclif exactly when oclif would show it', async () => {
    const config = await cliConfig()
    const helpFlags = ['--help', ...(config.pjson.oclif.additionalHelpFlags ?? [])]
    for (const argv of [[], ['--help'], ['-h'], ['plan', '-h'], ['plan', '--', '-h'], ['plan', '--json'], ['x', '--help', '--'], ['-H'], ['help']]) {
      expect(asksForHelp(argv, helpFlags), JSON.stringify(argv)).to.equal(helpAddition(argv, config))
    }
  })

  it('refuses a command with aliases (the lookup knows ids only)', () => {
    expect(() => dispatchTable({ commands: { a: { aliases: ['b'] } } })).to.throw(/aliases/)
    expect(dispatchTable({ commands: { a: { strict: false, args: { x: {} } }, b: {} } })).to.deep.equal({ a: { strict: false, args: 1 }, b: { strict: true, args: 0 } })
  })

  it('every command but oclif\'s help is a StepCommand, and no module a command imports at load time imports @oclif/core', async () => {
    const config = await cliConfig()
    for (const c of config.commands) {
      if (c.id === 'help') continue
      const C = await c.load()
      expect(C.prototype, c.id).to.be.instanceOf(StepCommand)
    }
    // the static (not type-only) imports of every command, followed through src/
    const seen = new Set<string>()
    const offenders: string[] = []
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g)) {
        const spec = m[1]
        if (spec.startsWith('@oclif/core')) offenders.push(`${path.relative(PROJECT_ROOT, file)} imports ${spec}`)
        else if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')))
      }
    }
    const commandFiles = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? commandFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [])
    for (const f of commandFiles(path.join(PROJECT_ROOT, 'src', 'commands'))) visit(f)
    expect(seen.size).to.be.greaterThan(100)
    expect(offenders).to.deep.equal([])
  })

  it('gives a command the version and the manifest\'s commands (read only when asked)', () => {
    const t = tempDir()
    try {
      const file = path.join(t.dir, 'oclif.manifest.json')
      const c = new ManifestConfig('9.9.9', file)
      expect(c.version).to.equal('9.9.9') // no manifest read yet: the file does not even exist
      writeFileSync(file, JSON.stringify({ commands: { plan: { id: 'plan', flags: { json: { type: 'boolean' } } } } }))
      expect(c.findCommand('plan')?.flags).to.deep.equal({ json: { type: 'boolean' } })
      expect(c.findCommand('nope')).to.equal(undefined)
      expect(c.commands.map((x) => x.id)).to.deep.equal(['plan'])
    } finally {
      t.cleanup()
    }
  })
})
