/**
 * The page frame shared by the migration report and the overview of many reports: inline CSS and script,
 * a Content-Security-Policy that forbids every network request (the page works offline from a file share),
 * and a few formatting helpers. Nothing here reads data without escaping it.
 */
import { html, trusted, type SafeHtml } from './escape.js'

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

const CSS = `
:root{--fg:#1d2330;--muted:#5d6776;--line:#dde2ea;--bg:#f5f7fa;--card:#fff;--ok:#1e7d46;--warn:#a86200;--err:#b3261e;--accent:#2457a6}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 "Segoe UI",system-ui,-apple-system,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1f2a3c;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .meta{color:#c5cedb;font-size:13px}
main{padding:18px 28px 40px;max-width:1280px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:14px 18px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px}
h3{font-size:14px;margin:14px 0 6px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.03em;vertical-align:middle}
.b-success{background:#dff3e6;color:var(--ok)}.b-warning{background:#fff0d6;color:var(--warn)}.b-error{background:#fbe0de;color:var(--err)}.b-incomplete{background:#e7ebf1;color:var(--muted)}
.headline{font-size:16px;margin:8px 0 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px}
.card .v{font-size:20px;font-weight:600}.card .k{color:var(--muted);font-size:12px}
.cause{border-left:4px solid var(--err)}
.cause code,.mono{font-family:Consolas,"Cascadia Mono","DejaVu Sans Mono",monospace;font-size:12.5px}
.cause .line{background:#fff6f5;border:1px solid #f1c9c5;border-radius:4px;padding:8px 10px;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f0f3f7;font-weight:600;cursor:pointer;user-select:none;white-space:nowrap}
th[data-sort]::after{content:" \\2195";color:#9aa4b2;font-weight:400}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.path{word-break:break-all}
.muted{color:var(--muted)}
pre.cmd{background:#f4f6f9;border:1px solid var(--line);border-radius:4px;padding:8px 10px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.bar{height:10px;background:var(--accent);border-radius:2px;min-width:1px}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 0;font-size:12px}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px;background:var(--c)}
input.filter{padding:4px 8px;border:1px solid var(--line);border-radius:4px;margin:0 0 8px;width:280px}
.s-success{color:var(--ok)}.s-warning{color:var(--warn)}.s-error{color:var(--err)}
footer{color:var(--muted);font-size:12px;padding:0 28px 20px}
@media print{th{cursor:auto}input.filter{display:none}}
`

/** Sorting by clicking a column header and filtering rows by text. No data is read from outside the page. */
const SCRIPT = `
(function(){
  function cellValue(row,i){var c=row.cells[i];if(!c)return '';var v=c.getAttribute('data-v');return v!==null?v:c.textContent||''}
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads=table.tHead?table.tHead.rows[0].cells:[];
    Array.prototype.forEach.call(heads,function(th,i){
      th.setAttribute('data-sort','');
      th.addEventListener('click',function(){
        var body=table.tBodies[0];if(!body)return;
        var asc=th.getAttribute('data-dir')!=='asc';
        Array.prototype.forEach.call(heads,function(h){h.removeAttribute('data-dir')});
        th.setAttribute('data-dir',asc?'asc':'desc');
        var rows=Array.prototype.slice.call(body.rows);
        var numeric=rows.every(function(r){var v=cellValue(r,i);return v===''||!isNaN(Number(v))});
        rows.sort(function(a,b){var x=cellValue(a,i),y=cellValue(b,i);var d=numeric?Number(x)-Number(y):x.localeCompare(y);return asc?d:-d});
        rows.forEach(function(r){body.appendChild(r)});
      });
    });
  });
  document.querySelectorAll('input.filter').forEach(function(input){
    var table=document.getElementById(input.getAttribute('data-table')||'');
    if(!table||!table.tBodies[0])return;
    input.addEventListener('input',function(){
      var q=input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows,function(r){r.style.display=(r.textContent||'').toLowerCase().indexOf(q)>=0?'':'none'});
    });
  });
  document.documentElement.setAttribute('data-ready','1');
})();
`

export function page(title: string, body: SafeHtml, data: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="usmt-steps">
<title>${title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
${body}
${data}
<script>${trusted(SCRIPT)}</script>
</body>
</html>
`.html
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return ''
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/** `2025-03-01 14:02:11 UTC` from an ISO time (the report is read in other time zones too). */
export function formatTime(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

export function statusBadge(status: string): SafeHtml {
  return html`<span class="badge b-${status}">${status === 'error' ? 'failed' : status}</span>`
}
