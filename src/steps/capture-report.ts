/**
 * The capture step's outcome from what the run did (pure): the result for --json and the report, the summary
 * line, the text, and the task-sequence variables the capture hands the later steps.
 */
import * as nodePath from 'node:path'
import type { StepOutcome } from '../cli/step-command.js'
import { stepVariables } from '../runtime/variables.js'
import { STORE_LOGS_DIR } from '../store/layout.js'
import type { StoreKind } from '../store/kind.js'
import type { LeftOutVerdict } from './capture-plan.js'
import { cloudVariables, type CloudOnlyResult } from './cloud-step.js'
import type { UsmtLocation } from './locate.js'
import type { OfflinePlan } from './offline.js'
import type { ClassifiedRun } from './outcome.js'
import type { AtRisk } from './safety.js'

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
export const captureReturnCode = (code: number): Record<string, string> => stepVariables('capture', { USMTStepsUsmtReturnCode: String(code) })

/**
 * The seal key of the store's catalog for the restore (secret), or empty: a capture that sealed nothing clears
 * the key an earlier capture of the task sequence may have left.
 */
export const captureSealKey = (key: string | undefined): Record<string, string> => stepVariables('capture', { USMTStepsStoreSealKey: key ?? '' })

/** The outcome of a capture the plan skipped (USMTStepsStoreType=none). */
export function captureSkipped(summary: string): StepOutcome<CaptureResult> {
  return { result: { skipped: true, ignoredErrors: 0, users: [], atRisk: [], atRiskDetails: [], logs: [] }, summary }
}

export interface CaptureRun {
  location: Pick<UsmtLocation, 'engine' | 'dir' | 'source'>
  storePath: string
  /** The store's local folder when it exists (the run record is copied into its Logs folder). */
  storeLocal?: string
  kind: StoreKind
  /** scanstate's /encrypt (undefined: the store is not encrypted). */
  encryption?: { algorithm?: string }
  offline?: OfflinePlan
  run: ClassifiedRun
  users: string[]
  leftOut: LeftOutVerdict
  cloud: CloudOnlyResult
  /** USMT's logs beside usmt-steps.log, then their copies in the store. */
  logs: string[]
  storeLogs: string[]
  durationMs: number
  /** The key that sealed the catalog of a hard-link or uncompressed store (portable engine). */
  sealKey?: string
}

export function captureOutcome(r: CaptureRun): StepOutcome<CaptureResult> {
  const { location, storePath, kind, offline, users, cloud } = r
  const k = r.run.classification
  const risky = r.leftOut.risky
  const encrypted = r.encryption !== undefined
  const result: CaptureResult = {
    skipped: false, engine: location.engine, usmt: location.dir ?? location.source, storePath, storeKind: kind,
    encrypted, algorithm: r.encryption?.algorithm, catalogSealed: kind === 'compressed' ? undefined : r.sealKey !== undefined,
    offline: offline ? { winDir: offline.winDir, platformArch: offline.platformArch } : undefined,
    usmtReturnCode: k.code, usmtResult: k.name, ignoredErrors: r.run.ignored.length, users,
    atRisk: risky.map((x) => x.what), atRiskDetails: r.leftOut.found, cloudOnly: cloud, logs: [...r.logs, ...r.storeLogs], durationMs: r.durationMs,
  }
  const kindText = kind === 'hardlink' ? 'hard-link' : kind === 'compressed' ? (encrypted ? `compressed, ${result.algorithm}-encrypted` : 'compressed, unencrypted') : 'uncompressed'
  return {
    result,
    // The restore side's report reads the capture's run record from the store (a replace has no shared log folder).
    recordAlsoIn: r.storeLocal ? [nodePath.join(r.storeLocal, STORE_LOGS_DIR)] : [],
    summary: `captured ${users.length} user(s) into the ${kindText} store ${storePath} (scanstate ${k.code} ${k.name}, ${(r.durationMs / 1000).toFixed(1)} s)`,
    text: [
      `USMT: ${location.engine === 'portable' ? 'portable engine' : `${location.dir}`} (${location.source})`,
      `Store: ${storePath} (${kindText}${kind === 'compressed' ? '' : r.sealKey !== undefined ? ', catalog sealed' : ', catalog not sealed'})`,
      `Users: ${users.join(', ') || 'none'}`,
      ...(offline ? [`Offline Windows: ${offline.winDir}`] : []),
      `Cloud-only files: ${cloud.files ? `${cloud.files} (${cloud.bytes} bytes) ${cloud.action === 'warned' ? 'left out with a warning' : 'left out on purpose'}` : cloud.checked ? 'none' : 'not checked'} (source ${cloud.source})`,
      ...(risky.length ? [`At risk: ${risky.map((x) => x.what).join('; ')}`] : []),
      `Logs: ${r.logs.join(', ')}`,
    ].join('\n'),
    variables: stepVariables('capture', {
      ...captureReturnCode(k.code),
      USMTStepsUsmtEngine: location.engine,
      USMTStepsCaptureStorePath: storePath,
      USMTStepsCaptureStoreKind: kind,
      USMTStepsCaptureEncrypted: String(encrypted),
      ...captureSealKey(r.sealKey),
      USMTStepsCapturedUsers: users.join(',').slice(0, 3900),
      USMTStepsIgnoredErrors: String(r.run.ignored.length),
      ...cloudVariables(cloud),
    }),
  }
}
