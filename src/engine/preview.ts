/**
 * The `rules preview` result: what the rules capture and exclude on the mapped volumes, the users, the
 * warnings and the totals. Three ways to get it, all from the same scan:
 *
 *   streamPreviewJson(p, out)  writes the result's JSON to `out` while walking, in one pass (constant memory per
 *                              file: included items go out as they are decided, excluded items and warnings
 *                              are spooled to two temp files and follow); under `--json` the command base's
 *                              stdout is `out`.
 *   previewText(p)             the readable tree, bounded: at most FILES_PER_GROUP files per user and
 *                              component, EXCLUDED_SHOWN exclusions and WARNINGS_SHOWN warnings are listed,
 *                              the rest counted.
 *   previewResult(p)           the whole result in memory, built from the engine's event stream
 *                              (evaluatePrepared) — for programmatic use on small trees; `--json` prints the
 *                              same document.
 */
import { writeAllSync } from '../runtime/write-all.js'
import { closeSync, openSync, readSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { randomBytes } from 'node:crypto'
import type { EngineWarning, FileParameters, UserDecision } from './contract.js'
import type { CompiledRule, NotEvaluated, Unit } from './compile.js'
import { evaluatePrepared, scan, type Prepared, type ScanFolder, type ScanSink } from './evaluate.js'
import { scanAhead } from './scan-ahead.js'
import type { RegistryDecision } from './registry.js'
import { dataPreview, typeName, valueDisplay } from '../registry/model.js'

export interface Totals { files: number; bytes: number; settings?: number }

/**
 * A captured object: a file (`path` is its Windows path) or a registry value (`type: 'registry'`, `path` is
 * `KEY [Value]`, `bytes` the size of its data, `valueType` its REG_* type and `data` a short rendering).
 */
export interface PreviewIncluded { path: string; type: 'file' | 'registry'; user: string | null; component: string; rule: string; bytes: number; valueType?: string; data?: string }
export interface PreviewExcluded { path: string; user: string | null; reason: string; rule: string | null }
export interface PreviewUser { account: string; profile: string; migrated: boolean; reason: string }

/** The documented `rules preview --json` result (docs/readme/30-rules-engine.md). Keep the keys and their order. */
export interface PreviewResult {
  included: PreviewIncluded[]
  excluded: PreviewExcluded[]
  users: PreviewUser[]
  warnings: EngineWarning[]
  notEvaluated: NotEvaluated[]
  totals: PreviewTotals
}

export interface PreviewTotals {
  files: number
  bytes: number
  /** Registry values captured (settings), counted apart from files. */
  settings: number
  excluded: number
  users: { total: number; migrated: number }
  byUser: Record<string, Totals>
  byComponent: Record<string, Totals>
}

/** What a streamed preview keeps in memory: everything but the file lists. */
export interface PreviewSummary {
  totals: PreviewTotals
  users: PreviewUser[]
  warnings: number
}

function usersOf(p: Prepared): PreviewUser[] {
  return p.users.map((u: UserDecision) => ({ account: u.account, profile: u.profile, migrated: u.migrated, reason: u.reason }))
}

function newTotals(users: readonly PreviewUser[]): PreviewTotals {
  return { files: 0, bytes: 0, settings: 0, excluded: 0, users: { total: users.length, migrated: users.filter((u) => u.migrated).length }, byUser: {}, byComponent: {} }
}

function count(t: PreviewTotals, user: string | null, component: string, bytes: number): void {
  t.files++
  t.bytes += bytes
  const u = (t.byUser[user ?? 'System'] ??= { files: 0, bytes: 0 })
  u.files++
  u.bytes += bytes
  const c = (t.byComponent[component] ??= { files: 0, bytes: 0 })
  c.files++
  c.bytes += bytes
}

/** Count one captured registry value (settings per user and per component). */
function countSetting(t: PreviewTotals, user: string | null, component: string): void {
  t.settings++
  const u = (t.byUser[user ?? 'System'] ??= { files: 0, bytes: 0 })
  u.settings = (u.settings ?? 0) + 1
  const c = (t.byComponent[component] ??= { files: 0, bytes: 0 })
  c.settings = (c.settings ?? 0) + 1
}

function registryIncluded(d: RegistryDecision): PreviewIncluded {
  return { path: valueDisplay(d.value), type: 'registry', user: d.user, component: d.component as string, rule: d.rule as string, bytes: d.value.data.length, valueType: typeName(d.value.type), data: dataPreview(d.value) }
}

// ---------------------------------------------------------------- in memory

/** The whole preview result in memory, from the engine's event stream. */
export async function previewResult(p: Prepared): Promise<PreviewResult> {
  const users = usersOf(p)
  const r: PreviewResult = { included: [], excluded: [], users, warnings: [], notEvaluated: p.notEvaluated, totals: newTotals(users) }
  for await (const e of evaluatePrepared(p)) {
    if (e.kind === 'warning') r.warnings.push(e.warning)
    else if (e.kind === 'include') {
      const f = e.file
      r.included.push({ path: f.path, type: 'file', user: f.user, component: f.component, rule: f.rule, bytes: f.bytes })
      count(r.totals, f.user, f.component, f.bytes)
    } else if (e.kind === 'exclude') {
      r.excluded.push({ path: e.file.path, user: e.file.user, reason: e.file.reason, rule: e.file.rule })
      r.totals.excluded++
    } else if (e.kind === 'registry') {
      const v = e.value
      if (v.included) {
        r.included.push({ path: valueDisplay(v), type: 'registry', user: v.user, component: v.component as string, rule: v.rule as string, bytes: v.data.length, valueType: typeName(v.type), data: dataPreview(v) })
        countSetting(r.totals, v.user, v.component as string)
      } else {
        r.excluded.push({ path: valueDisplay(v), user: v.user, reason: v.reason ?? 'excluded by rule', rule: v.rule })
        r.totals.excluded++
      }
    }
  }
  return r
}

// ---------------------------------------------------------------- streamed JSON

/**
 * Where a streamed result goes (the command base's stdout under --json): blocks of the JSON text, each ending
 * between two items (so a redactor that sees one block at a time never sees an item cut in two). `write`
 * returns false when the consumer wants the writer to wait for `drain()` before writing more.
 */
export interface JsonOut {
  /** A block: UTF-8 bytes of the document (what the writer builds), or text (the spooled parts read back). */
  write(block: string | Buffer): boolean
  drain(): Promise<void>
}

/** Lines of the streamed document stay below this many characters. */
const LINE_CHARS = 32 * 1024
/** Buffered bytes are written out beyond this many. */
const FLUSH_BYTES = 256 * 1024

// Quote, backslash, control characters (JSON must escape them) and surrogates (lone ones are escaped by
// JSON.stringify): names with any of these go through JSON.stringify, the rest are copied as they are.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/** JSON string body (no quotes) of a name; names rarely need escaping, so test before stringifying. */
function jsonBody(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s
}

/**
 * JSON text built in large blocks: arrays of items, a newline between items every LINE_CHARS. The text is
 * encoded into the block's bytes as it comes (each piece is small), never held as one long string: joining
 * ~200k items into strings of 256 KiB and encoding those cost more than the pieces' own encoding (and the
 * consumer's redactor reads the bytes once, src/runtime/redact.ts `redactBytes`).
 */
abstract class JsonText {
  private block = Buffer.allocUnsafe(FLUSH_BYTES * 2)
  private used = 0
  protected line = 0
  protected items = 0
  /** Whether an array is open (its `]` not written yet). */
  protected inArray = false

  protected abstract emit(block: string | Buffer): void

  /** Append text to the block (a new, larger block when it might not fit: the pieces are small). */
  protected put(text: string): void {
    if (this.used + text.length * 3 > this.block.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.block.length * 2, this.used + text.length * 3))
      this.block.copy(bigger, 0, 0, this.used)
      this.block = bigger
    }
    this.used += this.block.write(text, this.used, 'utf8')
  }

  /** Forget what is buffered (nothing was written yet). */
  protected discardBuffered(): void {
    this.used = 0
  }

  raw(text: string): void {
    this.put(text)
    const nl = text.lastIndexOf('\n')
    this.line = nl < 0 ? this.line + text.length : text.length - nl - 1
    this.flushIfFull()
  }

  /** `text` ends with the `[` of an array whose items follow. */
  openArray(text: string): void {
    this.raw(text)
    this.items = 0
    this.inArray = true
  }

  /** The next item of the open array: the first on a new line, then a new line every LINE_CHARS. */
  item(json: string): void {
    if (this.items++ === 0) {
      this.put('\n')
      this.line = 0
    } else if (this.line + json.length >= LINE_CHARS) {
      this.put(',\n')
      this.line = 0
    } else {
      this.put(',')
      this.line++
    }
    this.put(json)
    this.line += json.length
    this.flushIfFull()
  }

  /** Close the open array (`]` on its own line when it has items), followed by `text`. */
  closeArray(text: string): void {
    this.inArray = false
    this.raw(this.items > 0 ? `\n]${text}` : `]${text}`)
  }

  get count(): number {
    return this.items
  }

  private flushIfFull(): void {
    if (this.used >= FLUSH_BYTES) this.flush()
  }

  flush(): void {
    if (this.used === 0) return
    // the consumer may keep the block (an asynchronous stdout): the next one gets new memory
    const block = this.block.subarray(0, this.used)
    this.block = Buffer.allocUnsafe(FLUSH_BYTES * 2)
    this.used = 0
    this.emit(block)
  }
}

/** A side part (excluded items, warnings) spooled to a temp file (mode 0600) until the main part is done. */
class SpoolFile extends JsonText {
  private fd: number | null

  constructor(readonly path: string) {
    super()
    this.fd = openSync(path, 'wx', 0o600)
  }

  protected emit(block: string | Buffer): void {
    writeAllSync(this.fd as number, block)
  }

  /** Close and delete (after copying, or on an error). */
  discard(): void {
    try {
      if (this.fd !== null) closeSync(this.fd)
    } catch {
      // already closed
    }
    this.fd = null
    rmSync(this.path, { force: true })
  }

  /** The spooled items, in blocks cut after a newline (so between two items), then the file goes. */
  *blocks(): Generator<string> {
    this.flush()
    const fd = openSync(this.path, 'r')
    try {
      const chunk = Buffer.allocUnsafe(1 << 20)
      let carry = ''
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, null)
        if (n === 0) break
        const text = carry + chunk.toString('utf8', 0, n)
        const cut = text.lastIndexOf('\n') + 1
        carry = text.slice(cut)
        if (cut > 0) yield text.slice(0, cut)
      }
      if (carry) yield carry
    } finally {
      closeSync(fd)
      this.discard()
    }
  }
}

/** The result document itself, written to a JsonOut as it is built. */
class JsonStream extends JsonText {
  /** Set when the consumer asked to wait; the scan loop waits between folders. */
  waiting = false
  private started = false
  private done = false

  constructor(private readonly out: JsonOut) {
    super()
  }

  protected emit(block: string | Buffer): void {
    this.started = true
    if (!this.out.write(block)) this.waiting = true
  }

  async settle(): Promise<void> {
    if (!this.waiting) return
    this.waiting = false
    await this.out.drain()
  }

  /** Copy the items `part` spooled into the open array. */
  async append(part: SpoolFile): Promise<void> {
    if (part.count === 0) {
      part.discard()
      return
    }
    // The spooled text starts with the newline before its first item.
    if (this.items > 0) this.put(',')
    this.flush()
    for (const block of part.blocks()) {
      this.emit(block)
      await this.settle()
    }
    this.items += part.count
    this.line = LINE_CHARS // the next item starts a new line
  }

  end(text: string): void {
    this.raw(text)
    this.flush()
    this.done = true
  }

  /**
   * After an error: close what is open so that what was written is a valid (partial) JSON value, which the
   * command base follows with the error. Nothing is written when nothing was.
   */
  abort(): void {
    if (this.done) return
    if (!this.started) {
      this.discardBuffered()
      return
    }
    try {
      if (this.inArray) this.closeArray('')
      this.end('}')
    } catch {
      // the consumer is gone (stdout closed): nothing more can be said there
    }
  }
}

/** A fresh temp-file path for a spooled part of a streamed preview (created exclusively, mode 0600). */
export function previewTempPath(tag = 'preview'): string {
  return nodePath.join(os.tmpdir(), `usmt-steps-${tag}-${process.pid}-${randomBytes(6).toString('hex')}.json`)
}

function writeArray(f: JsonText, key: string, items: readonly unknown[]): void {
  f.openArray(`,\n${JSON.stringify(key)}:[`)
  for (const it of items) f.item(JSON.stringify(it))
  f.closeArray('')
}

/**
 * Scan and write the preview result's JSON value to `out` as the walk proceeds (one pass; the included items go
 * out as they are decided, the excluded items and the warnings are spooled to two temp files and follow),
 * holding only the totals in memory. `onWarning` sees every warning as it is found (the command logs them). On
 * an error the spooled files are deleted, and what was written is closed into a valid partial JSON value
 * before the error is thrown on.
 */
export async function streamPreviewJson(p: Prepared, out: JsonOut, onWarning?: (w: EngineWarning) => void): Promise<PreviewSummary> {
  const users = usersOf(p)
  const totals = newTotals(users)
  const doc = new JsonStream(out)
  let excluded: SpoolFile | undefined
  let warnings: SpoolFile | undefined
  try {
    const base = previewTempPath()
    excluded = new SpoolFile(`${base}.excluded`)
    warnings = new SpoolFile(`${base}.warnings`)
    const w = warnings
    const x = excluded
    const addWarning = (warning: EngineWarning): void => {
      w.item(JSON.stringify(warning))
      onWarning?.(warning)
    }
    for (const warning of p.warnings) addWarning(warning)
    doc.openArray('{"included":[')
    // Per folder: `{"path":"C:\\Dir\\` once; per unit and rule: the constant tail of an item, once.
    let lastFolder: ScanFolder | null = null
    let pathHead = ''
    const includeTail = new Map<CompiledRule, string>()
    const unitJson = new Map<Unit, string>()
    const userJson = new Map<string | null, string>()
    const ruleJson = new Map<CompiledRule | null, string>()
    const reasonJson = new Map<string, string>()
    const headOf = (folder: ScanFolder): string => {
      if (folder !== lastFolder) {
        lastFolder = folder
        pathHead = `{"path":"${jsonBody(folder.winDir)}\\\\`
      }
      return pathHead
    }
    const sink: ScanSink = {
      include(folder: ScanFolder, name: string, unit: Unit, rule: CompiledRule, st, _parameters: FileParameters | undefined) {
        let tail = includeTail.get(rule)
        if (tail === undefined) {
          let u = unitJson.get(unit)
          if (u === undefined) {
            u = `","type":"file","user":${JSON.stringify(unit.context.account)},"component":${JSON.stringify(unit.name)}`
            unitJson.set(unit, u)
          }
          tail = `${u},"rule":${JSON.stringify(rule.rule)},"bytes":`
          includeTail.set(rule, tail)
        }
        doc.item(`${headOf(folder)}${jsonBody(name)}${tail}${st.size}}`)
        count(totals, unit.context.account, unit.name, st.size)
      },
      exclude(folder: ScanFolder, name: string, user: string | null, reason: string, rule: CompiledRule | null) {
        let u = userJson.get(user)
        if (u === undefined) userJson.set(user, (u = `","user":${JSON.stringify(user)}`))
        let why = reasonJson.get(reason)
        if (why === undefined) reasonJson.set(reason, (why = `,"reason":${JSON.stringify(reason)}`))
        let r = ruleJson.get(rule)
        if (r === undefined) ruleJson.set(rule, (r = `,"rule":${JSON.stringify(rule?.rule ?? null)}}`))
        x.item(`${headOf(folder)}${jsonBody(name)}${u}${why}${r}`)
        totals.excluded++
      },
      warning: addWarning,
      registry(d) {
        if (d.included) {
          doc.item(JSON.stringify(registryIncluded(d)))
          countSetting(totals, d.user, d.component as string)
        } else {
          x.item(JSON.stringify({ path: valueDisplay(d.value), user: d.user, reason: d.reason ?? 'excluded by rule', rule: d.rule }))
          totals.excluded++
        }
      },
    }
    // The captured files' stats are made on a thread while the walk goes on (scanAhead); after each folder, wait
    // when the consumer asked to.
    await scanAhead(p, sink, () => (doc.waiting ? doc.settle() : undefined))
    // Each array closes without its comma, so that abort() can always end the value with a `}`.
    doc.closeArray('')
    doc.openArray(',\n"excluded":[')
    await doc.append(excluded)
    doc.closeArray('')
    writeArray(doc, 'users', users)
    const warningCount = warnings.count
    doc.openArray(',\n"warnings":[')
    await doc.append(warnings)
    doc.closeArray('')
    writeArray(doc, 'notEvaluated', p.notEvaluated)
    doc.end(`,\n"totals":${JSON.stringify(totals)}\n}`)
    await doc.settle()
    return { totals, users, warnings: warningCount }
  } catch (err) {
    excluded?.discard()
    warnings?.discard()
    doc.abort()
    throw err
  }
}

// ---------------------------------------------------------------- readable text (bounded)

export const FILES_PER_GROUP = 100
export const EXCLUDED_SHOWN = 500
export const WARNINGS_SHOWN = 500

interface Group { files: number; bytes: number; settings: number; shown: Array<{ path: string; bytes: number; note: string; setting?: boolean }> }

/** Words for a parameters decision in the text tree, e.g. "without TimeFields". */
export function parametersNote(pm: FileParameters | undefined | null): string {
  if (!pm) return ''
  const off = [pm.security ? null : 'Security', pm.timeFields ? null : 'TimeFields'].filter((x): x is string => x !== null)
  return off.length ? `without ${off.join(' and ')}` : ''
}

/**
 * The readable tree (users, captured files per user → component with sizes, exclusions, warnings), built
 * while scanning with bounded memory: the lists are cut at FILES_PER_GROUP / EXCLUDED_SHOWN / WARNINGS_SHOWN
 * entries, with a count of the rest. Returns the text (without the summary line) and the summary.
 */
export function previewText(p: Prepared, onWarning?: (w: EngineWarning) => void): { text: string; summary: PreviewSummary } {
  const users = usersOf(p)
  const totals = newTotals(users)
  const groups = new Map<string, Map<string, Group>>()
  const excluded: string[] = []
  const warnings: EngineWarning[] = []
  let warningCount = 0
  const addWarning = (w: EngineWarning): void => {
    warningCount++
    if (warnings.length < WARNINGS_SHOWN) warnings.push(w)
    onWarning?.(w)
  }
  for (const w of p.warnings) addWarning(w)
  const sink: ScanSink = {
    include(folder, name, unit, _rule, st, parameters) {
      const user = unit.context.account ?? 'System'
      let byComp = groups.get(user)
      if (!byComp) groups.set(user, (byComp = new Map()))
      let g = byComp.get(unit.name)
      if (!g) byComp.set(unit.name, (g = { files: 0, bytes: 0, settings: 0, shown: [] }))
      g.files++
      g.bytes += st.size
      if (g.shown.length < FILES_PER_GROUP) g.shown.push({ path: `${folder.winDir}\\${name}`, bytes: st.size, note: parametersNote(parameters) })
      count(totals, unit.context.account, unit.name, st.size)
    },
    exclude(folder, name, _user, reason, rule) {
      totals.excluded++
      if (excluded.length < EXCLUDED_SHOWN) excluded.push(`  ${folder.winDir}\\${name}: ${reason}${rule ? ` (${rule.rule})` : ''}`)
    },
    warning: addWarning,
    registry(d) {
      if (!d.included) {
        totals.excluded++
        if (excluded.length < EXCLUDED_SHOWN) excluded.push(`  ${valueDisplay(d.value)}${d.user ? ` (${d.user})` : ''}: ${d.reason ?? 'excluded by rule'}${d.rule ? ` (${d.rule})` : ''}`)
        return
      }
      const user = d.user ?? 'System'
      const comp = d.component as string
      let byComp = groups.get(user)
      if (!byComp) groups.set(user, (byComp = new Map()))
      let g = byComp.get(comp)
      if (!g) byComp.set(comp, (g = { files: 0, bytes: 0, settings: 0, shown: [] }))
      g.settings++
      if (g.shown.length < FILES_PER_GROUP) g.shown.push({ path: valueDisplay(d.value), bytes: d.value.data.length, note: `${typeName(d.value.type)} ${dataPreview(d.value, 40)}`, setting: true })
      countSetting(totals, d.user, comp)
    },
  }
  const it = scan(p, sink)
  while (!it.next().done) { /* the sink collects */ }

  const lines: string[] = ['Users:']
  for (const u of users) lines.push(`  ${u.migrated ? '+' : '-'} ${u.account} (${u.profile}): ${u.reason}`)
  lines.push('', 'Captured:')
  for (const [user, byComp] of groups) {
    const tu = totals.byUser[user]
    const settings = (n: number | undefined): string => (n ? `, ${n} settings` : '')
    lines.push(`  ${user}  ${tu.files} files, ${formatBytes(tu.bytes)}${settings(tu.settings)}`)
    for (const [comp, g] of byComp) {
      lines.push(`    ${comp}  ${g.files} files, ${formatBytes(g.bytes)}${settings(g.settings)}`)
      for (const f of g.shown) lines.push(f.setting ? `      ${f.path}  = ${f.note}` : `      ${f.path}  ${formatBytes(f.bytes)}${f.note ? `  (${f.note})` : ''}`)
      if (g.files + g.settings > g.shown.length) {
        lines.push(g.settings ? `      … ${g.files + g.settings - g.shown.length} more files and settings (--json lists them all)` : `      … ${g.files - g.shown.length} more files (--json lists every file)`)
      }
    }
  }
  if (totals.excluded) {
    lines.push('', 'Excluded:', ...excluded)
    if (totals.excluded > excluded.length) lines.push(`  … ${totals.excluded - excluded.length} more excluded files (--json lists every file)`)
  }
  if (p.registry) lines.push('', `Registry read: ${p.registry.hives.map((h) => `${h.winPath} (${h.keys} keys)`).join(', ')}`)
  if (p.notEvaluated.length) {
    lines.push('', `Not evaluated (${p.notEvaluated.length}; --json lists each under notEvaluated):`)
    for (const l of notEvaluatedSummary(p.notEvaluated)) lines.push(`  ${l}`)
  }
  if (warningCount) {
    lines.push('', `Warnings (${warningCount}; --json lists each, --verbose logs each):`)
    for (const l of warningSummary(warnings, warningCount)) lines.push(`  ${l}`)
  }
  return { text: lines.join('\n'), summary: { totals, users, warnings: warningCount } }
}

/**
 * One line per kind of not-evaluated item: the count, whether it changes what is captured and an example,
 * e.g. `Condition ×62 (changes what is captured), e.g. MigXmlHelper.DoesObjectExist(…) [MigApp.xml:400]`.
 */
export function notEvaluatedSummary(items: readonly NotEvaluated[]): string[] {
  const by = new Map<string, { n: number; capture: number; first: NotEvaluated }>()
  for (const i of items) {
    const g = by.get(i.type)
    if (g) {
      g.n++
      if (i.affectsCapture) g.capture++
    } else by.set(i.type, { n: 1, capture: i.affectsCapture ? 1 : 0, first: i })
  }
  return [...by].sort((a, b) => b[1].n - a[1].n).map(([type, g]) =>
    `${type} ×${g.n}${g.capture ? ` (${g.capture} can change what is captured)` : ''}, e.g. ${g.first.pattern || g.first.type} [${g.first.file}:${g.first.line}]${g.first.why ? `: ${g.first.why}` : ''}`)
}

/** One line per warning code: the count and the first message (the list itself can be long: MigApp.xml has 66). */
export function warningSummary(warnings: readonly EngineWarning[], total = warnings.length): string[] {
  const by = new Map<string, { n: number; first: EngineWarning }>()
  for (const w of warnings) {
    const g = by.get(w.code)
    if (g) g.n++
    else by.set(w.code, { n: 1, first: w })
  }
  const out = [...by].map(([code, g]) => `${code} ×${g.n}, e.g. ${g.first.message}${g.first.file ? ` [${g.first.file}${g.first.line ? `:${g.first.line}` : ''}]` : ''}`)
  if (total > warnings.length) out.push(`… ${total - warnings.length} more warnings not grouped here`)
  return out
}

/** A byte count for people: 512 B, 1.5 KB, 230 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`
}
