import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { buildSequence, SCENARIOS } from '../../../src/templates/scenarios.js'
import { attr, parseSequence, serializeSequence, walkSteps } from '../../../src/templates/sequence.js'
import { collectShape, compareShape } from '../../../src/templates/shape.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'

describe('templates/sequence and the real exports', function () {
  before(function () { requireSharedFixtures(this, 'task-sequences', 'configmgr-export-sequence.xml') })
  const defs = loadTaskSteps()
  const fixture = (...p: string[]): string => readFileSync(sharedFixture(...p), 'utf8')

  it('parses the real ConfigMgr export, its object.xml and the MDT ts.xml, and round-trips each', () => {
    for (const file of [['task-sequences', 'configmgr-export-sequence.xml'], ['task-sequences', 'configmgr-export-object.xml'], ['mdt', 'ts.xml']]) {
      const seq = parseSequence(fixture(...file), file.join('/'))
      const steps = walkSteps(seq.children)
      expect(steps.length, file.join('/')).to.be.greaterThan(20)
      const again = parseSequence(serializeSequence(seq))
      expect(again, `${file.join('/')} round-trips`).to.deep.equal(seq)
    }
    const cm = parseSequence(fixture('task-sequences', 'configmgr-export-sequence.xml'))
    const types = walkSteps(cm.children).map((s) => attr(s.step, 'type'))
    expect(types).to.include.members(['SMS_TaskSequence_RequestStateStoreAction', 'SMS_TaskSequence_CaptureUserStateAction', 'SMS_TaskSequence_RestoreUserStateAction', 'SMS_TaskSequence_ReleaseStateStoreAction'])
    const mdt = parseSequence(fixture('mdt', 'ts.xml'))
    const capture = walkSteps(mdt.children).find((s) => attr(s.step, 'name') === 'Capture User State')
    expect(capture?.step.condition).to.deep.equal({ variable: 'USMTOfflineMigration', operator: 'notEquals', value: 'TRUE' })
    expect(capture?.groups.map((g) => attr(g, 'name'))).to.deep.equal(['State Capture'])
  })

  it('refuses what is not a sequence, with the reason', () => {
    expect(() => parseSequence('<sequence><group', 'x.xml')).to.throw(UsmtStepsError, /x\.xml: not well-formed XML/)
    expect(() => parseSequence(fixture('task-sequences', 'configmgr-export-manifest.xml'), 'Manifest.xml')).to.throw(UsmtStepsError, /root element is not <sequence> \(found LibraryDocument\)/)
    expect(() => parseSequence('<sequence version="3.10"><step type="X" name="n"/></sequence>')).to.throw(UsmtStepsError, /has no <action>/)
  })

  for (const scenario of SCENARIOS) {
    it(`${scenario}: the ConfigMgr template parses, round-trips and has the shape of the real exports`, () => {
      const seq = buildSequence(defs, { scenario, flavour: 'configmgr', packageId: 'ABC00012', options: { policy: 'policy.json' } })
      const xml = serializeSequence(seq)
      const parsed = parseSequence(xml)
      expect(parsed).to.deep.equal(seq)
      expect(serializeSequence(parsed)).to.equal(xml)
      expect(attr(parsed, 'version')).to.equal('3.10')
      const ref = collectShape(parseSequence(fixture('task-sequences', 'configmgr-export-sequence.xml')))
      const conditions = collectShape(parseSequence(fixture('mdt', 'ts.xml')))
      // continueOnError on groups is in Microsoft's own exports (configmgr-hub-firstparty, configmgr-mdt.md §4.4), not in this one.
      expect(compareShape(collectShape(parsed), ref, { extraGroupAttrs: ['continueOnError'], conditionReference: conditions })).to.deep.equal([])
      const rcl = walkSteps(parsed.children).filter((s) => attr(s.step, 'type') === 'SMS_TaskSequence_RunCommandLineAction')
      expect(rcl.length).to.be.greaterThan(3)
      for (const { step } of rcl) {
        const hidden = step.variables?.find((v) => v.name === 'CommandLine')?.value
        expect(step.action.startsWith('smsswd.exe /run:')).to.equal(true)
        expect(step.action.endsWith(` ${hidden}`)).to.equal(true)
      }
    })

    it(`${scenario}: the MDT groups parse and have the shape of the real MDT ts.xml`, () => {
      const seq = buildSequence(defs, { scenario, flavour: 'mdt', options: {} })
      const parsed = parseSequence(serializeSequence(seq))
      expect(parsed).to.deep.equal(seq)
      expect(attr(parsed, 'version')).to.equal('3.00')
      const ref = collectShape(parseSequence(fixture('mdt', 'ts.xml')))
      // MDT runs command lines directly (no smsswd.exe); Set Task Sequence Variable is not in this ts.xml, so its
      // default variables are compared with the ConfigMgr export's.
      expect(compareShape(collectShape(parsed), ref, { checkPrograms: false, allowStepTypes: ['SMS_TaskSequence_SetVariableAction'] })).to.deep.equal([])
      const cmSet = collectShape(parseSequence(fixture('task-sequences', 'configmgr-export-sequence.xml'))).steps.get('SMS_TaskSequence_SetVariableAction')
      const ours = collectShape(parsed).steps.get('SMS_TaskSequence_SetVariableAction')
      expect([...(ours?.vars ?? new Map()).entries()]).to.deep.equal([...(cmSet?.vars ?? new Map()).entries()])
      for (const { step } of walkSteps(parsed.children).filter((s) => attr(s.step, 'type') === 'SMS_TaskSequence_RunCommandLineAction')) {
        expect(step.action).to.match(/^("%DEPLOYROOT%\\Tools\\usmt-steps\\usmt-steps\.cmd" |cmd\.exe \/c exit )/)
      }
      expect(walkSteps(parsed.children).some((s) => /StateStore/.test(attr(s.step, 'type') ?? ''))).to.equal(false)
    })
  }

  it('the shape check catches a step that differs from the exports (control)', () => {
    const seq = buildSequence(defs, { scenario: 'refresh', flavour: 'configmgr', packageId: 'ABC00012', options: {} })
    const step = walkSteps(seq.children)[0].step
    step.attrs = step.attrs.filter(([k]) => k !== 'runIn')
    step.variables = [...(step.variables ?? []).filter((v) => v.name !== 'SuccessCodes'), { name: 'Bogus', property: 'Bogus', value: '1' }]
    const ref = collectShape(parseSequence(fixture('task-sequences', 'configmgr-export-sequence.xml')))
    const problems = compareShape(collectShape(seq), ref, { extraGroupAttrs: ['continueOnError'], conditionReference: collectShape(parseSequence(fixture('mdt', 'ts.xml'))) }).join('\n')
    expect(problems).to.include('attribute runIn is on every reference step but missing')
    expect(problems).to.include('default variable Bogus does not appear in the reference')
    expect(problems).to.include('default variable SuccessCodes is on every reference step but missing')
  })

  it('refresh: capture and restore halves, SMP steps only when plan chose smp, failures stop before the wipe', () => {
    const seq = buildSequence(defs, { scenario: 'refresh', flavour: 'configmgr', packageId: 'ABC00012', options: {} })
    expect(seq.children.map((g) => g.kind === 'group' ? attr(g, 'name') : '')).to.deep.equal(['usmt-steps: State Capture', 'usmt-steps: State Restore'])
    const steps = walkSteps(seq.children)
    const request = steps.find((s) => attr(s.step, 'type') === 'SMS_TaskSequence_RequestStateStoreAction')
    expect(request?.step.condition).to.deep.equal({ variable: 'USMTStepsStoreType', operator: 'equals', value: 'smp' })
    expect(seq.globals?.map((v) => v.name)).to.deep.equal(['OSDStateSMPRetryCount', 'OSDStateSMPRetryTime'])
    const stop = steps.filter((s) => attr(s.step, 'name') === 'Stop: user state migration failed')
    expect(stop.length).to.equal(2)
    expect(stop[0].step.condition).to.deep.equal({ variable: 'USMTStepsFailedExitCode', operator: 'exists' })
    expect(expectNoPackage(stop[0].step.action)).to.equal('cmd.exe /c exit %USMTStepsFailedExitCode%')
  })

  it('rejects a malformed package ID', () => {
    expect(() => buildSequence(defs, { scenario: 'refresh', flavour: 'configmgr', packageId: 'ABC 12', options: {} })).to.throw(UsmtStepsError, /not a ConfigMgr package ID/)
  })
})

function expectNoPackage(action: string): string {
  const m = /^smsswd\.exe \/run: (.*)$/.exec(action)
  if (!m) throw new Error(`unexpected action ${action}`)
  return m[1]
}
