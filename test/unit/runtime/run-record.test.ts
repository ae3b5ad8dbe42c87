import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { redactor } from '../../../src/runtime/redact.js'
import { PhaseClock, readRunRecords, runRecordFileName, writeRunRecord, type RunRecord } from '../../../src/runtime/run-record.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('runtime/run-record', () => {
  it('names records after the step', () => {
    expect(runRecordFileName('store request')).to.equal('usmt-steps-store-request.json')
    expect(runRecordFileName('capture')).to.equal('usmt-steps-capture.json')
  })

  it('times phases from progress phase changes', () => {
    let now = 1000
    const c = new PhaseClock(() => now)
    c.mark('Scanning')
    now = 1500
    c.mark('Scanning')
    now = 3000
    c.mark('Capturing')
    now = 3250
    c.close()
    expect(c.phases.map((p) => [p.phase, p.durationMs])).to.deep.equal([['Scanning', 2000], ['Capturing', 250]])
  })

  it('writes redacted records and reads them back oldest first, skipping foreign files', () => {
    const t = tempDir()
    try {
      redactor.add('RunRecordSecret-77')
      const base: RunRecord = { schema: 1, step: 'capture', computer: 'PC1', version: '0.1.0', status: 'success', exitCode: 0, startedAt: '2026-01-01T10:00:00.000Z', finishedAt: '2026-01-01T10:05:00.000Z', durationMs: 300000, summary: 's', warnings: [], phases: [], commands: [{ commandLine: 'scanstate /key:RunRecordSecret-77', exitCode: 0, startedAt: '2026-01-01T10:00:01.000Z', durationMs: 5 }] }
      writeRunRecord(t.dir, base)
      writeRunRecord(t.dir, { ...base, step: 'plan', startedAt: '2026-01-01T09:00:00.000Z' })
      writeFileSync(path.join(t.dir, 'usmt-steps-other.json'), '{"not":"ours"}')
      const records = readRunRecords(t.dir)
      expect(records.map((r) => r.step)).to.deep.equal(['plan', 'capture'])
      expect(JSON.stringify(records)).to.not.include('RunRecordSecret-77')
    } finally {
      t.cleanup()
    }
  })
})
