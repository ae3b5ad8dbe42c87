/**
 * `rules lint`: MigXML.xsd-level structure (element placement, required and enumerated attributes),
 * duplicate urlids, unknown helper functions, variables that never resolve and patterns that can never
 * match. Errors make the command fail; warnings do not.
 */
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { parseAttributeList } from './compile.js'
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
}

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

export function lintRuleFiles(paths: readonly string[], maxBytes?: number): LintResult {
  const res: LintResult = { files: [], errors: [], warnings: [] }
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
    const checkCall = (text: string, line: number, where: string): void => {
      const call = parseScriptCall(text)
      if (!call) {
        err(line, 'bad-script', `${where} "${text.trim()}" is not a helper call such as MigXmlHelper.Function("arg")`)
        return
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
        case 'script': checkCall(el.text, el.line, '<script>'); break
        case 'condition': checkCall(el.text, el.line, '<condition>'); break
        case 'text': checkVars(el.text, el.line); break
        case 'objectSet':
          if (el.children.length === 0) warn(el.line, 'empty-objectSet', '<objectSet> is empty')
          break
        default: break
      }
      for (const a of ['script', 'filter']) {
        const v = attr(el, a)
        if (v && OBJECT_RULES.includes(el.name)) checkCall(v, el.line, `${a}=`)
      }
      for (const c of el.children) walk(c, el, inNamed || el.name === 'namedElements')
    }
    walk(root, null, false)
  }
  return res
}
