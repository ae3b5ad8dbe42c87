/**
 * The restore's proof, wired to the stores: the capture-time identity of every stored file comes from the
 * store's own catalog (read with the store key for an encrypted store), where each file went from the portable
 * loadstate's --applied list, then `proveRestore` checks the destination. Microsoft's store format cannot be
 * read here: a restore by Microsoft's loadstate is proven by size from the file list the capture recorded
 * (listed-proof.ts), or says "not proven" with the reason when there is none.
 */
import { existsSync, readFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { StepContext } from '../cli/step-command.js'
import { stepVariables } from '../runtime/variables.js'
import { FILE_DIR } from '../store/file-store.js'
import { STORE_LOGS_DIR } from '../store/layout.js'
import { listedFileIn, proveListed, readListedFiles } from './listed-proof.js'
import { toLocalPath } from './locate.js'
import { openStore, USMT_DIR } from '../store/store.js'
import type { VolumeMap } from '../windows/volume-map.js'
import { describeProof, parseApplied, planProof, PROOF_METHOD_TEXT, proveRestore, uncheckedProof, type ProofPlan, type RestoreProof } from './proof.js'

/**
 * What a caller of the restore service can inject (tests: alter or remove a restored file between loadstate
 * and the proof). Not reachable from the command line, a variable or the environment.
 */
export interface RestoreHooks {
  beforeProof?: (plan: ProofPlan) => Promise<void> | void
}

export interface ProofInputs {
  engine: 'microsoft' | 'portable'
  /** The store root as this process reads it. */
  storeLocal: string
  /** The store key (encrypted compressed stores). */
  key?: string
  /** The seal key of a sealed hard-link or uncompressed store's catalog (USMTStepsStoreSealKey). */
  sealKey?: string
  /** The portable loadstate's --applied file. */
  appliedFile?: string
  volumes: VolumeMap
  hooks?: RestoreHooks
  /** The restore's /mu mappings (where a Microsoft-engine proof looks for a moved profile's files). */
  userMap?: ReadonlyArray<{ from: string; to: string }>
  /** The destination's system drive (default C:). */
  systemDrive?: string
}

/** Where this process reads a destination's Windows path: through the volume map, or the path itself on Windows. */
function localOf(volumes: VolumeMap): (win: string) => string | null {
  return (w) => toLocalPath(w, { platform: process.platform, volumes, cwd: process.cwd() }) ?? null
}

export async function proveRestoredFiles(ctx: StepContext, o: ProofInputs): Promise<RestoreProof> {
  if (o.engine !== 'portable') return proveMicrosoftRestore(ctx, o)
  if (!o.appliedFile || !existsSync(o.appliedFile)) return uncheckedProof(`loadstate did not write the list of applied files (${o.appliedFile ?? 'no --applied file'})`)
  ctx.progress.update({ phase: 'Proving the restore', detail: 'reading the store catalog' })
  const store = await openStore(o.storeLocal, { ...(o.key !== undefined ? { secret: o.key } : {}), ...(o.sealKey !== undefined ? { sealKey: o.sealKey } : {}) })
  try {
    const applied = parseApplied(readFileSync(o.appliedFile, 'utf8'))
    const plan = await planProof(store.catalog.files, applied, {
      storeFileDir: store.kind === 'hardlink' ? nodePath.join(o.storeLocal, USMT_DIR, FILE_DIR) : undefined,
      toLocal: localOf(o.volumes),
    })
    await o.hooks?.beforeProof?.(plan)
    ctx.progress.update({ phase: 'Proving the restore', detail: `${plan.items.length} files` })
    const proof = await proveRestore(plan.items, { skipped: plan.skipped, notRestored: plan.notRestored, method: PROOF_METHOD_TEXT[store.kind] })
    ctx.logger.info(`proof (${proof.method}): ${describeProof(proof)}; ${proof.methods.content} by content, ${proof.methods['same-file']} same file, ${proof.methods['size-time']} by size and time, ${proof.bytesRead} bytes read`)
    for (const m of proof.missing.slice(0, 200)) ctx.logger.warn(`proof: missing ${m.path} (captured as ${m.source}): ${m.why}`)
    for (const c of proof.changed.slice(0, 200)) ctx.logger.warn(`proof: changed ${c.path} (captured as ${c.source}): ${c.why}`)
    return proof
  } finally {
    await store.close()
  }
}

/**
 * A store made by Microsoft's scanstate: its format cannot be read, so the proof uses the list of files the
 * capture recorded from scanstate's /listfiles (listed-proof.ts), by size, where USMT restores each file.
 */
async function proveMicrosoftRestore(ctx: StepContext, o: ProofInputs): Promise<RestoreProof> {
  const listed = listedFileIn(nodePath.join(o.storeLocal, STORE_LOGS_DIR))
  if (!listed) {
    return uncheckedProof('Microsoft\'s store format cannot be read by usmt-steps and the capture recorded no list of the stored files (a store made by another tool or an older usmt-steps); loadstate\'s return code and log are the only check')
  }
  ctx.progress.update({ phase: 'Proving the restore', detail: 'reading the captured file list' })
  const entries = readListedFiles(listed)
  const toLocal = localOf(o.volumes)
  await o.hooks?.beforeProof?.({
    items: entries.map((e) => ({ source: e.path, destination: e.path, local: toLocal(e.path) ?? '', size: e.size, mtimeMs: e.mtimeMs })), skipped: [], notRestored: 0,
  })
  const systemDrive = o.systemDrive ?? 'C:'
  const proof = await proveListed(entries, {
    userMap: o.userMap ?? [], systemDrive, toLocal,
    hasDrive: (d) => (process.platform === 'win32' ? existsSync(`${d}\\`) : o.volumes.get(d) !== undefined),
  })
  ctx.logger.info(`proof (${proof.method}): ${describeProof(proof)}`)
  for (const m of proof.missing.slice(0, 200)) ctx.logger.warn(`proof: missing ${m.path}: ${m.why}`)
  for (const c of proof.changed.slice(0, 200)) ctx.logger.warn(`proof: changed ${c.path} (captured as ${c.source}): ${c.why}`)
  return proof
}

export function proofVariables(p: RestoreProof): Record<string, string> {
  if (!p.checked) return stepVariables('restore', { USMTStepsProofChecked: 'false' })
  return stepVariables('restore', {
    USMTStepsProofChecked: 'true', USMTStepsProofVerified: String(p.verified), USMTStepsProofMissing: String(p.missing.length), USMTStepsProofChanged: String(p.changed.length),
  })
}
