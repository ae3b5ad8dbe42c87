/**
 * The portable USMT rule engine. See contract.ts for the shapes other modules rely on.
 *
 *   loadRuleSet(input)        parse migration XML + Config.xml (restore rules: relocate, mergePolicy)
 *   evaluateMigration(input)  stream include/exclude/user/warning events for mapped volumes
 *   estimateMigration(input)  totals per user and component
 */
import type { EngineEvent, EstimateResult, RuleSet } from './contract.js'
import { estimateMigration as estimate, evaluateMigration as evaluate, type FullEngineInput } from './evaluate.js'
import { loadRuleSetSync, type RuleSetOptions } from './ruleset.js'

export type * from './contract.js'
export { explainPaths, prepare, evaluatePrepared, type EngineOptions, type ExplainResult, type FullEngineInput, type Prepared } from './evaluate.js'
export { lintRuleFiles, type LintItem, type LintResult } from './lint.js'
export type { RuleSetOptions } from './ruleset.js'

export async function loadRuleSet(input: RuleSetOptions): Promise<RuleSet> {
  return loadRuleSetSync(input)
}

export function evaluateMigration(input: FullEngineInput): AsyncGenerator<EngineEvent> {
  return evaluate(input)
}

export function estimateMigration(input: FullEngineInput): Promise<EstimateResult> {
  return estimate(input)
}
