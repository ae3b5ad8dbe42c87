import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { classifyRun, usmtFailure } from '../../../src/steps/outcome.js'
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
