/**
 * Plain-text columns for the console and the CMTrace log: the one table helper of the project (see AGENTS.md,
 * "Hand code we keep"). A column has a fixed width, or the width of its widest cell (capped by `max`, longer
 * cells end in "…"); cells are padded left- or right-aligned. The last column is never padded, so lines carry
 * no trailing blanks. Tests and admins read and grep these lines, so the layout is plain on purpose: no
 * borders, no colours, no terminal-width guessing.
 */
export interface TextColumn {
  /** A fixed width, or 'auto': the widest cell (and the header). Default 'auto'. */
  width?: number | 'auto'
  /** With width 'auto': the widest a column may get; longer cells are cut with "…". */
  max?: number
  align?: 'left' | 'right'
  /** What follows this column (default: the table's gap). */
  sep?: string
}

export interface TextTableOptions {
  columns?: readonly TextColumn[]
  /** Between two columns (default one blank). */
  gap?: string
  /** Put in front of every line (default nothing). */
  indent?: string
}

/** The lines of a table (the header, when wanted, is the first row). */
export function textTable(rows: ReadonlyArray<readonly string[]>, opts: TextTableOptions = {}): string[] {
  const n = Math.max(0, ...rows.map((r) => r.length))
  const widths = Array.from({ length: n }, (_, i) => {
    const c = opts.columns?.[i] ?? {}
    if (typeof c.width === 'number') return c.width
    const widest = Math.max(0, ...rows.map((r) => (r[i] ?? '').length))
    return c.max === undefined ? widest : Math.min(c.max, widest)
  })
  const cell = (text: string, i: number, last: boolean): string => {
    const c = opts.columns?.[i] ?? {}
    const w = widths[i]
    const fitted = c.width === undefined || c.width === 'auto' ? (c.max !== undefined && text.length > w ? `${text.slice(0, w - 1)}…` : text) : text
    if (c.align === 'right') return fitted.padStart(w)
    return last ? fitted : fitted.padEnd(w)
  }
  const line = (r: readonly string[]): string => r.map((t, i) => (i === r.length - 1 ? cell(t, i, true) : `${cell(t, i, false)}${opts.columns?.[i]?.sep ?? opts.gap ?? ' '}`)).join('')
  return rows.map((r) => `${opts.indent ?? ''}${line(r)}`)
}
