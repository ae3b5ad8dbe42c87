import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { UsmtStepsError } from '../runtime/errors.js'
import { normalizeOperator, VARIABLE_EXPRESSION, type Condition } from './condition.js'

/**
 * The task-sequence XML model (`<sequence version="3.10">` as stored in SMS_TaskSequencePackage.Sequence,
 * and MDT's `ts.xml`, version 3.00) with a parser and a serializer. Attributes keep their order and
 * unknown elements are kept verbatim, so a real export parses and serializes back to the same model.
 */
export type Attrs = Array<[string, string]>

export interface TsVariable {
  name: string
  property: string
  hidden?: boolean
  value: string
}

export interface TsStep {
  kind: 'step'
  attrs: Attrs
  condition?: Condition
  action: string
  /** undefined: no defaultVarList element; [] : an empty one. */
  variables?: TsVariable[]
  /** Whether defaultVarList came before action (MDT's order). */
  varsFirst?: boolean
}

export interface TsGroup {
  kind: 'group'
  attrs: Attrs
  condition?: Condition
  children: TsNode[]
}

/** Any element the model does not interpret (subtasksequence, comments are dropped): kept as XML text. */
export interface TsRaw {
  kind: 'raw'
  xml: string
}

export type TsNode = TsStep | TsGroup | TsRaw

export interface TsSequence {
  attrs: Attrs
  references?: Attrs[]
  globals?: TsVariable[]
  children: TsNode[]
}

export function attr(node: { attrs: Attrs }, name: string): string | undefined {
  return node.attrs.find(([k]) => k === name)?.[1]
}

export function setAttr(node: { attrs: Attrs }, name: string, value: string): void {
  const hit = node.attrs.find(([k]) => k === name)
  if (hit) hit[1] = value
  else node.attrs.push([name, value])
}

export function isTrue(v: string | undefined): boolean {
  return (v ?? '').toLowerCase() === 'true'
}

// ---------------------------------------------------------------------------------------------- parse

type PNode = Record<string, unknown>

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
})

function tagOf(n: PNode): string {
  return Object.keys(n).find((k) => k !== ':@') ?? ''
}

function kids(n: PNode): PNode[] {
  const v = n[tagOf(n)]
  return Array.isArray(v) ? (v as PNode[]) : []
}

function attrsOf(n: PNode): Attrs {
  const a = (n[':@'] ?? {}) as Record<string, unknown>
  return Object.entries(a).map(([k, v]) => [k, String(v)])
}

function textOf(n: PNode): string {
  return kids(n).map((c) => {
    const t = tagOf(c)
    if (t === '#text') return String(c['#text'])
    if (t === '#cdata') return kids(c).map((x) => String(x['#text'] ?? '')).join('')
    return ''
  }).join('')
}

function elements(n: PNode): PNode[] {
  return kids(n).filter((c) => {
    const t = tagOf(c)
    return t !== '#text' && t !== '#comment' && t !== '#cdata'
  })
}

function fail(message: string, file?: string): never {
  throw new UsmtStepsError('USM0603', file ? `${file}: ${message}` : message, { data: file ? { file } : {} })
}

function parseVariables(n: PNode, where: string): TsVariable[] {
  return elements(n).map((v) => {
    if (tagOf(v) !== 'variable') fail(`${where}: unexpected <${tagOf(v)}> in a variable list`)
    const a = attrsOf(v)
    const get = (k: string): string | undefined => a.find(([x]) => x === k)?.[1]
    const name = get('name')
    if (!name) fail(`${where}: a <variable> has no name`)
    const out: TsVariable = { name, property: get('property') ?? '', value: textOf(v) }
    if (get('hidden') !== undefined) out.hidden = isTrue(get('hidden'))
    return out
  })
}

function parseConditionNode(n: PNode, where: string): Condition {
  const tag = tagOf(n)
  const a = attrsOf(n)
  const type = a.find(([k]) => k === 'type')?.[1] ?? ''
  if (tag === 'operator') {
    const parts = elements(n).map((c) => parseConditionNode(c, where))
    switch (type.toLowerCase()) {
      case 'and': return { and: parts }
      case 'or': return { or: parts }
      case 'not': return { not: parts }
      default: return fail(`${where}: unknown condition operator type "${type}"`)
    }
  }
  if (tag === 'expression') {
    const vars = elements(n).map((v) => ({ name: attrsOf(v).find(([k]) => k === 'name')?.[1] ?? '', value: textOf(v) }))
    if (type === VARIABLE_EXPRESSION) {
      const get = (k: string): string | undefined => vars.find((v) => v.name === k)?.value
      const variable = get('Variable')
      const op = normalizeOperator(get('Operator') ?? '')
      if (!variable || !op) fail(`${where}: a variable condition needs Variable and a known Operator`)
      const value = get('Value')
      return value === undefined ? { variable, operator: op } : { variable, operator: op, value }
    }
    return { expression: type, variables: vars }
  }
  return fail(`${where}: unexpected <${tag}> in a condition`)
}

function parseCondition(n: PNode, where: string): Condition | undefined {
  const parts = elements(n).map((c) => parseConditionNode(c, where))
  if (parts.length === 0) return undefined
  return parts.length === 1 ? parts[0] : { and: parts }
}

function parseStep(n: PNode): TsStep {
  const step: TsStep = { kind: 'step', attrs: attrsOf(n), action: '' }
  const where = `step "${step.attrs.find(([k]) => k === 'name')?.[1] ?? '?'}"`
  let sawAction = false
  for (const c of elements(n)) {
    switch (tagOf(c)) {
      case 'action': step.action = textOf(c); sawAction = true; break
      case 'condition': { const cond = parseCondition(c, where); if (cond) step.condition = cond; break }
      case 'defaultVarList': step.variables = parseVariables(c, where); if (!sawAction) step.varsFirst = true; break
      default: fail(`${where}: unexpected <${tagOf(c)}>`)
    }
  }
  if (!sawAction) fail(`${where} has no <action>`)
  return step
}

function parseChildren(list: PNode[]): TsNode[] {
  const out: TsNode[] = []
  for (const c of list) {
    const t = tagOf(c)
    if (t === 'step') out.push(parseStep(c))
    else if (t === 'group') out.push(parseGroup(c))
    else out.push({ kind: 'raw', xml: serializeRaw(c) })
  }
  return out
}

function parseGroup(n: PNode): TsGroup {
  const g: TsGroup = { kind: 'group', attrs: attrsOf(n), children: [] }
  const rest: PNode[] = []
  for (const c of elements(n)) {
    if (tagOf(c) === 'condition') {
      const cond = parseCondition(c, `group "${attr(g, 'name') ?? '?'}"`)
      if (cond) g.condition = cond
    } else rest.push(c)
  }
  g.children = parseChildren(rest)
  return g
}

/**
 * Extract the sequence XML from what admins have at hand: the sequence XML itself, an MDT ts.xml, or a
 * console export's object.xml (SMS_TaskSequencePackage with the sequence in the Sequence property).
 */
export function extractSequenceXml(text: string, file?: string): string {
  const xml = text.replace(/^\uFEFF/, '')
  if (/^\s*(<\?xml[^>]*\?>\s*)?<INSTANCE\b/.test(xml)) {
    const tree = parser.parse(xml) as PNode[]
    const inst = tree.find((n) => tagOf(n) === 'INSTANCE')
    const prop = inst && elements(inst).find((p) => tagOf(p) === 'PROPERTY' && attrsOf(p).some(([k, v]) => k === 'NAME' && v === 'Sequence'))
    const value = prop && elements(prop).find((v) => tagOf(v) === 'VALUE')
    if (!value) fail('the object.xml holds no Sequence property', file)
    return textOf(value)
  }
  return xml
}

export function parseSequence(text: string, file?: string): TsSequence {
  const xml = extractSequenceXml(text, file)
  const valid = XMLValidator.validate(xml)
  if (valid !== true) fail(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`, file)
  const tree = parser.parse(xml) as PNode[]
  const root = tree.find((n) => tagOf(n) === 'sequence')
  if (!root) fail(`the root element is not <sequence> (found ${tree.map(tagOf).filter((t) => !t.startsWith('#') && t !== '?xml').join(', ') || 'nothing'})`, file)
  const seq: TsSequence = { attrs: attrsOf(root), children: [] }
  if (!attr(seq, 'version')) fail('<sequence> has no version attribute', file)
  const rest: PNode[] = []
  for (const c of elements(root)) {
    const t = tagOf(c)
    if (t === 'referenceList' && rest.length === 0) seq.references = elements(c).map(attrsOf)
    else if (t === 'globalVarList' && rest.length === 0) seq.globals = parseVariables(c, 'globalVarList')
    else rest.push(c)
  }
  seq.children = parseChildren(rest)
  return seq
}

// ------------------------------------------------------------------------------------------ serialize

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;')
}

function attrText(attrs: Attrs): string {
  return attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('')
}

function serializeRaw(n: PNode): string {
  const t = tagOf(n)
  if (t === '#text') return escapeText(String(n['#text']))
  if (t === '#comment') return `<!--${kids(n).map((x) => String(x['#text'] ?? '')).join('')}-->`
  if (t === '#cdata') return `<![CDATA[${kids(n).map((x) => String(x['#text'] ?? '')).join('')}]]>`
  const inner = kids(n).filter((c) => !(tagOf(c) === '#text' && String(c['#text']).trim() === '')).map(serializeRaw).join('')
  return inner === '' ? `<${t}${attrText(attrsOf(n))}/>` : `<${t}${attrText(attrsOf(n))}>${inner}</${t}>`
}

interface Out { lines: string[]; indent: string }

function line(out: Out, depth: number, text: string): void {
  out.lines.push(`${out.indent.repeat(depth)}${text}`)
}

function writeVariables(out: Out, depth: number, tag: string, vars: TsVariable[]): void {
  if (vars.length === 0) {
    line(out, depth, `<${tag}/>`)
    return
  }
  line(out, depth, `<${tag}>`)
  for (const v of vars) {
    const hidden = v.hidden === undefined ? '' : ` hidden="${v.hidden ? 'true' : 'false'}"`
    const open = `<variable name="${escapeAttr(v.name)}" property="${escapeAttr(v.property)}"${hidden}`
    line(out, depth + 1, v.value === '' ? `${open}/>` : `${open}>${escapeText(v.value)}</variable>`)
  }
  line(out, depth, `</${tag}>`)
}

function writeConditionNode(out: Out, depth: number, c: Condition): void {
  if ('and' in c || 'or' in c || 'not' in c) {
    const [type, parts] = 'and' in c ? ['and', c.and] : 'or' in c ? ['or', c.or] : ['not', c.not]
    line(out, depth, `<operator type="${type}">`)
    for (const p of parts) writeConditionNode(out, depth + 1, p)
    line(out, depth, '</operator>')
    return
  }
  const [type, vars] = 'expression' in c
    ? [c.expression, c.variables]
    : [VARIABLE_EXPRESSION, [{ name: 'Variable', value: c.variable }, { name: 'Operator', value: c.operator }, ...(c.value === undefined ? [] : [{ name: 'Value', value: c.value }])]]
  line(out, depth, `<expression type="${escapeAttr(type)}">`)
  for (const v of vars) line(out, depth + 1, v.value === '' ? `<variable name="${escapeAttr(v.name)}"/>` : `<variable name="${escapeAttr(v.name)}">${escapeText(v.value)}</variable>`)
  line(out, depth, '</expression>')
}

function writeCondition(out: Out, depth: number, c: Condition | undefined): void {
  if (!c) return
  line(out, depth, '<condition>')
  // A top-level AND is written as sibling expressions (the console's default "all of").
  for (const p of 'and' in c && c.and.length > 1 ? c.and : [c]) writeConditionNode(out, depth + 1, p)
  line(out, depth, '</condition>')
}

function writeNode(out: Out, depth: number, n: TsNode): void {
  if (n.kind === 'raw') {
    line(out, depth, n.xml)
    return
  }
  if (n.kind === 'group') {
    if (!n.condition && n.children.length === 0) {
      line(out, depth, `<group${attrText(n.attrs)}/>`)
      return
    }
    line(out, depth, `<group${attrText(n.attrs)}>`)
    writeCondition(out, depth + 1, n.condition)
    for (const c of n.children) writeNode(out, depth + 1, c)
    line(out, depth, '</group>')
    return
  }
  line(out, depth, `<step${attrText(n.attrs)}>`)
  writeCondition(out, depth + 1, n.condition)
  const action = (): void => line(out, depth + 1, n.action === '' ? '<action/>' : `<action>${escapeText(n.action)}</action>`)
  if (n.varsFirst && n.variables) writeVariables(out, depth + 1, 'defaultVarList', n.variables)
  action()
  if (!n.varsFirst && n.variables) writeVariables(out, depth + 1, 'defaultVarList', n.variables)
  line(out, depth, '</step>')
}

/** Serialize a sequence; `indent: ''` gives one element per line without indentation. */
export function serializeSequence(seq: TsSequence, opts: { indent?: string; declaration?: boolean } = {}): string {
  const out: Out = { lines: [], indent: opts.indent ?? '  ' }
  if (opts.declaration) out.lines.push('<?xml version="1.0" encoding="utf-8"?>')
  line(out, 0, `<sequence${attrText(seq.attrs)}>`)
  if (seq.references) {
    if (seq.references.length === 0) line(out, 1, '<referenceList/>')
    else {
      line(out, 1, '<referenceList>')
      for (const r of seq.references) line(out, 2, `<reference${attrText(r)}/>`)
      line(out, 1, '</referenceList>')
    }
  }
  if (seq.globals) writeVariables(out, 1, 'globalVarList', seq.globals)
  for (const c of seq.children) writeNode(out, 1, c)
  line(out, 0, '</sequence>')
  return `${out.lines.join('\n')}\n`
}

/** Every step in document order with its ancestor groups (outermost first). */
export function walkSteps(nodes: readonly TsNode[], groups: TsGroup[] = []): Array<{ step: TsStep; groups: TsGroup[] }> {
  const out: Array<{ step: TsStep; groups: TsGroup[] }> = []
  for (const n of nodes) {
    if (n.kind === 'step') out.push({ step: n, groups })
    else if (n.kind === 'group') out.push(...walkSteps(n.children, [...groups, n]))
  }
  return out
}
