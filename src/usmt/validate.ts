/**
 * Every invalid combination of usmt.md §1.4, as pure functions over the typed options. Each violation
 * carries the return code and the documented message USMT prints for it. The portable tools stop at the
 * first violation (as USMT does); the capture/restore steps call the same functions before starting
 * Microsoft's binaries, so a bad combination is refused before anything runs.
 *
 * Where Microsoft documents a rule without a message (V3 /decrypt + /nocompress, V4 on LoadState, V16
 * several offline switches, V18 /uel offline) the closest documented text is used: LoadState reuses the
 * /encrypt texts, V16 reads "An option is specified more than once and is ambiguous", V18 "User exclusion
 * argument is invalid".
 */
import * as nodePath from 'node:path'
import { isAbsolute as isWinAbsolute, isUnder as isWinUnder, parseWinPath } from '../windows/path.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { USMT_ALGORITHMS, type LoadStateOptions, type ScanStateOptions, type UsmtUtilsOptions, type CommonUsmtOptions } from './options.js'
import { returnCodeOfMessage, USMT_MESSAGES, UsmtFailure, type UsmtMessageKey } from './return-codes.js'

export interface UsmtViolation {
  /** The rule of usmt.md §1.4 (V1…V25) or a value check (e.g. 'value:/v'). */
  rule: string
  returnCode: number
  message: string
}

export interface ValidateContext {
  /** Directory relative paths are resolved against (default: process.cwd()). */
  cwd?: string
  /** Windows version of the source (e.g. '10.0.19045'), when known: checks /targetwindows7 (V23). */
  sourceWindowsVersion?: string
}

const MAX_ARG = 256
const EFS_MODES = ['abort', 'skip', 'decryptcopy', 'copyraw', 'hardlink']
const VERBOSITY = new Set([0, 1, 4, 5, 8, 9, 12, 13])

function v(rule: string, key: UsmtMessageKey, code?: number): UsmtViolation {
  const message = USMT_MESSAGES[key]
  return { rule, message, returnCode: code ?? returnCodeOfMessage(message) ?? 11 }
}

function resolvePath(p: string, cwd: string): { win: boolean; path: string } {
  if (isWinAbsolute(p) || /^[A-Za-z]:/.test(p)) return { win: true, path: p }
  return { win: false, path: nodePath.resolve(cwd, p) }
}

/** True when `child` is the store folder or lies inside it (Windows paths case-insensitively). */
export function isInsideStore(child: string, store: string, cwd = process.cwd()): boolean {
  const c = resolvePath(child, cwd)
  const s = resolvePath(store, cwd)
  if (c.win !== s.win) return false
  if (c.win) return isWinUnder(c.path, s.path)
  const rel = nodePath.relative(s.path, c.path)
  return rel === '' || (!rel.startsWith('..') && !nodePath.isAbsolute(rel))
}

function isRootStore(p: string): boolean {
  const parsed = parseWinPath(p)
  if (parsed.kind === 'drive' && parsed.segments.length === 0 && /^[A-Za-z]:[\\/]?$/.test(p.trim())) return true
  return nodePath.posix.normalize(p) === '/'
}

function absoluteLength(p: string, cwd: string): number {
  return resolvePath(p, cwd).path.length
}

function validUel(uel: string): boolean {
  if (/^\d+$/.test(uel)) return true
  const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(uel)
  if (!m) return false
  const mo = Number(m[2])
  const d = Number(m[3])
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31
}

function keyChecks(o: { key?: string; keyFile?: string }, enabled: boolean, out: UsmtViolation[]): void {
  if (enabled && o.key === undefined && o.keyFile === undefined) out.push(v('V4', 'encryptNeedsKey'))
  if (o.key !== undefined && o.keyFile !== undefined) out.push(v('V4', 'keyAndKeyfile'))
  if (!enabled && (o.key !== undefined || o.keyFile !== undefined)) out.push(v('V5', 'keyWithoutEncryption'))
  if (o.key !== undefined && o.key.length === 0) out.push(v('V6', 'keyEmpty'))
  if (o.key !== undefined && o.key.length > MAX_ARG) out.push(v('V6', 'argTooLong'))
}

function algorithmCheck(alg: string | undefined, out: UsmtViolation[]): void {
  if (alg !== undefined && !(USMT_ALGORITHMS as readonly string[]).includes(alg.toUpperCase())) out.push(v('value:algorithm', 'algorithm'))
}

function commonChecks(o: CommonUsmtOptions, ctx: Required<Pick<ValidateContext, 'cwd'>>, out: UsmtViolation[]): void {
  if (o.verbosity !== undefined && !VERBOSITY.has(o.verbosity)) out.push(v('value:/v', 'verbosity'))
  if (o.retry !== undefined && (!Number.isInteger(o.retry) || o.retry < 0)) out.push(v('V21', 'retryInteger'))
  if (o.wait !== undefined && (!Number.isInteger(o.wait) || o.wait < 0)) out.push(v('V21', 'waitInteger'))
  if (o.all && (o.ui.length > 0 || o.ue.length > 0 || o.uel !== undefined)) out.push(v('V9', 'allConflicts'))
  if (o.auto !== undefined && (o.all || o.ui.length > 0 || o.ue.length > 0 || o.verbosity !== undefined)) out.push(v('V14', 'autoExcludes'))
  if (o.auto === '') out.push(v('V14', 'autoParam'))
  if ([...o.ui, ...o.ue].some((u) => u.trim() === '')) out.push(v('value:/ui/ue', 'userExclusion'))
  if (o.uel !== undefined && !validUel(o.uel)) out.push(v('value:/uel', 'userExclusion'))
  if (o.storePath !== undefined) {
    for (const f of [o.log, o.progress].filter((x): x is string => x !== undefined)) {
      if (isInsideStore(f, o.storePath, ctx.cwd)) out.push(v('logs-in-store', 'storeInvalid'))
    }
  }
  if (o.config !== undefined) {
    const cfg = resolvePath(o.config, ctx.cwd).path.toLowerCase()
    if (o.include.some((i) => resolvePath(i, ctx.cwd).path.toLowerCase() === cfg)) out.push(v('V25', 'scriptInvalid'))
  }
}

function lengthChecks(values: ReadonlyArray<string | undefined>, storePath: string | undefined, cwd: string, out: UsmtViolation[]): void {
  if (storePath !== undefined && absoluteLength(storePath, cwd) > MAX_ARG) out.push(v('length', 'storePathTooLong'))
  if (values.some((x) => x !== undefined && x !== storePath && x.length > MAX_ARG)) out.push(v('length', 'argTooLong'))
}

/** All violations of a ScanState command line, in the order USMT reports them (the first one wins). */
export function validateScanState(o: ScanStateOptions, context: ValidateContext = {}): UsmtViolation[] {
  const ctx = { cwd: context.cwd ?? process.cwd() }
  const out: UsmtViolation[] = []
  if (o.help) return out
  const offline = [o.offline, o.offlineWinDir, o.offlineWinOld].filter((x) => x !== undefined)
  if (o.genMigXml !== undefined) {
    if (o.genMigXml.trim() === '') out.push(v('V11', 'genmigxmlFile'))
    const others = o.storePath !== undefined || o.include.length > 0 || o.config !== undefined || o.genConfig !== undefined
      || o.overwrite || o.hardlink || o.noCompress || o.encrypt !== undefined || o.key !== undefined || o.keyFile !== undefined
      || o.progress !== undefined || o.listFiles !== undefined || o.estimate !== undefined || o.continueOnError
      || o.retry !== undefined || o.wait !== undefined || o.all || o.ui.length > 0 || o.ue.length > 0 || o.uel !== undefined
      || o.localOnly || o.efs !== undefined || o.vsc || offline.length > 0 || o.auto !== undefined || o.apps || o.ppkg !== undefined
    if (others) out.push(v('V11', 'genmigxmlOthers'))
    return out
  }
  if (o.genConfig !== undefined) {
    if (o.genConfig.trim() === '') out.push(v('V10', 'genconfigFile'))
    const others = o.storePath !== undefined || o.config !== undefined || o.hardlink || o.noCompress || o.encrypt !== undefined
      || o.key !== undefined || o.keyFile !== undefined || o.progress !== undefined || o.listFiles !== undefined
      || o.estimate !== undefined || o.continueOnError || o.retry !== undefined || o.wait !== undefined || o.all
      || o.ui.length > 0 || o.ue.length > 0 || o.uel !== undefined || o.localOnly || o.efs !== undefined || o.vsc
      || offline.length > 0 || o.auto !== undefined || o.apps || o.ppkg !== undefined
    if (others) out.push(v('V10', 'genconfigOthers'))
    return out
  }
  if (o.storePath === undefined) out.push(v('V19', 'storeRequired'))
  else if (isRootStore(o.storePath)) out.push(v('V19', 'storeInvalid'))
  lengthChecks([o.storePath, ...o.include, o.config, o.log, o.progress, o.listFiles, o.estimate?.path, o.keyFile,
    ...o.ui, ...o.ue, o.offline, o.offlineWinDir, o.offlineWinOld], o.storePath, ctx.cwd, out)
  if (o.hardlink && !o.noCompress) out.push(v('V1', 'hardlinkNeedsNoCompress'))
  if (o.encrypt && o.noCompress) out.push(v('V2', 'encryptNoCompress'))
  keyChecks(o, o.encrypt !== undefined, out)
  algorithmCheck(o.encrypt?.algorithm, out)
  if (o.vsc && o.hardlink) out.push(v('V7', 'vscHardlink'))
  if (o.efs !== undefined) {
    if (!EFS_MODES.includes(o.efs.toLowerCase())) out.push(v('value:/efs', 'efsParam'))
    else if (o.efs.toLowerCase() === 'hardlink' && !o.hardlink) out.push(v('V8', 'efsHardlink'))
  }
  if (o.listFiles !== undefined && o.estimate !== undefined) out.push(v('V12', 'listfilesWithP'))
  if (o.estimate && o.estimate.path === undefined && !o.noCompress) out.push(v('V13', 'legacyEstimate'))
  if (o.estimate?.path !== undefined && o.estimate.path.trim() === '') out.push(v('value:/p', 'estimatePath'))
  if (offline.length > 1) out.push(v('V16', 'ambiguous'))
  if (offline.length > 0 && o.uel !== undefined) out.push(v('V18', 'userExclusion'))
  if (o.targetWindows7 && context.sourceWindowsVersion !== undefined) {
    const [maj, min] = context.sourceWindowsVersion.split('.').map(Number)
    if (maj > 6 || (maj === 6 && min > 1)) out.push(v('V23', 'targetWindows7'))
  }
  commonChecks(o, ctx, out)
  if (o.storePath !== undefined && o.listFiles !== undefined && isInsideStore(o.listFiles, o.storePath, ctx.cwd)) out.push(v('logs-in-store', 'storeInvalid'))
  return out
}

/** All violations of a LoadState command line, in the order USMT reports them. */
export function validateLoadState(o: LoadStateOptions, context: ValidateContext = {}): UsmtViolation[] {
  const ctx = { cwd: context.cwd ?? process.cwd() }
  const out: UsmtViolation[] = []
  if (o.help) return out
  if (o.offlineSwitch !== undefined) out.push(v('V17', 'offlineApply'))
  if (o.storePath === undefined) out.push(v('V19', 'storeRequired'))
  else if (isRootStore(o.storePath)) out.push(v('V19', 'storeInvalid'))
  lengthChecks([o.storePath, ...o.include, o.config, o.log, o.progress, o.keyFile, ...o.ui, ...o.ue,
    ...o.md.map((x) => x.raw), ...o.mu.map((x) => x.raw)], o.storePath, ctx.cwd, out)
  if (o.hardlink && !o.noCompress) out.push(v('V1', 'hardlinkNeedsNoCompress'))
  if (o.decrypt && o.noCompress) out.push(v('V3', 'encryptNoCompress'))
  keyChecks(o, o.decrypt !== undefined, out)
  algorithmCheck(o.decrypt?.algorithm, out)
  if (o.lae && !o.lac) out.push(v('V15', 'laeNeedsLac'))
  for (const m of o.md) if (!m.from || !m.to || m.to.includes('*')) out.push(v('value:/md', 'mdMapping'))
  for (const m of o.mu) if (!m.from || !m.to || /[*?]/.test(m.from + m.to)) out.push(v('value:/mu', 'muMapping'))
  commonChecks(o, ctx, out)
  return out
}

/** All violations of a UsmtUtils command line. */
export function validateUsmtUtils(o: UsmtUtilsOptions): UsmtViolation[] {
  const out: UsmtViolation[] = []
  if (o.command === 'rd' && o.storeDir.trim() === '') out.push(v('V19', 'storeRequired'))
  if (o.command === 'verify' || o.command === 'extract') {
    keyChecks(o, o.decrypt !== undefined, out)
    algorithmCheck(o.decrypt?.algorithm, out)
    if (o.verbosity !== undefined && !VERBOSITY.has(o.verbosity)) out.push(v('value:/v', 'verbosity'))
  }
  return out
}

/** Throw the first violation as a UsmtFailure (for the portable tools). */
export function failOnViolation(violations: readonly UsmtViolation[]): void {
  const first = violations[0]
  if (first) throw new UsmtFailure(first.returnCode, first.message, { detail: `rule ${first.rule}` })
}

/** Throw the first violation as a UsmtStepsError USM0202 (for the steps that drive Microsoft's binaries). */
export function assertValidOptions(tool: 'scanstate' | 'loadstate' | 'usmtutils', violations: readonly UsmtViolation[]): void {
  const first = violations[0]
  if (first) {
    throw new UsmtStepsError('USM0202', `${tool}: ${first.message} (USMT return code ${first.returnCode}, rule ${first.rule})`, {
      data: { tool, rule: first.rule, returnCode: first.returnCode, violations: violations.map((x) => x.message) },
    })
  }
}
