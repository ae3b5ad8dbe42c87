import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { classifyRun, skippedErrors, usmtFailure } from '../../../src/steps/outcome.js'
import { classifyReturnCode, type ProgressError } from '../../../src/usmt/index.js'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { emptyProgressState } from '../../../src/usmt/progress-log.js'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'

describe('steps/outcome', () => {
  it('a real failed LoadState (RC 11) is explained by its cause, with the documented fix for that message', function () {
    requireSharedFixtures(this, 'usmt-logs', 'real', 'loadstate-failed.log')
    const log = parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'real', 'loadstate-failed.log'), 'utf8'))
    const c = classifyRun({ exitCode: 11, durationMs: 1, commandLine: 'loadstate.exe', progress: emptyProgressState(), log, stdout: '', stderr: '' })
    expect(c.detail).to.equal('Settings store argument specified is invalid')
    expect(c.classification.message).to.equal('Settings store argument specified is invalid')
    const err = usmtFailure('loadstate', c, { restore: true })
    expect(err.message).to.contain('Settings store argument specified is invalid')
    expect(err.message).not.to.contain('##ERROR##')
  })
})

describe('steps/outcome: skippedErrors', () => {
  const progressError = { type: 'File', objectName: 'C:\\a.txt', errorCode: 5, action: 'Ignore' } as unknown as ProgressError
  const run = (code: number, ignored: ProgressError[]) => ({ classification: classifyReturnCode(code), ignored })

  it('nothing skipped: nothing to say; skipped under /c: a warning, or USM0306 with the variables and actions when the step must fail', () => {
    expect(skippedErrors('loadstate', run(0, []), true)).to.deep.equal({})
    const warned = skippedErrors('scanstate', run(0, [progressError]), false)
    expect(warned.warning).to.match(/^scanstate skipped 1 error\(s\) because of \/c \(return code 0\): /)
    expect(warned.error).to.equal(undefined)
    let asked = 0
    const failed = skippedErrors('loadstate', run(3, []), true, { variables: { USMTStepsUsmtReturnCode: '3' }, extraActions: () => { asked++; return ['kept'] } })
    expect(failed.error?.code).to.equal('USM0306')
    expect(failed.error?.variables).to.deep.equal({ USMTStepsUsmtReturnCode: '3' })
    expect(asked).to.equal(1)
    skippedErrors('loadstate', run(3, []), false, { extraActions: () => { asked++; return [] } })
    expect(asked).to.equal(1)
  })
})
