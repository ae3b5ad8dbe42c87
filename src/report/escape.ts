/** HTML escaping for the report: every string from a log, a record or a path goes through one of these. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

/** Text content and attribute values (double- or single-quoted) alike. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ENTITIES[c])
}

/**
 * JSON embedded in `<script type="application/json">`: `<`, `>`, `&` and the line separators are written as
 * \u escapes, so no value can close the script element or start a comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** A relative link target made of one file name (no scheme, no folders): safe for `href`. */
export function fileHref(name: string): string {
  const leaf = name.split(/[\\/]/).pop() ?? ''
  return encodeURIComponent(leaf).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Markup that is already safe (built by `html` below). */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html
  }
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.html
  if (Array.isArray(v)) return v.map(render).join('')
  if (v === null || v === undefined || v === false) return ''
  return escapeHtml(v)
}

/**
 * Tagged template for markup: every interpolated value is escaped unless it is SafeHtml (the result of
 * another `html` template); arrays are joined. So a string can only reach the page escaped.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]
  return new SafeHtml(out)
}

/** Trusted constant markup (inline CSS and script written in this code base, never data). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup)
}
