import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import {
  formatProgressLine, parseProgressLine, ProgressLogTail, ProgressLogWriter, summarizeProgress,
} from '../../../src/usmt/progress-log.js'
import { formatEstimateXml, parseEstimateXml } from '../../../src/usmt/estimate.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('usmt/progress-log', () => {
  it('parses the documented real lines', () => {
    const r = parseProgressLine('09 Feb 2021, 22:20:27 -02:00, 00:00:45, forUser, EXAMPLE\\Administrador, detectedComponent, "Microsoft Office 2010\\Office 2010 Common Settings", includedInMigration, Yes')
    expect(r?.date).to.equal('09 Feb 2021')
    expect(r?.time).to.equal('22:20:27 -02:00')
    expect(r?.elapsedSeconds).to.equal(45)
    expect(r?.timestamp?.toISOString()).to.equal('2021-02-10T00:20:27.000Z')
    expect(r?.pairs).to.deep.equal([['forUser', 'EXAMPLE\\Administrador'], ['detectedComponent', 'Microsoft Office 2010\\Office 2010 Common Settings'], ['includedInMigration', 'Yes']])
    const p = parseProgressLine('15 Jan 2011, 20:46:21 -08:00, 00:04:48, totalPercentageCompleted, 48')
    expect(p?.pairs).to.deep.equal([['totalPercentageCompleted', '48']])
    expect(parseProgressLine('garbage')).to.equal(null)
  })

  it('quotes values with spaces, commas or quotes, and the parser reads them back', () => {
    const line = formatProgressLine(new Date(2021, 1, 9, 22, 20, 27), 45000, [['message', 'a, "b" c'], ['x', 'plain']])
    expect(line).to.match(/^09 Feb 2021, 22:20:27 [+-]\d{2}:\d{2}, 00:00:45, message, "a, ""b"" c", x, plain$/)
    expect(parseProgressLine(line)?.pairs).to.deep.equal([['message', 'a, "b" c'], ['x', 'plain']])
  })

  it('writes a full run that summarizes back', () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = path.join(dir, 'p.log')
      let now = new Date(2024, 0, 24, 21, 0, 0)
      const w = new ProgressLogWriter(file, { clock: () => now })
      w.program('ScanState.exe', '0.1.0', 'PC1', 'scanstate S /i:"My Rules.xml"')
      w.phase('Initializing')
      w.phase('Scanning')
      w.detectedUser('PC1\\ann', true)
      w.detectedUser('PC1\\bob', false)
      w.component('PC1\\ann', 'My Documents', true)
      w.phase('Collecting')
      w.totalSize(5 * 1048576)
      w.phase('Saving')
      w.percent(0); w.percent(50); w.percent(40); w.percent(100)
      w.error('UnableToOpen', 'C:\\Users\\ann\\locked file.pst', 'Ignore', 32)
      now = new Date(2024, 0, 24, 21, 1, 5)
      w.final(3, 1, 'At least one error was skipped as a result of /c.')
      w.close()
      const text = readFileSync(file, 'utf8')
      expect(text.split('\r\n').filter((l) => l.includes('totalPercentageCompleted'))).to.have.length(3)
      const s = summarizeProgress(text)
      expect(s.program).to.equal('ScanState.exe')
      expect(s.commandLine).to.equal('scanstate S /i:"My Rules.xml"')
      expect(s.phase).to.equal('Saving')
      expect(s.percent).to.equal(100)
      expect(s.totalMB).to.equal(5)
      expect(s.detectedUsers).to.deep.equal([{ user: 'PC1\\ann', included: true }, { user: 'PC1\\bob', included: false }])
      expect(s.components).to.deep.equal([{ forUser: 'PC1\\ann', component: 'My Documents', included: true }])
      expect(s.errors).to.deep.equal([{ type: 'UnableToOpen', objectName: 'C:\\Users\\ann\\locked file.pst', action: 'Ignore', errorCode: 32 }])
      expect(s.final).to.deep.equal({ errorCode: 3, ignoredErrors: 1, message: 'At least one error was skipped as a result of /c.' })
      expect(s.elapsedSeconds).to.equal(65)
      // The same text fed in arbitrary chunks to the tail reader gives the same state.
      const tail = new ProgressLogTail()
      for (let i = 0; i < text.length; i += 37) tail.push(text.slice(i, i + 37))
      tail.end()
      expect(tail.state).to.deep.equal(s)
    } finally {
      cleanup()
    }
  })

  it('writes and reads the /p estimate XML', () => {
    const xml = formatEstimateXml({ storeBytes: 11010592768, clusterSize: 4096, temporaryBytes: 58189144 })
    expect(xml).to.include('<size clusterSize="4096">11010592768</size>')
    expect(xml).to.include('<temporarySpace>\r\n    <size>58189144</size>')
    expect(parseEstimateXml(xml)).to.deep.equal({ storeBytes: 11010592768, clusterSize: 4096, temporaryBytes: 58189144 })
  })
})
