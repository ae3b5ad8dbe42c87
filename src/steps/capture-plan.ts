/**
 * The capture's decisions, as pure functions: the store's kind and encryption, where USMT's logs go, the
 * scanstate options and command line, and what the run's left-out profiles mean for the step. capture.ts runs
 * them (I/O), capture-report.ts turns the run into the step's outcome.
 */
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { storeKindFromSwitches, type StoreKind } from '../store/kind.js'
import { buildScanStateArgs, type ProgressState, type ScanStateOptions } from '../usmt/index.js'
import { isUnc } from '../windows/path.js'
import { captureDefaults, finishCapture, mergeOptions, type CaptureBuild, type ExtraOptions } from './command-line.js'
import type { StepInputs } from './inputs.js'
import type { OfflinePlan } from './offline.js'
import { profilesAtRisk, userMatcher, type AtRisk } from './safety.js'

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

/** Where scanstate writes its log, its progress log and (unless the admin names one) its /listfiles. */
export function captureLogFiles(logDir: string): { log: string; progress: string; listFiles: string } {
  return {
    log: nodePath.join(logDir, 'scanstate.log'),
    progress: nodePath.join(logDir, 'scanstate-progress.log'),
    // /listfiles: every captured file, for the report's per-user breakdown (an admin's own /listfiles wins).
    listFiles: nodePath.join(logDir, 'scanstate-listfiles.txt'),
  }
}

export interface CaptureCommandInput {
  inputs: StepInputs
  /** The store as USMT gets it (StorePaths.usmt). */
  usmtStore: string
  /** /i files: migration XML, --rules, and the cloud-only exclusion XML. */
  xmlFiles: string[]
  configFile?: string
  store: CaptureStoreDecision
  /** The key file of this run (else the admin's own /keyfile). */
  keyFile?: string
  logDir: string
  offline?: OfflinePlan
  cwd: string
}

export interface CaptureCommand {
  options: ScanStateOptions
  kind: StoreKind
  /** The scanstate arguments (the engine's own flags are added by the caller). */
  argv: string[]
}

/**
 * The scanstate options: the step's defaults < ScanStateArgs (MDT) < OSDMigrateAdditionalCaptureOptions, then
 * the store kind's rules (USM0302 for combinations USMT refuses) and the default /listfiles.
 */
export function planCaptureCommand(p: CaptureCommandInput, base: ExtraOptions<ScanStateOptions>, extra: ExtraOptions<ScanStateOptions>): CaptureCommand {
  const { inputs, offline } = p
  const files = captureLogFiles(p.logDir)
  const keyFromOptions = base.options.keyFile ?? extra.options.keyFile
  const b: CaptureBuild = {
    storePath: p.usmtStore, xmlFiles: p.xmlFiles, configFile: p.configFile, continueOnError: inputs.continueOnError,
    verbose: inputs.verbose, skipEncryptedFiles: inputs.skipEncryptedFiles, vss: inputs.vss, hardLink: p.store.hardLink,
    encrypt: p.store.encrypt ? { algorithm: inputs.algorithm, keyFile: p.keyFile ?? keyFromOptions ?? '' } : undefined,
    udProfiles: inputs.udProfiles, logFile: files.log, progressFile: files.progress,
    offline: offline ? (offline.switch === 'offlineWinOld' ? { winOld: offline.winDir } : { winDir: offline.winDir }) : undefined,
  }
  const options = finishCapture(mergeOptions(mergeOptions(captureDefaults(b), base.options), extra.options), b, p.cwd)
  options.listFiles ??= files.listFiles
  return { options, kind: storeKindFromSwitches(options), argv: buildScanStateArgs(options) }
}

export interface LeftOutVerdict {
  /** Every profile the capture left out, with the reason (the report's Users table). */
  found: AtRisk[]
  /** Profiles never used: USMT leaves them out whatever the rules say (OOBE's defaultuser0); said, never a stop. */
  neverUsed: AtRisk[]
  /** Profiles left out that hold data. */
  risky: AtRisk[]
  /** What the step does about `risky`: stop (USM0308), warn, or only log (USMTStepsProfilesAtRisk=ignore). */
  action: 'none' | 'fail' | 'warn' | 'log'
}

/**
 * The profiles the capture left out and what that means: only a refresh (the disk is wiped, the store stays on
 * it) fails for them, and only when USMTStepsProfilesAtRisk=fail. A user is left out on purpose only when /ue or
 * /uel excluded it and no /ui named it: /ui wins over both in USMT, so a user usmt-steps users selected
 * (/ue:*\* /ui:…) that scanstate still skipped is at risk.
 */
export function judgeLeftOut(
  progress: ProgressState, options: Pick<ScanStateOptions, 'ui' | 'ue' | 'uel'>, profiles: Parameters<typeof profilesAtRisk>[2],
  policy: StepInputs['profilesAtRisk'], refresh: boolean,
): LeftOutVerdict {
  const named = userMatcher(options.ui)
  const excluded = userMatcher(options.ue)
  const found = profilesAtRisk(progress, (u) => !named(u) && (excluded(u) || options.uel !== undefined), profiles)
  const neverUsed = found.filter((r) => r.kind === 'never-used-profile')
  const risky = found.filter((r) => r.kind !== 'never-used-profile')
  const action = risky.length === 0 ? 'none' : policy === 'ignore' ? 'log' : policy === 'fail' && refresh ? 'fail' : 'warn'
  return { found, neverUsed, risky, action }
}
