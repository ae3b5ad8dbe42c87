/**
 * `usmt-steps capture`: ScanState into the planned store, with validated options, encryption of network
 * stores through a key file, offline capture in Windows PE, progress, classified outcome, logs copied next to
 * usmt-steps.log and into the store, and the safety rules (hard-link volume, profiles at risk).
 */
import { STORE_LOGS_DIR } from '../store/layout.js'
import { LISTED_FILE, recordListedFiles } from './listed-proof.js'
import { existsSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { StepContext, StepOutcome } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { stepVariables } from '../runtime/variables.js'
import { buildScanStateArgs, type ScanStateOptions } from '../usmt/index.js'
import { isUnc, splitCommandLine } from '../windows/path.js'
import { captureDefaults, finishCapture, mergeOptions, parseCaptureExtras, type CaptureBuild, type ExtraOptions } from './command-line.js'
import type { StepInputs } from './inputs.js'
import { storeKindFromSwitches, type StoreKind } from '../store/kind.js'
import { childEnv, copyLogsToStore, portableFlags, localInputPath, profilesFolder, resolveXml, setupStep, storePaths } from './common.js'
import { classifyRun, ignoredLines, usmtFailure } from './outcome.js'
import { planOffline, volumeLookup, type OfflinePlan } from './offline.js'
import { runUsmtTool } from './run-usmt.js'
import { assertHardLinkVolume, profilesAtRisk, userMatcher, type AtRisk } from './safety.js'
import { cloudVariables, preCapture, type CloudOnlyResult } from './cloud-step.js'
import { storeDataKey, withKeyFile } from './secrets.js'
import { newSealKey } from '../store/seal.js'
import { writeStoreMeta } from '../store/layout.js'

export interface CaptureResult {
  skipped: boolean
  engine?: 'microsoft' | 'portable'
  usmt?: string
  storePath?: string
  storeKind?: StoreKind
  encrypted?: boolean
  algorithm?: string
  /** Hard-link and uncompressed stores: whether the catalog is sealed (portable engine; the key is in USMTStepsStoreSealKey). */
  catalogSealed?: boolean
  offline?: { winDir: string; platformArch: string }
  usmtReturnCode?: number
  usmtResult?: string
  ignoredErrors: number
  users: string[]
  atRisk: string[]
  /** The profiles at risk with the reason (report: Users table). */
  atRiskDetails: AtRisk[]
  /** Cloud-only files found before the capture and what the policy did with them. */
  cloudOnly?: CloudOnlyResult
  logs: string[]
  durationMs?: number
}

/** USMT's return code, which a failed capture still records for the report. */
const returnCode = (code: number): Record<string, string> => stepVariables('capture', { USMTStepsUsmtReturnCode: String(code) })

export interface CaptureStoreDecision {
  /** The store leaves the machine (share, SMP, UNC path or a replace). */
  network: boolean
  hardLink: boolean
  encrypt: boolean
  key?: string
}

/**
 * The store kind and its encryption, from the inputs and the ScanState option texts (pure). Refuses a
 * hard-link store that would leave the machine (USM0302) and a store that must be encrypted without a key (USM0303).
 */
export function decideCaptureStore(inputs: StepInputs, storePath: string, base: ExtraOptions<ScanStateOptions>, extra: ExtraOptions<ScanStateOptions>): CaptureStoreDecision {
  const network = inputs.storeType === 'share' || inputs.storeType === 'smp' || isUnc(storePath) || inputs.replace
  const hardLink = inputs.hardLink ?? (inputs.storeType === 'hardlink' || base.options.hardlink || extra.options.hardlink)
  if (hardLink && (inputs.replace || isUnc(storePath))) {
    throw new UsmtStepsError('USM0302', `a hard-link store cannot ${inputs.replace ? 'move to another computer (DeploymentType=REPLACE)' : `be on the network path ${storePath}`}`, {
      actions: ['Use a compressed store for a replace or a network store; hard-link stores are for refreshes on the same volume.'],
    })
  }
  const key = inputs.key ?? extra.key ?? base.key
  const explicitEncrypt = base.options.encrypt !== undefined || extra.options.encrypt !== undefined
  // Our capture replaces the native Capture User State step, which ConfigMgr relies on to encrypt SMP stores: an SMP
  // store is always encrypted, with the admin's key, and without one nothing is written.
  const smp = inputs.storeType === 'smp'
  const encrypt = !hardLink && (explicitEncrypt || smp || (network && inputs.encryptNetworkStore))
  if (smp && key === undefined) {
    throw new UsmtStepsError('USM0303', `the state migration point store ${storePath} must be encrypted, but USMTStepsEncryptionKey and UserDataKey are empty; nothing was written`, {
      data: { storePath },
      extraActions: ['Set USMTStepsEncryptionKey as a hidden collection variable (Device Collection → Properties → Collection Variables, "Do not display this value"); restore on the destination reads the same variable.'],
    })
  }
  if (encrypt && key === undefined) {
    throw new UsmtStepsError('USM0303', `the ${network ? `network store ${storePath}` : `store ${storePath}`} must be encrypted (${explicitEncrypt ? '/encrypt in the options' : 'encryption of network stores is on'}) but USMTStepsEncryptionKey and UserDataKey are empty`, {
      data: { storePath },
    })
  }
  return { network, hardLink: hardLink === true, encrypt, key }
}

export async function runCapture(ctx: StepContext): Promise<StepOutcome<CaptureResult>> {
  const s = await setupStep(ctx, 'capture')
  const { inputs } = s
  const lookup = (n: string): string | undefined => s.tsEnv.get(n) ?? ctx.env[n]
  if (inputs.storeType === 'none') {
    return { result: { skipped: true, ignoredErrors: 0, users: [], atRisk: [], atRiskDetails: [], logs: [] }, summary: 'nothing to capture: the plan chose no store (USMTStepsStoreType=none)' }
  }
  if (!inputs.storePath) throw new UsmtStepsError('USM0314', 'OSDStateStorePath is not set and --store was not given')
  const paths = storePaths(inputs.storePath, s, ctx.cwd)
  const storePath = paths.path
  const base = parseCaptureExtras(inputs.baseOptions, 'ScanStateArgs', lookup)
  const extra = parseCaptureExtras(inputs.additionalOptions, 'OSDMigrateAdditionalCaptureOptions', lookup)
  for (const n of [...base.notes, ...extra.notes]) ctx.warn(n)
  const { network, hardLink, key, encrypt } = decideCaptureStore(inputs, storePath, base, extra)
  if (network && !encrypt) ctx.warn(`the network store ${storePath} is written unencrypted (USMTStepsEncrypt=false)`)

  // Offline (Windows PE or a mounted volume).
  let offline: OfflinePlan | undefined
  if (inputs.offline) {
    const look = process.platform === 'win32'
      ? { toLocal: (p: string) => p, drives: 'CDEFGHIJKLMNOPQRSTUVWYZ'.split('').map((l) => `${l}:`).filter((d) => existsSync(`${d}\\`)) }
      : volumeLookup(s.volumes)
    offline = planOffline({
      offlineWinDir: inputs.offlineWinDir, originalArchitecture: inputs.originalArchitecture, toLocal: look.toLocal, drives: look.drives,
      runningDrive: process.platform === 'win32' ? ctx.env.SystemDrive : undefined, portable: s.location.engine === 'portable',
    })
    ctx.logger.notice(`offline capture of ${offline.winDir} (${offline.platformArch}-bit: ${offline.archSource}), USMT_WORKING_DIR=${offline.env.USMT_WORKING_DIR}`)
  }

  // Safety: a hard-link store on the profiles' volume.
  if (hardLink) {
    const mappedSystem = s.volumes.get('C:')?.letter ?? s.volumes.fixed()[0]?.letter
    const profiles = profilesFolder(offline?.winDir, process.platform === 'win32' || !mappedSystem ? ctx.env : { SystemDrive: mappedSystem })
    const why = assertHardLinkVolume({
      storePath, localStore: paths.local, profilesPath: profiles,
      localProfiles: s.volumes.toLocal(profiles) ?? (process.platform === 'win32' ? profiles : undefined),
    })
    ctx.logger.info(`hard-link store check: ${why}`)
  }

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
  const logFile = nodePath.join(s.logDir, 'scanstate.log')
  const progressFile = nodePath.join(s.logDir, 'scanstate-progress.log')
  // /listfiles: every captured file, for the report's per-user breakdown (an admin's own /listfiles wins).
  const defaultListFile = nodePath.join(s.logDir, 'scanstate-listfiles.txt')
  const keyFromFile = base.options.keyFile ?? extra.options.keyFile
  // A share store with its own data key (store request wrote store-key.json): that key encrypts the store.
  const own = encrypt && network ? await storeDataKey({ storeRoot: paths.local, storeId: s.tsEnv.get('USMTStepsStoreId'), escrowKey: key, log: (l) => ctx.logger.info(l) }) : { key, perStore: false }

  return withKeyFile(own.key, async (keyFile) => {
    const b: CaptureBuild = {
      storePath: paths.usmt, xmlFiles: [...xml.found, ...rules, ...(pre.cloud.exclusionXml ? [pre.cloud.exclusionXml] : [])], configFile: config, continueOnError: inputs.continueOnError,
      verbose: inputs.verbose, skipEncryptedFiles: inputs.skipEncryptedFiles, vss: inputs.vss, hardLink,
      encrypt: encrypt ? { algorithm: inputs.algorithm, keyFile: keyFile ?? keyFromFile ?? '' } : undefined,
      udProfiles: inputs.udProfiles, logFile, progressFile,
      offline: offline ? (offline.switch === 'offlineWinOld' ? { winOld: offline.winDir } : { winDir: offline.winDir }) : undefined,
    }
    const options = finishCapture(mergeOptions(mergeOptions(captureDefaults(b), base.options), extra.options), b, ctx.cwd)
    options.listFiles ??= defaultListFile
    const listFile = localInputPath(options.listFiles, s, ctx.cwd, '/listfiles')
    const kind = storeKindFromSwitches(options)
    const argv = [...buildScanStateArgs(options), ...portableFlags(s, 'scanstate')]
    // A hard-link or uncompressed store of the portable engine: its catalog is sealed with a new random key that
    // only the task sequence keeps (USMTStepsStoreSealKey, secret); scanstate reads it from a private key file.
    const sealKey = s.location.engine === 'portable' && kind !== 'compressed' ? newSealKey() : undefined
    const sealVar = stepVariables('capture', { USMTStepsStoreSealKey: sealKey ?? '' })
    const run = await withKeyFile(sealKey, (sealFile) => runUsmtTool(ctx, s.location.command('scanstate'), [...argv, ...(sealFile ? [`--seal-key-file=${sealFile}`] : [])], {
      label: 'Capturing user state', logFile, progressFile, extraArtifacts: [listFile], heartbeatMs: inputs.heartbeatSeconds * 1000, env: childEnv(offline?.env), cwd: ctx.cwd,
    }))
    if (run.spawnError) throw new UsmtStepsError('USM0300', `${s.location.command('scanstate').display} could not be started: ${run.spawnError}`)
    const c = classifyRun(run)
    const storeLogs = copyLogsToStore(paths.local, [logFile, progressFile, listFile])
    const logs = [logFile, progressFile, listFile].filter((f) => existsSync(f))
    const users = run.progress.detectedUsers.filter((u) => u.included).map((u) => u.user)
    if (!c.classification.succeeded) {
      throw usmtFailure('scanstate', c, {
        restore: false, variables: returnCode(c.classification.code), actions: [`The scanstate log is ${logFile}${storeLogs.length ? ` (copy in ${nodePath.dirname(storeLogs[0])})` : ''}.`],
        data: { storePath, log: logFile },
      })
    }
    if (c.ignored.length > 0 || c.classification.code === 3) {
      const lines = ignoredLines(c.ignored)
      if (inputs.failOnIgnoredErrors) {
        throw new UsmtStepsError('USM0306', `scanstate skipped ${c.ignored.length} error(s) because of /c: ${lines.join('; ')}`, {
          data: { returnCode: c.classification.code }, variables: { ...returnCode(c.classification.code), ...sealVar },
        })
      }
      ctx.warn(`scanstate skipped ${c.ignored.length} error(s) because of /c (return code ${c.classification.code}): ${lines.join('; ')}`)
    }
    // Left out on purpose only when /ue or /uel excluded the user and no /ui named it: /ui wins over both in
    // USMT, so a user usmt-steps users selected (/ue:*\* /ui:…) that scanstate still skipped is at risk.
    const named = userMatcher(options.ui)
    const excluded = userMatcher(options.ue)
    const found = profilesAtRisk(run.progress, (u) => !named(u) && (excluded(u) || options.uel !== undefined), pre.profiles)
    // A profile never used is left out by USMT whatever the rules say (OOBE's defaultuser0 on many PCs): said, never a stop.
    for (const n of found.filter((r) => r.kind === 'never-used-profile')) ctx.warn(`not captured: ${n.what}`)
    const risky = found.filter((r) => r.kind !== 'never-used-profile')
    const refresh = !inputs.replace && !network
    if (risky.length > 0 && inputs.profilesAtRisk !== 'ignore') {
      const text = risky.map((r) => r.what).join('; ')
      if (inputs.profilesAtRisk === 'fail' && refresh) {
        throw new UsmtStepsError('USM0308', `the capture left out data that the refresh would wipe: ${text}`, {
          data: { atRisk: risky, storePath }, variables: { ...returnCode(c.classification.code), ...sealVar },
        })
      }
      ctx.warn(`the capture left out: ${text}`)
    } else if (risky.length > 0) {
      ctx.logger.info(`left out (USMTStepsProfilesAtRisk=ignore): ${risky.map((r) => r.what).join('; ')}`)
    }
    // Microsoft's store cannot be read later: record what scanstate listed, with its size and time, for the restore's proof.
    if (s.location.engine !== 'portable' && existsSync(paths.local) && existsSync(listFile)) {
      const listed = await recordListedFiles(listFile, (w) => s.volumes.toLocal(w) ?? (process.platform === 'win32' ? w : null), nodePath.join(paths.local, STORE_LOGS_DIR, LISTED_FILE))
      ctx.logger.info(`recorded the size and time of ${listed.files} listed file(s) for the restore's proof${listed.unreadable.length ? `; ${listed.unreadable.length} could not be read and cannot be proven: ${listed.unreadable.slice(0, 20).join('; ')}` : ''}`)
    }
    if (existsSync(paths.local)) {
      writeStoreMeta(paths.local, {
        schema: 1, kind, encrypted: options.encrypt !== undefined, algorithm: options.encrypt?.algorithm, engine: s.location.engine,
        computer: inputs.computer, capturedAt: new Date().toISOString(), usmtReturnCode: c.classification.code, users,
        ...(inputs.userMapArgs?.trim() ? { userMap: splitCommandLine(inputs.userMapArgs.trim()) } : {}),
      })
    }
    const result: CaptureResult = {
      skipped: false, engine: s.location.engine, usmt: s.location.dir ?? s.location.source, storePath, storeKind: kind,
      encrypted: options.encrypt !== undefined, algorithm: options.encrypt?.algorithm, catalogSealed: kind === 'compressed' ? undefined : sealKey !== undefined,
      offline: offline ? { winDir: offline.winDir, platformArch: offline.platformArch } : undefined,
      usmtReturnCode: c.classification.code, usmtResult: c.classification.name, ignoredErrors: c.ignored.length, users,
      atRisk: risky.map((r) => r.what), atRiskDetails: found, cloudOnly: pre.cloud, logs: [...logs, ...storeLogs], durationMs: run.durationMs,
    }
    const kindText = kind === 'hardlink' ? 'hard-link' : kind === 'compressed' ? (result.encrypted ? `compressed, ${result.algorithm}-encrypted` : 'compressed, unencrypted') : 'uncompressed'
    return {
      result,
      // The restore side's report reads the capture's run record from the store (a replace has no shared log folder).
      recordAlsoIn: existsSync(paths.local) ? [nodePath.join(paths.local, STORE_LOGS_DIR)] : [],
      summary: `captured ${users.length} user(s) into the ${kindText} store ${storePath} (scanstate ${c.classification.code} ${c.classification.name}, ${(run.durationMs / 1000).toFixed(1)} s)`,
      text: [
        `USMT: ${s.location.engine === 'portable' ? 'portable engine' : `${s.location.dir}`} (${s.location.source})`,
        `Store: ${storePath} (${kindText}${kind === 'compressed' ? '' : sealKey ? ', catalog sealed' : ', catalog not sealed'})`,
        `Users: ${users.join(', ') || 'none'}`,
        ...(offline ? [`Offline Windows: ${offline.winDir}`] : []),
        `Cloud-only files: ${pre.cloud.files ? `${pre.cloud.files} (${pre.cloud.bytes} bytes) ${pre.cloud.action === 'warned' ? 'left out with a warning' : 'left out on purpose'}` : pre.cloud.checked ? 'none' : 'not checked'} (source ${pre.cloud.source})`,
        ...(risky.length ? [`At risk: ${risky.map((r) => r.what).join('; ')}`] : []),
        `Logs: ${logs.join(', ')}`,
      ].join('\n'),
      variables: stepVariables('capture', {
        ...returnCode(c.classification.code),
        USMTStepsUsmtEngine: s.location.engine,
        USMTStepsCaptureStorePath: storePath,
        USMTStepsCaptureStoreKind: kind,
        USMTStepsCaptureEncrypted: String(result.encrypted),
        ...sealVar,
        USMTStepsCapturedUsers: users.join(',').slice(0, 3900),
        USMTStepsIgnoredErrors: String(c.ignored.length),
        ...cloudVariables(pre.cloud),
      }),
    }
  })
}
