import { Config, Parser } from '@oclif/core'
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { checkTaskStep, loadTaskSteps, matchTaskStep, stepArgv, stepCommandLine, stepName, taskStep } from '../../../src/templates/task-steps.js'
import { splitCommandLine } from '../../../src/windows/path.js'

describe('templates/task-steps', () => {
  const defs = loadTaskSteps()

  it('loads the seven step definitions from task-steps/', () => {
    expect(defs.map((d) => d.id).sort()).to.deep.equal(['capture', 'plan', 'report', 'restore', 'store-release', 'store-request', 'users'])
  })

  it('rejects invalid definitions with every problem named', () => {
    const good = JSON.parse(JSON.stringify(taskStep(defs, 'store-request'))) as Record<string, unknown>
    expect(checkTaskStep(good, 'store-request')).to.deep.equal([])
    const bad = { ...good, id: 'other', runIn: 'Anywhere', successCodes: [3010], extra: 1, arguments: ['--type', '{kind}'], condition: { variable: 'X', operator: 'sortOf', value: 'y' } }
    const problems = checkTaskStep(bad, 'store-request').join('\n')
    expect(problems).to.include('"id" must equal the file name')
    expect(problems).to.include('"runIn" must be one of')
    expect(problems).to.include('including 0')
    expect(problems).to.include('unknown keys extra')
    expect(problems).to.include('placeholder {kind} has no parameter')
    expect(problems).to.include('.operator: expected one of')
  })

  it('renders argv and Windows command lines, quoting paths with spaces and %VAR% references', () => {
    const req = taskStep(defs, 'store-request')
    expect(stepArgv(req, { params: { purpose: 'restore' }, options: { policy: 'C:\\My Policies\\p.json' } })).to.deep.equal(['store', 'request', '--type', 'restore', '--policy', 'C:\\My Policies\\p.json'])
    expect(stepName(req, { params: { purpose: 'capture' } })).to.equal('Request a share state store for capture (usmt-steps)')
    const cl = stepCommandLine('%DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps.cmd', stepArgv(taskStep(defs, 'capture'), { options: { usmtDir: 'C:\\USMT\\' } }))
    expect(cl).to.equal('"%DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps.cmd" capture --usmt-dir C:\\USMT\\')
    expect(splitCommandLine(stepCommandLine('usmt-steps.cmd', ['capture', '--usmt-dir', 'C:\\Program Files\\USMT\\']))).to.deep.equal(['usmt-steps.cmd', 'capture', '--usmt-dir', 'C:\\Program Files\\USMT\\'])
    expect(() => stepArgv(req, { params: { purpose: 'sideways' } })).to.throw(UsmtStepsError, /purpose must be one of capture, restore/)
    expect(() => stepArgv(req)).to.throw(UsmtStepsError, /needs parameter purpose/)
  })

  it('matches command lines back to definitions (longest command wins)', () => {
    expect(matchTaskStep(defs, ['store', 'request', '--type', 'capture'])?.id).to.equal('store-request')
    expect(matchTaskStep(defs, ['capture', '--verbose'])?.id).to.equal('capture')
    expect(matchTaskStep(defs, ['store', 'prune'])).to.equal(undefined)
  })

  it('every command line in task-steps parses with the real commands (flags, options and parameters)', async () => {
    const pjson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { oclif: Record<string, unknown> }
    const config = await Config.load({ root: PROJECT_ROOT, pjson: { ...pjson, oclif: { ...pjson.oclif, commands: './src/commands' } } as never })
    for (const d of defs) {
      const paramSets = Object.keys(d.parameters).length === 0 ? [{}] : Object.entries(d.parameters).flatMap(([k, p]) => p.choices.map((c) => ({ [k]: c })))
      for (const params of paramSets) {
        const argv = stepArgv(d, { params, options: { policy: 'policy.json', usmtDir: 'USMT', reportShare: '\\\\FS01\\Reports$' } })
        const id = d.command.join(':')
        const found = config.findCommand(id)
        expect(found, `command ${id} of task step ${d.id} exists`).to.not.equal(undefined)
        const C = await found!.load()
        const parsed = await Parser.parse(argv.slice(d.command.length), { flags: { ...(C.baseFlags ?? {}), ...(C.flags ?? {}) }, args: C.args ?? {}, strict: C.strict ?? true })
        for (const [opt, flag] of Object.entries(d.options)) expect(parsed.flags, `${d.id} ${flag} (${opt})`).to.have.property(flag.slice(2))
        for (let i = 0; i < d.arguments.length; i += 2) expect(String(parsed.flags[d.arguments[i].slice(2)]), `${d.id} ${d.arguments[i]}`).to.equal(Object.values(params)[0])
      }
    }
  })
})
