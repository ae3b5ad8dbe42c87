import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import {
  digestProgress, failureCauseFromLog, groupedWarnings, isGenericError, mainLogProblems, realErrors, reasonFor,
} from '../../../src/report/log-analysis.js'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'report')

describe('report: USMT log analysis', () => {
  describe('the real scanstate.log (a successful /genconfig run)', function () {
    let text: string
    before(function () {
      requireSharedFixtures(this, 'usmt-logs', 'scanstate.log')
      text = readFileSync(sharedFixture('usmt-logs', 'scanstate.log'), 'utf8')
    })

    it('never takes its "Unreleased mig unit navigator" Error lines for a cause', () => {
      const log = parseUsmtLog(text)
      expect(log.errors.length, 'the log has Error lines').to.be.greaterThan(0)
      expect(realErrors(log)).to.deep.equal([])
      expect(failureCauseFromLog(log)).to.equal(undefined)
    })

    it('groups its repeated warnings, counting the line after the embedded BOM too', () => {
      const log = parseUsmtLog(text)
      const rows = groupedWarnings('capture', 'scanstate.log', log)
      const rawWarnings = text.split(/\r?\n/).filter((l) => /^\uFEFF?\d{4}-\d{2}-\d{2} [\d:]+, Warning /.test(l))
      expect(rows.reduce((n, r) => n + r.count, 0)).to.equal(rawWarnings.length)
      const network = rawWarnings.filter((l) => l.endsWith('Registry location HK_USERS\\Network is considered invalid in the current context')).length
      expect(network).to.be.greaterThan(1)
      expect(rows.find((r) => r.message === 'Registry location HK_USERS\\Network is considered invalid in the current context')?.count).to.equal(network)
      expect(rows.some((r) => r.message.includes('WindowsSearchEngine')), 'the warning on the line that starts with a BOM').to.equal(true)
    })
  })

  it('finds the first real error of a failed capture, not the generic closing lines', () => {
    const text = readFileSync(path.join(FIXTURES, 'replace-failed', 'logs', 'scanstate.log'), 'utf8')
    const cause = failureCauseFromLog(parseUsmtLog(text))
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
    const expected = lines.findIndex((l) => l.includes('Unable to process object')) + 1
    expect(cause?.line).to.equal(expected)
    expect(cause?.text).to.equal('Unable to process object C:\\Users\\kwong\\Desktop\\dvd.iso -> 733, aborting...')
    expect(cause?.context[0]).to.match(/^CopyStream: .*Error 112/)
    expect(cause?.text).to.not.match(/MigDoMigration|shutting down|Migration failed/)
  })

  it('prefers an aborting error over an earlier specific one', () => {
    const log = parseUsmtLog([
      '2025-03-01 10:00:00, Error                 [0x000000] Read error 5 for C:\\Users\\a\\x.txt',
      '2025-03-01 10:00:01, Error                 [0x000000] Unable to process object C:\\Users\\a\\y.iso -> 7, aborting...',
      '2025-03-01 10:00:02, Error                 [0x000000] Unable to Complete Migration. MigDoMigration Failed= 0x4',
      '2025-03-01 10:00:02, Info                  [0x000000] Failed.',
    ].join('\r\n'))
    expect(failureCauseFromLog(log)?.line).to.equal(2)
  })

  it('takes the documented message from the Failed. block of a command-line error (usmt.md §3.3, RC 11)', () => {
    const log = parseUsmtLog([
      '2017-09-01 16:10:07, Info                  [0x000000] LOADSTATE.EXE Version 10.0.14393[gle=0x000000b7]',
      '2017-09-01 16:10:07, Info                  [0x000000] Command line: F:\\USMT\\amd64\\loadstate.exe F:\\\\hm /i:F:\\\\hm\\Config.xml',
      '2017-09-01 16:10:07, Status                [0x000000] Activity: \'MIGACTIVITY_COMMAND_LINE_PROCESSING\'',
      '2017-09-01 16:10:07, Info                  [0x000000] Failed.[gle=0x00000002]',
      '2017-09-01 16:10:07, Info                  [0x000000]   An error occurred processing the command line.',
      '  F:\\USMT\\amd64\\loadstate.exe F:\\\\hm ##ERROR## --> /i:F:\\\\hm\\Config.xml',
      '  Settings store argument specified is invalid[gle=0x00000002]',
      '2017-09-01 16:10:07, Info                  [0x000000] USMT Completed at 2017/09/01:16:10:07.851[gle=0x00000002]',
    ].join('\r\n'))
    const cause = failureCauseFromLog(log)
    expect(cause?.text).to.equal('Settings store argument specified is invalid')
    expect(cause?.line).to.equal(4)
  })

  it('takes the cause of the real failed LoadState log (usmt-logs/real) from the record after Failed.', function () {
    requireSharedFixtures(this, 'usmt-logs', 'real', 'loadstate-failed.log')
    const cause = failureCauseFromLog(parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'real', 'loadstate-failed.log'), 'utf8')))
    expect(cause?.text).to.equal('Settings store argument specified is invalid')
    expect(cause?.line).to.equal(6)
  })

  it('classifies generic lines', () => {
    expect(isGenericError('Unable to Complete Migration. MigDoMigration Failed= 0x4')).to.equal(true)
    expect(isGenericError('Migration failed to complete successfully')).to.equal(true)
    expect(isGenericError('Read error 5 for C:\\x')).to.equal(false)
  })

  it('turns Error lines of a successful /c run into ignored rows and extracts summary objects', () => {
    const text = readFileSync(path.join(FIXTURES, 'refresh-warn', 'logs', 'scanstate.log'), 'utf8')
    const rows = mainLogProblems('capture', 'scanstate.log', parseUsmtLog(text))
    expect(rows.filter((r) => r.kind === 'ignored')).to.have.length(2)
    const summary = rows.filter((r) => r.kind === 'summary')
    expect(summary.map((r) => r.code)).to.deep.equal(['32', '395'])
    expect(summary[1].object).to.equal('C:\\Users\\asmith\\OneDrive - Contoso\\plan.docx')
  })

  it('digests a progress log: users, components, errors and phase durations', () => {
    const d = digestProgress(readFileSync(path.join(FIXTURES, 'refresh-warn', 'logs', 'scanstate-progress.log'), 'utf8'))
    expect(d.state.detectedUsers.map((u) => `${u.user}=${u.included}`)).to.deep.equal(['CONTOSO\\jdoe=true', 'CONTOSO\\asmith=true', 'PC-0142\\Administrator=false'])
    expect(d.state.errors.map((e) => e.errorCode)).to.deep.equal([32, 395])
    expect(d.phases.map((p) => `${p.phase}:${p.durationMs}`)).to.deep.equal(['Initializing:4000', 'Scanning:25000', 'Collecting:51000', 'Saving:9000'])
    expect(d.phases[0].startedAt).to.equal('2025-03-01T13:02:11.000Z')
  })

  it('explains error types and Windows codes', () => {
    expect(reasonFor('UnableToOpen', 32)).to.match(/non-shared mode.*being used by another process.*\(error 32\)/)
    expect(reasonFor('UnableToCopy', 112)).to.match(/store disk full.*not enough space/)
    expect(reasonFor('SomethingNew', 0)).to.equal('SomethingNew')
  })
})
