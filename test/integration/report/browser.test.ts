import { expect } from 'chai'
import { cpSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ReportSummary } from '../../../src/report/types.js'
import { parseJsonOutput, PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { Chromium, chromiumAvailable, CHROMIUM, type Page } from './chromium.js'

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'report')

/** The report and the overview in Debian's headless Chromium: they render, make no request and log no error. */
describe('report in a browser (headless Chromium)', function () {
  this.timeout(120000)
  let t: ReturnType<typeof tempDir>
  let browser: Chromium
  const reports: Record<string, { html: string; summary: ReportSummary }> = {}
  let overview = ''

  before(async function () {
    if (!chromiumAvailable()) {
      // scripts/ci/install-deps.sh installs Debian's chromium; without it this suite cannot say anything.
      throw new Error(`${CHROMIUM} is missing: run scripts/ci/install-deps.sh (Debian package chromium)`)
    }
    t = tempDir()
    const central = path.join(t.dir, 'central')
    for (const [name, machine] of [['refresh-warn', 'PC-0142'], ['replace-failed', 'PC-0277']] as const) {
      const root = path.join(t.dir, name)
      cpSync(path.join(FIXTURES, name), root, { recursive: true })
      const env = path.join(root, 'ts.json')
      writeFileSync(env, JSON.stringify({ _SMSTSLogPath: path.join(root, 'logs'), _SMSTSMachineName: machine }))
      const r = await runCli(['report', '--ts-env', `json:${env}`, '--volume', `C=${path.join(root, 'C')}`, '--copy-to', central, '--json'])
      const doc = parseJsonOutput<{ result: { html: string; summary: ReportSummary } }>(r.stdout)
      reports[name] = doc.result
    }
    const ix = await runCli(['report', 'index', central, '--json'])
    overview = parseJsonOutput<{ result: { html: string } }>(ix.stdout).result.html
    browser = await Chromium.launch()
  })
  after(async () => {
    await browser?.close()
    t?.cleanup()
  })

  async function open(file: string): Promise<Page> {
    const page = await browser.open(pathToFileURL(file).href)
    expect(await page.evaluate<string | null>('document.documentElement.getAttribute("data-ready")'), 'the page script ran to its end').to.equal('1')
    return page
  }

  function expectClean(page: Page): void {
    expect(page.problems.consoleErrors, 'console errors').to.deep.equal([])
    expect(page.problems.exceptions, 'uncaught exceptions').to.deep.equal([])
    expect(page.problems.logErrors, 'browser log errors (CSP, failed loads)').to.deep.equal([])
    expect(page.problems.networkRequests, 'network requests').to.deep.equal([])
  }

  it('the harness itself sees console errors, exceptions and blocked loads (so a clean page means clean)', async () => {
    const bad = path.join(t.dir, 'bad.html')
    writeFileSync(bad, `<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'">
<img src="http://192.0.2.1/x.png"><script>console.error('boom'); setTimeout(() => { throw new Error('late') })</script>`)
    const page = await browser.open(pathToFileURL(bad).href)
    await page.evaluate('new Promise((r) => setTimeout(r, 200))')
    expect(page.problems.consoleErrors.join()).to.include('boom')
    expect(page.problems.exceptions.join()).to.include('late')
    expect(page.problems.logErrors.join()).to.match(/Content Security Policy|192\.0\.2\.1/)
  })

  it('renders the chart and the tables of a report, as the JSON says, with no errors and no requests', async () => {
    const { html, summary } = reports['refresh-warn']
    const page = await open(html)
    const dom = await page.evaluate<{ segs: Array<{ user: string; kind: string; w: number }>; bars: number; users: number; problems: number; steps: number; commands: number; headline: string; svgW: number }>(`(() => ({
      segs: [...document.querySelectorAll('#chart rect.seg')].map((r) => ({ user: r.closest('g').getAttribute('data-user'), kind: r.getAttribute('data-kind'), w: r.getBoundingClientRect().width })),
      bars: document.querySelectorAll('#chart g.bar-row').length,
      users: document.querySelectorAll('#users-table tbody tr').length,
      problems: document.querySelectorAll('#problems-table tbody tr').length,
      steps: document.querySelectorAll('#steps-table tbody tr').length,
      commands: document.querySelectorAll('#commands pre.cmd').length,
      headline: document.getElementById('headline').textContent,
      svgW: document.getElementById('chart').getBoundingClientRect().width,
    }))()`)
    const expectedSegs = summary.users.flatMap((u) => u.kinds.filter((k) => k.files > 0).map((k) => `${u.user}|${k.kind}`))
    expect(dom.segs.map((s) => `${s.user}|${s.kind}`).sort()).to.deep.equal(expectedSegs.sort())
    expect(expectedSegs.length).to.be.greaterThan(5)
    expect(dom.segs.every((s) => s.w > 0), 'every segment is visible').to.equal(true)
    expect(dom.svgW).to.be.greaterThan(400)
    expect(dom.bars).to.equal(summary.users.filter((u) => u.files > 0).length)
    expect(dom.users).to.equal(summary.users.length)
    expect(dom.problems).to.equal(summary.problems.length)
    expect(dom.steps).to.equal(summary.steps.length)
    expect(dom.commands).to.equal(summary.commands.length)
    expect(dom.headline).to.equal(summary.headline)
    expectClean(page)
  })

  it('sorts a table by a header click and filters the errors', async () => {
    const page = await open(reports['refresh-warn'].html)
    const order = await page.evaluate<string[]>(`(() => {
      const th = [...document.querySelectorAll('#users-table thead th')].find((h) => h.textContent.startsWith('Files'));
      th.click();
      return [...document.querySelectorAll('#users-table tbody tr')].map((r) => r.cells[2].textContent);
    })()`)
    expect(order.map(Number)).to.deep.equal([...order.map(Number)].sort((a, b) => a - b))
    const visible = await page.evaluate<number>(`(() => {
      const f = document.querySelector('input.filter'); f.value = 'OneDrive'; f.dispatchEvent(new Event('input'));
      return [...document.querySelectorAll('#problems-table tbody tr')].filter((r) => r.style.display !== 'none').length;
    })()`)
    expect(visible).to.equal(reports['refresh-warn'].summary.problems.filter((p) => JSON.stringify(p).includes('OneDrive')).length).and.to.be.greaterThan(0)
    expectClean(page)
  })

  it('shows why a capture failed, and log text stays text', async () => {
    const { html, summary } = reports['replace-failed']
    const page = await open(html)
    const dom = await page.evaluate<{ cause: string; scripts: number; injected: boolean; chartEmpty: boolean }>(`(() => ({
      cause: document.querySelector('#cause .line').textContent,
      scripts: document.scripts.length,
      injected: [...document.querySelectorAll('#cause pre')].some((p) => p.textContent.includes('<script>alert("x")</script>')),
      chartEmpty: Boolean(document.getElementById('chart-empty')),
    }))()`)
    expect(dom.cause).to.equal(summary.cause?.text)
    expect(dom.injected, 'the <script> in the log line is shown as text').to.equal(true)
    expect(dom.scripts).to.equal(2)
    expect(dom.chartEmpty).to.equal(true)
    expectClean(page)
  })

  it('renders the overview with failures first', async () => {
    const page = await open(overview)
    const rows = await page.evaluate<string[]>(`[...document.querySelectorAll('#machines tbody tr')].map((r) => r.cells[0].textContent + ':' + r.cells[1].textContent)`)
    expect(rows).to.deep.equal(['PC-0277:failed', 'PC-0142:warning'])
    const link = await page.evaluate<string>(`document.querySelector('#machines tbody a').href`)
    expect(link).to.match(/^file:.*PC-0277_\d{8}T\d{6}Z\/report\.html$/)
    expectClean(page)
  })
})
