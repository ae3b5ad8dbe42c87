/**
 * What the three portable tools share: the run context, mapping internal errors to USMT return codes,
 * the main-log/progress-log session, and splitting usmt-steps flags from USMT's own arguments.
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { markErrorArg, UsmtMainLog, type ErrorSummaryRow } from '../usmt/main-log.js'
import { ProgressLogWriter } from '../usmt/progress-log.js'
import { USMT_MESSAGES, UsmtFailure, type UsmtMessageKey } from '../usmt/return-codes.js'
import { tokenize } from '../usmt/grammar.js'
import { readSealKeyFile, type CatalogSeal } from '../store/seal.js'
import type { OpenedStore } from '../store/store.js'
import { localPathOf, type VolumeMap } from '../windows/volume-map.js'

export interface PortableContext {
  /** USMT arguments (without the program name). */
  argv: string[]
  cwd: string
  volumes: VolumeMap
  /** --users FILE */
  usersFile?: string
  /** --computer NAME */
  computer?: string
  /** --attributes FILE (Windows attributes by path; Linux volumes cannot hold them). */
  attributesFile?: string
  /**
   * --applied FILE (loadstate): every catalogued file and what the restore did with it, one JSON array a line
   * ([source, destination, action, win32 error?]), for the restore step's proof.
   */
  appliedFile?: string
  /**
   * --seal-key-file FILE: the seal key of a hard-link or uncompressed store's catalog (src/store/seal.ts).
   * scanstate seals the catalog with it (creating the file with a new random key when it does not exist);
   * loadstate and usmtutils check the seal with it before anything else.
   */
  sealKeyFile?: string
  /** A warning for the command's result (`warnings` in --json, stderr otherwise). */
  warn?: (line: string) => void
  /** Version written in logs. */
  version: string
  /** Console lines (the command prints them). */
  out: (line: string) => void
  /** Progress callback for the usmt-steps progress sinks (0–100). */
  onPercent?: (percent: number, message: string) => void
  /** CMTrace logger hooks. */
  logInfo?: (line: string) => void
  logWarn?: (line: string) => void
  now?: () => Date
  /** zlib level for compressed stores. */
  compressionLevel?: number
  /** Codec of new compressed stores (auto: zstd where the runtime has it). */
  storeCodec?: 'auto' | 'zstd' | 'deflate'
  kdf?: 'scrypt' | 'pbkdf2'
}

export interface PortableResult {
  returnCode: number
  message: string
}

/** Map an internal error (store, engine, file system) to a USMT return code and documented message. */
export function toUsmtFailure(err: unknown, phase: 'gather' | 'apply' | 'utils'): UsmtFailure {
  if (err instanceof UsmtFailure) return err
  const detail = redactor.redact(err instanceof Error ? err.message : String(err))
  const f = (key: UsmtMessageKey): UsmtFailure => UsmtFailure.of(key, { detail, cause: err })
  if (err instanceof UsmtStepsError) {
    switch (err.code) {
      case 'USM0210': return f('storeMissing')
      case 'USM0211': return f('storeNotRecognized')
      case 'USM0212': return f('corruptedStore')
      case 'USM0213': return f('wrongKey')
      case 'USM0214': return f('storeAccess')
      case 'USM0215': return f('storeExists')
      case 'USM0216': return f('storeReadOnly')
      case 'USM0217': return f('corruptedStore')
      case 'USM0218': return f(phase === 'gather' ? 'storeCreation' : 'storeAccess')
      case 'USM0219': return f(/empty/.test(err.message) ? 'keyEmpty' : 'keyfileAccess')
      case 'USM0220': return f('storeRemoval')
      case 'USM0221': return f('storeNotRecognized')
      case 'USM0222': return f('corruptedStore')
      case 'USM0223': return f('keyfileAccess')
      case 'USM0104': return f('scriptMissing')
      case 'USM0105': return f('scriptInvalid')
      case 'USM0106': return f('configRead')
      case 'USM0100': case 'USM0101': case 'USM0102': case 'USM0103': case 'USM0110': case 'USM0115': return f('xmlError')
      case 'USM0108': return f('allConflicts')
      case 'USM0109': return f('userExclusion')
      case 'USM0111': case 'USM0112': return f('noWindowsDir')
      default: return f('malfunction')
    }
  }
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'ENOSPC') return f('storeDiskFull')
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return f(phase === 'apply' ? 'applyError' : 'storeReadOnly')
  return f(phase === 'gather' ? 'gatherError' : phase === 'apply' ? 'applyError' : 'malfunction')
}

/**
 * The local path of a path argument (store, /l, /progress, /i, /config, /listfiles, /keyfile, /genconfig, /p,
 * /offline, the /extract destination): Windows paths resolve through the volume map; a drive that is not mapped
 * (or a UNC path on Linux) is the return code of that argument (`failure`), never a folder named `C:\store`.
 */
export function toolPath(ctx: Pick<PortableContext, 'cwd' | 'volumes'>, p: string, failure: UsmtMessageKey): string {
  const r = localPathOf(ctx.volumes, p, ctx.cwd)
  if ('problem' in r) throw UsmtFailure.of(failure, { detail: r.problem })
  return r.path
}

/**
 * The seal key of `--seal-key-file` (a path like the tools' other path arguments), or undefined without one.
 * `create` (scanstate): a file that does not exist is created with a new random key.
 */
export function toolSealKey(ctx: Pick<PortableContext, 'cwd' | 'volumes' | 'sealKeyFile'>, create: boolean): { key: string; file: string; created: boolean } | undefined {
  if (ctx.sealKeyFile === undefined) return undefined
  const file = toolPath(ctx, ctx.sealKeyFile, 'keyfileAccess')
  return { ...readSealKeyFile(file, { create }), file }
}

/**
 * Say how a store's catalog seal was checked (loadstate, usmtutils): in the log, and as a warning when it was not
 * checked against a seal — a catalog read without its key is checked against its own digest only, which anyone
 * who can write the store can recompute. Returns the state for the result (--json); none for a compressed store.
 */
export function reportCatalogSeal(store: Pick<OpenedStore, 'kind' | 'catalogSeal'>, keyFile: string | undefined, log: Pick<UsmtMainLog, 'info' | 'warning'>, warn?: (line: string) => void): CatalogSeal | undefined {
  const say = (line: string): void => {
    log.warning(line)
    warn?.(line)
  }
  if (store.kind === 'compressed') {
    if (keyFile !== undefined) say('--seal-key-file is ignored: a compressed store has no sealed catalog (an encrypted one is authenticated by its key)')
    return undefined
  }
  const seal = store.catalogSeal ?? 'unsealed'
  if (seal === 'verified') log.info(`Catalog seal: verified with the key in ${keyFile ?? '--seal-key-file'}`)
  else if (seal === 'unchecked') say('Catalog seal: not checked — the catalog is sealed, but no --seal-key-file was given; its file list was checked against its own digest only, which does not detect a rewrite')
  else say('Catalog seal: none — the catalog is not sealed (captured without a seal key, or before catalogs were sealed); its file list was checked against its own digest only, which does not detect a rewrite')
  return seal
}

/** The /l value, read leniently so that a command line that fails to parse is still logged where asked. */
export function lenientLogPath(argv: readonly string[]): string | undefined {
  const t = tokenize(argv)
  for (let i = 0; i < t.length; i++) {
    if (t[i].name === 'l') return t[i].hasColon ? t[i].value || undefined : (t[i + 1] && t[i + 1].name === undefined ? t[i + 1].raw : undefined)
  }
  return undefined
}

/** Open the main log; a bad /l path is return code 13. */
export function openMainLog(path: string | undefined, ctx: Pick<PortableContext, 'cwd' | 'volumes'>, now: () => Date): UsmtMainLog {
  if (!path) return new UsmtMainLog(null, { clock: now, redact: (s) => redactor.redact(s) })
  const local = toolPath(ctx, path, 'logPath')
  try {
    return new UsmtMainLog(local, { clock: now, redact: (s) => redactor.redact(s) })
  } catch (err) {
    throw UsmtFailure.of('logPath', { detail: `${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, cause: err })
  }
}

export function openProgressLog(path: string | undefined, ctx: Pick<PortableContext, 'cwd' | 'volumes'>, now: () => Date, started: Date): ProgressLogWriter {
  if (!path) return new ProgressLogWriter(null)
  const local = toolPath(ctx, path, 'progressPath')
  try {
    return new ProgressLogWriter(local, { clock: now, started, redact: (s) => redactor.redact(s) })
  } catch (err) {
    throw UsmtFailure.of('progressPath', { detail: `${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, cause: err })
  }
}

/** Log a failure the way USMT does: `Failed.` with the reason, the marked command line and the message. */
export function logFailure(log: UsmtMainLog, program: string, argv: readonly string[], f: UsmtFailure, phase: 'command line' | 'run', summary: ErrorSummaryRow[] = []): void {
  const details = phase === 'command line'
    ? ['An error occurred processing the command line.', markErrorArg(program, argv, f.argIndex), f.message]
    : [f.message, ...(f.detail ? [f.detail] : [])]
  if (f.detail && phase === 'command line') details.push(f.detail)
  log.failed(details, summary)
}

/**
 * The console line for a command-line failure: USMT's message, naming the argument that caused it (the main
 * log marks it with `##ERROR## -->`), e.g. `Command line option is not valid: /bogus`, plus any detail.
 */
export function commandLineFailureText(f: UsmtFailure, argv: readonly string[]): string {
  const arg = f.argIndex !== undefined ? argv[f.argIndex] : undefined
  return `${f.message}${arg !== undefined ? `: ${arg}` : ''}${f.detail && f.returnCode !== 11 ? ` (${f.detail})` : ''}`
}

/** Counts ignored errors by code for the USMT ERROR SUMMARY block. */
export class ErrorTally {
  private readonly rows = new Map<number, ErrorSummaryRow>()
  count = 0

  add(code: number, first: string, causedAbort: boolean): void {
    this.count += causedAbort ? 0 : 1
    const r = this.rows.get(code)
    if (r) {
      r.recurrence++
      r.causedAbort ||= causedAbort
    } else {
      this.rows.set(code, { errorCode: code, causedAbort, recurrence: 1, firstOccurrence: first })
    }
  }

  summary(): ErrorSummaryRow[] {
    return [...this.rows.values()]
  }
}

/**
 * The usmt-steps flags of the portable tools (scanstate, loadstate, usmtutils), as opposed to USMT's own
 * /switches: the flags that take a value (the next argument, or `--flag=value`) and the boolean ones. The one
 * list for the tools' argv split and for reading a recorded command line back (src/report/command-line.ts);
 * test/unit/cli/portable.test.ts holds it to the oclif flags src/cli/portable.ts declares.
 */
export const PORTABLE_VALUE_FLAGS: readonly string[] = ['volume', 'removable', 'users', 'computer', 'attributes', 'applied', 'seal-key-file', 'ts-env', 'log-dir', 'progress']
export const PORTABLE_BOOL_FLAGS: readonly string[] = ['json', 'verbose', 'no-verbose']

/** Split usmt-steps' own flags (with their values) from the USMT arguments, keeping USMT's order. */
export function splitToolArgv(argv: readonly string[], valueFlags: readonly string[] = PORTABLE_VALUE_FLAGS, boolFlags: readonly string[] = PORTABLE_BOOL_FLAGS): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') continue
    const m = /^--([a-z][a-z-]*)(?:=.*)?$/.exec(a)
    if (m && valueFlags.includes(m[1])) {
      if (!a.includes('=')) i++
      continue
    }
    if (m && boolFlags.includes(m[1])) continue
    out.push(a)
  }
  return out
}

export const SUCCESS_MESSAGE = USMT_MESSAGES.success
