/**
 * The self-contained HTML migration report: one file with inline CSS, an inline SVG chart and a small
 * script (table sorting and filtering), no network requests (a CSP forbids them). Every value is escaped
 * through the `html` template. The summary is embedded as JSON (`#report-data`) for scripts.
 */
import { fileHref, html, jsonForScript, trusted, type SafeHtml } from './escape.js'
import { FILE_KINDS } from './inventory.js'
import { formatBytes } from './model.js'
import { formatDuration, formatTime, page, statusBadge } from './page.js'
import type { FileKind, ReportSummary, UserTotal } from './types.js'

export const KIND_COLORS: Readonly<Record<FileKind, string>> = {
  Documents: '#2457a6', Pictures: '#2a9d8f', Music: '#8e5bc2', Video: '#d1495b', Email: '#e9a03b', Archives: '#6c757d', Settings: '#5fa8d3', Other: '#b7c0cc',
}

const CHART_WIDTH = 880
const LABEL_WIDTH = 190
const VALUE_WIDTH = 110
const BAR_HEIGHT = 22
const BAR_GAP = 10

/** Stacked horizontal bars: one per user, one segment per file kind (bytes, or files when no size is known). */
export function chartSvg(users: readonly UserTotal[]): SafeHtml {
  const rows = users.filter((u) => u.files > 0)
  const useBytes = rows.some((u) => u.bytes > 0)
  const measure = (x: { bytes: number; files: number }): number => (useBytes ? x.bytes : x.files)
  const max = Math.max(1, ...rows.map(measure))
  const plot = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const height = rows.length * (BAR_HEIGHT + BAR_GAP) + 24
  const bars = rows.map((u, i) => {
    const y = i * (BAR_HEIGHT + BAR_GAP)
    let x = LABEL_WIDTH
    const segs = FILE_KINDS.map((kind) => {
      const k = u.kinds.find((kk) => kk.kind === kind)
      if (!k || measure(k) === 0) return html``
      const w = Math.max(1, (measure(k) / max) * plot)
      const seg = html`<rect class="seg" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${KIND_COLORS[kind]}" data-kind="${kind}"><title>${u.user} — ${kind}: ${k.files} files, ${formatBytes(k.bytes)}</title></rect>`
      x += w
      return seg
    })
    const label = u.user.length > 28 ? `${u.user.slice(0, 27)}…` : u.user
    return html`<g class="bar-row" data-user="${u.user}"><text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end" font-size="12" fill="#1d2330">${label}</text>${segs}<text x="${x + 6}" y="${y + 15}" font-size="12" fill="#5d6776">${useBytes ? formatBytes(u.bytes) : `${u.files} files`}</text></g>`
  })
  const axisY = rows.length * (BAR_HEIGHT + BAR_GAP) + 4
  return html`<svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Migrated data by user and kind" width="100%" viewBox="0 0 ${CHART_WIDTH} ${height}" style="max-width:${CHART_WIDTH}px">${bars}<line x1="${LABEL_WIDTH}" y1="${axisY}" x2="${LABEL_WIDTH + plot}" y2="${axisY}" stroke="#dde2ea"/><text x="${LABEL_WIDTH}" y="${axisY + 16}" font-size="11" fill="#5d6776">0</text><text x="${LABEL_WIDTH + plot}" y="${axisY + 16}" font-size="11" fill="#5d6776" text-anchor="end">${useBytes ? formatBytes(max) : `${max} files`}</text></svg>`
}

function legend(s: ReportSummary): SafeHtml {
  const used = new Set(s.kinds.map((k) => k.kind))
  return html`<div class="legend">${FILE_KINDS.filter((k) => used.has(k)).map((k) => html`<span style="--c:${KIND_COLORS[k]}">${k}</span>`)}</div>`
}

function causeSection(s: ReportSummary): SafeHtml {
  const c = s.cause
  if (!c) return html``
  const where = c.line ? `${c.source}, line ${c.line}` : c.source
  const failedStep = s.steps.find((st) => st.step === c.step && st.error)
  return html`<section class="cause" id="cause"><h2>Why it failed</h2>
<p><strong>${c.step}</strong> failed. The first real error, from <a href="${fileHref(c.source)}">${where}</a>:</p>
<div class="line mono">${c.text}</div>
${c.context.length ? html`<p class="muted">Around it:</p><pre class="cmd">${c.context.join('\n')}</pre>` : ''}
${c.returnCode ? html`<p>USMT return code <strong>${c.returnCode.code}</strong> (${c.returnCode.name}): ${c.returnCode.message}<br><span class="muted">Documented fix:</span> ${c.returnCode.fix}</p>` : ''}
${failedStep?.error ? html`<p>usmt-steps error <strong>${failedStep.error.code}</strong>${c.returnCode && failedStep.error.message.includes(String(c.returnCode.code)) ? '' : html`: ${failedStep.error.message}`}</p>${failedStep.error.actions.length ? html`<ul>${failedStep.error.actions.map((a) => html`<li>Try this: ${a}</li>`)}</ul>` : ''}` : ''}
</section>`
}

function cards(s: ReportSummary): SafeHtml {
  const total = s.steps.reduce((n, st) => n + st.durationMs, 0)
  const card = (v: string | number, k: string, id: string): SafeHtml => html`<div class="card" id="${id}"><div class="v">${v}</div><div class="k">${k}</div></div>`
  return html`<div class="cards">${card(s.totals.users, 'users', 'card-users')}${card(s.totals.files, 'files', 'card-files')}${card(formatBytes(s.totals.bytes), 'data', 'card-bytes')}${s.totals.settings ? card(s.totals.settings, 'settings', 'card-settings') : ''}${card(s.totals.ignored, 'ignored errors', 'card-ignored')}${card(s.totals.errors, 'errors', 'card-errors')}${card(formatDuration(total), 'total time', 'card-time')}</div>`
}

function usersSection(s: ReportSummary): SafeHtml {
  const rows = s.users.map((u) => html`<tr><td>${u.user}</td><td>${u.included === null ? 'n/a' : u.included ? 'yes' : 'no'}</td><td class="n">${u.files}</td><td class="n" data-v="${u.bytes}">${formatBytes(u.bytes)}</td><td class="n">${u.unknownSize || ''}</td><td>${u.kinds.map((k) => `${k.kind} ${k.files}`).join(', ')}</td><td>${u.components.filter((c) => c.included).map((c) => c.name).join(', ')}${u.components.some((c) => !c.included) ? html` <span class="muted">(not included: ${u.components.filter((c) => !c.included).map((c) => c.name).join(', ')})</span>` : ''}</td><td class="reason">${u.reason ?? ''}</td></tr>`)
  const noFiles = s.totals.files === 0
  return html`<section id="users"><h2>Data by user and kind</h2>
${noFiles ? html`<p class="muted" id="chart-empty">No list of migrated files was found (USMT writes it with /listfiles during the capture), so files and bytes are not broken down.</p>` : html`${chartSvg(s.users)}${legend(s)}`}
<h3>Users</h3>
<table class="sortable" id="users-table"><thead><tr><th>User</th><th>Included</th><th class="n">Files</th><th class="n">Size</th><th class="n">Size unknown</th><th>Kinds</th><th>Components (USMT)</th><th>Reason</th></tr></thead><tbody>${rows}</tbody></table>
${s.excludedUsers.length ? html`<p>Not included by USMT: ${s.excludedUsers.join(', ')}</p>` : ''}
${s.totals.unknownSize ? html`<p class="muted">${s.totals.unknownSize} ${s.totals.unknownSize === 1 ? 'file' : 'files'} could not be measured (they are no longer on the disk this report was written on); they count as files with size 0.</p>` : ''}
</section>`
}

function cloudSection(s: ReportSummary): SafeHtml {
  const c = s.cloudOnly
  if (!c) return html``
  const what = c.action === 'failed' ? 'stopped the capture before anything was written' : c.action === 'warned' ? 'were left out of the capture, with a warning' : c.action === 'excluded' ? 'were left out of the capture on purpose (their content is in the cloud)' : ''
  return html`<section id="cloud-only"><h2>Cloud-only files</h2>
<p>${c.files ? html`${c.files} cloud-only file(s) (${formatBytes(c.bytes)}) ${what}; policy <strong>${c.policy}</strong>, attributes read from ${c.source}.` : c.checked ? html`None found (attributes read from ${c.source}).` : html`<strong>Not checked</strong> for every profile: ${c.notes.join('; ')}`}</p>
${c.users.length ? html`<table class="sortable" id="cloud-table"><thead><tr><th>User</th><th class="n">Files</th><th class="n">Size</th><th>Folders</th></tr></thead><tbody>${c.users.map((u) => html`<tr><td>${u.user}</td><td class="n">${u.files}</td><td class="n" data-v="${u.bytes}">${formatBytes(u.bytes)}</td><td class="path mono">${u.folders.join(', ')}</td></tr>`)}</tbody></table>` : ''}
</section>`
}

function proofSection(s: ReportSummary): SafeHtml {
  const p = s.proof
  if (!p) return html``
  if (!p.checked) return html`<section id="proof"><h2>Proof of the restore</h2><p><strong>Not proven:</strong> ${p.note ?? ''}</p></section>`
  const rows = [...p.missing.map((m) => ({ what: 'missing', ...m })), ...p.changed.map((c) => ({ what: 'changed', ...c }))]
  return html`<section id="proof"><h2>Proof of the restore</h2>
<div class="cards">${html`<div class="card" id="card-verified"><div class="v">${p.verified}</div><div class="k">verified</div></div><div class="card" id="card-missing"><div class="v">${p.missing.length}</div><div class="k">missing</div></div><div class="card" id="card-changed"><div class="v">${p.changed.length}</div><div class="k">changed</div></div>`}</div>
<p>Every file the capture stored was checked on this computer — ${p.method}.${p.notRestored ? ` ${p.notRestored} stored file(s) were left out of the restore on purpose (user or component not selected, a merge rule kept this computer's file).` : ''} <span class="muted">(${formatDuration(p.durationMs)})</span></p>
${rows.length ? html`<table class="sortable" id="proof-table"><thead><tr><th>Result</th><th>File</th><th>Why</th></tr></thead><tbody>${rows.slice(0, 1000).map((r) => html`<tr><td>${r.what}</td><td class="path mono">${r.path}</td><td>${r.why}</td></tr>`)}</tbody></table>${rows.length > 1000 ? html`<p class="muted">… and ${rows.length - 1000} more in usmt-steps.log.</p>` : ''}` : ''}
</section>`
}

function componentsSection(s: ReportSummary): SafeHtml {
  if (s.components.length === 0 && s.kinds.length === 0) return html``
  return html`<section id="components"><h2>Totals by component and kind</h2>
<table class="sortable" id="components-table"><thead><tr><th>Component</th><th>Basis</th><th class="n">Files</th><th class="n">Size</th><th>Users</th></tr></thead><tbody>${s.components.map((c) => html`<tr><td>${c.component}</td><td>${c.basis === 'usmt' ? 'USMT component' : 'profile folder'}</td><td class="n">${c.files}</td><td class="n" data-v="${c.bytes}">${formatBytes(c.bytes)}</td><td>${c.users.join(', ')}</td></tr>`)}</tbody></table>
<h3>By kind</h3>
<table class="sortable" id="kinds-table"><thead><tr><th>Kind</th><th class="n">Files</th><th class="n">Size</th></tr></thead><tbody>${s.kinds.map((k) => html`<tr><td>${k.kind}</td><td class="n">${k.files}</td><td class="n" data-v="${k.bytes}">${formatBytes(k.bytes)}</td></tr>`)}</tbody></table>
</section>`
}

function settingsSection(s: ReportSummary): SafeHtml {
  const rows = s.settings ?? []
  if (rows.length === 0) return html``
  return html`<section id="settings"><h2>Settings by user and application</h2>
<p class="muted">Registry values (operating-system and application settings) the capture collected, counted per user and component.</p>
<table class="sortable" id="settings-table"><thead><tr><th>User</th><th>Application / component</th><th class="n">Settings</th></tr></thead><tbody>${rows.map((r) => html`<tr><td>${r.user}</td><td>${r.component}</td><td class="n">${r.settings}</td></tr>`)}</tbody></table>
</section>`
}

const KIND_LABEL: Record<string, string> = { aborted: 'stopped USMT', step: 'step failed', usmt: 'USMT error', summary: 'USMT error summary', ignored: 'ignored' }

function problemsSection(s: ReportSummary): SafeHtml {
  const rows = s.problems.map((p) => html`<tr class="p-${p.kind}"><td>${p.step}</td><td>${KIND_LABEL[p.kind]}</td><td class="path mono">${p.object ?? ''}</td><td>${p.code ?? ''}</td><td>${p.reason}</td><td class="n">${p.count}</td><td><a href="${fileHref(p.source)}">${p.source}</a>${p.line ? `:${p.line}` : ''}</td></tr>`)
  const warn = s.warnings.map((w) => html`<tr><td>${w.step}</td><td>${w.message}</td><td class="n">${w.count}</td><td><a href="${fileHref(w.source)}">${w.source}</a></td></tr>`)
  return html`<section id="problems"><h2>Errors and ignored files</h2>
${s.problems.length ? html`<input class="filter" type="search" placeholder="Filter…" data-table="problems-table" aria-label="Filter errors">
<table class="sortable" id="problems-table"><thead><tr><th>Step</th><th>What</th><th>File or setting</th><th>Code</th><th>Reason</th><th class="n">Count</th><th>Log</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p id="no-problems">No errors and no ignored files.</p>`}
${s.warnings.length ? html`<h3>Warnings</h3><table class="sortable" id="warnings-table"><thead><tr><th>Step</th><th>Warning</th><th class="n">Count</th><th>Log</th></tr></thead><tbody>${warn}</tbody></table>` : ''}
</section>`
}

function timingSection(s: ReportSummary): SafeHtml {
  const max = Math.max(1, ...s.phases.map((p) => p.durationMs))
  return html`<section id="timings"><h2>Steps and timings</h2>
<table class="sortable" id="steps-table"><thead><tr><th>Step</th><th>Result</th><th class="n">Exit</th><th>Started</th><th class="n">Duration</th><th>Computer</th><th>Summary</th></tr></thead><tbody>${s.steps.map((st) => html`<tr><td>${st.step}</td><td class="s-${st.status}">${st.status === 'error' ? `failed${st.error ? ` (${st.error.code})` : ''}` : st.status}</td><td class="n">${st.exitCode}</td><td>${formatTime(st.startedAt)}</td><td class="n" data-v="${st.durationMs}">${formatDuration(st.durationMs)}</td><td>${st.computer}</td><td>${st.status === 'error' && s.cause?.step === st.step ? html`<span class="muted">failed: see Why it failed, above</span>` : st.summary}</td></tr>`)}</tbody></table>
${s.phases.length ? html`<h3>Phases</h3><table class="sortable" id="phases-table"><thead><tr><th>Step</th><th>Phase</th><th>Source</th><th>Started</th><th class="n">Duration</th><th style="width:30%"></th></tr></thead><tbody>${s.phases.map((p) => html`<tr><td>${p.step}</td><td>${p.phase}</td><td>${p.source}</td><td>${formatTime(p.startedAt)}</td><td class="n" data-v="${p.durationMs}">${formatDuration(p.durationMs)}</td><td><div class="bar" style="width:${((p.durationMs / max) * 100).toFixed(1)}%"></div></td></tr>`)}</tbody></table>` : ''}
</section>`
}

function storeSection(s: ReportSummary): SafeHtml {
  const st = s.store
  const row = (k: string, v: unknown): SafeHtml => html`<tr><th scope="row" style="width:180px;cursor:auto">${k}</th><td>${v}</td></tr>`
  return html`<section id="store"><h2>Store</h2><table id="store-table"><tbody>
${row('Type', st.type ?? 'unknown')}${row('Location', st.path ?? 'none')}${st.localPath && st.localPath !== st.path ? row('Read here as', st.localPath) : ''}
${row('State', html`<strong>${st.state}</strong> — ${st.stateReason}`)}
${row('Layout', st.layout ?? 'not checked')}${row('Encrypted', st.encrypted === null ? 'unknown' : st.encrypted ? 'yes' : 'no')}
${row('Size on disk', st.sizeBytes === null ? 'not checked' : formatBytes(st.sizeBytes))}
${st.reasons.length ? row('Why this store', html`${st.rule ? html`<span class="muted">rule ${st.rule}:</span> ` : ''}${st.reasons.join(' ')}`) : ''}
${st.access?.length ? row('Who had access', html`<ul class="access">${st.access.map((a) => html`<li>${formatTime(a.at)} <strong>${a.computer}</strong> ${a.event === 'access' ? html`set access — ${a.detail}` : a.detail}</li>`)}</ul>`) : ''}
</tbody></table></section>`
}

function commandsSection(s: ReportSummary): SafeHtml {
  return html`<section id="commands"><h2>Commands run</h2>
${s.commands.length ? s.commands.map((c) => html`<div class="command"><div><strong>${c.step}</strong> <span class="muted">exit ${c.exitCode ?? 'none'}, ${formatDuration(c.durationMs)}, ${formatTime(c.startedAt)}</span>${c.artifacts.length ? html` — logs: ${c.artifacts.map((a, i) => html`${i ? ', ' : ''}${a.found ? html`<a href="${fileHref(a.name)}">${a.name}</a>` : html`<span class="muted">${a.name} (not found)</span>`}`)}` : ''}</div><pre class="cmd">${c.commandLine}</pre></div>`) : html`<p class="muted">No external commands were run.</p>`}
<p class="muted">Command lines are shown as recorded: keys and passwords are replaced by ********.</p>
</section>`
}

export function renderReportHtml(s: ReportSummary): string {
  const body = html`<header><h1>User-state migration — ${s.computer} ${statusBadge(s.status)}</h1>
<div class="meta">${s.steps.map((st) => st.step).join(' → ') || 'no steps'} · report written ${formatTime(s.generatedAt)} by ${s.generator}</div>
<p class="headline" id="headline">${s.headline}</p></header>
<main>
${causeSection(s)}
${cards(s)}
${usersSection(s)}
${cloudSection(s)}
${proofSection(s)}
${componentsSection(s)}
${settingsSection(s)}
${problemsSection(s)}
${timingSection(s)}
${storeSection(s)}
${commandsSection(s)}
<section id="sources"><h2>Sources</h2><ul class="mono">${s.sources.map((x) => html`<li>${x}</li>`)}</ul></section>
</main>
<footer>usmt-steps migration report · schema ${s.schema}</footer>`
  return page(`Migration report — ${s.computer} — ${s.status}`, body, trusted(`<script type="application/json" id="report-data">${jsonForScript(s)}</script>`))
}
