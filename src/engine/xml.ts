/**
 * A small, strict, non-validating XML reader for migration XML and Config.xml. It keeps line numbers on
 * every element (for warnings and `rule` descriptions) and refuses what an attacker could use against a
 * parser: document type declarations with entity definitions (billion-laughs), unknown entities, inputs
 * above a size limit and nesting deeper than a limit. Time and memory are linear in the input size.
 */
import { UsmtStepsError } from '../runtime/errors.js'

export interface XmlElement {
  /** Tag name as written (USMT element names are case-sensitive). */
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  /** Concatenated character data directly inside this element (entities decoded, CDATA kept). */
  text: string
  /** 1-based line of the start tag. */
  line: number
}

export interface XmlLimits {
  /** Maximum input size in characters (default 32 MiB). */
  maxChars?: number
  /** Maximum element nesting depth (default 256). */
  maxDepth?: number
}

export const DEFAULT_XML_MAX_CHARS = 32 * 1024 * 1024
export const DEFAULT_XML_MAX_DEPTH = 256

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function fail(file: string, line: number, why: string): never {
  throw new UsmtStepsError('USM0100', `${file}:${line}: malformed XML: ${why}`, { data: { file, line } })
}

function decodeEntities(raw: string, file: string, line: number): string {
  if (!raw.includes('&')) return raw
  return raw.replace(/&([^;&\s<]{0,32});?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) fail(file, line, `unterminated entity reference "${whole}"`)
    if (name.startsWith('#x') || name.startsWith('#X')) {
      const cp = Number.parseInt(name.slice(2), 16)
      if (!Number.isFinite(cp) || cp > 0x10ffff) fail(file, line, `bad character reference &${name};`)
      return String.fromCodePoint(cp)
    }
    if (name.startsWith('#')) {
      const cp = Number.parseInt(name.slice(1), 10)
      if (!Number.isFinite(cp) || cp > 0x10ffff) fail(file, line, `bad character reference &${name};`)
      return String.fromCodePoint(cp)
    }
    const v = PREDEFINED[name]
    if (v === undefined) {
      throw new UsmtStepsError('USM0102', `${file}:${line}: entity &${name}; is not defined (custom entities are not supported)`, { data: { file, line } })
    }
    return v
  })
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y

/** Parse an XML document into an element tree. `file` names the source in error messages. */
export function parseXml(input: string, file: string, limits: XmlLimits = {}): XmlElement {
  const maxChars = limits.maxChars ?? DEFAULT_XML_MAX_CHARS
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_MAX_DEPTH
  if (input.length > maxChars) {
    throw new UsmtStepsError('USM0101', `${file} is ${input.length} characters, above the ${maxChars}-character limit for migration XML`, { data: { file, size: input.length, limit: maxChars } })
  }
  const src = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input
  let pos = 0
  let line = 1
  // Advance `line` to the position `to` (counting newlines once).
  const advance = (to: number): void => {
    for (let i = pos; i < to; i++) if (src.charCodeAt(i) === 10) line++
    pos = to
  }
  const stack: XmlElement[] = []
  let root: XmlElement | undefined
  const n = src.length
  while (pos < n) {
    const lt = src.indexOf('<', pos)
    if (lt < 0) {
      const rest = src.slice(pos)
      if (stack.length > 0) fail(file, line, `unexpected end of input inside <${stack[stack.length - 1].name}>`)
      if (rest.trim()) fail(file, line, 'text after the root element')
      advance(n)
      break
    }
    if (lt > pos) {
      const text = src.slice(pos, lt)
      if (stack.length === 0) {
        if (text.trim()) fail(file, line, 'text outside the root element')
      } else {
        stack[stack.length - 1].text += decodeEntities(text, file, line)
      }
      advance(lt)
    }
    const startLine = line
    if (src.startsWith('<!--', pos)) {
      const end = src.indexOf('-->', pos + 4)
      if (end < 0) fail(file, startLine, 'unterminated comment')
      advance(end + 3)
      continue
    }
    if (src.startsWith('<![CDATA[', pos)) {
      const end = src.indexOf(']]>', pos + 9)
      if (end < 0) fail(file, startLine, 'unterminated CDATA section')
      if (stack.length === 0) fail(file, startLine, 'CDATA outside the root element')
      stack[stack.length - 1].text += src.slice(pos + 9, end)
      advance(end + 3)
      continue
    }
    if (src.startsWith('<?', pos)) {
      const end = src.indexOf('?>', pos + 2)
      if (end < 0) fail(file, startLine, 'unterminated processing instruction')
      advance(end + 2)
      continue
    }
    if (src.startsWith('<!DOCTYPE', pos) || src.startsWith('<!doctype', pos)) {
      const close = src.indexOf('>', pos)
      const bracket = src.indexOf('[', pos)
      if (bracket >= 0 && (close < 0 || bracket < close)) {
        throw new UsmtStepsError('USM0102', `${file}:${startLine}: a DOCTYPE with an internal subset (entity or element declarations) is not allowed in migration XML`, { data: { file, line: startLine } })
      }
      if (close < 0) fail(file, startLine, 'unterminated DOCTYPE')
      advance(close + 1)
      continue
    }
    if (src.startsWith('<!', pos)) fail(file, startLine, `unsupported markup "${src.slice(pos, pos + 12)}"`)
    if (src.charCodeAt(pos + 1) === 47 /* / */) {
      NAME.lastIndex = pos + 2
      const m = NAME.exec(src)
      if (!m) fail(file, startLine, 'bad end tag')
      const name = m[0]
      let p = NAME.lastIndex
      while (p < n && /\s/.test(src[p])) p++
      if (src[p] !== '>') fail(file, startLine, `bad end tag </${name}`)
      const open = stack.pop()
      if (!open) fail(file, startLine, `end tag </${name}> without a start tag`)
      if (open.name !== name) fail(file, startLine, `end tag </${name}> does not match <${open.name}> opened on line ${open.line}`)
      advance(p + 1)
      continue
    }
    NAME.lastIndex = pos + 1
    const m = NAME.exec(src)
    if (!m) fail(file, startLine, `bad start tag "${src.slice(pos, pos + 16)}"`)
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '', line: startLine }
    let p = NAME.lastIndex
    for (;;) {
      ATTR.lastIndex = p
      const a = ATTR.exec(src)
      if (!a) break
      if (Object.prototype.hasOwnProperty.call(el.attrs, a[1])) fail(file, startLine, `duplicate attribute ${a[1]} on <${el.name}>`)
      el.attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? '', file, startLine)
      p = ATTR.lastIndex
    }
    while (p < n && /\s/.test(src[p])) p++
    let selfClosing = false
    if (src[p] === '/' && src[p + 1] === '>') {
      selfClosing = true
      p += 2
    } else if (src[p] === '>') {
      p += 1
    } else {
      fail(file, startLine, `bad attribute or unterminated start tag <${el.name}`)
    }
    if (stack.length === 0) {
      if (root) fail(file, startLine, `second root element <${el.name}>`)
      root = el
    } else {
      stack[stack.length - 1].children.push(el)
    }
    if (!selfClosing) {
      stack.push(el)
      if (stack.length > maxDepth) {
        throw new UsmtStepsError('USM0103', `${file}:${startLine}: elements are nested more than ${maxDepth} levels deep`, { data: { file, line: startLine, limit: maxDepth } })
      }
    }
    advance(p)
  }
  if (stack.length > 0) fail(file, line, `unexpected end of input: <${stack[stack.length - 1].name}> opened on line ${stack[stack.length - 1].line} is not closed`)
  if (!root) fail(file, line, 'no root element')
  return root
}

/** Child elements with a given name. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name)
}

/** Case-insensitive attribute lookup (USMT accepts `displayname` and `displayName` in Config.xml). */
export function attr(el: XmlElement, name: string): string | undefined {
  if (el.attrs[name] !== undefined) return el.attrs[name]
  const lower = name.toLowerCase()
  for (const [k, v] of Object.entries(el.attrs)) if (k.toLowerCase() === lower) return v
  return undefined
}
