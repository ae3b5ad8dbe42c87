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
  return encodeURIComponent(leaf)
}
