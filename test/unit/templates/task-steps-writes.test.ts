import { expect } from 'chai'
import { CAPTURE_VARIABLES } from '../../../src/steps/capture.js'
import { RESTORE_VARIABLES } from '../../../src/steps/restore.js'
import { RESULT_VARIABLES } from '../../../src/runtime/step-result.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'

/** task-steps/ is the single source for docs and templates: what it says a step writes must match the code. */
describe('task-steps: variables written', () => {
  const steps = Object.fromEntries(loadTaskSteps().map((s) => [s.id, s]))

  it('every step lists the USMTStepsLast* result variables the base command writes', () => {
    for (const s of Object.values(steps)) for (const v of Object.values(RESULT_VARIABLES)) expect(s.writes, `${s.id} ${v}`).to.include(v)
  })

  it('capture and restore list the variables their services write', () => {
    for (const v of Object.values(CAPTURE_VARIABLES)) expect(steps.capture.writes).to.include(v)
    for (const v of Object.values(RESTORE_VARIABLES)) expect(steps.restore.writes).to.include(v)
  })
})
