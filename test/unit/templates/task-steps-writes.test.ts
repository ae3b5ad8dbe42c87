import { expect } from 'chai'
import { RESULT_VARIABLES } from '../../../src/runtime/step-result.js'
import { STEP_IDS, stepVariables, variablesWrittenBy, type StepId } from '../../../src/runtime/variables.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'

/** The variable contract is the single source: what task-steps/ says a step writes must be what the contract gives it. */
describe('task-steps: variables written', () => {
  const steps = Object.fromEntries(loadTaskSteps().map((s) => [s.id, s]))

  it('there is a task-step definition for every step of the contract', () => {
    expect(Object.keys(steps).sort()).to.deep.equal([...STEP_IDS].sort())
  })

  it('every step lists the USMTStepsLast* result variables the base command writes', () => {
    for (const s of Object.values(steps)) for (const v of Object.values(RESULT_VARIABLES)) expect(s.writes, `${s.id} ${v}`).to.include(v)
  })

  it('each task-step definition writes exactly what the contract gives its step', () => {
    for (const id of STEP_IDS) expect([...steps[id].writes].sort(), id).to.deep.equal(variablesWrittenBy(id as StepId).sort())
  })

  it('a step cannot write a variable the contract does not give it', () => {
    expect(stepVariables('capture', { USMTStepsCapturedUsers: 'a', SMSTSRebootRequested: undefined } as never)).to.deep.equal({ USMTStepsCapturedUsers: 'a' })
    expect(() => stepVariables('capture', { USMTStepsStoreId: 'x' } as never)).to.throw(/contract does not give it/)
  })
})
