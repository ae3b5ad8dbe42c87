/**
 * `usmt-steps capture`: ScanState into the planned store, with validated options, encryption of network
 * stores through a key file, offline capture in Windows PE, progress, classified outcome, logs copied next to
 * usmt-steps.log and into the store, and the safety rules (hard-link volume, profiles at risk).
 * The decisions are in capture-plan.ts, the outcome in capture-report.ts; this module does the I/O in order.
 */
import { existsSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import type { StepContext, StepOutcome } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { STORE_LOGS_DIR, writeStoreMeta } from '../store/layout.js'
import { splitCommandLine } from '../windows/path.js'
import { captureLogFiles, decideCaptureStore, judgeLeftOut, planCaptureCommand } from './capture-plan.js'
import { LISTED_FILE, recordListedFiles } from './listed-proof.js'
import { captureOutcome, captureReturnCode, captureSealKey, captureSkipped, type CaptureResult } from './capture-report.js'
import { preCapture } from './cloud-step.js'
import { parseCaptureExtras } from './command-line.js'
import { childEnv, copyLogsToStore, localInputPath, portableFlags, profilesFolder, resolveXml, setupStep, storePaths, type StepSetup, type StorePaths } from './common.js'
import { toLocalPath } from './locate.js'
import { planOffline, volumeLookup, type OfflinePlan } from './offline.js'
import { classifyRun, skippedErrors, usmtFailure } from './outcome.js'
import { runUsmtTool } from './run-usmt.js'
import { assertHardLinkVolume } from './safety.js'
import { keyFileDir, storeDataKey, withKeyFile } from './secrets.js'
import { newSealKey } from '../store/seal.js'

export { decideCaptureStore, type CaptureStoreDecision } from './capture-plan.js'
export type { CaptureResult } from './capture-report.js'

export async function runCapture(ctx: StepContext): Promise<StepOutcome<CaptureResult>> {
  const s = await setupStep(ctx, 'capture')
  const { inputs } = s
  const lookup = (n: string): string | undefined => s.tsEnv.get(n) ?? ctx.env[n]
  if (inputs.storeType === 'none') return captureSkipped('nothing to capture: the plan chose no store (USMTStepsStoreType=none)')
  if (!inputs.storePath) throw new UsmtStepsError('USM0314', 'OSDStateStorePath is not set and --store was not given')
  const paths = storePaths(inputs.storePath, s, ctx.cwd)
  const storePath = paths.path
  const base = parseCaptureExtras(inputs.baseOptions, 'ScanStateArgs', lookup)
  const extra = parseCaptureExtras(inputs.additionalOptions, 'OSDMigrateAdditionalCaptureOptions', lookup)
  for (const n of [...base.notes, ...extra.notes]) ctx.warn(n)
  const store = decideCaptureStore(inputs, storePath, base, extra)
  if (store.network && !store.encrypt) ctx.warn(`the network store ${storePath} is written unencrypted (USMTStepsEncrypt=false)`)
  const offline = inputs.offline ? offlinePlan(ctx, s) : undefined
  if (store.hardLink) checkHardLinkVolume(ctx, s, paths, offline)

  // Before scanstate: the profiles (Entra ID accounts) and the cloud-only files in them, with their policy.
  const pre = await preCapture(ctx, {
    volumes: s.volumes, usersFile: inputs.usersFile, offlineWinDir: offline?.winDir, attributesFile: inputs.attributesFile, policy: inputs.cloudOnlyFiles, logDir: s.logDir,
  })
  // Migration XML.
  const xml = resolveXml(inputs.xmlFiles, s, ctx.cwd, inputs.xmlSource, inputs.rules.length > 0 && inputs.xmlSource.startsWith('default'))
  if (xml.missing.length) ctx.logger.info(`default migration XML not found (${xml.missing.join(', ')}): using --rules only`)
  const rules = inputs.rules.map((r) => localInputPath(r, s, ctx.cwd, '--rules file'))
  for (const r of rules) if (!existsSync(r)) throw new UsmtStepsError('USM0315', `--rules file ${r} does not exist`, { data: { file: r } })
  const config = inputs.configFile ? resolveXml([inputs.configFile], s, ctx.cwd, 'USMTConfigFile', false).found[0] : undefined
  // A share store with its own data key (store request wrote store-key.json): that key encrypts the store.
  const own = store.encrypt && store.network ? await storeDataKey({ storeRoot: paths.local, storeId: s.tsEnv.get('USMTStepsStoreId'), escrowKey: store.key, log: (l) => ctx.logger.info(l) }) : { key: store.key, perStore: false }

  const keyDir = keyFileDir(s.volumes, ctx.cwd, [os.tmpdir(), s.logDir])
  return withKeyFile(own.key, async (keyFile) => {
    const { options, kind, argv } = planCaptureCommand({
      inputs, usmtStore: paths.usmt, xmlFiles: [...xml.found, ...rules, ...(pre.cloud.exclusionXml ? [pre.cloud.exclusionXml] : [])], configFile: config,
      store, keyFile, logDir: s.logDir, offline, cwd: ctx.cwd,
    }, base, extra)
    const files = captureLogFiles(s.logDir)
    const listFile = localInputPath(options.listFiles as string, s, ctx.cwd, '/listfiles')
    // A hard-link or uncompressed store of the portable engine: its catalog is sealed with a new random key that
    // only the task sequence keeps (USMTStepsStoreSealKey, secret); scanstate reads it from a private key file.
    const sealKey = s.location.engine === 'portable' && kind !== 'compressed' ? newSealKey() : undefined
    const run = await withKeyFile(sealKey, (sealFile) => runUsmtTool(ctx, s.location.command('scanstate'), [...argv, ...portableFlags(s, 'scanstate'), ...(sealFile ? [`--seal-key-file=${sealFile}`] : [])], {
      label: 'Capturing user state', logFile: files.log, progressFile: files.progress, extraArtifacts: [listFile], heartbeatMs: inputs.heartbeatSeconds * 1000, env: childEnv(offline?.env), cwd: ctx.cwd,
    }), keyDir)
    if (run.spawnError) throw new UsmtStepsError('USM0300', `${s.location.command('scanstate').display} could not be started: ${run.spawnError}`)
    const c = classifyRun(run)
    const runLogs = [files.log, files.progress, listFile]
    const storeLogs = copyLogsToStore(paths.local, runLogs)
    const logs = runLogs.filter((f) => existsSync(f))
    const users = run.progress.detectedUsers.filter((u) => u.included).map((u) => u.user)
    const code = c.classification.code
    if (!c.classification.succeeded) {
      throw usmtFailure('scanstate', c, {
        restore: false, variables: captureReturnCode(code), actions: [`The scanstate log is ${files.log}${storeLogs.length ? ` (copy in ${nodePath.dirname(storeLogs[0])})` : ''}.`],
        data: { storePath, log: files.log },
      })
    }
    // A complete store (the step may still fail below) carries its seal key on.
    const done = { ...captureReturnCode(code), ...captureSealKey(sealKey) }
    const skipped = skippedErrors('scanstate', c, inputs.failOnIgnoredErrors, { variables: done })
    if (skipped.error) throw skipped.error
    if (skipped.warning) ctx.warn(skipped.warning)
    const leftOut = judgeLeftOut(run.progress, options, pre.profiles, inputs.profilesAtRisk, !inputs.replace && !store.network)
    for (const n of leftOut.neverUsed) ctx.warn(`not captured: ${n.what}`)
    const text = leftOut.risky.map((r) => r.what).join('; ')
    if (leftOut.action === 'fail') {
      throw new UsmtStepsError('USM0308', `the capture left out data that the refresh would wipe: ${text}`, {
        data: { atRisk: leftOut.risky, storePath }, variables: done,
      })
    }
    if (leftOut.action === 'warn') ctx.warn(`the capture left out: ${text}`)
    if (leftOut.action === 'log') ctx.logger.info(`left out (USMTStepsProfilesAtRisk=ignore): ${text}`)
    // Microsoft's store cannot be read later: record what scanstate listed, with its size and time, for the restore's proof.
    if (s.location.engine !== 'portable' && existsSync(paths.local) && existsSync(listFile)) {
      const listed = await recordListedFiles(listFile, (w) => toLocalPath(w, { platform: process.platform, volumes: s.volumes, cwd: ctx.cwd }) ?? null, nodePath.join(paths.local, STORE_LOGS_DIR, LISTED_FILE))
      ctx.logger.info(`recorded the size and time of ${listed.files} listed file(s) for the restore's proof${listed.unreadable.length ? `; ${listed.unreadable.length} could not be read and cannot be proven: ${listed.unreadable.slice(0, 20).join('; ')}` : ''}`)
    }
    const storeExists = existsSync(paths.local)
    if (storeExists) {
      writeStoreMeta(paths.local, {
        schema: 1, kind, encrypted: options.encrypt !== undefined, algorithm: options.encrypt?.algorithm, engine: s.location.engine,
        computer: inputs.computer, capturedAt: new Date().toISOString(), usmtReturnCode: code, users,
        ...(inputs.userMapArgs?.trim() ? { userMap: splitCommandLine(inputs.userMapArgs.trim()) } : {}),
      })
    }
    return captureOutcome({
      location: s.location, storePath, storeLocal: storeExists ? paths.local : undefined, kind, encryption: options.encrypt, offline,
      run: c, users, leftOut, cloud: pre.cloud, logs, storeLogs, durationMs: run.durationMs, sealKey,
    })
  }, keyDir)
}

/** Offline capture (Windows PE or a mounted volume): where the installation is and its architecture. */
function offlinePlan(ctx: StepContext, s: StepSetup): OfflinePlan {
  const { inputs } = s
  const look = process.platform === 'win32'
    ? { toLocal: (p: string) => p, drives: 'CDEFGHIJKLMNOPQRSTUVWYZ'.split('').map((l) => `${l}:`).filter((d) => existsSync(`${d}\\`)) }
    : volumeLookup(s.volumes)
  const offline = planOffline({
    offlineWinDir: inputs.offlineWinDir, originalArchitecture: inputs.originalArchitecture, toLocal: look.toLocal, drives: look.drives,
    runningDrive: process.platform === 'win32' ? ctx.env.SystemDrive : undefined, portable: s.location.engine === 'portable',
  })
  ctx.logger.notice(`offline capture of ${offline.winDir} (${offline.platformArch}-bit: ${offline.archSource}), USMT_WORKING_DIR=${offline.env.USMT_WORKING_DIR}`)
  return offline
}

/** Safety: a hard-link store must be on the profiles' volume (USM0302 otherwise). */
function checkHardLinkVolume(ctx: StepContext, s: StepSetup, paths: StorePaths, offline: OfflinePlan | undefined): void {
  const mappedSystem = s.volumes.get('C:')?.letter ?? s.volumes.fixed()[0]?.letter
  const profiles = profilesFolder(offline?.winDir, process.platform === 'win32' || !mappedSystem ? ctx.env : { SystemDrive: mappedSystem })
  const why = assertHardLinkVolume({
    storePath: paths.path, localStore: paths.local, profilesPath: profiles,
    localProfiles: s.volumes.toLocal(profiles) ?? (process.platform === 'win32' ? profiles : undefined),
  })
  ctx.logger.info(`hard-link store check: ${why}`)
}
