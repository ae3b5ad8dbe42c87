/**
 * Portable ScanState: USMT's command line, logs, progress and return codes over the rule engine and the
 * three store kinds. Works on any OS against mapped volumes (`--volume C=DIR`), e.g. an offline Windows disk.
 */
import { readFileSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import * as nodePath from 'node:path'
import { captureGaps, evaluateBatches, loadRuleSet, prepare } from '../engine/index.js'
import type { ComponentDef } from '../engine/model.js'
import type { LoadedRuleSet } from '../engine/ruleset.js'
import type { IncludedFile, UserDecision, UserProfile } from '../engine/contract.js'
import { redactor } from '../runtime/redact.js'
import { completeProfiles } from '../engine/users.js'
import type { CatalogUser } from '../store/catalog.js'
import { catalogKindOf, storeKindFromSwitches, type CatalogKind } from '../store/kind.js'
import { localPathOf, type VolumeMap } from '../windows/volume-map.js'
import { readStoreKey } from '../store/crypto.js'
import { encodeRegistry, type StoredRegistryValue } from '../store/registry.js'
import type { LinkedBatch } from '../store/file-store.js'
import { capYoungGeneration } from '../runtime/young-generation.js'
import { deviceOf, StoreSession, storeState } from '../store/store.js'
import { formatConfigXml } from '../usmt/config-xml.js'
import { clusterRound, formatEstimateXml, ListFilesWriter } from '../usmt/estimate.js'
import { parseScanStateArgs } from '../usmt/grammar.js'
import type { ScanStateOptions } from '../usmt/options.js'
import type { ProgressErrorType } from '../usmt/progress-log.js'
import { USMT_MESSAGES, UsmtFailure } from '../usmt/return-codes.js'
import { failOnViolation, validateScanState } from '../usmt/validate.js'
import { invalidComponentReason, invalidFilePathReason, MAX_LONG_PATH } from '../windows/path.js'
import { classicLetters, isCloudOnly, readAttributeBits } from '../windows/file-attributes.js'
import {
  ErrorTally, logFailure, toolPath, toolSealKey, toUsmtFailure, type PortableContext, type PortableResult,
} from './common.js'
import { openToolProgress, parseToolCommandLine, startTool } from './tool-start.js'
import { configSections } from './genconfig.js'
import { decideFileError, readConfigPolicy, win32Code } from './policy.js'

/**
 * Batches of hard links left queued for the link thread while the scan reads the oldest one's outcome. Reading
 * until only one was left (as before) starved the thread while the scan refilled it: idle 270 ms of its 1.9 s at
 * 200k files; 2.72 s → 2.50 s median of 9 interleaved runs (bench/scale's hard-link capture, 2-core VM).
 */
const LINK_BATCHES_QUEUED = 3

export interface ScanStateResult extends PortableResult {
  storePath?: string
  kind?: CatalogKind
  files: number
  bytes: number
  /** Registry values captured (operating-system and application settings). */
  settings: number
  ignoredErrors: number
  users: UserDecision[]
  estimate?: { storeBytes: number; path?: string }
  listFiles?: string
  genConfig?: string
  /** Not-evaluated rule items that change what is captured (return code 3). */
  notEvaluated?: number
  /** Hard-link and uncompressed stores: whether the catalog is sealed (--seal-key-file). */
  sealed?: boolean
}

export const SCANSTATE_HELP = `usmt-steps scanstate — portable ScanState (USMT syntax; options start with / or -, case-insensitive)

  usmt-steps scanstate [--volume C=DIR…] [--removable E=DIR…] [--users FILE] [--computer NAME] [--attributes FILE]
    StorePath /i:[Path\\]FileName… [/config:FILE] [/o] [/c] [/hardlink /nocompress | /nocompress]
    [/encrypt[:AES_256] /key:KeyString | /keyfile:FILE] [/l:FILE] [/v:N] [/progress:FILE] [/listfiles:FILE]
    [/p[:FILE]] [/all | /ui:DOMAIN\\user… /ue:DOMAIN\\user… /uel:N|yyyy/mm/dd] [/localonly] [/efs:MODE]
    [/offline:FILE | /offlinewindir:DIR | /offlinewinold:DIR] [/r:N] [/w:N] [/genconfig:FILE]

Return codes are USMT's (0 success, 3 errors ignored with /c, 11 invalid command line, 27 store location …).`

function progressErrorType(err: unknown): ProgressErrorType {
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'ENOSPC') return 'UnableToCopy'
  if (code === 'EXDEV') return 'UnableToAccessDevice'
  return 'UnableToOpen'
}

function readUsers(file: string | undefined): UserProfile[] | undefined {
  if (!file) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw UsmtFailure.of('malfunction', { detail: `--users ${file}: ${(err as Error).message}`, cause: err })
  }
  if (!Array.isArray(parsed)) throw UsmtFailure.of('malfunction', { detail: `--users ${file}: expected a JSON array` })
  return parsed as UserProfile[]
}

/**
 * The users a store records: every migrated user with its last use on the source (from --users
 * `lastUse`, else the NTUSER.DAT modification time, as the engine decides /uel), so that LoadState can
 * honour /uel against the capture.
 */
export function catalogUsers(volumes: VolumeMap, users: readonly UserDecision[], given: readonly UserProfile[] | undefined): CatalogUser[] {
  const byAccount = new Map((given ?? []).map((u) => [u.account.toLowerCase(), u] as const))
  const migrated = users.filter((u) => u.migrated)
  const completed = completeProfiles(volumes, migrated.map((u) => ({
    account: u.account, profile: u.profile, sid: u.sid, lastUse: byAccount.get(u.account.toLowerCase())?.lastUse,
  })))
  return completed.map((u) => ({ account: u.account, profile: u.profile, ...(u.sid ? { sid: u.sid } : {}), ...(u.lastUse ? { lastUse: u.lastUse } : {}) }))
}

/**
 * The attributes file: letters for the rules (hidden+system), and the cloud-only files (RecallOnDataAccess,
 * RecallOnOpen, Offline): reading one would recall it from the cloud, which fails as it does for USMT running
 * as SYSTEM (ERROR_CLOUD_FILE_ACCESS_DENIED, 395), so the scan reports that error instead of reading it.
 */
function readAttributes(file: string | undefined): { letters: Map<string, string>; cloudOnly: Set<string> } | undefined {
  if (!file) return undefined
  let bits
  try {
    bits = readAttributeBits(file)
  } catch (err) {
    throw UsmtFailure.of('malfunction', { detail: `--attributes ${file}: ${(err as Error).message}`, cause: err })
  }
  const letters = new Map<string, string>()
  const cloudOnly = new Set<string>()
  for (const [k, v] of bits) {
    letters.set(k, classicLetters(v.bits))
    if (isCloudOnly(v.bits)) cloudOnly.add(k)
  }
  return { letters, cloudOnly }
}

/** The error reading a cloud-only file gives (ERROR_CLOUD_FILE_ACCESS_DENIED). */
function cloudFileError(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} is a cloud-only file: its content is not on this disk`), { code: 'ECLOUDFILE', win32: 395 })
}

/**
 * The seal key of a hard-link or uncompressed store (--seal-key-file, created when missing); said in the log
 * either way. A compressed store is not sealed: the key is ignored with a warning (encrypt it to authenticate it).
 */
function captureSeal(ctx: PortableContext, kind: CatalogKind, log: { info(line: string): void; warning(line: string): void }): string | undefined {
  if (kind === 'compressed') {
    if (ctx.sealKeyFile !== undefined) {
      const why = '--seal-key-file is ignored: it seals the catalog of hard-link and uncompressed stores; a compressed store is authenticated by its encryption key (/encrypt)'
      log.warning(why)
      ctx.warn?.(why)
    }
    return undefined
  }
  const seal = toolSealKey(ctx, true)
  log.info(seal
    ? `The catalog is sealed with the key in ${seal.file}${seal.created ? ' (created with a new random key)' : ''}`
    : 'The catalog is not sealed (no --seal-key-file): a rewrite of it that recomputes its digest cannot be told from the capture')
  return seal?.key
}

/** Check /i files exist and are migration XML (a Config.xml passed with /i is return code 28). */
function checkScripts(o: ScanStateOptions | { include: string[] }, ctx: Pick<PortableContext, 'cwd' | 'volumes'>): string[] {
  return o.include.map((f) => {
    const p = toolPath(ctx, f, 'scriptMissing')
    let head: string
    try {
      head = readFileSync(p, 'utf8').slice(0, 4096)
    } catch (err) {
      throw UsmtFailure.of('scriptMissing', { detail: `${f}: ${(err as NodeJS.ErrnoException).code ?? err}`, cause: err })
    }
    if (/<\s*Configuration[\s>]/i.test(head.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '').trimStart().slice(0, 200))) {
      throw UsmtFailure.of('scriptInvalid', { detail: `${f} is a Config.xml; pass it with /config:` })
    }
    return p
  })
}

/** Resolve an offline switch against the mapped volumes; no Windows folder found → 26. */
function checkOffline(o: ScanStateOptions, ctx: PortableContext): string | undefined {
  const candidates: string[] = []
  if (o.offlineWinDir) candidates.push(o.offlineWinDir)
  if (o.offlineWinOld) candidates.push(o.offlineWinOld)
  if (o.offline) {
    let xml: string
    try {
      xml = readFileSync(toolPath(ctx, o.offline, 'offlinePath'), 'utf8')
    } catch (err) {
      throw UsmtFailure.of('offlinePath', { detail: `${o.offline}: ${(err as NodeJS.ErrnoException).code ?? err}` })
    }
    const win = /<winDir>([\s\S]*?)<\/winDir>/i.exec(xml)?.[1] ?? ''
    for (const m of win.matchAll(/<path>([\s\S]*?)<\/path>/gi)) candidates.push(m[1].split(',')[0].trim())
  }
  if (candidates.length === 0) return undefined
  for (const c of candidates) {
    const local = localPathOf(ctx.volumes, c, ctx.cwd)
    if ('problem' in local) continue
    try {
      if (statSync(local.path).isDirectory()) return c
    } catch {
      // try the next one
    }
  }
  throw UsmtFailure.of('noWindowsDir', { detail: `none of ${candidates.join(', ')} is a folder on a mapped volume` })
}

/**
 * For a hard-link store: a check, per drive (once), that the drive's folder is on the store's device;
 * otherwise 27 "The store save location is read-only or does not support a requested storage option".
 */
function hardLinkDeviceCheck(kind: CatalogKind, storeRoot: string, volumes: VolumeMap): (winPath: string) => void {
  if (kind !== 'hardlink') return () => undefined
  let storeDev: number | undefined
  const checked = new Set<string>()
  /** The first character of the last path checked (its drive letter as written): most files share it. */
  let lastFirst = -1
  return (winPath) => {
    if (winPath.charCodeAt(0) === lastFirst) return
    lastFirst = winPath.charCodeAt(0)
    const letter = winPath.slice(0, 2).toUpperCase()
    if (checked.has(letter)) return
    checked.add(letter)
    const v = volumes.get(letter)
    if (!v) return
    storeDev ??= deviceOf(storeRoot)
    if (statSync(v.root).dev !== storeDev) {
      throw UsmtFailure.of('storeReadOnly', { detail: `the hard-link store ${storeRoot} is on another device than drive ${letter} (${v.root}); a hard-link store must be on the volume of the data` })
    }
  }
}

/** A name as it can be logged: control characters (a newline in a file name) as \xNN. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex -- exactly the control characters are replaced
  return s.replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/**
 * Why a source file cannot be migrated under its name: its Windows path breaks the table of Windows path rules
 * (CON, nul.txt, a:b, q?, a trailing dot or space, a newline …), or one of its local names holds a backslash
 * (which the Windows path would read as two names). Null when the name is fine.
 */
export function sourceNameProblem(f: Pick<IncludedFile, 'path' | 'localPath'>, volumes: VolumeMap): string | null {
  const why = invalidFilePathReason(f.path)
  if (why) return why
  const vol = volumes.volumeOf(f.path)
  if (!vol) return null
  const rel = nodePath.relative(vol.root, f.localPath)
  if (rel === '' || rel.startsWith('..') || nodePath.isAbsolute(rel)) return null
  for (const name of rel.split(nodePath.sep)) {
    const w = invalidComponentReason(name)
    if (w) return `${w}: "${printable(name)}"`
  }
  return null
}

/**
 * `sourceNameProblem` for files that arrive folder by folder (the engine's walk): each folder's names are
 * checked once (Windows and local), then each file only by its own name; anything suspicious takes the full
 * check, so the answer (and its wording) is always sourceNameProblem's.
 */
export function sourceNameChecker(volumes: VolumeMap): (f: Pick<IncludedFile, 'path' | 'localPath'>) => string | null {
  // The last folder (Windows and local), compared in place with each file's: no per-file copy of a folder's path.
  let lastDir: string | null = null
  let lastLocalDir: string | null = null
  /** 'ok': every folder name is valid; 'outside': the local folder is not below its volume (no local names to check). */
  let state: 'ok' | 'outside' | 'full' = 'full'
  return (f) => {
    const cut = f.path.lastIndexOf('\\')
    const lcut = f.localPath.lastIndexOf(nodePath.sep)
    if (cut < 2 || lcut < 0 || f.path.length > MAX_LONG_PATH) return sourceNameProblem(f, volumes)
    if (lastDir === null || lastLocalDir === null || lastDir.length !== cut || lastLocalDir.length !== lcut || !f.path.startsWith(lastDir) || !f.localPath.startsWith(lastLocalDir)) {
      const dir = f.path.slice(0, cut)
      const localDir = f.localPath.slice(0, lcut)
      lastDir = dir
      lastLocalDir = localDir
      state = 'full'
      const vol = volumes.volumeOf(f.path)
      if (invalidFilePathReason(`${dir}\\a`) === null && vol) {
        const rel = nodePath.relative(vol.root, localDir || nodePath.sep)
        if (rel.startsWith('..') || nodePath.isAbsolute(rel)) state = 'outside'
        else if (rel === '' || rel.split(nodePath.sep).every((n) => invalidComponentReason(n) === null)) state = 'ok'
      }
    }
    if (state === 'full') return sourceNameProblem(f, volumes)
    if (invalidComponentReason(f.path.slice(cut + 1)) !== null) return sourceNameProblem(f, volumes)
    if (state === 'ok' && invalidComponentReason(f.localPath.slice(lcut + 1)) !== null) return sourceNameProblem(f, volumes)
    return null
  }
}

/**
 * A test for "is this local path one of these files or folders, or inside one" (the store, the logs),
 * asked once per scanned file: the roots are resolved once, the test is a prefix comparison
 * (case-insensitive where the OS is).
 */
export function insideAny(roots: readonly string[]): (local: string) => boolean {
  const fold = process.platform === 'win32' || process.platform === 'darwin' ? (s: string): string => s.toLowerCase() : (s: string): string => s
  const exact = roots.map((r) => fold(nodePath.resolve(r)))
  const prefixes = exact.map((r) => (r.endsWith(nodePath.sep) ? r : r + nodePath.sep))
  return (local) => {
    const l = fold(local)
    for (let i = 0; i < exact.length; i++) if (l === exact[i] || l.startsWith(prefixes[i])) return true
    return false
  }
}

export async function runScanState(ctx: PortableContext): Promise<ScanStateResult> {
  const program = 'scanstate'
  const result: ScanStateResult = { returnCode: 0, message: USMT_MESSAGES.success, files: 0, bytes: 0, settings: 0, ignoredErrors: 0, users: [] }
  const start = startTool(ctx, program, 'gather')
  if (start instanceof UsmtFailure) return { ...result, returnCode: start.returnCode, message: start.message }
  const { now, started, log } = start
  const parsed = parseToolCommandLine(ctx, log, { program, phase: 'gather', help: SCANSTATE_HELP }, () => {
    const o = parseScanStateArgs(ctx.argv)
    if (o.key !== undefined) redactor.add(o.key)
    return o
  }, (o) => {
    failOnViolation(validateScanState(o, { cwd: ctx.cwd }))
    if (o.encrypt?.algorithm !== undefined && !['AES', 'AES_256'].includes(o.encrypt.algorithm.toUpperCase())) {
      throw UsmtFailure.of('algorithm', { detail: 'the portable store encrypts with AES-256-GCM only (/encrypt or /encrypt:AES_256)' })
    }
    if (o.genMigXml !== undefined) throw UsmtFailure.of('optionNotValid', { detail: '/genmigxml (the document finder) is not available in the portable tool' })
  })
  if ('exit' in parsed) return { ...result, ...parsed.exit }
  const o: ScanStateOptions = parsed.options
  const opened = openToolProgress(ctx, start, { program, phase: 'gather' }, o.progress)
  if ('exit' in opened) return { ...result, ...opened.exit }
  const { progress } = opened
  const computer = ctx.computer ?? 'PC'
  log.info('Starting the migration process')
  const tally = new ErrorTally()
  let session: StoreSession | null = null
  let listFiles: ListFilesWriter | null = null
  // The scan's memory does not grow with the number of files; nor does V8's young generation (see the module).
  const young = capYoungGeneration()
  try {
    const offlineDir = checkOffline(o, ctx)
    if (offlineDir) log.info(`Offline Windows directory: ${offlineDir}`)
    for (const [flag, on] of [['/vsc', o.vsc], ['/apps', o.apps], ['/ppkg', o.ppkg !== undefined], ['/targetwindows7', o.targetWindows7], ['/targetwindows8', o.targetWindows8]] as const) {
      if (on) log.warning(`${flag} has no effect in the portable tool (no volume shadow copies, app scanning or provisioning packages here)`)
    }
    if (o.efs) log.info(`EFS option /efs:${o.efs}: EFS files cannot be recognised on mapped volumes; files are read as they are`)
    const include = [...o.include]
    if (o.auto !== undefined) {
      const dir = o.auto === true ? ctx.cwd : o.auto
      include.push(nodePath.join(dir, 'MigDocs.xml'), nodePath.join(dir, 'MigApp.xml'))
    }
    const scripts = checkScripts({ include }, ctx)
    for (const s of scripts) log.info(`Script file specified: ${s}`)
    const configFile = o.config === undefined ? undefined : toolPath(ctx, o.config, 'configFile')
    const policy = readConfigPolicy(configFile)
    if (configFile) log.info(`Config file specified: ${configFile}`)
    for (const r of policy.fileErrors) log.info(`ErrorControl: ${r.kind} errorCode=${r.errorCode} ${r.pattern}`)
    if (policy.createHardLink.length || policy.errorHardLink.length) log.info('HardLinkStoreControl: files are never locked on mapped volumes; the <fileLocked> rules do not change the result')
    const ruleSet = await loadRuleSet({ ruleFiles: scripts, configFile })
    const profiles = readUsers(ctx.usersFile)
    for (const w of ruleSet.warnings) log.warning(`${w.file ? `${w.file}${w.line ? `:${w.line}` : ''}: ` : ''}${w.message}`)

    if (o.genConfig !== undefined) {
      const file = toolPath(ctx, o.genConfig, 'genconfigFile')
      if (!o.overwrite && statSync(file, { throwIfNoEntry: false }) !== undefined) {
        throw UsmtFailure.of('cannotOverwrite', { detail: file })
      }
      log.info(`Producing the configuration file ${file}`)
      const model = (ruleSet as LoadedRuleSet).model
      let present: ((c: ComponentDef) => boolean) | undefined
      if (ctx.volumes.volumes.length > 0) {
        // Like ScanState, list the components present on this machine (the engine's detection).
        const prepared = prepare({ ruleFiles: scripts, ruleSet, volumes: ctx.volumes, users: profiles, computer, now: now() })
        const detected = new Set(prepared.units.filter((u) => u.detected).map((u) => u.component.index))
        present = (c) => detected.has(c.index)
      } else {
        log.info('No volume is mapped (--volume): every component of the /i files is listed, detected or not')
      }
      const gen = configSections(model, present)
      for (const name of gen.notDetected) log.info(`Component not detected on this machine, not listed: ${name}`)
      try {
        await writeFile(file, formatConfigXml(gen.sections))
      } catch (err) {
        throw UsmtFailure.of('genconfigFile', { detail: `${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, cause: err })
      }
      log.info(`Configuration file written: ${gen.listed} components (${gen.sections.applications.length} application, ${gen.sections.documents.length} document and ${gen.sections.windowsComponents.length} Windows component entries at the top level)`)
      ctx.out(`${gen.listed} components written to ${file}`)
      result.genConfig = file
      progress.final(0, 0, USMT_MESSAGES.success)
      log.success([], 0)
      return result
    }

    const storeRoot = toolPath(ctx, o.storePath as string, 'storePathInvalid')
    result.storePath = storeRoot
    const kind = catalogKindOf(storeKindFromSwitches(o))
    result.kind = kind
    const estimateOnly = o.estimate !== undefined
    if (!estimateOnly) {
      const st = await storeState(storeRoot)
      if (st.exists && !o.overwrite) throw UsmtFailure.of('storeExists', { detail: storeRoot })
    }
    const secret = o.encrypt ? await readStoreKey({ key: o.key, keyFile: o.keyFile === undefined ? undefined : toolPath(ctx, o.keyFile, 'keyfileAccess') }) : undefined
    const seal = estimateOnly ? undefined : captureSeal(ctx, kind, log)
    if (!estimateOnly && kind !== 'compressed') result.sealed = seal !== undefined

    // Scanning: users and the files the rules include. Files are stored as the walk finds them (hard links on a
    // background thread, compressed and mirror stores file by file): no list of every included file is kept, so
    // memory does not grow with the number of files; only the totals, components and users are.
    progress.phase('Scanning')
    log.info('Examining the system to discover the migration units')
    const settings: StoredRegistryValue[] = []
    const attributes = readAttributes(ctx.attributesFile)
    const isCloud = (f: IncludedFile): boolean => attributes !== undefined && attributes.cloudOnly.has(f.path.toLowerCase())
    /** Cloud-only files of a hard-link store (not linked: they are settled with their error after the links). */
    const cloudLater: IncludedFile[] = []
    const outputs = ([[o.log, 'logPath'], [o.progress, 'progressPath'], [o.listFiles, 'listfilesPath']] as const).filter(([p]) => p !== undefined)
    const inStore = insideAny([storeRoot, ...outputs.map(([p, key]) => toolPath(ctx, p as string, key))])
    let pipeline: ReturnType<StoreSession['startLinkPipeline']> = null
    const sameDevice = hardLinkDeviceCheck(kind, storeRoot, ctx.volumes)
    if (!estimateOnly) {
      if (o.listFiles !== undefined) {
        try {
          listFiles = new ListFilesWriter(toolPath(ctx, o.listFiles, 'listfilesPath'))
        } catch (err) {
          throw UsmtFailure.of('listfilesPath', { detail: String(err) })
        }
      }
      session = await StoreSession.create(storeRoot, { kind, overwrite: o.overwrite, secret, kdf: ctx.kdf, level: ctx.compressionLevel, codec: ctx.storeCodec, sealKey: seal })
      pipeline = session.startLinkPipeline()
      log.info(`Saving to a ${kind} store in ${storeRoot}${secret !== undefined ? ' (encrypted, AES-256-GCM)' : ''} while scanning${pipeline ? ' (hard links made on a background thread)' : ''}`)
    }
    const store = session
    let fileCount = 0
    let totalBytes = 0
    let clusterBytes = 0
    const components = new Map<string, Set<string>>()
    const addComponent = (user: string | null, component: string): void => {
      const key = user ?? 'This Computer'
      let set = components.get(key)
      if (!set) components.set(key, set = new Set())
      set.add(component)
    }
    /** Users in the order their files were stored (the progress log lists them under Collecting). */
    const collectingUsers: string[] = []
    let lastUser: string | null | undefined
    let done = 0
    let saving = false
    const reportPercent = (detail: string): void => {
      // While the scan stores files the total is not known yet: the caller hears of each file at 0 %.
      if (!saving) return ctx.onPercent?.(0, detail)
      const pct = totalBytes > 0 ? (done / totalBytes) * 100 : 100
      progress.percent(Math.min(99, pct))
      ctx.onPercent?.(pct, detail)
    }
    const verbose = ((o.verbosity ?? 0) & 1) !== 0
    /** The users in the order their files come (the progress log lists them under Collecting). */
    const noteUser = (user: string | null): void => {
      if (user === lastUser) return
      lastUser = user
      const u = user ?? 'This Computer'
      if (saving) progress.collectingUser(u)
      else if (!collectingUsers.includes(u)) collectingUsers.push(u)
    }
    /** A stored file in the /listfiles list and the verbose log. */
    const listStored = (path: string): void => {
      listFiles?.add(path)
      if (verbose) log.info(`Stored ${path}`)
    }
    /** A file that could not be stored: its error decided by /c and ErrorControl (ignored, or the run stops). */
    const failedFile = (path: string, err: unknown): void => {
      if (!(err as NodeJS.ErrnoException)?.code || (err as { name?: string }).name === 'UsmtStepsError') throw err
      const code = win32Code(err)
      if (code === 112) throw err
      const decision = decideFileError(policy, path, code, o.continueOnError)
      progress.error(progressErrorType(err), path, decision.ignore ? 'Ignore' : 'Abort', code)
      const line = `Read error ${code} for ${path}${decision.rule ? ` (ErrorControl ${decision.rule.kind} ${decision.rule.pattern})` : ''}`
      log.error(line)
      tally.add(code, `Read error ${code} for ${path}`, !decision.ignore)
      if (!decision.ignore) {
        log.error('USMT is shutting down due to errors. If the error is non-fatal, you can use /c to ignore these errors and continue migration.')
        throw UsmtFailure.of('ioStopped', { detail: line })
      }
    }
    /** Account for one file: stored, or its error. */
    const settle = (f: IncludedFile, err: unknown): void => {
      noteUser(f.user)
      if (err === null) {
        result.files++
        result.bytes += f.bytes
        listStored(f.path)
      } else {
        failedFile(f.path, err)
      }
      done += f.bytes
      reportPercent(f.path)
    }
    /**
     * Account for a batch of links, in order (their users were noted as they were queued). The linked files' paths
     * are read back from the store only for /listfiles and a verbose log.
     */
    const settleBatch = (b: LinkedBatch): void => {
      if (listFiles !== null || verbose) {
        const paths = b.paths()
        for (let i = 0, j = 0, k = 0; i < b.count; i++) {
          const f = b.failed[k]
          if (f?.index === i) {
            k++
            failedFile(f.path, f.error)
          } else {
            listStored(paths[j++])
          }
        }
      } else {
        for (const f of b.failed) failedFile(f.path, f.error)
      }
      result.files += b.linked
      result.bytes += b.linkedBytes
      done += b.bytes
      reportPercent(b.lastPath())
    }
    const prepared = prepare({
      ruleFiles: scripts, configFile, ruleSet, volumes: ctx.volumes, users: profiles, computer,
      selection: { ui: o.ui, ue: o.ue, uel: o.uel, all: o.all, localOnly: o.localOnly }, now: now(), attributes: attributes?.letters,
    })
    // What the portable engine does not evaluate is logged, never dropped (the conditions are logged here too).
    for (const ne of prepared.notEvaluated) {
      log.warning(`Not evaluated: ${ne.type} ${ne.pattern} (${ne.file}:${ne.line}, component "${ne.component}")${ne.why ? `: ${ne.why}` : ''}`)
    }
    const gaps = captureGaps(prepared)
    const sourceName = sourceNameChecker(ctx.volumes)
    let events = 0
    for (const batch of evaluateBatches(prepared)) for (const ev of batch) {
      if ((++events & 1023) === 0) young.check()
      if (ev.kind === 'user') {
        result.users.push(ev.user)
        progress.detectedUser(ev.user.account, ev.user.migrated)
        log.info(`User ${ev.user.account} (${ev.user.profile}): ${ev.user.migrated ? 'migrated' : 'not migrated'}; ${ev.user.reason}`)
      } else if (ev.kind === 'include') {
        if (inStore(ev.file.localPath)) continue
        const badName = sourceName(ev.file)
        if (badName !== null) {
          // A name Windows cannot hold (ERROR_INVALID_NAME, 123) is a file error like an unreadable file:
          // /c or a <nonFatal> rule skips and lists it (return code 3), otherwise the capture stops naming it.
          const shown = printable(ev.file.path)
          const decision = decideFileError(policy, ev.file.path, 123, o.continueOnError)
          progress.error('UnableToOpen', shown, decision.ignore ? 'Ignore' : 'Abort', 123)
          const line = `Invalid name 123 for ${shown}: ${badName}; Windows cannot hold this name, the file is not migrated${decision.rule ? ` (ErrorControl ${decision.rule.kind} ${decision.rule.pattern})` : ''}`
          log.error(line)
          tally.add(123, `Invalid name 123 for ${shown}`, !decision.ignore)
          if (!decision.ignore) {
            log.error('USMT is shutting down due to errors. If the error is non-fatal, you can use /c to ignore these errors and continue migration.')
            throw UsmtFailure.of('ioStopped', { detail: line })
          }
          continue
        }
        const f = ev.file
        fileCount++
        totalBytes += f.bytes
        clusterBytes += clusterRound(f.bytes)
        addComponent(f.user, f.component)
        if (!store) continue
        if (pipeline && isCloud(f)) {
          cloudLater.push(f)
        } else if (pipeline) {
          sameDevice(f.path)
          noteUser(f.user)
          pipeline.queue(f)
          // Read the outcomes of finished batches as the walk goes on: a bounded number of files in flight.
          if (pipeline.unread() > LINK_BATCHES_QUEUED) for await (const batch of pipeline.outcomes(LINK_BATCHES_QUEUED)) settleBatch(batch)
        } else {
          let error: unknown = null
          try {
            if (isCloud(f)) throw cloudFileError(f.path)
            await store.addFile(f)
          } catch (err) {
            error = err
          }
          settle(f, error)
        }
      } else if (ev.kind === 'registry') {
        const v = ev.value
        if (v.included) {
          settings.push({ key: v.key, name: v.name, type: v.type, data: v.data, user: v.user, component: v.component as string })
          addComponent(v.user, v.component as string)
          if (verbose) log.info(`Registry ${v.key} [${v.name}] (${v.user ?? 'System'}): ${v.rule}`)
        } else if (verbose) {
          log.info(`Excluded ${v.key} [${v.name}]: ${v.reason}`)
        }
      } else if (ev.kind === 'warning') {
        if (ev.warning.code === 'condition-not-evaluated') continue
        log.warning(`${ev.warning.message}${ev.warning.path ? ` (${ev.warning.path})` : ''}`)
      } else if (verbose) {
        log.info(`Excluded ${ev.file.path}: ${ev.file.reason}`)
      }
    }
    for (const [user, comps] of components) for (const c of comps) progress.component(user, c, true)
    progress.phase('Collecting')
    progress.totalSize(totalBytes)
    log.info(`${fileCount} files (${totalBytes} bytes) and ${settings.length} registry values selected for migration`)
    const perUnit = new Map<string, number>()
    for (const v of settings) {
      const k = `${v.user ?? 'This Computer'} / ${v.component}`
      perUnit.set(k, (perUnit.get(k) ?? 0) + 1)
    }
    for (const [k, n] of perUnit) log.info(`Registry settings: ${k}: ${n}`)

    if (estimateOnly) {
      progress.phase('Estimating')
      // Registry values travel in the catalog of every store kind (a hard-link store too): their names and data count.
      const settingBytes = settings.reduce((n, v) => n + Buffer.byteLength(v.key) + Buffer.byteLength(v.name) + v.data.length, 0)
      const storeBytes = (kind === 'hardlink' ? 0 : clusterBytes) + (settingBytes ? clusterRound(settingBytes) : 0)
      const est = { storeBytes, clusterSize: 4096, temporaryBytes: Math.min(totalBytes, 64 << 20) + fileCount * 512 }
      result.estimate = { storeBytes }
      if (o.estimate?.path !== undefined) {
        const file = toolPath(ctx, o.estimate.path, 'estimatePath')
        try {
          await writeFile(file, formatEstimateXml(est))
        } catch (err) {
          throw UsmtFailure.of('estimatePath', { detail: `${file}: ${(err as NodeJS.ErrnoException).code ?? err}` })
        }
        result.estimate.path = file
        log.info(`Space estimate written to ${file}`)
      } else {
        const file = nodePath.join(storeRoot, 'USMTsize.txt')
        await mkdir(storeRoot, { recursive: true })
        await writeFile(file, `${storeBytes}\r\n`)
        result.estimate.path = file
      }
      ctx.out(`Estimated store size: ${storeBytes} bytes (${fileCount} files)`)
      progress.final(0, 0, USMT_MESSAGES.success)
      log.success([], 0)
      return result
    }

    // Saving: what the scan stored is accounted for in the progress log; the rest of the links are read.
    progress.phase('Saving')
    progress.percent(0)
    for (const u of collectingUsers) progress.collectingUser(u)
    saving = true
    reportPercent('')
    if (!session) throw new Error('no store session after the scan')
    if (pipeline) {
      for await (const batch of pipeline.outcomes()) settleBatch(batch)
      for (const f of cloudLater) settle(f, cloudFileError(f.path))
    }
    await listFiles?.close()
    listFiles = null
    const r = await session.commit({
      kind, encrypted: secret !== undefined, created: started.toISOString(), computer, tool: `usmt-steps scanstate ${ctx.version} on ${hostname()}`,
      users: catalogUsers(ctx.volumes, result.users, profiles),
      ruleFiles: scripts.map((s) => nodePath.basename(s)), ignoredErrors: tally.count,
      ...(settings.length ? { registry: encodeRegistry(settings) } : {}),
    })
    result.settings = settings.length
    session = null
    result.ignoredErrors = tally.count
    if (o.listFiles !== undefined) result.listFiles = toolPath(ctx, o.listFiles, 'listfilesPath')
    progress.percent(100)
    log.info(`Store complete: ${r.files} files, ${settings.length} registry values, ${r.bytesIn} bytes${r.bytesStored !== undefined ? `, ${r.bytesStored} bytes stored` : ''}`)
    if (tally.count > 0) {
      result.returnCode = 3
      result.message = USMT_MESSAGES.wouldHaveFailed
    }
    if (gaps.length > 0) {
      // The store is complete for what the engine evaluates, but it is not what USMT would capture: say so (3, not 0).
      result.returnCode = 3
      result.notEvaluated = gaps.length
      if (tally.count === 0) result.message = `${gaps.length} rule item(s) that change what is captured are not evaluated by the portable engine (see the "Not evaluated" warnings in the log)`
      log.warning(`${gaps.length} not-evaluated rule item(s) change what is captured (registry, Ini or content objects, assumed conditions, unevaluated filters); return code 3`)
    }
    progress.final(result.returnCode, tally.count, result.returnCode === 0 ? USMT_MESSAGES.success : result.message)
    log.success(tally.summary(), tally.count)
    ctx.out(`${gaps.length ? `${gaps.length} rule items not evaluated (return code 3); ` : ''}${result.files} files${settings.length ? ` and ${settings.length} registry values` : ''} captured to ${storeRoot} (${kind}${secret !== undefined ? ', encrypted' : ''}${seal !== undefined ? ', catalog sealed' : ''})${tally.count ? `, ${tally.count} errors ignored` : ''}`)
    return result
  } catch (err) {
    const f = toUsmtFailure(err, 'gather')
    await listFiles?.close().catch(() => undefined)
    if (session) await session.abort().catch(() => undefined)
    progress.final(f.returnCode, tally.count, f.message)
    logFailure(log, program, ctx.argv, f, 'run', tally.summary())
    ctx.out(`${f.message}${f.detail ? ` (${f.detail})` : ''}`)
    return { ...result, returnCode: f.returnCode, message: f.message, ignoredErrors: tally.count }
  } finally {
    young.release()
    progress.close()
    log.close()
  }
}
