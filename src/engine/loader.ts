/**
 * Migration XML and Config.xml → RuleModel. Unknown elements and unsupported constructs become warnings
 * with file and line; only malformed XML (or a file that is not migration XML) is an error.
 */
import { readFileSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import type { EngineWarning } from './contract.js'
import type { ComponentDef, Condition, Ctx, EnvironmentDef, ObjectSet, ObjectSetItem, RuleKind, RuleModel, ScriptCall, SourceRef, VariableDef } from './model.js'
import { parsePattern, type PatternType } from './pattern.js'
import { attr, childrenNamed, DEFAULT_XML_MAX_CHARS, parseXml, type XmlElement, type XmlLimits } from './xml.js'

/** Read a text file with a size guard (checked before reading, so a 100 MB input costs no memory). */
export function readTextFile(path: string, what: string, maxBytes = DEFAULT_XML_MAX_CHARS): string {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new Error('not a regular file')
    size = st.size
  } catch (err) {
    throw new UsmtStepsError('USM0104', `cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err, data: { path } })
  }
  if (size > maxBytes) {
    throw new UsmtStepsError('USM0101', `${what} ${path} is ${size} bytes, above the ${maxBytes}-byte limit`, { data: { path, size, limit: maxBytes } })
  }
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    throw new UsmtStepsError('USM0104', `cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err, data: { path } })
  }
  return decodeText(buf, what, path)
}

/**
 * Decode a text file: UTF-16LE with its BOM, an encoding named by an XML declaration (`encoding="windows-1252"`),
 * otherwise strict UTF-8. Bytes that are not valid in that encoding are an error naming the file and the byte
 * offset (USM0115) — never silently replaced by U+FFFD, which used to turn a rule into one that matches nothing.
 */
export function decodeText(buf: Uint8Array, what: string, path: string): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return Buffer.from(buf.subarray(2)).toString('utf16le')
  const declared = /^(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(Buffer.from(buf.subarray(0, 256)).toString('latin1'))?.[1].toLowerCase()
  if (declared !== undefined && !/^(?:utf-?8|utf-?16)$/.test(declared)) {
    let decoder: TextDecoder
    try {
      decoder = new TextDecoder(declared, { fatal: true })
    } catch {
      throw new UsmtStepsError('USM0115', `${what} ${path} declares encoding "${declared}", which is not supported; save it as UTF-8`, { data: { path, encoding: declared } })
    }
    try {
      return decoder.decode(buf)
    } catch {
      throw new UsmtStepsError('USM0115', `${what} ${path} is not valid ${declared}`, { data: { path, encoding: declared } })
    }
  }
  const bad = firstInvalidUtf8(buf)
  if (bad >= 0) {
    const line = 1 + buf.subarray(0, bad).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0)
    throw new UsmtStepsError('USM0115', `${what} ${path} is not valid UTF-8: byte offset ${bad} (line ${line}, byte 0x${buf[bad].toString(16).padStart(2, '0')})`, { data: { path, offset: bad, line } })
  }
  return new TextDecoder('utf-8').decode(buf)
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (overlong, surrogate, > U+10FFFF), or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0
  while (i < buf.length) {
    const b = buf[i]
    if (b < 0x80) {
      i++
      continue
    }
    let n: number
    let min: number
    let cp: number
    if (b >= 0xc2 && b <= 0xdf) [n, min, cp] = [1, 0x80, b & 0x1f]
    else if (b >= 0xe0 && b <= 0xef) [n, min, cp] = [2, 0x800, b & 0x0f]
    else if (b >= 0xf0 && b <= 0xf4) [n, min, cp] = [3, 0x10000, b & 0x07]
    else return i
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += n + 1
  }
  return -1
}

/** Parse `Prefix.Function("a", 'b', NULL)`; null when the text is not a call. */
export function parseScriptCall(text: string): ScriptCall | null {
  const raw = text.trim()
  const m = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(([\s\S]*)\)\s*;?$/.exec(raw)
  if (!m) return null
  const args: Array<string | null> = []
  const body = m[2]
  let i = 0
  const skipWs = (): void => { while (i < body.length && /\s/.test(body[i])) i++ }
  skipWs()
  if (i >= body.length) return { name: m[1], args, raw }
  for (;;) {
    skipWs()
    const q = body[i]
    if (q === '"' || q === "'") {
      const end = body.indexOf(q, i + 1)
      if (end < 0) return null
      args.push(body.slice(i + 1, end))
      i = end + 1
    } else {
      let j = i
      while (j < body.length && body[j] !== ',') j++
      const bare = body.slice(i, j).trim()
      args.push(bare === '' || bare.toUpperCase() === 'NULL' ? null : bare)
      i = j
    }
    skipWs()
    if (i >= body.length) break
    if (body[i] !== ',') return null
    i++
  }
  return { name: m[1], args, raw }
}

export function normalizeCtx(v: string | undefined): Ctx | null {
  if (v === undefined) return null
  const l = v.trim().toLowerCase()
  if (l === 'user') return 'User'
  if (l === 'system') return 'System'
  if (l === 'userandsystem') return 'UserAndSystem'
  return null
}

function isYes(v: string | undefined): boolean {
  return v !== undefined && ['yes', 'true', '1'].includes(v.trim().toLowerCase())
}

const RULE_KINDS: ReadonlySet<string> = new Set(['include', 'exclude', 'unconditionalExclude', 'merge', 'locationModify', 'contentModify',
  'destinationCleanup', 'includeAttributes', 'excludeAttributes'])
/** Elements accepted inside <rules> that the engine carries or ignores without a warning. */
const RULES_IGNORED = new Set(['addObjects', 'externalProcess', 'processing', 'plugin'])
const COMPONENT_INFO = new Set(['displayName', 'manufacturer', 'version', 'description', 'paths', 'icon', '_locDefinition', 'plugin'])

interface NamedIndex {
  environment: Map<string, XmlElement>
  rules: Map<string, XmlElement>
  conditions: Map<string, XmlElement>
  detection: Map<string, XmlElement>
  detects: Map<string, XmlElement>
  detect: Map<string, XmlElement>
}

class FileLoader {
  private readonly named: NamedIndex = { environment: new Map(), rules: new Map(), conditions: new Map(), detection: new Map(), detects: new Map(), detect: new Map() }
  private readonly resolving = new Set<string>()

  constructor(private readonly model: RuleModel, private readonly file: string, private readonly urlid: string) {}

  warn(code: string, message: string, line?: number): void {
    this.model.warnings.push({ code, message, file: this.file, line })
  }

  at(el: XmlElement): SourceRef {
    return { file: this.file, line: el.line }
  }

  load(root: XmlElement): void {
    for (const ne of childrenNamed(root, 'namedElements')) {
      for (const c of ne.children) {
        const name = attr(c, 'name')
        const index = (this.named as unknown as Record<string, Map<string, XmlElement> | undefined>)[c.name]
        if (!index || !name) {
          this.warn('unknown-element', `<${c.name}> inside <namedElements> is not supported or has no name`, c.line)
          continue
        }
        if (!index.has(name)) index.set(name, c)
      }
    }
    for (const c of root.children) {
      if (c.name === 'component') this.component(c, null, [])
      else if (c.name === 'library') {
        const prefix = attr(c, 'prefix')
        if (prefix) this.model.libraryPrefixes.push(prefix)
      } else if (c.name !== 'namedElements' && c.name !== '_locDefinition') {
        this.warn('unknown-element', `unknown element <${c.name}> under <migration> is ignored`, c.line)
      }
    }
  }

  /** Resolve `<x name="N"/>` (no children) to the named definition. */
  private deref(el: XmlElement, kind: keyof NamedIndex): XmlElement | null {
    const name = attr(el, 'name')
    if (!name || el.children.length > 0) return el
    const def = this.named[kind].get(name)
    if (!def) {
      this.warn('unknown-reference', `<${el.name} name="${name}"> refers to nothing in <namedElements>`, el.line)
      return null
    }
    return def
  }

  private component(el: XmlElement, parent: number | null, inheritedEnvs: EnvironmentDef[]): void {
    const displayEl = childrenNamed(el, 'displayName')[0]
    const displayName = displayEl ? displayEl.text.trim() : ''
    if (!displayEl) this.warn('missing-displayName', '<component> has no <displayName>; Config.xml cannot name it', el.line)
    const type = attr(el, 'type') ?? ''
    const ctx = normalizeCtx(attr(el, 'context')) ?? 'UserAndSystem'
    if (attr(el, 'context') !== undefined && normalizeCtx(attr(el, 'context')) === null) {
      this.warn('bad-attribute', `<component context="${attr(el, 'context')}"> is not User, System or UserAndSystem; UserAndSystem is used`, el.line)
    }
    const envs = [...inheritedEnvs]
    for (const e of childrenNamed(el, 'environment')) {
      const env = this.environment(e)
      if (env) envs.push(env)
    }
    const def: ComponentDef = {
      index: this.model.components.length, parent, urlid: this.urlid, file: this.file, displayName: displayName || `(component at line ${el.line})`,
      type, context: ctx, roles: [], environments: envs, detection: null, rules: [], at: this.at(el),
    }
    this.model.components.push(def)
    const detections: Condition[] = []
    const childComponents: XmlElement[] = []
    for (const c of el.children) {
      if (c.name === 'role') this.role(c, def, detections, childComponents)
      else if (c.name === 'component') childComponents.push(c)
      else if (c.name === 'extensions') this.extensions(c, def)
      else if (c.name === 'environment' || COMPONENT_INFO.has(c.name)) continue
      else this.warn('unknown-element', `unknown element <${c.name}> in component "${def.displayName}" is ignored`, c.line)
    }
    if (detections.length > 0) def.detection = detections.length === 1 ? detections[0] : { kind: 'group', op: 'OR', items: detections, negate: false, at: def.at }
    for (const c of childComponents) this.component(c, def.index, envs)
  }

  private extensions(el: XmlElement, def: ComponentDef): void {
    const items: ObjectSetItem[] = childrenNamed(el, 'extension').map((x) => ({
      kind: 'script', at: this.at(x),
      call: { name: 'MigXmlHelper.GenerateDrivePatterns', args: [`* [*.${x.text.trim()}]`, 'Fixed'], raw: `<extension>${x.text.trim()}</extension>` },
    }))
    if (items.length) def.rules.push({ kind: 'include', script: null, filter: null, attributes: null, sets: [{ items, condition: null, at: this.at(el) }], at: this.at(el), rulesContexts: [], conditions: [] })
  }

  private role(el: XmlElement, def: ComponentDef, detections: Condition[], childComponents: XmlElement[]): void {
    const role = attr(el, 'role') ?? ''
    if (!['container', 'binaries', 'settings', 'data'].includes(role.toLowerCase())) {
      this.warn('bad-attribute', `<role role="${role}"> is not Container, Binaries, Settings or Data`, el.line)
    }
    def.roles.push(role)
    for (const c of el.children) {
      switch (c.name) {
        case 'rules': this.rules(c, def, [], []); break
        case 'detects': {
          const d = this.detects(c)
          if (d) detections.push(d)
          break
        }
        case 'detection': {
          const d = this.detection(c)
          if (d) detections.push(d)
          break
        }
        case 'component': childComponents.push(c); break
        case 'role': this.role(c, def, detections, childComponents); break
        case 'environment': {
          const env = this.environment(c)
          if (env) def.environments.push(env)
          break
        }
        case 'destinationCleanup': this.ruleEntry(c, 'destinationCleanup', def, [], []); break
        case 'plugin': break
        default: this.warn('unknown-element', `unknown element <${c.name}> in <role> of "${def.displayName}" is ignored`, c.line)
      }
    }
  }

  private rules(elIn: XmlElement, def: ComponentDef, ctxChain: Array<Ctx | null>, conds: Condition[]): void {
    const key = `rules:${attr(elIn, 'name') ?? ''}`
    const el = this.deref(elIn, 'rules')
    if (!el) return
    if (el !== elIn) {
      if (this.resolving.has(key)) {
        this.warn('recursive-reference', `<rules name="${attr(elIn, 'name')}"> refers to itself`, elIn.line)
        return
      }
      this.resolving.add(key)
    }
    try {
      const ctxRaw = attr(elIn, 'context') ?? attr(el, 'context')
      const ctx = normalizeCtx(ctxRaw)
      if (ctxRaw !== undefined && ctx === null) this.warn('bad-attribute', `<rules context="${ctxRaw}"> is not User, System or UserAndSystem`, elIn.line)
      const chain = [...ctxChain, ctx]
      const myConds = [...conds]
      for (const c of el.children) {
        if (c.name === 'conditions' || c.name === 'condition') {
          const cond = this.condition(c)
          if (cond) myConds.push(cond)
        } else if (c.name === 'detects') {
          const cond = this.detects(c)
          if (cond) myConds.push(cond)
        }
      }
      for (const c of el.children) {
        if (RULE_KINDS.has(c.name)) this.ruleEntry(c, c.name as RuleKind, def, chain, myConds)
        else if (c.name === 'rules') this.rules(c, def, chain, myConds)
        else if (c.name === 'conditions' || c.name === 'condition' || c.name === 'detects') continue
        else if (RULES_IGNORED.has(c.name)) {
          const text = c.name === 'externalProcess' ? c.children.map((x) => x.text.trim()).filter(Boolean).join(' ') : c.name === 'processing' ? c.children.map((x) => x.text.trim()).join('; ') : ''
          ;(this.model.ignoredElements ??= []).push({ file: this.file, line: c.line, component: def.displayName, element: c.name, text })
        } else this.warn('unknown-element', `unknown element <${c.name}> in <rules> of "${def.displayName}" is ignored`, c.line)
      }
    } finally {
      this.resolving.delete(key)
    }
  }

  private ruleEntry(el: XmlElement, kind: RuleKind, def: ComponentDef, chain: Array<Ctx | null>, conds: Condition[]): void {
    const scriptText = attr(el, 'script')
    const filterText = attr(el, 'filter')
    const script = scriptText ? parseScriptCall(scriptText) : null
    const filter = filterText ? parseScriptCall(filterText) : null
    if (scriptText && !script) this.warn('bad-script', `<${kind} script="${scriptText}"> is not a helper call`, el.line)
    if (filterText && !filter) this.warn('bad-script', `<${kind} filter="${filterText}"> is not a helper call`, el.line)
    const sets: ObjectSet[] = []
    for (const c of el.children) {
      if (c.name === 'objectSet') sets.push(this.objectSet(c))
      else this.warn('unknown-element', `unknown element <${c.name}> in <${kind}> is ignored`, c.line)
    }
    def.rules.push({ kind, script, filter, attributes: attr(el, 'attributes') ?? null, sets, at: this.at(el), rulesContexts: chain, conditions: conds })
  }

  objectSet(el: XmlElement): ObjectSet {
    const items: ObjectSetItem[] = []
    const conds: Condition[] = []
    for (const c of el.children) {
      switch (c.name) {
        case 'pattern': {
          const t = (attr(c, 'type') ?? 'File').trim().toLowerCase()
          const type: PatternType = t === 'registry' ? 'Registry' : t === 'ini' ? 'Ini' : 'File'
          if (!['file', 'registry', 'ini'].includes(t)) this.warn('bad-attribute', `<pattern type="${attr(c, 'type')}"> is not File, Registry or Ini; File is assumed`, c.line)
          items.push({ kind: 'pattern', pattern: parsePattern(c.text, type), at: this.at(c) })
          break
        }
        case 'script': {
          const call = parseScriptCall(c.text)
          if (!call) this.warn('bad-script', `<script>${c.text.trim()}</script> is not a helper call`, c.line)
          else items.push({ kind: 'script', call, at: this.at(c) })
          break
        }
        case 'content': items.push({ kind: 'content', at: this.at(c) }); break
        case 'conditions':
        case 'condition': {
          const cond = this.condition(c)
          if (cond) conds.push(cond)
          break
        }
        default: this.warn('unknown-element', `unknown element <${c.name}> in <objectSet> is ignored`, c.line)
      }
    }
    const condition: Condition | null = conds.length === 0 ? null : conds.length === 1 ? conds[0] : { kind: 'group', op: 'AND', items: conds, negate: false, at: this.at(el) }
    return { items, condition, at: this.at(el) }
  }

  condition(elIn: XmlElement): Condition | null {
    if (elIn.name === 'condition') {
      const call = parseScriptCall(elIn.text)
      if (!call) {
        this.warn('bad-script', `<condition>${elIn.text.trim()}</condition> is not a helper call; it counts as false`, elIn.line)
        return { kind: 'const', value: false, at: this.at(elIn), why: 'unparsable condition' }
      }
      return { kind: 'call', call, negate: isYes(attr(elIn, 'negation')), at: this.at(elIn) }
    }
    if (elIn.name === 'conditions') {
      const el = this.deref(elIn, 'conditions')
      if (!el) return { kind: 'const', value: false, at: this.at(elIn), why: 'unknown named conditions' }
      const op = (attr(el, 'operation') ?? 'AND').toUpperCase() === 'OR' ? 'OR' : 'AND'
      return { kind: 'group', op, items: this.conditionItems(el, 'conditions'), negate: isYes(attr(el, 'negation')), at: this.at(el) }
    }
    return null
  }

  /** The conditions and object sets below `<conditions>` or `<detect>`; any other element is warned about and ignored. */
  private conditionItems(el: XmlElement, where: string): Condition[] {
    const items: Condition[] = []
    for (const c of el.children) {
      if (c.name === 'condition' || c.name === 'conditions') {
        const x = this.condition(c)
        if (x) items.push(x)
      } else if (c.name === 'objectSet') {
        items.push({ kind: 'objectSet', set: this.objectSet(c), at: this.at(c) })
      } else {
        this.warn('unknown-element', `unknown element <${c.name}> in <${where}> is ignored`, c.line)
      }
    }
    return items
  }

  /** `<detects>`: all `<detect>` children must hold; each `<detect>` is an OR of its conditions. */
  detects(elIn: XmlElement): Condition | null {
    const el = this.deref(elIn, 'detects')
    if (!el) return { kind: 'const', value: false, at: this.at(elIn), why: 'unknown named detects' }
    const items: Condition[] = []
    for (const c0 of el.children) {
      if (c0.name !== 'detect') {
        this.warn('unknown-element', `unknown element <${c0.name}> in <detects> is ignored`, c0.line)
        continue
      }
      const c = this.deref(c0, 'detect')
      if (!c) {
        items.push({ kind: 'const', value: false, at: this.at(c0), why: 'unknown named detect' })
        continue
      }
      items.push({ kind: 'group', op: 'OR', items: this.conditionItems(c, 'detect'), negate: false, at: this.at(c) })
    }
    return { kind: 'group', op: 'AND', items, negate: false, at: this.at(el) }
  }

  detection(elIn: XmlElement): Condition | null {
    const el = this.deref(elIn, 'detection')
    if (!el) return { kind: 'const', value: false, at: this.at(elIn), why: 'unknown named detection' }
    const items: Condition[] = []
    for (const c of el.children) {
      if (c.name === 'conditions' || c.name === 'condition') {
        const x = this.condition(c)
        if (x) items.push(x)
      } else {
        this.warn('unknown-element', `unknown element <${c.name}> in <detection> is ignored`, c.line)
      }
    }
    return { kind: 'group', op: 'AND', items, negate: false, at: this.at(el) }
  }

  environment(elIn: XmlElement): EnvironmentDef | null {
    const el = this.deref(elIn, 'environment')
    if (!el) return null
    const conds: Condition[] = []
    const variables: VariableDef[] = []
    for (const c of el.children) {
      if (c.name === 'conditions' || c.name === 'condition') {
        const x = this.condition(c)
        if (x) conds.push(x)
      } else if (c.name === 'variable') {
        const name = attr(c, 'name')
        if (!name) {
          this.warn('bad-attribute', '<variable> without a name is ignored', c.line)
          continue
        }
        const text = childrenNamed(c, 'text')[0]
        const script = childrenNamed(c, 'script')[0]
        const os = childrenNamed(c, 'objectSet')[0]
        let value: VariableDef['value'] | null = null
        if (text) value = { kind: 'text', text: text.text.trim() }
        else if (script) {
          const call = parseScriptCall(script.text)
          if (call) value = { kind: 'script', call }
        } else if (os) value = { kind: 'objectSet', set: this.objectSet(os) }
        if (!value) {
          this.warn('bad-variable', `<variable name="${name}"> has no usable <text>, <script> or <objectSet>`, c.line)
          continue
        }
        variables.push({ name, remap: isYes(attr(c, 'remap')), value, at: this.at(c) })
      } else {
        this.warn('unknown-element', `unknown element <${c.name}> in <environment> is ignored`, c.line)
      }
    }
    const condition: Condition | null = conds.length === 0 ? null : conds.length === 1 ? conds[0] : { kind: 'group', op: 'AND', items: conds, negate: false, at: this.at(el) }
    return { name: attr(el, 'name') ?? null, context: normalizeCtx(attr(elIn, 'context') ?? attr(el, 'context')), condition, variables, at: this.at(el) }
  }
}

export interface LoadOptions extends XmlLimits {
  maxBytes?: number
}

/** Load migration XML files into one model. Files with a urlid already loaded are skipped (as USMT does). */
export function loadRuleModel(files: readonly string[], opts: LoadOptions = {}): RuleModel {
  const model: RuleModel = { files: [], urlids: [], components: [], libraryPrefixes: [], warnings: [] }
  for (const path of files) {
    const label = nodePath.basename(path)
    const text = readTextFile(path, 'migration XML', opts.maxBytes ?? opts.maxChars)
    loadRuleText(model, text, label, opts)
  }
  return model
}

/** Add one migration XML document (already read) to a model. */
export function loadRuleText(model: RuleModel, text: string, label: string, limits: XmlLimits = {}): void {
  const root = parseXml(text, label, limits)
  if (root.name !== 'migration') {
    throw new UsmtStepsError('USM0105', `${label}: the root element is <${root.name}>, not <migration>`, { data: { file: label } })
  }
  const urlid = attr(root, 'urlid') ?? ''
  if (!urlid) model.warnings.push({ code: 'missing-urlid', message: `${label}: <migration> has no urlid`, file: label, line: root.line })
  if (urlid && model.urlids.some((u) => u.toLowerCase() === urlid.toLowerCase())) {
    model.warnings.push({ code: 'duplicate-urlid', message: `${label}: urlid ${urlid} was already loaded from another file; USMT does not process this file`, file: label, line: root.line })
    return
  }
  model.files.push(label)
  model.urlids.push(urlid)
  new FileLoader(model, label, urlid).load(root)
}

// ---------------------------------------------------------------- Config.xml

export interface ConfigModel {
  file: string
  /** Effective migrate state by lower-cased ID and by lower-cased display name. */
  byId: Map<string, boolean>
  byName: Map<string, boolean>
  entries: number
}

/** Parse Config.xml: migrate="no" disables a component and its children; duplicates with a yes win. */
export function loadConfig(path: string, maxBytes?: number): ConfigModel {
  const label = nodePath.basename(path)
  const root = parseXml(readTextFile(path, 'Config.xml', maxBytes), label)
  return configFromXml(root, label)
}

export function configFromXml(root: XmlElement, label: string): ConfigModel {
  if (root.name !== 'Configuration') {
    throw new UsmtStepsError('USM0106', `${label}: the root element is <${root.name}>, not <Configuration>`, { data: { file: label } })
  }
  const byId = new Map<string, boolean>()
  const byName = new Map<string, boolean>()
  let entries = 0
  const put = (map: Map<string, boolean>, key: string, value: boolean): void => {
    map.set(key, (map.get(key) ?? false) || value)
  }
  const walk = (el: XmlElement, parentOn: boolean): void => {
    for (const c of el.children) {
      if (c.name !== 'component') continue
      entries++
      const migrate = (attr(c, 'migrate') ?? 'yes').trim().toLowerCase()
      if (!['yes', 'no'].includes(migrate)) {
        throw new UsmtStepsError('USM0106', `${label}:${c.line}: migrate="${attr(c, 'migrate')}" must be yes or no`, { data: { file: label, line: c.line } })
      }
      const on = parentOn && migrate === 'yes'
      const id = attr(c, 'ID')
      const name = attr(c, 'displayname')
      if (id) put(byId, id.trim().toLowerCase(), on)
      if (name) put(byName, name.trim().toLowerCase(), on)
      walk(c, on)
    }
  }
  for (const section of root.children) {
    if (['Applications', 'Documents', 'WindowsComponents'].includes(section.name)) walk(section, true)
  }
  return { file: label, byId, byName, entries }
}

/** Config.xml IDs a component can appear under (`…/migxmlext/<urlid tail>/<display name>/<role>`). */
export function componentConfigIds(c: ComponentDef): string[] {
  const tail = c.urlid.replace(/\/+$/, '').split('/').pop()?.toLowerCase() ?? ''
  const roles = c.roles.length ? c.roles : ['data']
  return roles.map((r) => `http://www.microsoft.com/migration/1.0/migxmlext/${tail}/${c.displayName.toLowerCase()}/${r.toLowerCase()}`)
}

/** The Config.xml migrate state of a component on its own: true, false, or undefined when not listed. */
export function configState(config: ConfigModel | undefined, c: ComponentDef): boolean | undefined {
  if (!config) return undefined
  let found: boolean | undefined
  for (const id of componentConfigIds(c)) {
    const v = config.byId.get(id)
    if (v !== undefined) found = (found ?? false) || v
  }
  return found
}

export type { EngineWarning }
