/**
 * `usmt-steps restore`: LoadState from the store, refusing a missing or incomplete store (MDT silently
 * succeeds), verifying a compressed store before a single file is written, removing a hard-link store with
 * usmtutils /rd after a clean restore, and keeping the store after a failure with the command to restore by hand.
 * The decisions are in restore-plan.ts, the outcome in restore-report.ts; this module does the I/O in order.
 */
import { existsSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import type { StepContext, StepOutcome } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { inspectStore } from '../store/layout.js'
import { buildLoadStateArgs, buildUsmtUtilsArgs, classifyReturnCode } from '../usmt/index.js'
import { parseRestoreExtras } from './command-line.js'
import { childEnv, copyLogsToStore, localInputPath, portableFlags, resolveXml, setupStep, storePaths, type StepSetup, type StorePaths } from './common.js'
import { classifyRun, skippedErrors, usmtFailure } from './outcome.js'
import { proofVariables, proveRestoredFiles, type RestoreHooks } from './proof-step.js'
import {
  byHand, catalogSealPlan, decideRestoreStore, judgeUsers, lacOnCommandLine, planRestoreCommand, proofProblem, restoreLogFiles, storeAfterRestore, userMappings, verifyArgv, verifyVerdict,
  type RestoreLogFiles, type RestoreStoreDecision,
} from './restore-plan.js'
import { restoreOutcome, restoreReturnCode, restoreSkipped, type RestoreResult } from './restore-report.js'
import { runUsmtTool } from './run-usmt.js'
import { keyFileDir, storeDataKey, withKeyFile } from './secrets.js'

export type { RestoreResult } from './restore-report.js'

export async function runRestore(ctx: StepContext, hooks: RestoreHooks = {}): Promise<StepOutcome<RestoreResult>> {
  const s = await setupStep(ctx, 'restore')
  const { inputs } = s
  const lookup = (n: string): string | undefined => s.tsEnv.get(n) ?? ctx.env[n]
  if (inputs.inWinPE) throw new UsmtStepsError('USM0312', 'restore runs in the full OS; this step is running in Windows PE (_SMSTSInWinPE=true)')
  if (inputs.storeType === 'none') return restoreSkipped('nothing to restore: the plan chose no store (USMTStepsStoreType=none)')
  if (!inputs.storePath) throw new UsmtStepsError('USM0314', 'OSDStateStorePath is not set and --store was not given')
  const paths = storePaths(inputs.storePath, s, ctx.cwd)
  const storePath = paths.path

  const store = inspectStore(paths.local)
  if (!store.complete) {
    if (inputs.allowMissingStore) {
      ctx.warn(`no complete store to restore (${store.problem}); nothing restored (USMTStepsAllowMissingStore=true)`)
      return restoreSkipped(`nothing restored: ${store.problem}`)
    }
    throw new UsmtStepsError('USM0304', `no complete user state store at ${storePath}: ${store.problem}`, { data: { storePath, local: paths.local } })
  }
  const base = parseRestoreExtras(inputs.baseOptions, 'LoadStateArgs', lookup)
  const extra = parseRestoreExtras(inputs.additionalOptions, 'OSDMigrateAdditionalRestoreOptions', lookup)
  const map = userMappings(inputs.userMapArgs, store, lookup)
  if (map.source) ctx.logger.info(`user mappings from ${map.source}: ${map.mapped.options.mu.map((m) => `${m.from} → ${m.to}`).join(', ')}`)
  for (const n of [...base.notes, ...extra.notes]) ctx.warn(n)
  // A share store with its own data key (store-key.json): that key decrypts it, opened through DPAPI-NG as this
  // computer or with the escrow key.
  const own = await storeDataKey({ storeRoot: paths.local, storeId: s.tsEnv.get('USMTStepsStoreId'), escrowKey: inputs.key ?? extra.key ?? base.key, log: (l) => ctx.logger.info(l) })
  const key = own.key
  const decision = decideRestoreStore(store, storePath, key, base.options.decrypt !== undefined || extra.options.decrypt !== undefined, inputs.algorithm)
  const { kind, encrypted, algorithm } = decision
  ctx.logger.info(`store ${storePath}: ${kind}${encrypted ? `, encrypted (${algorithm})` : ''}${store.meta ? `, captured ${store.meta.capturedAt} on ${store.meta.computer ?? 'unknown computer'} by the ${store.meta.engine} engine` : ''}`)
  // A portable hard-link or uncompressed store: its catalog's seal is checked with the capture's key before anything is written.
  const sealVariable = s.tsEnv.get('USMTStepsStoreSealKey')
  redactor.add(sealVariable)
  const seal = catalogSealPlan(store.catalogSealed, sealVariable, storePath)
  if (seal.warning) ctx.warn(seal.warning)

  const xml = resolveXml(inputs.xmlFiles, s, ctx.cwd, inputs.xmlSource, inputs.rules.length > 0 && inputs.xmlSource.startsWith('default'))
  const rules = inputs.rules.map((r) => localInputPath(r, s, ctx.cwd, '--rules file'))
  const config = inputs.configFile ? resolveXml([inputs.configFile], s, ctx.cwd, 'USMTConfigFile', false).found[0] : undefined
  const files = restoreLogFiles(s.logDir, s.location.engine)
  if (files.applied) rmSync(files.applied, { force: true })
  if (s.location.engine === 'microsoft' && inputs.localAccounts && !lacOnCommandLine(inputs, s.location.engine)) {
    ctx.warn('local accounts are created disabled and without a password: USMT takes OSDMigrateLocalAccountPassword only on the loadstate command line, which usmt-steps does not do unless USMTStepsLacPasswordOnCommandLine=true; set their passwords and enable them in a later step')
  }

  const keyDir = keyFileDir(s.volumes, ctx.cwd, [os.tmpdir(), s.logDir])
  return withKeyFile(encrypted ? key : undefined, async (keyFile) => {
    const verified = await withKeyFile(seal.key, (sealKeyFile) => verifyBeforeRestore(ctx, s, paths, decision, store.migFile, keyFile, sealKeyFile, files), keyDir)
    const { options, argv } = planRestoreCommand({
      inputs, engine: s.location.engine, usmtStore: paths.usmt, store: decision, keyFile, xmlFiles: [...xml.found, ...rules], configFile: config, files,
      toolFlags: portableFlags(s, 'loadstate'), cwd: ctx.cwd,
    }, [base, extra, map.mapped])
    // loadstate checks the seal again as it opens the store (the catalog it restores from is the sealed one).
    const run = await withKeyFile(seal.key, (sealKeyFile) => runUsmtTool(ctx, s.location.command('loadstate'), [...argv, ...(sealKeyFile ? [`--seal-key-file=${sealKeyFile}`] : [])], {
      label: 'Restoring user state', logFile: files.log, progressFile: files.progress, heartbeatMs: inputs.heartbeatSeconds * 1000, env: childEnv(), cwd: ctx.cwd,
    }), keyDir)
    if (run.spawnError) throw new UsmtStepsError('USM0300', `${s.location.command('loadstate').display} could not be started: ${run.spawnError}`)
    const c = classifyRun(run)
    const code = c.classification.code
    const logs = [files.verify, files.log, files.progress].filter((f) => existsSync(f))
    const manual = redactor.redact(byHand(s.location, buildLoadStateArgs({ ...options, log: undefined, progress: undefined }), keyFile))
    const keep = (why: string): string[] => {
      const copies = copyLogsToStore(paths.local, logs)
      return [`The store was kept at ${storePath} (${why}).`, `To restore by hand: ${manual}`, ...(copies.length ? [`Logs: ${files.log} (copies in ${nodePath.dirname(copies[0])})`] : [])]
    }
    if (!c.classification.succeeded) {
      throw usmtFailure('loadstate', c, { restore: true, actions: keep('the restore failed'), data: { storePath, log: files.log }, variables: restoreReturnCode(code) })
    }
    const { users, leftBehind, message: leftMessage } = judgeUsers(run.progress, options)
    let storeKept: string | undefined
    if (leftMessage) {
      if (inputs.usersLeftBehind === 'fail') {
        throw new UsmtStepsError('USM0316', leftMessage, {
          data: { storePath, users: leftBehind, restored: users }, extraActions: keep('users were left behind'), variables: restoreReturnCode(code),
        })
      }
      ctx.warn(`${leftMessage}; the store is kept`)
      storeKept = `users were left behind: ${leftBehind.join(', ')}`
    }
    const skipped = skippedErrors('loadstate', c, inputs.failOnIgnoredErrors, { variables: restoreReturnCode(code), extraActions: () => keep('errors were skipped') })
    if (skipped.error) throw skipped.error
    if (skipped.warning) ctx.warn(skipped.warning)
    // The proof: every stored file on the destination as it was captured, before anything removes the store.
    const proof = await proveRestoredFiles(ctx, {
      engine: s.location.engine, storeLocal: paths.local, key: encrypted ? key : undefined, sealKey: seal.key, appliedFile: files.applied, volumes: s.volumes, hooks,
      userMap: [...base.options.mu, ...extra.options.mu, ...map.mapped.options.mu], systemDrive: process.platform === 'win32' ? ctx.env.SystemDrive : undefined,
    })
    if (!proof.checked) ctx.logger.info(`proof: not done — ${proof.note}`)
    const problem = proofProblem(proof)
    if (problem) {
      if (inputs.proofPolicy === 'fail') {
        throw new UsmtStepsError('USM0318', problem, {
          data: { storePath, proof }, extraActions: keep('the proof found missing or changed files'),
          variables: { ...restoreReturnCode(code), ...proofVariables(proof) },
        })
      }
      ctx.warn(`${problem}; the store is kept (USMTStepsProofPolicy=warn)`)
      storeKept ??= 'the proof found missing or changed files'
    }
    const after = await settleStore(ctx, s, paths, kind, storeKept, code)
    const storeLogs = !after.removed ? copyLogsToStore(paths.local, logs) : []
    return restoreOutcome({
      engine: s.location.engine, storePath, storeLocal: existsSync(paths.local) ? paths.local : undefined, kind, encrypted, verified, catalogSeal: seal.state,
      run: c, users, storeRemoved: after.removed, storeKept: after.kept, rebootRequired: after.reboot, proof, logs, storeLogs, durationMs: run.durationMs,
    })
  }, keyDir)
}

/**
 * usmtutils /verify before anything is written — of a compressed store, or of a sealed catalog's seal (with the
 * capture's key in `sealKeyFile`): refused stores stop the step (nothing restored).
 */
async function verifyBeforeRestore(ctx: StepContext, s: StepSetup, paths: StorePaths, d: RestoreStoreDecision, migFile: string | undefined, keyFile: string | undefined, sealKeyFile: string | undefined, files: RestoreLogFiles): Promise<boolean> {
  const vargs = verifyArgv({ kind: d.kind, migFile, engine: s.location.engine, usmtStore: paths.usmt, encrypted: d.encrypted, algorithm: d.algorithm, keyFile, sealKeyFile, log: files.verify })
  if (!vargs) return false
  const vrun = await runUsmtTool(ctx, s.location.command('usmtutils'), vargs, { label: 'Verifying the store', logFile: files.verify, heartbeatMs: s.inputs.heartbeatSeconds * 1000, env: childEnv(), cwd: ctx.cwd })
  const vc = classifyReturnCode(vrun.exitCode)
  const verdict = verifyVerdict(vrun.exitCode, sealKeyFile !== undefined && d.kind !== 'compressed')
  if (verdict.refuse) {
    const what = verdict.refuse === 'USM0319' ? ' (its catalog does not carry the seal made at capture with USMTStepsStoreSealKey: it was rewritten)' : ''
    throw new UsmtStepsError(verdict.refuse, `usmtutils /verify rejected the store ${paths.path}: ${vrun.exitCode} ${vc.name} — ${vc.message}${what}. Nothing was restored; the store was kept.`, {
      data: { storePath: paths.path, returnCode: vrun.exitCode, log: files.verify },
    })
  }
  if (!verdict.verified) ctx.warn(`usmtutils /verify returned ${vrun.exitCode} (${vc.name}); restoring anyway, loadstate checks the store itself`)
  return verdict.verified
}

/** After the restore: remove a hard-link store with usmtutils /rd, or say why the store is kept. */
async function settleStore(ctx: StepContext, s: StepSetup, paths: StorePaths, kind: RestoreStoreDecision['kind'], keptAlready: string | undefined, code: number): Promise<{ removed: boolean; kept?: string; reboot: boolean }> {
  const next = storeAfterRestore(kind, s.inputs.keepStore, keptAlready, code)
  if (!next.remove) {
    if (next.warn) ctx.warn(`the hard-link store ${paths.path} is kept because loadstate skipped errors; remove it with usmtutils /rd after checking the files`)
    return { removed: false, kept: next.kept, reboot: false }
  }
  const rdArgs = buildUsmtUtilsArgs({ command: 'rd', storeDir: paths.usmt, yes: true })
  const rd = await runUsmtTool(ctx, s.location.command('usmtutils'), rdArgs, { label: 'Removing the hard-link store', heartbeatMs: s.inputs.heartbeatSeconds * 1000, env: childEnv(), cwd: ctx.cwd })
  if (rd.exitCode === 0) return { removed: true, reboot: false }
  if (rd.exitCode === 35) {
    ctx.warn(`usmtutils /rd: the hard-link store ${paths.path} will be removed after a restart (return code 35)`)
    return { removed: false, kept: 'a restart is needed to remove it', reboot: true }
  }
  ctx.warn(`could not remove the hard-link store ${paths.path}: usmtutils /rd returned ${rd.exitCode} (${classifyReturnCode(rd.exitCode).name})`)
  return { removed: false, kept: `usmtutils /rd returned ${rd.exitCode}`, reboot: false }
}
