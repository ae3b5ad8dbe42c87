import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { CMTRACE_LINE, formatBias, formatCmtraceLine, parseCmtraceLine } from '../../../src/log/cmtrace.js'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'

describe('log/cmtrace', () => {
  it('formats a line the strict regex accepts, with every field', () => {
    const line = formatCmtraceLine({ message: 'Property USMTLocal is now = True', component: 'usmt-steps plan', type: 2, time: new Date(2024, 2, 21, 14, 3, 7, 45), thread: 42, file: 'usmt-steps' })
    expect(line).to.match(CMTRACE_LINE)
    const p = parseCmtraceLine(line)!
    expect(p).to.include({ message: 'Property USMTLocal is now = True', component: 'usmt-steps plan', type: 2, thread: '42', file: 'usmt-steps', date: '03-21-2024', time: '14:03:07.045' })
  })

  it('writes the bias with an explicit sign, never +-60', () => {
    expect(formatBias(0)).to.equal('+000')
    expect(formatBias(-60)).to.equal('-60')
    expect(formatBias(300)).to.equal('+300')
  })

  it('keeps messages on one line and cannot be closed early', () => {
    const line = formatCmtraceLine({ message: 'a\r\nb]LOG]!>c', component: 'c', type: 1, time: new Date() })
    expect(line.split('\n')).to.have.length(1)
    expect(parseCmtraceLine(line)!.message).to.equal('a | b]LOG]!&gt;c')
  })

  it('parses a line written by MDT', () => {
    const mdt = '<![LOG[Property USMTLocal is now = True]LOG]!><time="14:03:07.000+000" date="03-21-2024" component="ZTIUserState" context="" type="1" thread="" file="ZTIUserState">'
    expect(parseCmtraceLine(mdt)).to.include({ component: 'ZTIUserState', type: 1, thread: '' })
  })

  it('reads every line of a real smsts.log excerpt, type="0" records included', function () {
    requireSharedFixtures(this, 'usmt-logs', 'real', 'smsts-excerpt.log')
    const lines = readFileSync(sharedFixture('usmt-logs', 'real', 'smsts-excerpt.log'), 'utf8').split(/\r?\n/).filter((l) => l.length > 0)
    const parsed = lines.map((l) => parseCmtraceLine(l))
    expect(parsed.every((p) => p !== null)).to.equal(true)
    expect(parsed.filter((p) => p!.type === 0).map((p) => p!.message)).to.include('Setting the authenticator.')
    expect(parsed.find((p) => p!.type === 3)).to.include({ component: 'TSBootShell', bias: -60 })
  })
})
