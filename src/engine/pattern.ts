/**
 * USMT object patterns: `Node [Leaf]` for files and registry, `Path|Section[Key]` for Ini.
 *
 * - The leaf is the content of the last unescaped `[...]` that ends the (trimmed) text; `^[` and `^]`
 *   escape brackets, `^^` a caret. Without brackets the pattern names the node object itself (a folder),
 *   which never matches a file.
 * - Node: `*` matches any run of characters including `\`; a node ending in `\*` also matches the folder
 *   without that suffix (`C:\Dir\*` = C:\Dir and everything below). A trailing `\` is dropped
 *   (`C:\Dir\ [*]` = files directly in C:\Dir). Leaf: `*` matches within one name.
 * - Matching is case-insensitive.
 * - Specificity (used for precedence inside a component) is (node depth, leaf class): the depth is the
 *   number of node segments without a wildcard; the leaf class is 3 for a named leaf, 2 for a leaf with a
 *   wildcard and literal text (`*.txt`, `a*`), 1 for `*` alone.
 */

export type PatternType = 'File' | 'Registry' | 'Ini'

export interface ParsedPattern {
  type: PatternType
  /** The text as authored (trimmed). */
  raw: string
  /** Node part (variables not expanded), trailing backslash kept as authored. */
  node: string
  /** Leaf inside the brackets (unescaped), or null when there are no brackets. */
  leaf: string | null
}

/** Split `Node [Leaf]` honouring `^` escapes. */
export function parsePattern(text: string, type: PatternType = 'File'): ParsedPattern {
  const raw = text.trim()
  if (type === 'Ini') {
    const m = /^(.*?)\[([^\]]*)\]$/.exec(raw)
    return m ? { type, raw, node: m[1], leaf: m[2] } : { type, raw, node: raw, leaf: null }
  }
  if (raw.endsWith(']') && !isEscaped(raw, raw.length - 1)) {
    for (let i = raw.length - 2; i >= 0; i--) {
      if (raw[i] === '[' && !isEscaped(raw, i)) {
        return { type, raw, node: unescapeCaret(raw.slice(0, i).trim()), leaf: unescapeCaret(raw.slice(i + 1, raw.length - 1).trim()) }
      }
    }
  }
  return { type, raw, node: unescapeCaret(raw), leaf: null }
}

function isEscaped(s: string, i: number): boolean {
  let n = 0
  for (let j = i - 1; j >= 0 && s[j] === '^'; j--) n++
  return n % 2 === 1
}

function unescapeCaret(s: string): string {
  return s.includes('^') ? s.replace(/\^([[\]^])/g, '$1') : s
}

/** Canonical node text for matching: backslashes, no doubled separators, no trailing `\`, upper drive. */
export function canonicalNode(node: string): string {
  let s = node.trim().replace(/\//g, '\\').replace(/\\{2,}/g, '\\')
  while (s.length > 1 && s.endsWith('\\')) s = s.slice(0, -1)
  s = s.replace(/^([a-z]):/, (_, d: string) => `${d.toUpperCase()}:`)
  return s
}

/** Canonical Windows folder key used by the matcher: `c:` for a drive root, `c:\users\ann` below it. */
export function dirKey(winDir: string): string {
  return canonicalNode(winDir).toLowerCase()
}

export interface LeafMatcher {
  (nameLower: string): boolean
}

export interface Specificity {
  depth: number
  leafClass: 1 | 2 | 3
}

export interface CompiledPattern {
  parsed: ParsedPattern
  /** Node after variable expansion and canonicalisation (display form). */
  node: string
  leaf: string | null
  spec: Specificity
  matchesDir(dirLower: string): boolean
  /**
   * How the node matches folders, for the per-folder rule pre-selection of the walk: 'exact' matches one
   * folder (`C:\Dir`), 'recursive' a folder and everything below it (`C:\Dir\*`, no other wildcard),
   * 'general' anything else (a linear wildcard matcher). `prefix` is the lower-case literal folder of an exact or
   * recursive node (`c:\dir`).
   */
  dirMatch: 'exact' | 'recursive' | 'general'
  prefix: string
  matchesLeaf: LeafMatcher
  /** Could this node match `dirLower` or any folder below it? (used to skip whole subtrees) */
  canMatchUnder(dirLower: string): boolean
  /** `C:\Dir\* [*.txt]` — canonical display text. */
  display: string
}

/** Options of {@link compileWildcard}. */
export interface WildcardOptions {
  /** `?` matches exactly one character (USMT user patterns, /extract, errorControl); otherwise it is literal. */
  question?: boolean
  /** Compare case-insensitively (lower-cases pattern and text). */
  caseInsensitive?: boolean
  /** Optional step counter: every character comparison adds one (tests prove the matcher stays linear). */
  steps?: { count: number }
}

/**
 * A wildcard matcher that never backtracks: `*` matches any run of characters (including `\`), `?` one
 * character when enabled. The pattern is split at its stars into fixed-length literal pieces; the first piece
 * is anchored at the start, the last at the end, and every piece in between is found at its leftmost place
 * after the previous one (leftmost is always safe for fixed-length pieces). The cost is at most
 * (pattern length × text length) character comparisons, and no more than one pass per piece — never the
 * exponential backtracking of a `.*` regular expression (issue #20: `*a*a*a*a*a*a*a*a*b` against a 60-character
 * name took 87 s as a regex).
 */
export function compileWildcard(pattern: string, options: WildcardOptions = {}): (text: string) => boolean {
  const ci = options.caseInsensitive === true
  const q = options.question === true
  const counter = options.steps
  const p = ci ? pattern.toLowerCase() : pattern
  const pieces = p.split('*')
  const starred = pieces.length > 1
  const head = pieces[0]
  const tail = pieces[pieces.length - 1]
  const middle = pieces.slice(1, -1).filter((x) => x.length > 0)
  const minLength = pieces.reduce((n, x) => n + x.length, 0)
  const at = (t: string, piece: string, pos: number): boolean => {
    for (let k = 0; k < piece.length; k++) {
      if (counter) counter.count++
      const c = piece.charCodeAt(k)
      if (q && c === 63) continue
      if (t.charCodeAt(pos + k) !== c) return false
    }
    return true
  }
  return (text: string): boolean => {
    const t = ci ? text.toLowerCase() : text
    if (!starred) return t.length === p.length && at(t, p, 0)
    if (t.length < minLength) return false
    if (!at(t, head, 0)) return false
    const end = t.length - tail.length
    if (!at(t, tail, end)) return false
    let pos = head.length
    for (const piece of middle) {
      let found = -1
      for (let i = pos; i + piece.length <= end; i++) {
        if (at(t, piece, i)) {
          found = i
          break
        }
      }
      if (found < 0) return false
      pos = found + piece.length
    }
    return pos <= end
  }
}

/** Case-insensitive wildcard test with `*` and `?` (user patterns, /extract selections, version patterns). */
export function wildcardMatches(pattern: string, text: string, options: Omit<WildcardOptions, 'caseInsensitive'> = {}): boolean {
  return compileWildcard(pattern, { question: true, ...options, caseInsensitive: true })(text)
}

/**
 * A node pattern as a folder matcher: `*` matches across `\`; with `trailingRecursive` the core also matches
 * any folder below it (`core` or `core\*`). Linear, see {@link compileWildcard}.
 */
function nodeMatcher(core: string, trailingRecursive: boolean): (dirLower: string) => boolean {
  const exact = compileWildcard(core)
  if (!trailingRecursive) return exact
  const below = compileWildcard(`${core}\\*`)
  return (d) => exact(d) || below(d)
}

export function leafClassOf(leaf: string): 1 | 2 | 3 {
  if (!leaf.includes('*')) return 3
  return leaf.replace(/\*/g, '') === '' ? 1 : 2
}

export function compileLeaf(leaf: string): LeafMatcher {
  const l = leaf.toLowerCase()
  const stars = l.split('*').length - 1
  if (stars === 0) return (n) => n === l
  if (l.replace(/\*/g, '') === '') return () => true
  if (stars === 1 && l.startsWith('*')) {
    const tail = l.slice(1)
    return (n) => n.endsWith(tail)
  }
  if (stars === 1 && l.endsWith('*')) {
    const head = l.slice(0, -1)
    return (n) => n.startsWith(head)
  }
  if (stars === 1) {
    const [head, tail] = l.split('*')
    return (n) => n.length >= head.length + tail.length && n.startsWith(head) && n.endsWith(tail)
  }
  if (stars === 2 && l.startsWith('*') && l.endsWith('*')) {
    const mid = l.slice(1, -1)
    return (n) => n.includes(mid)
  }
  return compileWildcard(l)
}

/** Node depth: segments without a wildcard. */
export function nodeDepth(node: string): number {
  return canonicalNode(node).split('\\').filter((s) => s.length > 0 && !s.includes('*')).length
}

/**
 * Compile a pattern whose variables are already expanded. `expandedNode` is the node text after
 * expansion (the parsed pattern keeps the authored text for display).
 */
export function compilePattern(parsed: ParsedPattern, expandedNode: string = parsed.node): CompiledPattern {
  const node = canonicalNode(expandedNode)
  const lower = node.toLowerCase()
  const trailingRecursive = lower.endsWith('\\*') && lower.length > 2
  const core = trailingRecursive ? lower.slice(0, -2) : lower
  const hasStar = lower.includes('*')
  const dirMatch = !hasStar ? 'exact' : trailingRecursive && !core.includes('*') ? 'recursive' : 'general'
  const general = dirMatch === 'general' ? nodeMatcher(core, trailingRecursive) : null
  const under = `${core}\\`
  const matchesDir = general ?? (dirMatch === 'recursive' ? (d: string) => d === core || d.startsWith(under) : (d: string) => d === lower)
  const starAt = lower.indexOf('*')
  let lit = starAt < 0 ? lower : lower.slice(0, starAt)
  if (lit.endsWith('\\')) lit = lit.slice(0, -1)
  const canMatchUnder = (d: string): boolean => {
    if (!hasStar) return lower === d || lower.startsWith(`${d}\\`)
    if (lit === '') return true
    return d.startsWith(lit) || lit.startsWith(`${d}\\`) || lit === d
  }
  const leaf = parsed.leaf
  return {
    parsed,
    node,
    leaf,
    spec: { depth: nodeDepth(node), leafClass: leaf === null ? 3 : leafClassOf(leaf) },
    matchesDir,
    dirMatch,
    prefix: dirMatch === 'general' ? lit : core,
    matchesLeaf: leaf === null ? () => false : compileLeaf(leaf),
    canMatchUnder,
    display: leaf === null ? node : `${node} [${leaf}]`,
  }
}

/** >0 when a is more specific than b, <0 when less, 0 when equally specific. */
export function compareSpecificity(a: Specificity, b: Specificity): number {
  if (a.depth !== b.depth) return a.depth - b.depth
  return a.leafClass - b.leafClass
}

/**
 * The precedence rule inside one component: the most specific include against the most specific
 * exclude; a tie goes to the exclude. Returns true when the object is included.
 */
export function includeWins(include: Specificity, exclude: Specificity | null): boolean {
  if (!exclude) return true
  return compareSpecificity(include, exclude) > 0
}
