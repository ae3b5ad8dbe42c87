import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'
import { buildSequence, SCENARIOS } from '../../../src/templates/scenarios.js'
import { attr, parseSequence, serializeSequence, walkSteps, type TsSequence, type TsStep } from '../../../src/templates/sequence.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'
import { validateSequence } from '../../../src/templates/validate.js'

describe('templates/validate', () => {
  const defs = loadTaskSteps()
  const build = (scenario: typeof SCENARIOS[number]): TsSequence => parseSequence(serializeSequence(buildSequence(defs, { scenario, flavour: 'configmgr', packageId: 'ABC00012', options: {} })))
  const find = (seq: TsSequence, name: RegExp): TsStep => {
    const s = walkSteps(seq.children).find((x) => name.test(attr(x.step, 'name') ?? ''))
    if (!s) throw new Error(`no step ${name}`)
    return s.step
  }
  const messages = (seq: TsSequence): string => validateSequence(seq, defs).problems.map((p) => `${p.level}: ${p.message}`).join('\n')

  for (const scenario of SCENARIOS) {
    it(`${scenario}: the generated ConfigMgr and MDT templates validate without problems`, () => {
      const r = validateSequence(build(scenario), defs)
      expect(r.problems).to.deep.equal([])
      expect(r.ok).to.equal(true)
      expect(r.steps.length).to.be.greaterThan(3)
      const mdt = validateSequence(parseSequence(serializeSequence(buildSequence(defs, { scenario, flavour: 'mdt', options: {} }))), defs)
      expect(mdt.problems).to.deep.equal([])
    })
  }

  it('finds a capture that continues on error into Apply Operating System', () => {
    const seq = build('refresh')
    const stop = find(seq, /^Stop: /)
    stop.attrs.push(['disable', 'true'])
    const apply: TsStep = { kind: 'step', attrs: [['type', 'SMS_TaskSequence_ApplyOperatingSystemAction'], ['name', 'Apply Operating System'], ['description', ''], ['runIn', 'WinPE'], ['successCodeList', '0'], ['retryCount', '0'], ['runFromNet', 'false']], action: 'osdapplyos.exe', variables: [] }
    seq.children.splice(1, 0, apply)
    expect(messages(seq)).to.match(/error: a failed capture continues \(continue on error\) into "Apply Operating System", which wipes the user data/)
  })

  it('finds a store request without release, a bad parameter, and an action that disagrees with its CommandLine variable', () => {
    const seq = build('replace-source')
    const release = find(seq, /^Release the share state store/)
    release.attrs.push(['disable', 'true'])
    const other = build('replace-source')
    const request = find(other, /^Request a share state store/)
    const cl = request.variables?.find((v) => v.name === 'CommandLine')
    if (cl) cl.value = cl.value.replace('--type capture', '--type sideways')
    const plan = find(seq, /^Plan the user state store/)
    plan.action = plan.action.replace('plan', 'plan --verbose')
    const text = `${messages(seq)}\n${messages(other)}`
    expect(text).to.include('error: the store requested for capture is never released')
    expect(text).to.include('error: --type must be one of capture, restore (found "sideways")')
    expect(text).to.match(/error: <action> runs ".*plan --verbose.*" but the CommandLine variable says/)
  })

  it('finds a restore with nothing before it, and a native Request State Store without Release', () => {
    const seq = build('replace-destination')
    find(seq, /^Plan the user state store/).attrs.push(['disable', 'true'])
    find(seq, /^Release State Store$/).attrs.push(['disable', 'true'])
    const text = messages(seq)
    expect(text).to.include('error: restore has neither a plan nor a capture step before it')
    expect(text).to.include('error: every Request State Store step needs a Release State Store step after it')
  })

  it('reads the real MDT ts.xml (no usmt-steps steps) without errors', function () {
    requireSharedFixtures(this, 'mdt', 'ts.xml')
    const r = validateSequence(parseSequence(readFileSync(sharedFixture('mdt', 'ts.xml'), 'utf8')), defs)
    expect(r.steps).to.deep.equal([])
    expect(r.ok).to.equal(true)
  })
})
