import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { formatLogRecord, markErrorArg, parseUsmtLog, UsmtMainLog } from '../../../src/usmt/main-log.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'

describe('usmt/main-log', () => {
  const t = new Date(2018, 3, 20, 9, 26, 17, 306)

  it('formats a record exactly like the real logs', () => {
    expect(formatLogRecord(t, 'Info', 'SCANSTATE.EXE Version 10.0.10586.0', { gle: 0xb7 }))
      .to.equal('2018-04-20 09:26:17, Info                  [0x000000] SCANSTATE.EXE Version 10.0.10586.0[gle=0x000000b7]')
    expect(formatLogRecord(t, 'Warning', 'CSIAgent: Duplicate manifest', { code: 0x08092b }))
      .to.equal('2018-04-20 09:26:17, Warning               [0x08092b] CSIAgent: Duplicate manifest')
    expect(formatLogRecord(t, 'Info', 'Host system information:\nOS version: 10.0.16299'))
      .to.equal(`2018-04-20 09:26:17, Info                  [0x000000] Host system information:\r\n${' '.repeat(35)}OS version: 10.0.16299`)
  })

  it('marks the failing argument as USMT does', () => {
    expect(markErrorArg('loadstate.exe', ['F:\\hm', '/i:x', '/l:F:\\hm\\load.log'], 2)).to.equal('loadstate.exe F:\\hm /i:x ##ERROR## --> /l:F:\\hm\\load.log')
  })

  it('parses the real ScanState and UsmtUtils logs', function () {
    requireSharedFixtures(this, 'usmt-logs', 'scanstate.log')
    const p = parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'scanstate.log'), 'utf8'))
    expect(p.tool).to.equal('SCANSTATE')
    expect(p.version).to.equal('10.0.10586.0')
    expect(p.commandLine).to.match(/^C:\\backup\\scanstate\.exe \/genconfig:Config\.XML/)
    expect(p.started).to.equal('2018/04/20:09:26:17.306')
    expect(p.completed).to.equal('2018/04/20:09:27:05.294')
    expect(p.outcome).to.deep.equal({ kind: 'success', ignoredErrors: 0, details: [] })
    expect(p.warnings.length).to.be.greaterThan(20)
    expect(p.errors.length).to.equal(6)
    expect(p.records.find((r) => r.message.startsWith('System information:'))?.message).to.include('Computer name: POOL015790')
    const u = parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'usmtutils.log'), 'utf8'))
    expect(u.tool).to.equal('USMTUTILS')
    expect(u.returnCode).to.equal(0)
  })

  it('round-trips a written log through the parser (success with ignored errors and a summary)', () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = path.join(dir, 'scan.log')
      const log = new UsmtMainLog(file, { clock: () => t, redact: (s) => s.replace('hunter2', '********') })
      log.header('SCANSTATE', '0.1.0', 'scanstate S /key:hunter2', t)
      log.status("Activity: 'MIGACTIVITY_COMMAND_LINE_PROCESSING'")
      log.error('Read error 5 for C:\\Users\\ann\\locked.pst')
      log.success([{ errorCode: 5, causedAbort: false, recurrence: 1, firstOccurrence: 'Read error 5 for C:\\Users\\ann\\locked.pst' }], 1)
      log.close()
      const text = readFileSync(file, 'utf8')
      expect(text).not.to.include('hunter2')
      const p = parseUsmtLog(text)
      expect(p.tool).to.equal('SCANSTATE')
      expect(p.outcome).to.deep.equal({ kind: 'success-with-errors', ignoredErrors: 1, details: [] })
      expect(p.summary).to.deep.equal([{ errorCode: 5, causedAbort: false, recurrence: 1, firstOccurrence: 'Read error 5 for C:\\Users\\ann\\locked.pst' }])
      expect(p.errors).to.have.length(1)
    } finally {
      cleanup()
    }
  })

  it('writes Failed. with detail lines', () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = path.join(dir, 'load.log')
      const log = new UsmtMainLog(file, { clock: () => t })
      log.failed(['An error occurred processing the command line.', 'loadstate S ##ERROR## --> /bogus', 'Command line option is not valid'])
      log.close()
      const p = parseUsmtLog(readFileSync(file, 'utf8'))
      expect(p.outcome?.kind).to.equal('failed')
      expect(p.outcome?.details).to.deep.equal(['An error occurred processing the command line.', 'loadstate S ##ERROR## --> /bogus', 'Command line option is not valid'])
    } finally {
      cleanup()
    }
  })

  describe('the real logs in usmt-logs/real', () => {
    it('takes the cause of a real failed LoadState from the Info record after Failed. (not the echoed command line)', function () {
      requireSharedFixtures(this, 'usmt-logs', 'real', 'loadstate-failed.log')
      const p = parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'real', 'loadstate-failed.log'), 'utf8'))
      expect(p.outcome?.kind).to.equal('failed')
      expect(p.outcome?.cause).to.equal('Settings store argument specified is invalid')
      expect(p.outcome?.details[0]).to.equal('An error occurred processing the command line.')
      expect(p.outcome?.details.some((d) => d.includes('##ERROR## -->'))).to.equal(true)
    })

    it('reads the outcome and summary of a real success-with-errors ScanState', function () {
      requireSharedFixtures(this, 'usmt-logs', 'real', 'scanstate-success-with-errors.log')
      const p = parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'real', 'scanstate-success-with-errors.log'), 'utf8'))
      expect(p.outcome).to.include({ kind: 'success-with-errors', ignoredErrors: 37 })
      expect(p.summary).to.have.length(1)
      expect(p.summary[0]).to.include({ errorCode: 395, causedAbort: false, recurrence: 37 })
    })

    it('reads the header of a real ScanState', function () {
      requireSharedFixtures(this, 'usmt-logs', 'real', 'scanstate-header.log')
      const p = parseUsmtLog(readFileSync(sharedFixture('usmt-logs', 'real', 'scanstate-header.log'), 'utf8'))
      expect(p).to.include({ tool: 'SCANSTATE', version: '10.0.19041' })
      expect(p.commandLine).to.match(/^C:\\SuperGrate\\scanstate\.exe C:\\SuperGrate \/ue:/)
    })
  })

  it('our own Failed. block yields the message as cause, not the generic line or the marked command line', () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = path.join(dir, 'load.log')
      const log = new UsmtMainLog(file, { clock: () => t })
      log.info('Command line: loadstate S /bogus')
      log.failed(['An error occurred processing the command line.', 'loadstate S ##ERROR## --> /bogus', 'Command line option is not valid'])
      log.close()
      expect(parseUsmtLog(readFileSync(file, 'utf8')).outcome?.cause).to.equal('Command line option is not valid')
    } finally {
      cleanup()
    }
  })
})
