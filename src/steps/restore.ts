/**
 * `usmt-steps restore`: LoadState from the store, refusing a missing or incomplete store (MDT silently
 * succeeds), verifying a compressed store before a single file is written, removing a hard-link store with
 * usmtutils /rd after a clean restore, and keeping the store after a failure with the command to restore by hand.
 */
import { STORE_LOGS_DIR } from '../store/layout.js'
import { existsSync, rmSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { StepContext, StepOutcome } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { stepVariables } from '../runtime/variables.js'
import { buildLoadStateArgs, buildUsmtUtilsArgs, classifyReturnCode } from '../usmt/index.js'
import { joinCommandLine } from '../windows/path.js'
import { finishRestore, mergeOptions, parseRestoreExtras, restoreDefaults, type RestoreBuild } from './command-line.js'
import type { StoreKind } from '../store/kind.js'
import { childEnv, copyLogsToStore, localInputPath, portableFlags, resolveXml, setupStep, storePaths, type StepSetup } from './common.js'
import { classifyRun, ignoredLines, usmtFailure } from './outcome.js'
import { runUsmtTool } from './run-usmt.js'
import { storeDataKey, withKeyFile } from './secrets.js'
import { inspectStore } from '../store/layout.js'
import { proofVariables, proveRestoredFiles, type RestoreHooks } from './proof-step.js'
import { describeProof, type RestoreProof } from './proof.js'
import type { CatalogSeal } from '../store/seal.js'

export interface RestoreResult {
  skipped: boolean
  engine?: 'microsoft' | 'portable'
  storePath?: string
  storeKind?: StoreKind
  encrypted?: boolean
  verified?: boolean
  usmtReturnCode?: number
  usmtResult?: string
  ignoredErrors: number
  users: string[]
  storeRemoved: boolean
  storeKept?: string
  rebootRequired: boolean
  /**
   * A portable hard-link or uncompressed store: how its catalog's seal was checked (verified with
   * USMTStepsStoreSealKey; unchecked: sealed but the variable is empty; unsealed: a store without a seal).
   */
  catalogSeal?: CatalogSeal
  /** Every stored file checked on the destination (verified / missing / changed, with the paths). */
  proof?: RestoreProof
  logs: string[]
  durationMs?: number
}

/** USMT's return code, which a failed restore still records for the report. */
const returnCode = (code: number): Record<string, string> => stepVariables('restore', { USMTStepsUsmtReturnCode: String(code) })

function skipped(summary: string): StepOutcome<RestoreResult> {
  return { result: { skipped: true, ignoredErrors: 0, users: [], storeRemoved: false, rebootRequired: false, logs: [] }, summary }
}

/**
 * What the restore does about a store's catalog seal (pure): `sealed` is whether the portable catalog of a
 * hard-link or uncompressed store is sealed (undefined: the store is no such store), `variable` the value of
 * USMTStepsStoreSealKey. With a key the seal is checked, and a store that has no sealed catalog to check — an
 * unsealed catalog, or a store of another kind put in its place — is refused (USM0319): a seal cannot be stripped.
 * Without a key the restore goes on and says the catalog was not checked against a seal.
 */
export function catalogSealPlan(sealed: boolean | undefined, variable: string | undefined, storePath: string): { key?: string; state?: CatalogSeal; warning?: string } {
  const key = variable ? variable : undefined
  if (key !== undefined) {
    redactor.add(key)
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

/** The loadstate command an admin can run by hand (the key file is a placeholder). */
function byHand(s: StepSetup, argv: readonly string[], keyFile: string | undefined): string {
  const display = s.location.engine === 'portable' ? 'usmt-steps loadstate' : nodePath.join(s.location.dir ?? '', 'loadstate.exe')
  const shown = argv.map((a) => (keyFile && a.endsWith(keyFile) ? a.replace(keyFile, '<file holding the store key>') : a))
  return redactor.redact(`${display.includes(' ') && s.location.engine === 'microsoft' ? joinCommandLine([display]) : display} ${joinCommandLine(shown)}`)
}

export async function runRestore(ctx: StepContext, hooks: RestoreHooks = {}): Promise<StepOutcome<RestoreResult>> {
  const s = await setupStep(ctx, 'restore')
  const { inputs } = s
  const lookup = (n: string): string | undefined => s.tsEnv.get(n) ?? ctx.env[n]
  if (inputs.inWinPE) throw new UsmtStepsError('USM0312', 'restore runs in the full OS; this step is running in Windows PE (_SMSTSInWinPE=true)')
  if (inputs.storeType === 'none') return skipped('nothing to restore: the plan chose no store (USMTStepsStoreType=none)')
  if (!inputs.storePath) throw new UsmtStepsError('USM0314', 'OSDStateStorePath is not set and --store was not given')
  const paths = storePaths(inputs.storePath, s, ctx.cwd)
  const storePath = paths.path

  const store = inspectStore(paths.local)
  if (!store.complete) {
    if (inputs.allowMissingStore) {
      ctx.warn(`no complete store to restore (${store.problem}); nothing restored (USMTStepsAllowMissingStore=true)`)
      return skipped(`nothing restored: ${store.problem}`)
    }
    throw new UsmtStepsError('USM0304', `no complete user state store at ${storePath}: ${store.problem}`, { data: { storePath, local: paths.local } })
  }
  const base = parseRestoreExtras(inputs.baseOptions, 'LoadStateArgs', lookup)
  const extra = parseRestoreExtras(inputs.additionalOptions, 'OSDMigrateAdditionalRestoreOptions', lookup)
  // The /mu mappings of usmt-steps users: from the variable (refresh), else from the store (a replace restores elsewhere).
  const mapSource = inputs.userMapArgs?.trim() ? 'USMTStepsUserMapArgs' : store.meta?.userMap?.length ? `the store's usmt-steps.json` : undefined
  const mapText = inputs.userMapArgs?.trim() ? inputs.userMapArgs : joinCommandLine(store.meta?.userMap ?? [])
  const mapped = parseRestoreExtras(mapSource ? mapText : undefined, mapSource ?? 'USMTStepsUserMapArgs', lookup)
  const notMap = Object.entries(mapped.options).filter(([k, v]) => k !== 'mu' && k !== 'md' && (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== false))
  if (notMap.length > 0) throw new UsmtStepsError('USM0302', `${mapSource} may only hold /mu and /md mappings (found ${notMap.map(([k]) => `/${k}`).join(', ')})`, { data: { variable: mapSource } })
  if (mapSource) ctx.logger.info(`user mappings from ${mapSource}: ${mapped.options.mu.map((m) => `${m.from} → ${m.to}`).join(', ')}`)
  for (const n of [...base.notes, ...extra.notes]) ctx.warn(n)
  const kind: StoreKind = store.meta?.kind ?? store.kind ?? 'compressed'
  const escrowOrKey = inputs.key ?? extra.key ?? base.key
  // A share store with its own data key (store-key.json): that key decrypts it, opened through DPAPI-NG as this
  // computer or with the escrow key.
  const own = await storeDataKey({ storeRoot: paths.local, storeId: s.tsEnv.get('USMTStepsStoreId'), escrowKey: escrowOrKey, log: (l) => ctx.logger.info(l) })
  const key = own.key
  const encrypted = kind === 'compressed' && (store.meta ? store.meta.encrypted : key !== undefined || base.options.decrypt !== undefined || extra.options.decrypt !== undefined)
  if (encrypted && key === undefined) {
    throw new UsmtStepsError('USM0303', `the store ${storePath} is encrypted but USMTStepsEncryptionKey and UserDataKey are empty`, { data: { storePath } })
  }
  const algorithm = store.meta?.algorithm ?? inputs.algorithm
  ctx.logger.info(`store ${storePath}: ${kind}${encrypted ? `, encrypted (${algorithm})` : ''}${store.meta ? `, captured ${store.meta.capturedAt} on ${store.meta.computer ?? 'unknown computer'} by the ${store.meta.engine} engine` : ''}`)
  // A portable hard-link or uncompressed store: its catalog's seal is checked with the capture's key before anything is written.
  const seal = catalogSealPlan(store.catalogSealed, s.tsEnv.get('USMTStepsStoreSealKey'), storePath)
  if (seal.warning) ctx.warn(seal.warning)

  const xml = resolveXml(inputs.xmlFiles, s, ctx.cwd, inputs.xmlSource, inputs.rules.length > 0 && inputs.xmlSource.startsWith('default'))
  const rules = inputs.rules.map((r) => localInputPath(r, s, ctx.cwd, '--rules file'))
  const config = inputs.configFile ? resolveXml([inputs.configFile], s, ctx.cwd, 'USMTConfigFile', false).found[0] : undefined
  const logFile = nodePath.join(s.logDir, 'loadstate.log')
  const progressFile = nodePath.join(s.logDir, 'loadstate-progress.log')
  const verifyLog = nodePath.join(s.logDir, 'usmtutils-verify.log')
  const appliedFile = s.location.engine === 'portable' ? nodePath.join(s.logDir, 'loadstate-applied.jsonl') : undefined
  if (appliedFile) rmSync(appliedFile, { force: true })

  const lacOnCommandLine = s.location.engine === 'microsoft' && inputs.localAccounts && inputs.lacPasswordOnCommandLine
  if (s.location.engine === 'microsoft' && inputs.localAccounts && !lacOnCommandLine) {
    ctx.warn('local accounts are created disabled and without a password: USMT takes OSDMigrateLocalAccountPassword only on the loadstate command line, which usmt-steps does not do unless USMTStepsLacPasswordOnCommandLine=true; set their passwords and enable them in a later step')
  }

  return withKeyFile(encrypted ? key : undefined, async (keyFile) => {
    // Verify a compressed store, and the seal of a sealed store's catalog, before anything is written.
    const verifyStore = async (vargs: string[], sealed: boolean): Promise<boolean> => {
      const vrun = await runUsmtTool(ctx, s.location.command('usmtutils'), vargs, { label: 'Verifying the store', logFile: verifyLog, heartbeatMs: inputs.heartbeatSeconds * 1000, env: childEnv(), cwd: ctx.cwd })
      const vc = classifyReturnCode(vrun.exitCode)
      if (vrun.exitCode === 42 || vrun.exitCode === 37 || vrun.exitCode === 38 || vrun.exitCode === 27) {
        const code = vrun.exitCode === 27 ? 'USM0304' : sealed && vrun.exitCode === 42 ? 'USM0319' : 'USM0311'
        const what = code === 'USM0319' ? ` (its catalog does not carry the seal made at capture with USMTStepsStoreSealKey: it was rewritten)` : ''
        throw new UsmtStepsError(code, `usmtutils /verify rejected the store ${storePath}: ${vrun.exitCode} ${vc.name} — ${vc.message}${what}. Nothing was restored; the store was kept.`, {
          data: { storePath, returnCode: vrun.exitCode, log: verifyLog },
        })
      }
      if (vrun.exitCode !== 0) ctx.warn(`usmtutils /verify returned ${vrun.exitCode} (${vc.name}); restoring anyway, loadstate checks the store itself`)
      return vrun.exitCode === 0
    }
    let verified = false
    if (kind === 'compressed' && store.migFile) {
      const mig = s.location.engine === 'portable' ? store.migFile : nodePath.join(paths.usmt, 'USMT', nodePath.basename(store.migFile))
      verified = await verifyStore(buildUsmtUtilsArgs({
        command: 'verify', report: 'catalog', file: mig, log: verifyLog,
        decrypt: encrypted ? { algorithm } : undefined, keyFile: encrypted ? keyFile : undefined,
      }), false)
    } else if (seal.key !== undefined) {
      verified = await withKeyFile(seal.key, async (sealFile) => verifyStore([...buildUsmtUtilsArgs({ command: 'verify', report: 'catalog', file: paths.usmt, log: verifyLog }), `--seal-key-file=${sealFile}`], true))
    }

    const b: RestoreBuild = {
      storePath: paths.usmt, kind, decrypt: encrypted && keyFile ? { algorithm, keyFile } : undefined, xmlFiles: [...xml.found, ...rules],
      configFile: config, continueOnError: inputs.continueOnError, verbose: inputs.verbose, udProfiles: inputs.udProfiles,
      localAccounts: inputs.localAccounts,
      // Microsoft's loadstate takes the password only on its command line (/lac:password), visible to every
      // process: only when the admin opts in. Otherwise accounts are created disabled (no /lae) and say so.
      localAccountPassword: lacOnCommandLine ? inputs.localAccountPassword : undefined,
      enableLocalAccounts: lacOnCommandLine || s.location.engine === 'portable',
      logFile, progressFile,
    }
    const options = finishRestore(mergeOptions(mergeOptions(mergeOptions(restoreDefaults(b), base.options), extra.options), mapped.options), b, ctx.cwd)
    const argv = [...buildLoadStateArgs(options), ...portableFlags(s, 'loadstate'), ...(appliedFile ? [`--applied=${appliedFile}`] : [])]
    // loadstate checks the seal again as it opens the store (the catalog it restores from is the sealed one).
    const run = await withKeyFile(seal.key, (sealFile) => runUsmtTool(ctx, s.location.command('loadstate'), [...argv, ...(sealFile ? [`--seal-key-file=${sealFile}`] : [])], {
      label: 'Restoring user state', logFile, progressFile, heartbeatMs: inputs.heartbeatSeconds * 1000, env: childEnv(), cwd: ctx.cwd,
    }))
    if (run.spawnError) throw new UsmtStepsError('USM0300', `${s.location.command('loadstate').display} could not be started: ${run.spawnError}`)
    const c = classifyRun(run)
    const logs = [verifyLog, logFile, progressFile].filter((f) => existsSync(f))
    const manual = byHand(s, buildLoadStateArgs({ ...options, log: undefined, progress: undefined }).map((a) => a), keyFile)
    const keep = (why: string): string[] => {
      const copies = copyLogsToStore(paths.local, logs)
      return [`The store was kept at ${storePath} (${why}).`, `To restore by hand: ${manual}`, ...(copies.length ? [`Logs: ${logFile} (copies in ${nodePath.dirname(copies[0])})`] : [])]
    }
    if (!c.classification.succeeded) {
      throw usmtFailure('loadstate', c, { restore: true, actions: keep('the restore failed'), data: { storePath, log: logFile }, variables: returnCode(c.classification.code) })
    }
    // The last line about a user decides (a progress log may mention a user more than once).
    const finalUsers = new Map(run.progress.detectedUsers.map((u) => [u.user.toLowerCase(), u] as const))
    const users = [...finalUsers.values()].filter((u) => u.included).map((u) => u.user)
    let storeRemoved = false
    let storeKept: string | undefined
    let rebootRequired = false
    // Users in the store that loadstate did not restore. Unless a user selection at restore asked for that,
    // this is data about to be lost (a refresh would then delete the store): keep the store and say so.
    const leftBehind = [...finalUsers.values()].filter((u) => !u.included).map((u) => u.user)
    const selectionAtRestore = options.ui.length > 0 || options.ue.length > 0 || options.uel !== undefined
    if (leftBehind.length > 0 && !selectionAtRestore) {
      const message = `loadstate did not restore ${leftBehind.length} user(s) captured in the store: ${leftBehind.join(', ')}${options.lac === undefined ? ' (local accounts that do not exist here are skipped without /lac)' : ''}`
      if (inputs.usersLeftBehind === 'fail') {
        throw new UsmtStepsError('USM0316', message, {
          data: { storePath, users: leftBehind, restored: users }, extraActions: keep('users were left behind'), variables: returnCode(c.classification.code),
        })
      }
      ctx.warn(`${message}; the store is kept`)
      storeKept = `users were left behind: ${leftBehind.join(', ')}`
    }
    if (c.ignored.length > 0 || c.classification.code === 3) {
      const lines = ignoredLines(c.ignored)
      if (inputs.failOnIgnoredErrors) {
        throw new UsmtStepsError('USM0306', `loadstate skipped ${c.ignored.length} error(s) because of /c: ${lines.join('; ')}`, {
          data: { returnCode: c.classification.code }, extraActions: keep('errors were skipped'), variables: returnCode(c.classification.code),
        })
      }
      ctx.warn(`loadstate skipped ${c.ignored.length} error(s) because of /c (return code ${c.classification.code}): ${lines.join('; ')}`)
    }
    // The proof: every stored file on the destination as it was captured, before anything removes the store.
    const proof = await proveRestoredFiles(ctx, {
      engine: s.location.engine, storeLocal: paths.local, key: encrypted ? key : undefined, sealKey: seal.key, appliedFile, volumes: s.volumes, hooks,
      userMap: [...base.options.mu, ...extra.options.mu, ...mapped.options.mu], systemDrive: process.platform === 'win32' ? ctx.env.SystemDrive : undefined,
    })
    if (!proof.checked) ctx.logger.info(`proof: not done — ${proof.note}`)
    else if (proof.missing.length > 0 || proof.changed.length > 0) {
      const bad = [...proof.missing.map((m) => `missing ${m.path}`), ...proof.changed.map((c) => `changed ${c.path} (${c.why})`)]
      const message = `the proof after the restore found ${proof.missing.length} missing and ${proof.changed.length} changed file(s) of ${proof.verified + proof.missing.length + proof.changed.length}: ${bad.slice(0, 20).join('; ')}${bad.length > 20 ? `; … and ${bad.length - 20} more (see the log)` : ''}`
      if (inputs.proofPolicy === 'fail') {
        throw new UsmtStepsError('USM0318', message, {
          data: { storePath, proof }, extraActions: keep('the proof found missing or changed files'),
          variables: { ...returnCode(c.classification.code), ...proofVariables(proof) },
        })
      }
      ctx.warn(`${message}; the store is kept (USMTStepsProofPolicy=warn)`)
      storeKept ??= 'the proof found missing or changed files'
    }
    if (kind === 'hardlink') {
      if (inputs.keepStore) {
        storeKept = 'USMTStepsKeepStore=true'
      } else if (storeKept) {
        // already kept (users left behind)
      } else if (c.classification.code !== 0) {
        storeKept = 'errors were skipped during the restore: check them before deleting the hard-link store'
        ctx.warn(`the hard-link store ${storePath} is kept because loadstate skipped errors; remove it with usmtutils /rd after checking the files`)
      } else {
        const rdArgs = buildUsmtUtilsArgs({ command: 'rd', storeDir: paths.usmt, yes: true })
        const rd = await runUsmtTool(ctx, s.location.command('usmtutils'), rdArgs, { label: 'Removing the hard-link store', heartbeatMs: inputs.heartbeatSeconds * 1000, env: childEnv(), cwd: ctx.cwd })
        if (rd.exitCode === 0) {
          storeRemoved = true
        } else if (rd.exitCode === 35) {
          rebootRequired = true
          storeKept = 'a restart is needed to remove it'
          ctx.warn(`usmtutils /rd: the hard-link store ${storePath} will be removed after a restart (return code 35)`)
        } else {
          storeKept = `usmtutils /rd returned ${rd.exitCode}`
          ctx.warn(`could not remove the hard-link store ${storePath}: usmtutils /rd returned ${rd.exitCode} (${classifyReturnCode(rd.exitCode).name})`)
        }
      }
    } else {
      storeKept ??= 'network and compressed stores are released by store release / retention'
    }
    const storeLogs = !storeRemoved ? copyLogsToStore(paths.local, logs) : []
    const result: RestoreResult = {
      skipped: false, engine: s.location.engine, storePath, storeKind: kind, encrypted, verified, catalogSeal: seal.state,
      usmtReturnCode: c.classification.code, usmtResult: c.classification.name, ignoredErrors: c.ignored.length, users,
      storeRemoved, storeKept, rebootRequired, proof, logs: [...logs, ...storeLogs], durationMs: run.durationMs,
    }
    return {
      result,
      // Beside the capture's record in the store: the share then holds both sides' records for the report.
      recordAlsoIn: existsSync(paths.local) ? [nodePath.join(paths.local, STORE_LOGS_DIR)] : [],
      summary: `restored ${users.length} user(s) from the ${kind} store ${storePath} (loadstate ${c.classification.code} ${c.classification.name}; ${proof.checked ? `${proof.verified} file(s) proven${proof.missing.length + proof.changed.length ? `, ${proof.missing.length} missing, ${proof.changed.length} changed` : ''}` : 'not proven'}${storeRemoved ? ', store removed' : ''}${rebootRequired ? ', restart needed' : ''})`,
      text: [
        `Store: ${storePath} (${kind}${encrypted ? ', encrypted' : ''}${verified ? ', verified' : ''}${seal.state ? `, catalog seal ${seal.state}` : ''})`,
        `Users: ${users.join(', ') || 'none'}`,
        `Proof: ${proof.checked ? describeProof(proof) : `not done (${proof.note})`}`,
        storeRemoved ? 'Hard-link store removed (usmtutils /rd).' : `Store kept: ${storeKept}`,
        `Logs: ${logs.join(', ')}`,
      ].join('\n'),
      exit: rebootRequired ? 'reboot' : 'success',
      variables: stepVariables('restore', {
        ...returnCode(c.classification.code),
        USMTStepsUsmtEngine: s.location.engine,
        USMTStepsRestoredUsers: users.join(',').slice(0, 3900),
        USMTStepsIgnoredErrors: String(c.ignored.length),
        USMTStepsStoreRemoved: String(storeRemoved),
        ...proofVariables(proof),
        SMSTSRebootRequested: rebootRequired ? 'HD' : undefined,
      }),
    }
  })
}
