/**
 * The restore's decisions, as pure functions: the store's kind and encryption, the /mu mappings a capture
 * handed over, where USMT's logs go, the usmtutils /verify and loadstate command lines and what their return
 * codes mean, the users left behind, the proof's verdict, and whether a hard-link store is removed. restore.ts
 * runs them (I/O), restore-report.ts turns the run into the step's outcome.
 */
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import type { StoreKind } from '../store/kind.js'
import { USMT_DIR, type StoreInspection } from '../store/layout.js'
import type { CatalogSeal } from '../store/seal.js'
import { buildLoadStateArgs, buildUsmtUtilsArgs, type LoadStateOptions, type ProgressState } from '../usmt/index.js'
import { joinCommandLine } from '../windows/path.js'
import { finishRestore, mergeOptions, parseRestoreExtras, restoreDefaults, type ExtraOptions, type RestoreBuild } from './command-line.js'
import type { StepInputs } from './inputs.js'
import type { UsmtLocation } from './locate.js'
import type { RestoreProof } from './proof.js'

/** The /mu mappings of usmt-steps users: from the variable (refresh), else from the store (a replace restores elsewhere); USM0302 for anything else in them. */
export function userMappings(userMapArgs: string | undefined, store: Pick<StoreInspection, 'meta'>, lookup: (n: string) => string | undefined): { source?: string; mapped: ExtraOptions<LoadStateOptions> } {
  const source = userMapArgs?.trim() ? 'USMTStepsUserMapArgs' : store.meta?.userMap?.length ? `the store's usmt-steps.json` : undefined
  const text = userMapArgs?.trim() ? userMapArgs : joinCommandLine(store.meta?.userMap ?? [])
  const mapped = parseRestoreExtras(source ? text : undefined, source ?? 'USMTStepsUserMapArgs', lookup)
  const notMap = Object.entries(mapped.options).filter(([k, v]) => k !== 'mu' && k !== 'md' && (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== false))
  if (notMap.length > 0) throw new UsmtStepsError('USM0302', `${source} may only hold /mu and /md mappings (found ${notMap.map(([k]) => `/${k}`).join(', ')})`, { data: { variable: source } })
  return { source, mapped }
}

export interface RestoreStoreDecision {
  kind: StoreKind
  encrypted: boolean
  algorithm: string
}

/**
 * The store's kind and encryption: what the capture wrote into the store's usmt-steps.json, else what the
 * layout, the key and /decrypt say. USM0303 for an encrypted store without a key.
 */
export function decideRestoreStore(store: Pick<StoreInspection, 'meta' | 'kind'>, storePath: string, key: string | undefined, decryptAsked: boolean, inputAlgorithm: string): RestoreStoreDecision {
  const kind: StoreKind = store.meta?.kind ?? store.kind ?? 'compressed'
  const encrypted = kind === 'compressed' && (store.meta ? store.meta.encrypted : key !== undefined || decryptAsked)
  if (encrypted && key === undefined) {
    throw new UsmtStepsError('USM0303', `the store ${storePath} is encrypted but USMTStepsEncryptionKey and UserDataKey are empty`, { data: { storePath } })
  }
  return { kind, encrypted, algorithm: store.meta?.algorithm ?? inputAlgorithm }
}

export interface RestoreLogFiles {
  log: string
  progress: string
  verify: string
  /** The portable loadstate's list of what it wrote (for the proof). */
  applied?: string
}

export function restoreLogFiles(logDir: string, engine: UsmtLocation['engine']): RestoreLogFiles {
  return {
    log: nodePath.join(logDir, 'loadstate.log'),
    progress: nodePath.join(logDir, 'loadstate-progress.log'),
    verify: nodePath.join(logDir, 'usmtutils-verify.log'),
    applied: engine === 'portable' ? nodePath.join(logDir, 'loadstate-applied.jsonl') : undefined,
  }
}

/** usmtutils /verify of a compressed store before anything is written (null: nothing to verify). */
export function verifyArgv(o: { kind: StoreKind; migFile?: string; engine: UsmtLocation['engine']; usmtStore: string; encrypted: boolean; algorithm: string; keyFile?: string; sealKeyFile?: string; log: string }): string[] | null {
  // A sealed hard-link or uncompressed store: its catalog's seal, with the capture's key (catalogSealPlan).
  if (o.kind !== 'compressed' && o.sealKeyFile !== undefined) {
    return [...buildUsmtUtilsArgs({ command: 'verify', report: 'catalog', file: o.usmtStore, log: o.log }), `--seal-key-file=${o.sealKeyFile}`]
  }
  if (o.kind !== 'compressed' || !o.migFile) return null
  const mig = o.engine === 'portable' ? o.migFile : nodePath.join(o.usmtStore, USMT_DIR, nodePath.basename(o.migFile))
  return buildUsmtUtilsArgs({
    command: 'verify', report: 'catalog', file: mig, log: o.log,
    decrypt: o.encrypted ? { algorithm: o.algorithm } : undefined, keyFile: o.encrypted ? o.keyFile : undefined,
  })
}

/**
 * What usmtutils /verify's return code means: the store is refused (with the step's code), restored with a warning,
 * or verified. `sealed`: the verification checked a catalog's seal, so a corrupted catalog (42) is a rewritten one.
 */
export function verifyVerdict(exitCode: number, sealed = false): { refuse: 'USM0304' | 'USM0311' | 'USM0319' } | { refuse?: undefined; verified: boolean } {
  if (exitCode === 27) return { refuse: 'USM0304' }
  if (exitCode === 42 && sealed) return { refuse: 'USM0319' }
  if (exitCode === 42 || exitCode === 37 || exitCode === 38) return { refuse: 'USM0311' }
  return { verified: exitCode === 0 }
}

/**
 * What the restore does about a store's catalog seal: `sealed` is whether the portable catalog of a hard-link or
 * uncompressed store is sealed (undefined: the store is no such store), `variable` the value of
 * USMTStepsStoreSealKey. With a key the seal is checked, and a store that has no sealed catalog to check — an
 * unsealed catalog, or a store of another kind put in its place — is refused (USM0319): a seal cannot be stripped.
 * Without a key the restore goes on and says the catalog was not checked against a seal.
 */
export function catalogSealPlan(sealed: boolean | undefined, variable: string | undefined, storePath: string): { key?: string; state?: CatalogSeal; warning?: string } {
  const key = variable ? variable : undefined
  if (key !== undefined) {
    if (sealed === undefined) {
      throw new UsmtStepsError('USM0319', `the capture sealed the catalog of its store (USMTStepsStoreSealKey is set), but ${storePath} holds no hard-link or uncompressed store of the portable engine whose seal could be checked: the store was replaced after the capture. Nothing was restored; the store was kept.`, {
        data: { storePath },
      })
    }
    return { key, state: 'verified' }
  }
  if (sealed === undefined) return {}
  return sealed
    ? { state: 'unchecked', warning: 'the store\'s catalog is sealed, but USMTStepsStoreSealKey is empty (a restore in another task sequence, or the variable was cleared): its list of files is checked against its own digest only, which does not detect a rewrite' }
    : { state: 'unsealed', warning: 'the store\'s catalog is not sealed (captured without a seal key, or before catalogs were sealed): its list of files is checked against its own digest only, which does not detect a rewrite' }
}

export interface RestoreCommandInput {
  inputs: StepInputs
  engine: UsmtLocation['engine']
  /** The store as USMT gets it (StorePaths.usmt). */
  usmtStore: string
  store: RestoreStoreDecision
  keyFile?: string
  xmlFiles: string[]
  configFile?: string
  files: RestoreLogFiles
  /** The engine's own flags (portable: volumes, computer), between USMT's arguments and --applied. */
  toolFlags: string[]
  cwd: string
}

/** Microsoft's loadstate gets /lac's password on its command line only when the admin opts in (USMTStepsLacPasswordOnCommandLine). */
export function lacOnCommandLine(inputs: Pick<StepInputs, 'localAccounts' | 'lacPasswordOnCommandLine'>, engine: UsmtLocation['engine']): boolean {
  return engine === 'microsoft' && inputs.localAccounts && inputs.lacPasswordOnCommandLine
}

/**
 * The loadstate options and arguments: the step's defaults < LoadStateArgs (MDT) < OSDMigrateAdditionalRestoreOptions
 * < the /mu mappings, then the store kind's rules.
 */
export function planRestoreCommand(p: RestoreCommandInput, layers: ReadonlyArray<ExtraOptions<LoadStateOptions>>): { options: LoadStateOptions; argv: string[] } {
  const { inputs, store } = p
  const onCommandLine = lacOnCommandLine(inputs, p.engine)
  const b: RestoreBuild = {
    storePath: p.usmtStore, kind: store.kind, decrypt: store.encrypted && p.keyFile ? { algorithm: store.algorithm, keyFile: p.keyFile } : undefined, xmlFiles: p.xmlFiles,
    configFile: p.configFile, continueOnError: inputs.continueOnError, verbose: inputs.verbose, udProfiles: inputs.udProfiles,
    localAccounts: inputs.localAccounts,
    // Microsoft's loadstate takes the password only on its command line (/lac:password), visible to every
    // process: only when the admin opts in. Otherwise accounts are created disabled (no /lae) and say so.
    localAccountPassword: onCommandLine ? inputs.localAccountPassword : undefined,
    enableLocalAccounts: onCommandLine || p.engine === 'portable',
    logFile: p.files.log, progressFile: p.files.progress,
  }
  const options = finishRestore(layers.reduce((o, l) => mergeOptions(o, l.options), restoreDefaults(b)), b, p.cwd)
  return { options, argv: [...buildLoadStateArgs(options), ...p.toolFlags, ...(p.files.applied ? [`--applied=${p.files.applied}`] : [])] }
}

/**
 * The users loadstate restored (the last line about a user decides: a progress log may mention one more than
 * once) and those of the store it did not. Unless a user selection at restore asked for that, the latter is
 * data about to be lost: `message` says so.
 */
export function judgeUsers(progress: Pick<ProgressState, 'detectedUsers'>, options: Pick<LoadStateOptions, 'ui' | 'ue' | 'uel' | 'lac'>): { users: string[]; leftBehind: string[]; message?: string } {
  const last = new Map(progress.detectedUsers.map((u) => [u.user.toLowerCase(), u] as const))
  const users = [...last.values()].filter((u) => u.included).map((u) => u.user)
  const leftBehind = [...last.values()].filter((u) => !u.included).map((u) => u.user)
  const selectionAtRestore = options.ui.length > 0 || options.ue.length > 0 || options.uel !== undefined
  if (leftBehind.length === 0 || selectionAtRestore) return { users, leftBehind }
  return {
    users, leftBehind,
    message: `loadstate did not restore ${leftBehind.length} user(s) captured in the store: ${leftBehind.join(', ')}${options.lac === undefined ? ' (local accounts that do not exist here are skipped without /lac)' : ''}`,
  }
}

/** The proof's finding when files are missing or changed (null when every checked file is as captured, or nothing was checked). */
export function proofProblem(proof: RestoreProof): string | null {
  if (!proof.checked || (proof.missing.length === 0 && proof.changed.length === 0)) return null
  const bad = [...proof.missing.map((m) => `missing ${m.path}`), ...proof.changed.map((c) => `changed ${c.path} (${c.why})`)]
  return `the proof after the restore found ${proof.missing.length} missing and ${proof.changed.length} changed file(s) of ${proof.verified + proof.missing.length + proof.changed.length}: ${bad.slice(0, 20).join('; ')}${bad.length > 20 ? `; … and ${bad.length - 20} more (see the log)` : ''}`
}

/**
 * What happens to the store after the restore: a hard-link store is removed (usmtutils /rd) only after a clean
 * restore nobody asked to keep; network and compressed stores are released by `store release` / retention.
 */
export function storeAfterRestore(kind: StoreKind, keepStore: boolean, keptAlready: string | undefined, returnCode: number): { remove: true } | { remove: false; kept: string; warn?: boolean } {
  if (kind !== 'hardlink') return { remove: false, kept: keptAlready ?? 'network and compressed stores are released by store release / retention' }
  if (keepStore) return { remove: false, kept: 'USMTStepsKeepStore=true' }
  if (keptAlready) return { remove: false, kept: keptAlready }
  if (returnCode !== 0) return { remove: false, kept: 'errors were skipped during the restore: check them before deleting the hard-link store', warn: true }
  return { remove: true }
}

/** The loadstate command an admin can run by hand (the key file is a placeholder; secrets redacted by the caller). */
export function byHand(location: Pick<UsmtLocation, 'engine' | 'dir'>, argv: readonly string[], keyFile: string | undefined): string {
  const display = location.engine === 'portable' ? 'usmt-steps loadstate' : nodePath.join(location.dir ?? '', 'loadstate.exe')
  const shown = argv.map((a) => (keyFile && a.endsWith(keyFile) ? a.replace(keyFile, '<file holding the store key>') : a))
  return `${display.includes(' ') && location.engine === 'microsoft' ? joinCommandLine([display]) : display} ${joinCommandLine(shown)}`
}
