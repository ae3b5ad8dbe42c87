import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { escapeHtml, html, jsonForScript } from '../../../src/report/escape.js'
import { renderReportHtml } from '../../../src/report/html.js'
import { buildOverview, relativeHref, renderOverviewHtml } from '../../../src/report/overview.js'
import { REPORT_SCHEMA, type ReportSummary } from '../../../src/report/types.js'
import { FOLDER_JSON, publishReportFolder, reportFolderName } from '../../../src/report/write.js'
import { tempDir } from '../../helpers/fixtures.js'

const EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;\'`'

/** A summary with a hostile string in every text field the page shows. */
function hostileSummary(): ReportSummary {
  return {
    schema: REPORT_SCHEMA, generatedAt: '2025-03-01T10:00:00.000Z', generator: `usmt-steps ${EVIL}`, computer: `PC${EVIL}`, status: 'error',
    headline: `capture failed: ${EVIL}`,
    cause: { step: `capture${EVIL}`, source: `scan${EVIL}.log`, line: 3, text: EVIL, context: [EVIL], returnCode: { code: 61, name: EVIL, message: EVIL, fix: EVIL } },
    steps: [{ step: `capture${EVIL}`, status: 'error', exitCode: 21, startedAt: '2025-03-01T10:00:00.000Z', finishedAt: '2025-03-01T10:01:00.000Z', durationMs: 60000, summary: EVIL, computer: EVIL, warnings: 0, error: { code: 'USM0310', message: EVIL, actions: [EVIL] } }],
    store: { type: EVIL, path: EVIL, localPath: EVIL, exists: true, state: 'incomplete', stateReason: EVIL, layout: 'unknown', encrypted: null, sizeBytes: 1, reasons: [EVIL], rule: EVIL },
    totals: { users: 1, files: 1, bytes: 10, unknownSize: 0, ignored: 1, errors: 1, warnings: 1 },
    users: [{ user: `CONTOSO\\${EVIL}`, included: true, files: 1, bytes: 10, unknownSize: 0, kinds: [{ kind: 'Documents', files: 1, bytes: 10 }], components: [{ name: EVIL, included: true }, { name: EVIL, included: false }] }],
    components: [{ component: EVIL, basis: 'folder', users: [EVIL], files: 1, bytes: 10 }],
    kinds: [{ kind: 'Documents', files: 1, bytes: 10 }],
    excludedUsers: [EVIL],
    problems: [{ step: EVIL, kind: 'ignored', object: EVIL, code: EVIL, reason: EVIL, source: `${EVIL}.log`, line: 2, count: 1 }],
    warnings: [{ step: EVIL, source: EVIL, message: EVIL, count: 2 }],
    phases: [{ step: EVIL, phase: EVIL, source: EVIL, startedAt: EVIL, durationMs: 5 }],
    commands: [{ step: EVIL, commandLine: EVIL, exitCode: 61, startedAt: '2025-03-01T10:00:00.000Z', durationMs: 1, artifacts: [{ name: `${EVIL}.log`, found: true }, { name: EVIL, found: false }] }],
    sources: [EVIL], outputs: [EVIL],
  }
}

describe('report: HTML safety', () => {
  it('escapes the five HTML specials and the backtick', () => {
    expect(escapeHtml('<a href="x">\'&`</a>')).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#96;&lt;/a&gt;')
    expect(html`<p title="${'"onmouseover="x'}">${'<b>'}</p>`.html).to.equal('<p title="&quot;onmouseover=&quot;x">&lt;b&gt;</p>')
  })

  it('embeds JSON that cannot close its script element', () => {
    const s = jsonForScript({ a: '</script><script>alert(1)</script>', b: '\u2028' })
    expect(s).to.not.include('<')
    expect(JSON.parse(s)).to.deep.equal({ a: '</script><script>alert(1)</script>', b: '\u2028' })
  })

  it('renders a report where no value from the run becomes markup', () => {
    const page = renderReportHtml(hostileSummary())
    expect(page).to.not.include('<script>alert')
    expect(page).to.not.include('<img')
    expect(page).to.not.include('onerror=alert(1)>')
    expect(page.match(/<script\b/g)).to.have.length(2) // the JSON data and the page's own script
    expect(page).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    // Links to logs are file names, percent-encoded: never a scheme, never a folder.
    for (const m of page.matchAll(/href="([^"]*)"/g)) expect(m[1]).to.match(/^[A-Za-z0-9%._~!*()-]*$/)
    // The embedded data round-trips.
    const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? ''
    expect((JSON.parse(data) as ReportSummary).headline).to.equal(`capture failed: ${EVIL}`)
  })

  it('forbids network requests through its Content-Security-Policy', () => {
    const page = renderReportHtml(hostileSummary())
    expect(page).to.match(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/)
    expect(page).to.not.match(/\b(src|href)="(https?:)?\/\//)
  })
})

describe('report: folders and the overview', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  it('names report folders by computer and UTC time, safely', () => {
    expect(reportFolderName('PC-0142', new Date('2025-03-01T14:02:11.123Z'))).to.equal('PC-0142_20250301T140211Z')
    expect(reportFolderName('..\\evil/../x y', new Date('2025-03-01T14:02:11Z'))).to.equal('evil_.._x_y_20250301T140211Z')
    expect(reportFolderName('', new Date('2025-03-01T14:02:11Z'))).to.equal('UNKNOWN_20250301T140211Z')
  })

  it('publishes reports of the same computer and second into distinct folders, leaving no temporary folder', () => {
    const made = Array.from({ length: 5 }, (_, i) => publishReportFolder(t.dir, 'PC1_20250301T140211Z', `<p>${i}</p>`, `{"n":${i}}`, []))
    expect(new Set(made.map((m) => path.dirname(m.html))).size).to.equal(5)
    expect(readdirSync(t.dir).sort()).to.deep.equal(['PC1_20250301T140211Z', 'PC1_20250301T140211Z-2', 'PC1_20250301T140211Z-3', 'PC1_20250301T140211Z-4', 'PC1_20250301T140211Z-5'])
    expect(readFileSync(path.join(t.dir, 'PC1_20250301T140211Z-3', FOLDER_JSON), 'utf8')).to.equal('{"n":2}')
  })

  it('lists failures first, newest report per computer, skips unreadable and unpublished summaries', () => {
    const put = (folder: string, computer: string, status: ReportSummary['status'], at: string): void => {
      const s = { ...hostileSummary(), computer, status, generatedAt: at, headline: `${computer} ${status}` }
      mkdirSync(path.join(t.dir, folder), { recursive: true })
      writeFileSync(path.join(t.dir, folder, FOLDER_JSON), JSON.stringify(s))
    }
    put('A_1', 'PC-A', 'success', '2025-03-01T10:00:00.000Z')
    put('B_1', 'PC-B', 'error', '2025-03-01T09:00:00.000Z')
    put('C_1', 'PC-C', 'warning', '2025-03-01T11:00:00.000Z')
    put('C_0', 'PC-C', 'error', '2025-02-28T11:00:00.000Z')
    put('.D_1.tmp-1-x', 'PC-D', 'error', '2025-03-01T11:00:00.000Z')
    mkdirSync(path.join(t.dir, 'E_1'))
    writeFileSync(path.join(t.dir, 'E_1', FOLDER_JSON), '{not json')
    const o = buildOverview(t.dir, new Date('2025-03-02T00:00:00Z'))
    expect(o.rows.map((r) => `${r.computer}:${r.status}:${r.latest}`)).to.deep.equal(['PC-B:error:true', 'PC-C:warning:true', 'PC-A:success:true', 'PC-C:error:false'])
    expect(o.counts).to.deep.include({ reports: 4, computers: 3 })
    expect(o.counts.byStatus).to.deep.equal({ error: 1, incomplete: 0, warning: 1, success: 1 })
    expect(o.unreadable).to.deep.equal([path.join('E_1', FOLDER_JSON)])
    expect(o.rows[0].href).to.equal('./B_1/report.html')
    const page = renderOverviewHtml(o)
    expect(page).to.not.include('<script>alert')
    expect(page.indexOf('PC-B')).to.be.lessThan(page.indexOf('PC-A'))
  })

  it('percent-encodes folder names in overview links', () => {
    expect(relativeHref('/r', '/r/javascript:alert(1)/report.html')).to.equal('./javascript%3Aalert(1)/report.html')
    expect(existsSync(t.dir)).to.equal(true)
  })
})
