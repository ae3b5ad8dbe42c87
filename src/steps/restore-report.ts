/**
 * The restore step's outcome from what the run did (pure): the result for --json and the report, the summary
 * line, the text, the exit (a restart to remove a hard-link store) and the task-sequence variables.
 */
import * as nodePath from 'node:path'
import type { StepOutcome } from '../cli/step-command.js'
import { stepVariables } from '../runtime/variables.js'
import type { StoreKind } from '../store/kind.js'
import { STORE_LOGS_DIR } from '../store/layout.js'
import type { ClassifiedRun } from './outcome.js'
import { proofVariables } from './proof-step.js'
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
export const restoreReturnCode = (code: number): Record<string, string> => stepVariables('restore', { USMTStepsUsmtReturnCode: String(code) })

export function restoreSkipped(summary: string): StepOutcome<RestoreResult> {
  return { result: { skipped: true, ignoredErrors: 0, users: [], storeRemoved: false, rebootRequired: false, logs: [] }, summary }
}

export interface RestoreRun {
  engine: 'microsoft' | 'portable'
  storePath: string
  /** The store's local folder when it still exists (the run record is copied into its Logs folder). */
  storeLocal?: string
  kind: StoreKind
  encrypted: boolean
  verified: boolean
  catalogSeal?: CatalogSeal
  run: ClassifiedRun
  users: string[]
  storeRemoved: boolean
  storeKept?: string
  rebootRequired: boolean
  proof: RestoreProof
  /** USMT's logs beside usmt-steps.log, then their copies in the store. */
  logs: string[]
  storeLogs: string[]
  durationMs: number
}

export function restoreOutcome(r: RestoreRun): StepOutcome<RestoreResult> {
  const { storePath, kind, encrypted, verified, users, storeRemoved, storeKept, rebootRequired, proof } = r
  const k = r.run.classification
  const result: RestoreResult = {
    skipped: false, engine: r.engine, storePath, storeKind: kind, encrypted, verified, catalogSeal: r.catalogSeal,
    usmtReturnCode: k.code, usmtResult: k.name, ignoredErrors: r.run.ignored.length, users,
    storeRemoved, storeKept, rebootRequired, proof, logs: [...r.logs, ...r.storeLogs], durationMs: r.durationMs,
  }
  return {
    result,
    // Beside the capture's record in the store: the share then holds both sides' records for the report.
    recordAlsoIn: r.storeLocal ? [nodePath.join(r.storeLocal, STORE_LOGS_DIR)] : [],
    summary: `restored ${users.length} user(s) from the ${kind} store ${storePath} (loadstate ${k.code} ${k.name}; ${proof.checked ? `${proof.verified} file(s) proven${proof.missing.length + proof.changed.length ? `, ${proof.missing.length} missing, ${proof.changed.length} changed` : ''}` : 'not proven'}${storeRemoved ? ', store removed' : ''}${rebootRequired ? ', restart needed' : ''})`,
    text: [
      `Store: ${storePath} (${kind}${encrypted ? ', encrypted' : ''}${verified ? ', verified' : ''}${r.catalogSeal ? `, catalog seal ${r.catalogSeal}` : ''})`,
      `Users: ${users.join(', ') || 'none'}`,
      `Proof: ${proof.checked ? describeProof(proof) : `not done (${proof.note})`}`,
      storeRemoved ? 'Hard-link store removed (usmtutils /rd).' : `Store kept: ${storeKept}`,
      `Logs: ${r.logs.join(', ')}`,
    ].join('\n'),
    exit: rebootRequired ? 'reboot' : 'success',
    variables: stepVariables('restore', {
      ...restoreReturnCode(k.code),
      USMTStepsUsmtEngine: r.engine,
      USMTStepsRestoredUsers: users.join(',').slice(0, 3900),
      USMTStepsIgnoredErrors: String(r.run.ignored.length),
      USMTStepsStoreRemoved: String(storeRemoved),
      ...proofVariables(proof),
      SMSTSRebootRequested: rebootRequired ? 'HD' : undefined,
    }),
  }
}
