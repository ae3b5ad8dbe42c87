// npm run report:screenshot — renders the migration report of the bundled example run
// (test/fixtures/report/refresh-warn: a refresh with two ignored files) and writes docs/report-screenshot.png
// with Debian's headless Chromium, for the README. Runs under tsx (node --import tsx) to use the sources.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createReport } from '../src/report/index.js'
import { VolumeMap } from '../src/windows/volume-map.js'
import { Chromium, chromiumAvailable, CHROMIUM } from '../test/integration/report/chromium.js'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const out = path.join(root, 'docs', 'report-screenshot.png')
const width = Number(process.env.SCREENSHOT_WIDTH ?? 1280)
const maxHeight = Number(process.env.SCREENSHOT_HEIGHT ?? 1500)

if (!chromiumAvailable()) {
  console.error(`${CHROMIUM} not found: install Debian's chromium (scripts/ci/install-deps.sh)`)
  process.exit(1)
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-screenshot-'))
let browser
try {
  const run = path.join(tmp, 'refresh-warn')
  cpSync(path.join(root, 'test', 'fixtures', 'report', 'refresh-warn'), run, { recursive: true })
  const report = createReport({
    logDir: path.join(run, 'logs'), toStore: false, copyRequired: false, volumes: VolumeMap.parse([`C=${path.join(run, 'C')}`]),
    variables: { _SMSTSMachineName: 'PC-0142' }, generator: 'usmt-steps', now: new Date('2025-03-01T13:43:00Z'),
    warn: (m) => console.error(`warning: ${m}`), log: () => undefined,
  })
  browser = await Chromium.launch({ width, height: 900 })
  const page = await browser.open(pathToFileURL(report.files.html).href)
  const problems = Object.values(page.problems).flat()
  if (problems.length) throw new Error(`the report page had problems: ${problems.join('; ')}`)
  writeFileSync(out, await page.screenshot(width, maxHeight))
  console.log(`wrote ${path.relative(root, out)} (${width} px wide) from ${path.relative(root, report.files.html.replace(tmp, 'test/fixtures/report'))}`)
} finally {
  await browser?.close()
  rmSync(tmp, { recursive: true, force: true })
}
