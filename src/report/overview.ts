/**
 * `report index DIR`: one overview page of many machines' reports (the central `--copy-to` folder): counts,
 * failures first, each row linking to the machine's report. Reads only the summaries (summary.json).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { html, jsonForScript, trusted } from './escape.js'
import { formatBytes } from './model.js'
import { formatTime, page, statusBadge } from './page.js'
import { REPORT_SCHEMA, type OverallStatus, type ReportSummary } from './types.js'
import { FOLDER_JSON, htmlFor, LOGDIR_JSON } from './write.js'

export const INDEX_HTML = 'index.html'
export const INDEX_JSON = 'index.json'

export interface OverviewRow {
  computer: string
  status: OverallStatus
  generatedAt: string
  headline: string
  users: number
  files: number
  bytes: number
  ignored: number
  errors: number
  storeState: string
  steps: string[]
  /** The report page, relative to the overview (forward slashes). */
  href: string
  /** True for the newest report of this computer. */
  latest: boolean
}

export interface Overview {
  schema: 'usmt-steps-report-index/1'
  generatedAt: string
  folder: string
  counts: { reports: number; computers: number; byStatus: Record<OverallStatus, number>; files: number; bytes: number }
  /** Files that looked like summaries but could not be read. */
  unreadable: string[]
  rows: OverviewRow[]
}

const STATUS_ORDER: Record<OverallStatus, number> = { error: 0, incomplete: 1, warning: 2, success: 3 }

/** Summary files under `dir` (report folders one or two levels down, and log folders copied whole). */
export function findSummaries(dir: string, depth = 3): string[] {
  const out: string[] = []
  const walk = (d: string, level: number): void => {
    let entries: string[]
    try {
      entries = readdirSync(d)
    } catch {
      return
    }
    for (const e of entries.sort()) {
      if (e.startsWith('.')) continue // unpublished (temporary) report folders
      const p = nodePath.join(d, e)
      let st
      try {
        st = statSync(p)
      } catch {
        continue
      }
      if (st.isDirectory() && level < depth) walk(p, level + 1)
      else if (st.isFile() && (e === FOLDER_JSON || e === LOGDIR_JSON)) out.push(p)
    }
  }
  walk(dir, 1)
  return out
}

/** `./PC1_…/report.html` with every segment percent-encoded (a folder name can never become a URL scheme). */
export function relativeHref(from: string, file: string): string {
  return `./${nodePath.relative(from, file).split(nodePath.sep).map(encodeURIComponent).join('/')}`
}

export function buildOverview(dir: string, now = new Date()): Overview {
  const rows: OverviewRow[] = []
  const unreadable: string[] = []
  for (const file of findSummaries(dir)) {
    let s: ReportSummary
    try {
      s = JSON.parse(readFileSync(file, 'utf8')) as ReportSummary
    } catch {
      unreadable.push(nodePath.relative(dir, file))
      continue
    }
    if (!s || s.schema !== REPORT_SCHEMA || typeof s.computer !== 'string' || !s.totals) {
      unreadable.push(nodePath.relative(dir, file))
      continue
    }
    rows.push({
      computer: s.computer, status: s.status, generatedAt: s.generatedAt, headline: s.headline, users: s.totals.users, files: s.totals.files,
      bytes: s.totals.bytes, ignored: s.totals.ignored, errors: s.totals.errors, storeState: s.store?.state ?? 'unknown',
      steps: (s.steps ?? []).map((x) => x.step), href: relativeHref(dir, htmlFor(file)), latest: false,
    })
  }
  const newest = new Map<string, OverviewRow>()
  for (const r of rows) {
    const key = r.computer.toLowerCase()
    const cur = newest.get(key)
    if (!cur || r.generatedAt > cur.generatedAt) newest.set(key, r)
  }
  for (const r of newest.values()) r.latest = true
  rows.sort((a, b) => Number(b.latest) - Number(a.latest) || STATUS_ORDER[a.status] - STATUS_ORDER[b.status]
    || b.generatedAt.localeCompare(a.generatedAt) || a.computer.localeCompare(b.computer))
  const byStatus: Record<OverallStatus, number> = { error: 0, incomplete: 0, warning: 0, success: 0 }
  const latest = rows.filter((r) => r.latest)
  for (const r of latest) byStatus[r.status]++
  return {
    schema: 'usmt-steps-report-index/1', generatedAt: now.toISOString(), folder: dir,
    counts: { reports: rows.length, computers: latest.length, byStatus, files: latest.reduce((n, r) => n + r.files, 0), bytes: latest.reduce((n, r) => n + r.bytes, 0) },
    unreadable, rows,
  }
}

export function renderOverviewHtml(o: Overview): string {
  const c = o.counts
  const card = (v: string | number, k: string, id: string): ReturnType<typeof html> => html`<div class="card" id="${id}"><div class="v">${v}</div><div class="k">${k}</div></div>`
  const row = (r: OverviewRow): ReturnType<typeof html> => html`<tr class="r-${r.status}${r.latest ? '' : ' older'}"><td><a href="${r.href}">${r.computer}</a>${r.latest ? '' : html` <span class="muted">(older)</span>`}</td><td data-v="${STATUS_ORDER[r.status]}">${statusBadge(r.status)}</td><td>${formatTime(r.generatedAt)}</td><td>${r.headline}</td><td class="n">${r.users}</td><td class="n">${r.files}</td><td class="n" data-v="${r.bytes}">${formatBytes(r.bytes)}</td><td class="n">${r.ignored}</td><td class="n">${r.errors}</td><td>${r.storeState}</td></tr>`
  const body = html`<header><h1>User-state migrations — overview</h1><div class="meta">${o.folder} · ${formatTime(o.generatedAt)}</div></header>
<main>
<div class="cards">${card(c.computers, 'computers', 'card-computers')}${card(c.byStatus.error, 'failed', 'card-failed')}${card(c.byStatus.warning, 'with warnings', 'card-warning')}${card(c.byStatus.success, 'succeeded', 'card-success')}${card(c.byStatus.incomplete, 'incomplete', 'card-incomplete')}${card(formatBytes(c.bytes), `in ${c.files} files`, 'card-bytes')}</div>
<section><h2>Machines (failures first)</h2>
<input class="filter" type="search" placeholder="Filter…" data-table="machines" aria-label="Filter machines">
<table class="sortable" id="machines"><thead><tr><th>Computer</th><th>Result</th><th>Report time</th><th>What happened</th><th class="n">Users</th><th class="n">Files</th><th class="n">Size</th><th class="n">Ignored</th><th class="n">Errors</th><th>Store</th></tr></thead><tbody>${o.rows.map(row)}</tbody></table>
${o.rows.length === 0 ? html`<p id="no-reports">No reports in this folder yet.</p>` : ''}
${o.unreadable.length ? html`<p class="muted">Unreadable summaries: ${o.unreadable.join(', ')}</p>` : ''}
</section></main>`
  return page('Migration overview', body, trusted(`<script type="application/json" id="index-data">${jsonForScript(o)}</script>`))
}
