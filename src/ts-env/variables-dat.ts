import { XMLValidator } from 'fast-xml-parser'
import { UsmtStepsError } from '../runtime/errors.js'
import { DEFAULT_MDT_CODE_PAGE, MDT_OBFUSCATED_NAMES, obfuscateDecode, obfuscateEncode } from './mdt-obfuscation.js'

/**
 * MDT's VARIABLES.DAT (ZTIUtility.vbs, configmgr-mdt.md §5.7):
 *   <?xml version="1.0" ?><MediaVarList Version="4.00.5345.0000"><var name="NAME"><![CDATA[value]]></var>…</MediaVarList>
 * Names are stored upper-case; a handful of credential-like names are stored Base64-encoded the way
 * ZTIUtility does it (ANSI code-page bytes, a line break every 57 bytes; src/ts-env/mdt-obfuscation.ts). The parser
 * keeps every byte it does not need to change, so a document written back with no changes is
 * byte-identical and a changed document differs only in the changed `<var>` elements.
 */
/** The credential-like names stored Base64-obfuscated (ZTIUtility's list, ADDSUSERNAME/ADDSPASSWORD included). */
export const OBFUSCATED_NAMES = MDT_OBFUSCATED_NAMES

export const EMPTY_VARIABLES_DAT = '<?xml version="1.0" ?><MediaVarList Version="4.00.5345.0000"></MediaVarList>'

type Encoding = 'utf8' | 'utf8-bom' | 'utf16le-bom'

interface VarNode {
  name: string // as stored (upper case in MDT files)
  value: string // decoded (Base64 undone for obfuscated names)
  raw: string // exact source text of the element
}

export interface VariablesDatDocument {
  encoding: Encoding
  /** Source text before the first var (declaration and `<MediaVarList …>`). */
  head: string
  /** Text between elements, kept to reproduce formatting: gaps[i] precedes vars[i]; gaps[n] precedes the tail. */
  gaps: string[]
  vars: VarNode[]
  /** `</MediaVarList>` and whatever follows. */
  tail: string
}

function decode(buf: Buffer): { text: string; encoding: Encoding } {
  if (buf[0] === 0xff && buf[1] === 0xfe) return { text: buf.subarray(2).toString('utf16le'), encoding: 'utf16le-bom' }
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.subarray(3).toString('utf8'), encoding: 'utf8-bom' }
  return { text: buf.toString('utf8'), encoding: 'utf8' }
}

function encode(text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf16le-bom': return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    case 'utf8-bom': return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])
    case 'utf8': return Buffer.from(text, 'utf8')
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
    return XML_ENTITIES[e.toLowerCase()] ?? `&${e};`
  })
}

/** Serialise one `<var>` exactly as ZTIUtility does (CDATA; a literal `]]>` is split across sections). */
export function formatVar(name: string, value: string, cp = DEFAULT_MDT_CODE_PAGE): string {
  const stored = obfuscateEncode(name, value, cp).split(']]>').join(']]]]><![CDATA[>')
  return `<var name="${name.toUpperCase()}"><![CDATA[${stored}]]></var>`
}

export function parseVariablesDat(buf: Buffer, file = 'VARIABLES.DAT', cp = DEFAULT_MDT_CODE_PAGE): VariablesDatDocument {
  const { text, encoding } = decode(buf)
  const bad = (why: string): never => {
    throw new UsmtStepsError('USM0015', `${file} is not a valid VARIABLES.DAT: ${why}`, { data: { file } })
  }
  const valid = XMLValidator.validate(text)
  if (valid !== true) bad(`${valid.err.msg} (line ${valid.err.line})`)
  const open = /<MediaVarList\b[^>]*>/.exec(text)
  if (!open) bad('no <MediaVarList> root element')
  const start = open!.index + open![0].length
  const close = text.lastIndexOf('</MediaVarList>')
  if (close < start) bad('no closing </MediaVarList>')
  const head = text.slice(0, start)
  const body = text.slice(start, close)
  const tail = text.slice(close)
  const re = /<var\s+name\s*=\s*(?:"([^"]*)"|'([^']*)')\s*(?:\/>|>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/var\s*>)/g
  const vars: VarNode[] = []
  const gaps: string[] = []
  let pos = 0
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const gap = body.slice(pos, m.index)
    if (gap.trim() !== '') bad(`unexpected content "${gap.trim().slice(0, 40)}"`)
    gaps.push(gap)
    const name = m[1] ?? m[2] ?? ''
    if (!name) bad('a <var> element has an empty name')
    const inner = m[3] ?? ''
    const stored = inner.replace(/<!\[CDATA\[([\s\S]*?)\]\]>|([^<]+)/g, (_, cdata: string | undefined, txt: string | undefined) =>
      cdata !== undefined ? cdata : unescapeXml(txt ?? ''))
    vars.push({ name, value: obfuscateDecode(name, stored, cp), raw: m[0] })
    pos = m.index + m[0].length
  }
  const rest = body.slice(pos)
  if (rest.trim() !== '') bad(`unexpected content "${rest.trim().slice(0, 40)}"`)
  gaps.push(rest)
  return { encoding, head, gaps, vars, tail }
}

export function variablesOf(doc: VariablesDatDocument): Array<[string, string]> {
  return doc.vars.map((v) => [v.name, v.value])
}

/**
 * Apply changes (value '' deletes) and serialise. Untouched elements keep their exact bytes; new
 * variables are appended in MDT's format before `</MediaVarList>`.
 */
export function serializeVariablesDat(doc: VariablesDatDocument, changes: ReadonlyArray<{ name: string; value: string }> = [], cp = DEFAULT_MDT_CODE_PAGE): Buffer {
  const vars = doc.vars.map((v) => ({ ...v }))
  const gaps = [...doc.gaps]
  for (const { name, value } of changes) {
    const i = vars.findIndex((v) => v.name.toUpperCase() === name.toUpperCase())
    if (i >= 0) {
      if (value === '') {
        vars.splice(i, 1)
        gaps.splice(i, 1)
      } else if (vars[i].value !== value) {
        vars[i] = { name: vars[i].name, value, raw: formatVar(vars[i].name, value, cp) }
      }
    } else if (value !== '') {
      vars.push({ name: name.toUpperCase(), value, raw: formatVar(name, value, cp) })
      gaps.splice(gaps.length - 1, 0, '')
    }
  }
  let text = doc.head
  vars.forEach((v, i) => {
    text += gaps[i] + v.raw
  })
  text += gaps[gaps.length - 1] + doc.tail
  return encode(text, doc.encoding)
}
