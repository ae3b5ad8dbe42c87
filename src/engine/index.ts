/**
 * The portable USMT rule engine. See contract.ts for the shapes other modules rely on.
 *
 *   loadRuleSet(input)        parse migration XML + Config.xml (restore rules: relocate, mergePolicy)
 *   evaluateMigration(input)  stream include/exclude/user/warning events for mapped volumes
 *   estimateMigration(input)  totals per user and component
 *   scan(prepared, sink)      the same walk with a synchronous sink (no per-file events; used by preview/estimate)
 *   streamPreviewJson / previewText / previewResult   the `rules preview` result, streamed, as text, in memory
 */
import type { EngineEvent, EstimateResult, RuleSet } from './contract.js'
import { estimateMigration as estimate, evaluateMigration as evaluate, type FullEngineInput } from './evaluate.js'
import { loadRuleSetSync, type RuleSetOptions } from './ruleset.js'

export type * from './contract.js'
export { captureGaps, explainPaths, prepare, evaluateBatches, evaluatePrepared, scan, type EngineOptions, type ExplainResult, type FullEngineInput, type Prepared, type ScanFolder, type ScanSink } from './evaluate.js'
export { notEvaluatedSummary, previewResult, previewTempPath, previewText, streamPreviewJson, warningSummary, type JsonOut, type PreviewResult, type PreviewSummary, type PreviewTotals } from './preview.js'
export { lintRuleFiles, readKnownFindings, type KnownFinding, type LintItem, type LintResult } from './lint.js'
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
