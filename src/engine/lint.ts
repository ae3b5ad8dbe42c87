/**
 * `rules lint`: MigXML.xsd-level structure (element placement, required and enumerated attributes),
 * duplicate urlids, unknown helper functions, variables that never resolve and patterns that can never
 * match. Errors make the command fail; warnings do not.
 */
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { parseAttributeList } from './compile.js'
import { captureFilter } from './filters.js'
import { parseScriptCall, readTextFile } from './loader.js'
import { parsePattern } from './pattern.js'
import { knownVariableNames } from './variables.js'
import { attr, parseXml, type XmlElement } from './xml.js'

export interface LintItem {
  file: string
  line: number
  code: string
  message: string
}

export interface LintResult {
  files: string[]
  errors: LintItem[]
  warnings: LintItem[]
  /** Errors accepted by a known-findings file (`rules lint --known FILE`): reported, not failing. */
  known: LintItem[]
}

/**
 * A finding accepted as known, e.g. a defect of one of Microsoft's stock files that cannot be edited. Matched
 * on the file's base name, the code and the message (not the line, which moves between versions).
 */
export interface KnownFinding {
  file: string
  code: string
  message: string
  /** Why it is accepted (free text, for the reader of the file). */
  note?: string
}

/** The condition helpers the portable engine evaluates (on files; DoesObjectExist/IsSameObject only for File). */
const EVALUATED_CONDITIONS = new Set(['isnative64bit', 'issystemcontext', 'isoslaterthan', 'isosearlierthan', 'doesosmatch', 'doesobjectexist', 'issameobject',
  'doesfileversionmatch', 'isfileversionabove', 'isfileversionbelow'])
const EVALUATED_SCRIPTS = new Set(['generatedrivepatterns', 'generateuserpatterns', 'generatedocpatterns'])
const EVALUATED_MERGE = new Set(['sourcepriority', 'destinationpriority', 'findfileplacebypattern', 'newestversion'])
const EVALUATED_LOCATION = new Set(['move', 'relativemove', 'exactmove'])

const OBJECT_RULES = ['include', 'exclude', 'unconditionalExclude', 'merge', 'contentModify', 'locationModify', 'destinationCleanup', 'includeAttributes', 'excludeAttributes']

/** Allowed children per element (from MigXML.xsd and the element reference). */
const ALLOWED: Record<string, readonly string[]> = {
  migration: ['component', 'library', 'namedElements', '_locDefinition'],
  component: ['displayName', 'role', 'environment', 'component', 'manufacturer', 'version', 'description', 'paths', 'icon', 'extensions', '_locDefinition', 'plugin'],
  role: ['rules', 'environment', 'detection', 'detects', 'component', 'role', 'plugin', 'destinationCleanup'],
  rules: [...OBJECT_RULES, 'addObjects', 'externalProcess', 'processing', 'conditions', 'condition', 'detects', 'rules'],
  ...Object.fromEntries(OBJECT_RULES.map((k) => [k, ['objectSet']])),
  objectSet: ['pattern', 'script', 'content', 'conditions', 'condition'],
  content: ['objectSet'],
  conditions: ['condition', 'conditions', 'objectSet'],
  detects: ['detect'],
  detect: ['condition', 'conditions', 'objectSet'],
  detection: ['conditions', 'condition'],
  environment: ['variable', 'conditions', 'condition'],
  variable: ['text', 'script', 'objectSet'],
  namedElements: ['environment', 'rules', 'conditions', 'detection', 'detects', 'detect'],
  addObjects: ['object', 'conditions', 'condition'],
  object: ['location', 'attributes', 'bytes'],
  paths: ['path'],
  extensions: ['extension'],
  processing: ['script'],
  externalProcess: ['commandLine'],
  _locDefinition: ['_locDefault', '_locTag'],
}
const LEAVES = new Set(['displayName', 'manufacturer', 'version', 'description', 'icon', 'pattern', 'script', 'condition', 'text', 'path', 'extension',
  'location', 'attributes', 'bytes', 'commandLine', 'library', '_locDefault', '_locTag', 'plugin'])

export const KNOWN_HELPERS: ReadonlySet<string> = new Set([
  'GenerateDrivePatterns', 'GenerateUserPatterns', 'GenerateDocPatterns', 'GetStringContent', 'IgnoreIrrelevantLinks', 'AnswerNo', 'NeverRestore',
  'CompareStringContent', 'FileProperties', 'SourcePriority', 'DestinationPriority', 'FindFilePlaceByPattern', 'NewestVersion', 'HigherValue',
  'LowerValue', 'LeafPattern', 'ExactMove', 'Move', 'RelativeMove', 'ConvertToDWORD', 'ConvertToString', 'ConvertToBinary', 'OffsetValue',
  'SetValueByTable', 'KeepExisting', 'MergeMultiSzContent', 'MergeDelimitedContent', 'MergeShellLibraries', 'ExtractSingleFile',
  'ExtractMultipleFiles', 'ExtractDirectory', 'DoesOSMatch', 'IsNative64Bit', 'IsOSLaterThan', 'IsOSEarlierThan', 'DoesObjectExist',
  'DoesFileVersionMatch', 'IsFileVersionAbove', 'IsFileVersionBelow', 'IsSystemContext', 'DoesStringContentEqual', 'DoesStringContentContain',
  'IsSameObject', 'IsSameContent', 'IsSameStringContent', 'AskForLogoff', 'ConvertToShortFileName', 'KillExplorer', 'RegisterFonts',
  'RemoveEmptyDirectories', 'RestartExplorer', 'StartService', 'StopService', 'SyncSCM', 'SameRegContent',
].map((s) => s.toLowerCase()))

const CTX = ['user', 'system', 'userandsystem']

export function lintRuleFiles(paths: readonly string[], maxBytes?: number, accept: readonly KnownFinding[] = []): LintResult {
  const res: LintResult = { files: [], errors: [], warnings: [], known: [] }
  const known = knownVariableNames()
  const urlids = new Map<string, string>()
  for (const path of paths) {
    const file = nodePath.basename(path)
    res.files.push(path)
    const err = (line: number, code: string, message: string): void => { res.errors.push({ file, line, code, message }) }
    const warn = (line: number, code: string, message: string): void => { res.warnings.push({ file, line, code, message }) }
    let root: XmlElement
    try {
      root = parseXml(readTextFile(path, 'migration XML', maxBytes), file)
    } catch (e) {
      if (e instanceof UsmtStepsError) {
        err(Number(e.data.line ?? 0), e.code, e.message)
        continue
      }
      throw e
    }
    if (root.name !== 'migration') {
      err(root.line, 'not-migration-xml', `root element is <${root.name}>, not <migration>`)
      continue
    }
    const urlid = attr(root, 'urlid')
    if (!urlid) err(root.line, 'missing-urlid', '<migration> needs a urlid attribute')
    else if (!/^[^:]+:\/\/[^\s]+$|^[A-Za-z_][\w.-]*$/.test(urlid)) warn(root.line, 'bad-urlid', `urlid "${urlid}" does not look like a URL or a no-colon name`)
    if (urlid) {
      const prev = urlids.get(urlid.toLowerCase())
      if (prev) err(root.line, 'duplicate-urlid', `urlid ${urlid} is also used by ${prev}; USMT skips the second file`)
      else urlids.set(urlid.toLowerCase(), file)
    }
    const prefixes = new Set(root.children.filter((c) => c.name === 'library').map((c) => (attr(c, 'prefix') ?? '').toLowerCase()).filter(Boolean))
    const defined = new Set<string>()
    const collectVars = (el: XmlElement): void => {
      if (el.name === 'variable' && attr(el, 'name')) defined.add((attr(el, 'name') as string).toUpperCase())
      el.children.forEach(collectVars)
    }
    collectVars(root)
    const checkVars = (text: string, line: number): void => {
      for (const m of text.matchAll(/%([^%\s]+)%/g)) {
        const n = m[1].toUpperCase()
        if (!known.has(n) && !defined.has(n)) err(line, 'unknown-variable', `%${m[1]}% is not a recognised variable and no <variable> defines it; the pattern never matches`)
      }
    }
    /** What the portable engine does not evaluate, per kind: count and first line (one warning per kind). */
    const skipped = new Map<string, { n: number; line: number }>()
    const skip = (label: string, line: number): void => {
      const g = skipped.get(label)
      if (g) g.n++
      else skipped.set(label, { n: 1, line })
    }
    const checkCall = (text: string, line: number, where: string, el?: XmlElement, parentName?: string): void => {
      const call = parseScriptCall(text)
      if (!call) {
        err(line, 'bad-script', `${where} "${text.trim()}" is not a helper call such as MigXmlHelper.Function("arg")`)
        return
      }
      {
        const isMig = call.name.toLowerCase().startsWith('migxmlhelper.')
        const f = call.name.split('.').pop()?.toLowerCase() ?? ''
        const kind = el?.name
        const notFile = (call.args[0] ?? '').trim().toLowerCase() !== 'file'
        if (where === '<condition>') {
          if (!isMig || !EVALUATED_CONDITIONS.has(f) || ((f === 'doesobjectexist' || f === 'issameobject') && notFile)) skip('conditions (registry or content checks, other helper libraries; assumed false)', line)
        } else if (where === '<script>' && parentName === 'objectSet') {
          if (!isMig || !EVALUATED_SCRIPTS.has(f) || (f === 'generateuserpatterns' && notFile)) skip('object scripts (registry content, other helper libraries)', line)
        } else if (where === '<script>' && parentName === 'variable') {
          skip('variable scripts (registry content)', line)
        } else if (where === 'filter=') {
          if (captureFilter(call).kind === 'notEvaluated' || f === 'ignoreirrelevantlinks') skip('rule filters (registry content, destination link checks)', line)
        } else if (where === 'script=' && kind === 'merge') {
          if (!isMig || !EVALUATED_MERGE.has(f)) skip('merge helpers (HigherValue, LowerValue …; the default rename applies)', line)
        } else if (where === 'script=' && kind === 'locationModify') {
          if (!isMig || !EVALUATED_LOCATION.has(f)) skip('locationModify helpers', line)
        }
      }
      const [prefix, fn] = call.name.includes('.') ? [call.name.split('.')[0].toLowerCase(), call.name.split('.').slice(1).join('.').toLowerCase()] : ['', call.name.toLowerCase()]
      if (prefix === 'migxmlhelper') {
        if (!KNOWN_HELPERS.has(fn)) err(line, 'unknown-helper', `${call.name} is not a MigXmlHelper function`)
      } else if (!prefixes.has(prefix)) {
        err(line, 'unknown-helper', `${call.name}: no <library prefix="${call.name.split('.')[0]}"> declares this helper`)
      }
      if (fn === 'generatedrivepatterns') {
        const t = (call.args[1] ?? '').toLowerCase()
        if (!['fixed', 'removable', 'cdrom', 'remote'].includes(t)) err(line, 'bad-argument', `GenerateDrivePatterns drive type "${call.args[1] ?? ''}" is not Fixed, Removable, CDROM or Remote`)
        if ((call.args[0] ?? '').includes('%')) warn(line, 'variable-in-drive-pattern', 'GenerateDrivePatterns does not expand environment variables')
        else checkPattern(call.args[0] ?? '', 'File', line, true)
      }
      for (const a of call.args) if (a && fn !== 'generatedrivepatterns') checkVars(a, line)
    }
    const checkPattern = (text: string, type: string, line: number, driveRelative = false): void => {
      const p = parsePattern(text, type === 'Registry' ? 'Registry' : type === 'Ini' ? 'Ini' : 'File')
      checkVars(text, line)
      if (type !== 'File') return
      if (p.raw.includes('?')) err(line, 'never-matches', `pattern "${p.raw}" uses "?", which is not a wildcard in USMT; it never matches`)
      if (p.leaf !== null && p.leaf.includes('\\')) err(line, 'never-matches', `pattern "${p.raw}": the leaf [${p.leaf}] contains "\\"; a file name never does`)
      const node = p.node.trim()
      if (!driveRelative && node && !/^([A-Za-z]:|%[^%]+%|\*)/.test(node)) err(line, 'never-matches', `pattern "${p.raw}" does not start with a drive, a variable or *; it never matches`)
    }
    const walk = (el: XmlElement, parent: XmlElement | null, inNamed: boolean): void => {
      if (parent) {
        const allowed = ALLOWED[parent.name]
        if (allowed && !allowed.includes(el.name)) err(el.line, 'misplaced-element', `<${el.name}> is not allowed inside <${parent.name}>`)
        if (!allowed && !LEAVES.has(parent.name) && !inNamed) err(el.line, 'unknown-element', `<${parent.name}> is not a migration XML element`)
      }
      switch (el.name) {
        case 'component': {
          const type = attr(el, 'type')
          if (!type) err(el.line, 'missing-attribute', '<component> needs type="System|Application|Device|Documents"')
          else if (!['system', 'application', 'device', 'documents'].includes(type.trim().toLowerCase())) err(el.line, 'bad-attribute', `<component type="${type}"> is not System, Application, Device or Documents`)
          const ctx = attr(el, 'context')
          if (ctx !== undefined && !CTX.includes(ctx.trim().toLowerCase())) err(el.line, 'bad-attribute', `<component context="${ctx}"> is not User, System or UserAndSystem`)
          if (!el.children.some((c) => c.name === 'displayName')) err(el.line, 'missing-element', '<component> needs a <displayName> (Config.xml names components by it)')
          if (!el.children.some((c) => c.name === 'role')) err(el.line, 'missing-element', '<component> needs a <role> to affect the migration')
          const kinds = new Set<string>()
          const gather = (x: XmlElement): void => {
            if (x !== el && x.name === 'component') return
            if (OBJECT_RULES.includes(x.name)) kinds.add(x.name)
            x.children.forEach(gather)
          }
          gather(el)
          if (kinds.has('exclude') && !kinds.has('include')) warn(el.line, 'exclude-without-include', 'this component has <exclude> but no <include>: an unaccompanied exclude has no effect (components are independent)')
          break
        }
        case 'role': {
          const r = attr(el, 'role')
          if (!r || !['container', 'binaries', 'settings', 'data'].includes(r.toLowerCase())) err(el.line, 'bad-attribute', `<role role="${r ?? ''}"> must be Container, Binaries, Settings or Data`)
          break
        }
        case 'rules': {
          const ctx = attr(el, 'context')
          if (ctx !== undefined && !CTX.includes(ctx.trim().toLowerCase())) err(el.line, 'bad-attribute', `<rules context="${ctx}"> is not User, System or UserAndSystem`)
          break
        }
        case 'pattern': {
          const t = attr(el, 'type')
          if (t && ['registry', 'ini'].includes(t.toLowerCase())) skip(`${t.charAt(0).toUpperCase()}${t.slice(1).toLowerCase()} patterns`, el.line)
          if (!t || !['file', 'registry', 'ini'].includes(t.toLowerCase())) err(el.line, 'bad-attribute', `<pattern type="${t ?? ''}"> must be File, Registry or Ini`)
          else checkPattern(el.text, t.charAt(0).toUpperCase() + t.slice(1).toLowerCase(), el.line)
          break
        }
        case 'includeAttributes':
        case 'excludeAttributes': {
          const a = attr(el, 'attributes')
          const parsed = parseAttributeList(a ?? null)
          if (a === undefined) err(el.line, 'missing-attribute', `<${el.name}> needs attributes="Security", "TimeFields" or "Security,TimeFields"`)
          else if (parsed.unknown.length) err(el.line, 'bad-attribute', `<${el.name} attributes="${a}">: ${parsed.unknown.map((u) => `"${u}"`).join(', ')} is not Security or TimeFields`)
          else if (!parsed.security && !parsed.timeFields) err(el.line, 'bad-attribute', `<${el.name} attributes="${a}"> names no parameter (Security, TimeFields)`)
          break
        }
        case 'script': checkCall(el.text, el.line, '<script>', el, parent?.name); break
        case 'condition': checkCall(el.text, el.line, '<condition>', el, parent?.name); break
        case 'content': skip('<content> object sets (file names read from registry content)', el.line); break
        case 'contentModify': skip('<contentModify> rules (registry value changes on LoadState)', el.line); break
        case 'addObjects':
        case 'externalProcess':
        case 'processing':
          skip(`<${el.name}> elements`, el.line)
          break
        case 'text': checkVars(el.text, el.line); break
        case 'objectSet':
          if (el.children.length === 0) warn(el.line, 'empty-objectSet', '<objectSet> is empty')
          break
        default: break
      }
      for (const a of ['script', 'filter']) {
        const v = attr(el, a)
        if (v && OBJECT_RULES.includes(el.name)) checkCall(v, el.line, `${a}=`, el, parent?.name)
      }
      for (const c of el.children) walk(c, el, inNamed || el.name === 'namedElements')
    }
    walk(root, null, false)
    for (const [label, g] of skipped) {
      warn(g.line, 'not-evaluated', `${g.n} ${label} not evaluated by the portable engine (first at line ${g.line}); rules preview --json lists each under notEvaluated, scanstate logs them and returns 3 when they change what is captured`)
    }
  }
  if (accept.length) {
    const key = (i: { file: string; code: string; message: string }): string => `${i.file.toLowerCase()}\u0000${i.code}\u0000${i.message}`
    const accepted = new Set(accept.map(key))
    res.known = res.errors.filter((e) => accepted.has(key(e)))
    res.errors = res.errors.filter((e) => !accepted.has(key(e)))
  }
  return res
}

/** Read a known-findings file: `{ "known": [ { "file", "code", "message", "note"? } ] }` (what `rules lint --write-known` writes). */
export function readKnownFindings(path: string, maxBytes?: number): KnownFinding[] {
  let doc: unknown
  try {
    doc = JSON.parse(readTextFile(path, 'known-findings file', maxBytes))
  } catch (e) {
    if (e instanceof UsmtStepsError) throw e
    throw new UsmtStepsError('USM0125', `${path} is not valid JSON: ${(e as Error).message}`, { data: { path } })
  }
  const list = (doc as { known?: unknown })?.known
  if (!Array.isArray(list) || !list.every((k) => k && typeof k.file === 'string' && typeof k.code === 'string' && typeof k.message === 'string')) {
    throw new UsmtStepsError('USM0125', `${path} must hold {"known": [{"file", "code", "message"}]} (as rules lint --write-known writes it)`, { data: { path } })
  }
  return list as KnownFinding[]
}
