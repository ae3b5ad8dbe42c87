/**
 * One builder for the scanstate/loadstate command lines of the steps: typed options from the inputs, the
 * admin's extra options merged in (MDT base arguments first, then OSDMigrateAdditional*Options), USMT's
 * documented rules applied (hard-link ⇒ /nocompress, no /encrypt with /nocompress, no /vsc with /hardlink,
 * /decrypt on restore), keys moved off the command line, and every invalid combination refused before
 * anything runs (src/usmt validate…).
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import type { StoreKind } from '../store/kind.js'
import {
  assertValidOptions, emptyLoadState, emptyScanState, parseLoadStateArgs, parseScanStateArgs, UsmtFailure, validateLoadState,
  validateScanState, type LoadStateOptions, type ScanStateOptions,
} from '../usmt/index.js'
import { expandEnv, splitCommandLine } from '../windows/path.js'

export interface ExtraOptions<T> {
  options: T
  /** A /key: found in the text (MDT's AdjustArgs puts it there): taken out and used through a key file. */
  key?: string
  notes: string[]
}

/** Switches the step owns: given in the extra options they are dropped with a note. */
const OWNED = /^[/-](l|progress|listfiles)(:|$)/i

function tokens(text: string, lookup: (name: string) => string | undefined, what: string, notes: string[]): string[] {
  const unresolved = new Set<string>()
  const out = splitCommandLine(expandEnv(text, lookup, unresolved))
  if (unresolved.size > 0) notes.push(`${what}: %${[...unresolved].join('%, %')}% not defined, left as written`)
  return out
}

function extractKey(argv: string[], notes: string[], what: string): { argv: string[]; key?: string } {
  let key: string | undefined
  const kept: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const m = /^[/-]key(?::([\s\S]*))?$/i.exec(argv[i])
    if (m) {
      key = m[1] !== undefined ? m[1] : argv[i + 1]
      if (m[1] === undefined) i++
      if (key !== undefined) redactor.add(key)
      notes.push(`${what}: /key: taken off the command line; the key is passed through a protected key file`)
      continue
    }
    if (OWNED.test(argv[i])) {
      notes.push(`${what}: ${argv[i].split(':')[0]} ignored; the step writes its own logs`)
      continue
    }
    kept.push(argv[i])
  }
  return { argv: kept, key }
}

function parseOrRefuse<T>(parse: (argv: string[]) => T, argv: string[], what: string, text: string): T {
  try {
    return parse(argv)
  } catch (err) {
    if (err instanceof UsmtFailure) {
      const at = err.argIndex !== undefined ? ` at "${argv[err.argIndex]}"` : ''
      throw new UsmtStepsError('USM0302', `${what} is not a valid USMT command line: ${err.message}${at} (text: ${redactor.redact(text)})`, {
        data: { variable: what, returnCode: err.returnCode },
      })
    }
    throw err
  }
}

/** Parse extra ScanState options (ScanStateArgs, OSDMigrateAdditionalCaptureOptions). */
export function parseCaptureExtras(text: string | undefined, what: string, lookup: (n: string) => string | undefined): ExtraOptions<ScanStateOptions> {
  const notes: string[] = []
  if (!text || !text.trim()) return { options: emptyScanState(), notes }
  const { argv, key } = extractKey(tokens(text, lookup, what, notes), notes, what)
  // MDT's AdjustArgs writes "/encrypt /key:K"; with the key taken out, /encrypt keeps its meaning.
  const options = argv.length ? parseOrRefuse(parseScanStateArgs, argv, what, text) : emptyScanState()
  if (options.storePath !== undefined) {
    throw new UsmtStepsError('USM0302', `${what} names a store path (${options.storePath}); set OSDStateStorePath or --store instead`, { data: { variable: what } })
  }
  return { options, key, notes }
}

/** Parse extra LoadState options; MDT's restore bug (/encrypt /key:K on LoadState) is corrected to /decrypt. */
export function parseRestoreExtras(text: string | undefined, what: string, lookup: (n: string) => string | undefined): ExtraOptions<LoadStateOptions> {
  const notes: string[] = []
  if (!text || !text.trim()) return { options: emptyLoadState(), notes }
  const raw = tokens(text, lookup, what, notes).map((t) => {
    const m = /^[/-]encrypt(:.*)?$/i.exec(t)
    if (!m) return t
    notes.push(`${what}: /encrypt is not a LoadState option (MDT's ZTIUserState bug); read as /decrypt`)
    return `/decrypt${m[1] ?? ''}`
  })
  const { argv, key } = extractKey(raw, notes, what)
  const options = argv.length ? parseOrRefuse(parseLoadStateArgs, argv, what, text) : emptyLoadState()
  if (options.storePath !== undefined) {
    throw new UsmtStepsError('USM0302', `${what} names a store path (${options.storePath}); set OSDStateStorePath or --store instead`, { data: { variable: what } })
  }
  return { options, key, notes }
}

/** Merge `over` into `base`: lists add up (without duplicates), switches combine, single values of `over` win. */
export function mergeOptions<T extends ScanStateOptions | LoadStateOptions>(base: T, over: T): T {
  const out = { ...base } as Record<string, unknown>
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k]
    if (Array.isArray(v)) {
      const merged = [...(Array.isArray(cur) ? cur : []), ...v]
      out[k] = merged.filter((x, i) => merged.findIndex((y) => JSON.stringify(y).toLowerCase() === JSON.stringify(x).toLowerCase()) === i)
    } else if (typeof v === 'boolean') {
      out[k] = Boolean(cur) || v
    } else if (v !== undefined) {
      out[k] = v
    }
  }
  return out as T
}


export interface CaptureBuild {
  storePath: string
  xmlFiles: string[]
  configFile?: string
  continueOnError: boolean
  verbose: boolean
  skipEncryptedFiles: boolean
  vss: boolean
  hardLink: boolean
  /** Encrypt with this algorithm through the key file. */
  encrypt?: { algorithm: string; keyFile: string }
  udProfiles: string[]
  logFile: string
  progressFile: string
  offline?: { winDir?: string; winOld?: string; xml?: string }
}

/** The step's own ScanState options, before the admin's extras. */
/** What scanstate and loadstate defaults share: store, /i, /config, /v, /c, the user selection and the logs. */
function commonDefaults(o: ScanStateOptions | LoadStateOptions, b: CaptureBuild | RestoreBuild): void {
  o.storePath = b.storePath
  o.include = [...b.xmlFiles]
  o.config = b.configFile
  o.verbosity = b.verbose ? 13 : 5
  o.continueOnError = b.continueOnError
  o.ui = [...b.udProfiles]
  // Naming users means "only these": /ui alone does not narrow (everyone is migrated by default), so exclude
  // everyone else; /ui wins over /ue in USMT's precedence.
  if (b.udProfiles.length > 0) o.ue = ['*\\*']
  o.log = b.logFile
  o.progress = b.progressFile
}

export function captureDefaults(b: CaptureBuild): ScanStateOptions {
  const o = emptyScanState()
  commonDefaults(o, b)
  o.overwrite = true
  if (b.offline?.xml) o.offline = b.offline.xml
  else if (b.offline?.winOld) o.offlineWinOld = b.offline.winOld
  else if (b.offline?.winDir) o.offlineWinDir = b.offline.winDir
  return o
}

/**
 * Final ScanState options: defaults < MDT base < additional options, then the store kind's rules. Throws
 * USM0302 for combinations USMT refuses or that contradict the store (hard-link with /vsc or /encrypt).
 */
export function finishCapture(merged: ScanStateOptions, b: CaptureBuild, cwd: string): ScanStateOptions {
  const o: ScanStateOptions = { ...merged, log: b.logFile, progress: b.progressFile } // the store: set once by commonDefaults
  if (b.hardLink || o.hardlink) {
    if (b.encrypt || o.encrypt) {
      throw new UsmtStepsError('USM0302', 'a hard-link store cannot be encrypted (/encrypt needs a compressed store; USMT: "/encrypt can\'t be used with /nocompress")', {
        actions: ['Use a compressed network store for encryption, or set USMTStepsEncrypt=false for this local hard-link store.'],
      })
    }
    if (b.vss || o.vsc) {
      throw new UsmtStepsError('USM0302', 'volume shadow copy (OSDMigrateFileAccess=VSS or /vsc) cannot be used with a hard-link store (USMT: "Volume shadow copy feature is not supported with a hardlink store")', {
        actions: ['Set OSDMigrateFileAccess=Normal for a hard-link capture, or capture to a compressed store.'],
      })
    }
    o.hardlink = true
    o.noCompress = true
    if (o.efs === undefined) o.efs = b.skipEncryptedFiles ? 'skip' : 'hardlink'
  } else {
    if (b.vss) o.vsc = true
    if (o.efs === undefined) o.efs = b.skipEncryptedFiles ? 'skip' : 'copyraw'
    if (b.encrypt) {
      if (o.noCompress) {
        throw new UsmtStepsError('USM0302', 'the store must be encrypted but the options ask for /nocompress (USMT: "/encrypt can\'t be used with /nocompress")', {
          actions: ['Remove /nocompress from OSDMigrateAdditionalCaptureOptions/ScanStateArgs, or set USMTStepsEncrypt=false.'],
        })
      }
      o.encrypt = { algorithm: o.encrypt?.algorithm ?? b.encrypt.algorithm }
      o.keyFile = b.encrypt.keyFile
      o.key = undefined
    }
  }
  if (o.efs?.toLowerCase() === 'hardlink' && !o.hardlink) o.efs = 'copyraw'
  assertValidOptions('scanstate', validateScanState(o, { cwd }))
  return o
}

export interface RestoreBuild {
  storePath: string
  kind: StoreKind
  decrypt?: { algorithm: string; keyFile: string }
  xmlFiles: string[]
  configFile?: string
  continueOnError: boolean
  verbose: boolean
  udProfiles: string[]
  localAccounts: boolean
  /** Only for Microsoft's loadstate when the admin opts in (USMT: /lac:password is its only form). */
  localAccountPassword?: string
  /** /lae: enable the created accounts (not when they would be enabled without their password). */
  enableLocalAccounts: boolean
  logFile: string
  progressFile: string
}

export function restoreDefaults(b: RestoreBuild): LoadStateOptions {
  const o = emptyLoadState()
  commonDefaults(o, b)
  if (b.localAccounts) {
    o.lac = b.localAccountPassword === undefined ? {} : { password: b.localAccountPassword }
    o.lae = b.enableLocalAccounts
  }
  return o
}

export function finishRestore(merged: LoadStateOptions, b: RestoreBuild, cwd: string): LoadStateOptions {
  const o: LoadStateOptions = { ...merged, log: b.logFile, progress: b.progressFile } // the store: set once by commonDefaults
  if (b.kind === 'hardlink') {
    o.hardlink = true
    o.noCompress = true
    o.decrypt = undefined
  } else if (b.kind === 'uncompressed') {
    o.hardlink = false
    o.noCompress = true
    o.decrypt = undefined
  } else {
    o.hardlink = false
    o.noCompress = false
    if (b.decrypt) o.decrypt = { algorithm: o.decrypt?.algorithm ?? b.decrypt.algorithm }
    else o.decrypt = undefined
  }
  o.key = undefined
  o.keyFile = o.decrypt ? b.decrypt?.keyFile : undefined
  if (o.lac?.password !== undefined) redactor.add(o.lac.password)
  assertValidOptions('loadstate', validateLoadState(o, { cwd }))
  return o
}
