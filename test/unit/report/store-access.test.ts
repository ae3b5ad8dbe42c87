import { expect } from 'chai'
import { renderReportHtml } from '../../../src/report/html.js'
import { buildSummary } from '../../../src/report/model.js'
import type { GatheredRun } from '../../../src/report/gather.js'
import { RUN_RECORD_SCHEMA, type RunRecord } from '../../../src/runtime/run-record.js'

describe('report: who had access to a share store (per-store access, issue #19)', () => {
  const record = (step: string, store: unknown): RunRecord => ({
    schema: RUN_RECORD_SCHEMA, step, computer: 'PCB', version: 't', status: 'success', exitCode: 0, startedAt: '2026-12-06T06:00:00.000Z',
    finishedAt: '2026-12-06T06:00:01.000Z', durationMs: 1000, summary: 'ok', warnings: [], phases: [], commands: [], result: { type: 'restore', store },
  })
  const run = (records: RunRecord[]): GatheredRun => ({
    logDir: '/tmp/x', records, logs: [], inventory: [], computer: 'PCB', sources: [],
    store: { path: '\\\\fs\\migstore\\PCA-1', localPath: null, exists: null, layout: null, encrypted: null, sizeBytes: null, hardlink: false },
  })
  const history = [
    { at: '2026-12-06T05:00:00.000Z', event: 'requested', computer: 'PCA' },
    { at: '2026-12-06T05:00:01.000Z', event: 'access', computer: 'PCA', detail: 'requested: admins (CONTOSO\\Admins): full control; capturing computer PCA (CONTOSO\\PCA$): write' },
    { at: '2026-12-06T05:30:00.000Z', event: 'captured', computer: 'PCA' },
    { at: '2026-12-06T05:30:00.000Z', event: 'access', computer: 'PCA', detail: 'captured: admins (CONTOSO\\Admins): full control; restoring computer PCB (CONTOSO\\PCB$): read' },
    { at: '2026-12-06T06:00:00.000Z', event: 'restore-requested', computer: 'PCB', detail: 'read by PCB' },
    { at: '2026-12-06T06:10:00.000Z', event: 'restored', computer: 'PCB' },
    { at: '2026-12-06T06:10:00.000Z', event: 'access', computer: '<PCB>', detail: 'restored: admins (CONTOSO\\Admins): full control' },
  ]

  it('lists every grant, read and release with computer and time, and renders it escaped', () => {
    const s = buildSummary(run([record('store release', { id: 'PCA-1', access: { phase: 'restored', since: 'x', grants: [] }, history })]), { generator: 't' })
    expect(s.store.access?.map((a) => `${a.computer} ${a.event}`)).to.deep.equal([
      'PCA requested', 'PCA access', 'PCA captured', 'PCA access', 'PCB restore-requested', 'PCB restored', '<PCB> access',
    ])
    expect(s.store.access?.[4].detail).to.equal('read it')
    const page = renderReportHtml(s)
    expect(page).to.include('Who had access')
    expect(page).to.include('restoring computer PCB (CONTOSO\\PCB$): read')
    expect(page).to.include('&lt;PCB&gt;')
    expect(page).to.not.include('<PCB>')
  })

  it('shows nothing for stores without per-store access', () => {
    const s = buildSummary(run([record('store release', { id: 'PCA-1', history })]), { generator: 't' })
    expect(s.store.access).to.equal(undefined)
    expect(renderReportHtml(s)).to.not.include('Who had access')
  })
})
