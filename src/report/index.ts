/**
 * The report service: gather the run (records, USMT logs, file list, store) → summary → JSON + HTML, written
 * to the log folder, the store and optionally a central folder; and the overview of a central folder.
 */
import { statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { writeFileAtomic } from '../runtime/atomic-file.js'
import type { VolumeMap } from '../windows/volume-map.js'
import { gatherRun, type GatheredRun } from './gather.js'
import { renderReportHtml } from './html.js'
import { buildSummary, formatBytes } from './model.js'
import { buildOverview, INDEX_HTML, INDEX_JSON, renderOverviewHtml, type Overview } from './overview.js'
import type { ReportSummary } from './types.js'
import { publishReportFolder, reportFolderName, STORE_REPORTS, writeToLogDir, type ReportFiles } from './write.js'

export * from './types.js'
export { renderReportHtml } from './html.js'
export { buildSummary } from './model.js'
export { gatherRun } from './gather.js'
export { buildOverview, renderOverviewHtml } from './overview.js'

export interface ReportOptions {
  logDir: string
  storePath?: string
  copyTo?: string
  toStore: boolean
  copyRequired: boolean
  variables?: Record<string, string>
  volumes?: VolumeMap
  generator: string
  now?: Date
  warn: (message: string) => void
  log: (line: string) => void
}

export interface ReportResult {
  summary: ReportSummary
  files: { html: string; json: string }
  store?: ReportFiles
  copy?: ReportFiles
}

function write<T>(what: string, dir: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw new UsmtStepsError('USM0702', `cannot write the report ${what} ${dir}: ${(e as Error).message}`, { cause: e, data: { folder: dir } })
  }
}

function serialise(summary: ReportSummary): { json: string; html: string } {
  return { json: `${JSON.stringify(summary, null, 2)}\n`, html: renderReportHtml(summary) }
}

export function createReport(opts: ReportOptions): ReportResult {
  try {
    if (!statSync(opts.logDir).isDirectory()) throw new Error('not a folder')
  } catch (e) {
    throw new UsmtStepsError('USM0700', `the log folder ${opts.logDir} cannot be read: ${(e as Error).message}`, { cause: e, data: { logDir: opts.logDir } })
  }
  const run: GatheredRun = gatherRun({ logDir: opts.logDir, storePath: opts.storePath, variables: opts.variables, volumes: opts.volumes })
  if (run.records.length === 0) {
    throw new UsmtStepsError('USM0700', `no run records (usmt-steps-*.json) in ${opts.logDir}: no usmt-steps step has run with this log folder`, { data: { logDir: opts.logDir } })
  }
  for (const l of run.logs) if (!l.localPath) opts.warn(`log of ${l.step} not found: ${l.recorded} (looked beside the run records and in the store)`)
  const now = opts.now ?? new Date()
  // Log lines and command lines end up in the report: secrets known to this run are masked everywhere.
  const summary = redactor.redactDeep(buildSummary(run, { generator: opts.generator, now }))
  opts.log(`report: ${summary.status}: ${summary.headline} (${summary.totals.files} files, ${formatBytes(summary.totals.bytes)}, ${summary.problems.length} problem rows)`)

  const name = reportFolderName(summary.computer, now)
  const logFiles = { html: nodePath.join(opts.logDir, 'usmt-steps-report.html'), json: nodePath.join(opts.logDir, 'usmt-steps-summary.json') }
  const storeDir = opts.toStore && run.store.localPath && run.store.exists ? nodePath.join(run.store.localPath, STORE_REPORTS) : undefined
  const copyDir = opts.copyTo ? nodePath.resolve(opts.copyTo) : undefined
  summary.outputs = [logFiles.html, ...(storeDir ? [nodePath.join(storeDir, name)] : []), ...(copyDir ? [nodePath.join(copyDir, name)] : [])]
  if (opts.toStore && run.store.path && !storeDir) {
    opts.log(`report: not written into the store ${run.store.path} (${run.store.localPath === null ? 'not reachable from here' : 'it does not exist'})`)
  }

  const usmtStepsLog = nodePath.join(opts.logDir, 'usmt-steps.log')
  const result: ReportResult = { summary, files: logFiles }
  // The central copy first: when it fails (share down) the summary says so in the log-folder report.
  if (copyDir) {
    try {
      const { json, html } = serialise(summary)
      result.copy = publishReportFolder(copyDir, name, html, json, run.logs, [usmtStepsLog])
      opts.log(`report: copied to ${nodePath.dirname(result.copy.html)}`)
    } catch (e) {
      if (opts.copyRequired) throw new UsmtStepsError('USM0702', `cannot copy the report to ${copyDir}: ${(e as Error).message}`, { cause: e, data: { folder: copyDir } })
      opts.warn(`the report could not be copied to ${copyDir}: ${(e as Error).message}`)
      summary.outputs = summary.outputs.filter((o) => !o.startsWith(copyDir))
    }
  }
  if (storeDir) {
    try {
      const { json, html } = serialise(summary)
      result.store = publishReportFolder(storeDir, name, html, json, run.logs, [usmtStepsLog])
    } catch (e) {
      opts.warn(`the report could not be written into the store ${storeDir}: ${(e as Error).message}`)
      summary.outputs = summary.outputs.filter((o) => !o.startsWith(storeDir))
    }
  }
  const { json, html } = serialise(summary)
  write('in the log folder', opts.logDir, () => writeToLogDir(opts.logDir, html, json))
  return result
}

export interface IndexResult {
  overview: Overview
  html: string
  json: string
}

export function createIndex(dir: string, now = new Date()): IndexResult {
  const abs = nodePath.resolve(dir)
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a folder')
  } catch (e) {
    throw new UsmtStepsError('USM0703', `cannot read the report folder ${abs}: ${(e as Error).message}`, { cause: e, data: { folder: abs } })
  }
  const overview = buildOverview(abs, now)
  const files = { html: nodePath.join(abs, INDEX_HTML), json: nodePath.join(abs, INDEX_JSON) }
  write('overview in', abs, () => {
    writeFileAtomic(files.json, `${JSON.stringify(overview, null, 2)}\n`)
    writeFileAtomic(files.html, renderOverviewHtml(overview))
  })
  return { overview, ...files }
}
