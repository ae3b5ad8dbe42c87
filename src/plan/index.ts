import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { VolumeMap } from '../windows/volume-map.js'
import { decide } from './decide.js'
import { estimateStore, type PlanEstimate } from './estimate.js'
import { loadFacts, probeMappedVolumes, probeWindows } from './facts.js'
import { loadPolicy } from './policy.js'
import type { DecisionRecord, Facts, Policy, Scenario } from './types.js'

export { decide } from './decide.js'
export { loadPolicy, parsePolicy } from './policy.js'
export { loadFacts, factsFromObject } from './facts.js'
export { estimateStore, type PlanEstimate } from './estimate.js'
export type * from './types.js'

export interface PlanServiceInput {
  variables: Record<string, string>
  policyFile?: string
  factsFile?: string
  scenario?: Scenario
  estimateBytes?: number
  /** Where estimateBytes came from (decision record). */
  estimateSource?: string
  /** --volume C=DIR: the non-Windows probe, and the volumes the engine measures for the size estimate. */
  volumes?: readonly string[]
  /** Migration XML for the engine's estimate (--rules, USMTStepsRules); none = whole profiles. */
  rules?: readonly string[]
  /** Profiles for the engine's estimate (--users FILE). */
  usersFile?: string
  /** Largest migration XML the engine reads (rulesMaxXmlBytes). */
  maxXmlBytes?: number
  platform?: NodeJS.Platform
  env?: Record<string, string | undefined>
  cwd?: string
  log?: (line: string) => void
}

export async function gatherFacts(input: PlanServiceInput): Promise<Facts> {
  if (input.factsFile) return loadFacts(input.factsFile)
  const platform = input.platform ?? process.platform
  if (platform === 'win32') return probeWindows({ env: input.env })
  const get = (n: string): string | undefined => Object.entries(input.variables).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1]
  const map = VolumeMap.parse(input.volumes ?? [], [], input.cwd)
  return probeMappedVolumes(map, {
    inWinPE: (get('_SMSTSInWinPE') ?? '').toLowerCase() === 'true',
    computerName: get('_SMSTSMachineName') ?? get('ComputerName'),
  })
}

/** Gather policy and facts, decide, and return the record (or throw the failure with its record in `data.decision`). */
export async function planStore(input: PlanServiceInput): Promise<{ decision: DecisionRecord; policy: Policy; facts: Facts; estimate?: PlanEstimate }> {
  const log = input.log ?? (() => undefined)
  const policy = loadPolicy(input.policyFile)
  const facts = await gatherFacts(input)
  log(`facts (${facts.source}): ${JSON.stringify(facts)}`)
  log(`policy: ${policy.source}; allowed ${policy.allowedStores.join(', ')}${policy.preferredStore ? `, preferred ${policy.preferredStore}` : ''}; ${policy.shares.length} share(s)`)
  let estimateBytes = input.estimateBytes
  let estimateSource = input.estimateSource
  let estimate: PlanEstimate | undefined
  if (estimateBytes === undefined && (facts.estimateBytes === undefined || facts.estimateBytes === null) && (input.volumes?.length ?? 0) > 0) {
    estimate = await engineEstimate(input, facts)
    estimateBytes = estimate.bytes
    estimateSource = estimate.source
    log(`size estimate: ${estimate.bytes} bytes (${estimate.source}${estimate.warnings ? `; ${estimate.warnings} engine warning(s)` : ''})`)
  }
  const result = decide({ variables: input.variables, policy, facts, scenario: input.scenario, estimateBytes, estimateSource })
  if (!result.ok) {
    const f = result.failure
    log(`decision record: ${JSON.stringify({ storeType: null, storePath: null, reasons: f.reasons, rejected: f.rejected, scenario: f.scenario, inputs: f.inputs })}`)
    throw new UsmtStepsError(f.code, f.message, { data: { decision: { storeType: null, storePath: null, reasons: f.reasons, rejected: f.rejected, scenario: f.scenario, inputs: f.inputs } } })
  }
  log(`decision record: ${JSON.stringify(result.decision)}`)
  return { decision: result.decision, policy, facts, estimate }
}

/** The engine's estimate on the mapped volumes (no estimate was given and --volume maps the machine). */
async function engineEstimate(input: PlanServiceInput, facts: Facts): Promise<PlanEstimate> {
  const get = (n: string): string | undefined => Object.entries(input.variables).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1]
  const cwd = input.cwd ?? process.cwd()
  const rules = (input.rules?.length ? [...input.rules] : (get('USMTStepsRules') ?? '').split(';').map((r) => r.trim()).filter(Boolean))
    .map((r) => nodePath.resolve(cwd, r))
  return estimateStore({
    volumes: VolumeMap.parse(input.volumes ?? [], [], cwd),
    ruleFiles: rules,
    usersFile: input.usersFile ? nodePath.resolve(cwd, input.usersFile) : undefined,
    computer: get('_SMSTSMachineName') || get('OSDComputerName') || get('ComputerName') || facts.computerName || undefined,
    maxXmlBytes: input.maxXmlBytes,
  })
}

/** Human text for the decision (non-JSON output). */
export function decisionText(d: DecisionRecord): string {
  const lines = [`Store: ${d.storeType}${d.storePath ? ` at ${d.storePath}` : ''} (rule ${d.rule}, ${d.scenario})`]
  for (const r of d.reasons) lines.push(`  - ${r}`)
  if (d.rejected.length) {
    lines.push('Rejected:')
    for (const r of d.rejected) lines.push(`  - ${r.storeType}${r.storePath ? ` ${r.storePath}` : ''}: ${r.reason}`)
  }
  lines.push('Variables:')
  for (const [k, v] of Object.entries(d.variables)) lines.push(`  ${k}=${v}`)
  return lines.join('\n')
}
