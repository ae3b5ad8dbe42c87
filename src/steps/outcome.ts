/**
 * From USMT's return code to the step's outcome: the documented meaning and fix (src/usmt return-code
 * table), the ignored errors of a /c run listed from the progress log, and the step error to throw.
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { classifyReturnCode, type ProgressError, type UsmtClassification } from '../usmt/index.js'
import type { UsmtRun } from './run-usmt.js'

export interface ClassifiedRun {
  classification: UsmtClassification
  /** Errors USMT skipped because of /c (progress log rows with action Ignore). */
  ignored: ProgressError[]
  /** The first failure detail from the main log (the real cause is above the generic "Failed." lines). */
  detail?: string
}

export function classifyRun(run: UsmtRun): ClassifiedRun {
  const failed = run.log?.outcome?.kind === 'failed' ? run.log.outcome : undefined
  const details = failed?.details ?? []
  const finalMessage = run.progress.final?.message
  const classification = classifyReturnCode(run.exitCode, failed?.cause ?? details.find((d) => d.length > 0) ?? finalMessage)
  const ignored = run.progress.errors.filter((e) => e.action.toLowerCase() === 'ignore')
  const firstError = run.log?.errors[0]?.message.split('\n')[0]
  return { classification, ignored, detail: failed?.cause ?? (details.join(' ') || firstError) }
}

/** One line per ignored error, at most `max`, for warnings and the log. */
export function ignoredLines(ignored: readonly ProgressError[], max = 20): string[] {
  const lines = ignored.slice(0, max).map((e) => `${e.type} ${e.objectName} (error ${e.errorCode})`)
  if (ignored.length > max) lines.push(`… and ${ignored.length - max} more (see the progress log)`)
  return lines
}

/** The step error for a failed USMT run. `tool` is scanstate/loadstate; `restore` changes the store codes. */
export function usmtFailure(tool: string, c: ClassifiedRun, opts: { restore: boolean; actions?: string[]; data?: Record<string, unknown>; variables?: Record<string, string> }): UsmtStepsError {
  const k = c.classification
  const text = `${tool} returned ${k.code} (${k.name}): ${k.message}${c.detail && c.detail !== k.message ? ` — ${c.detail}` : ''}. ${k.fix}`
  const data = { returnCode: k.code, name: k.name, kind: k.kind, ...opts.data }
  if (opts.restore && k.code === 27) return new UsmtStepsError('USM0304', text, { data, extraActions: opts.actions, variables: opts.variables })
  if (opts.restore && (k.code === 37 || k.code === 38 || k.code === 42)) return new UsmtStepsError('USM0311', text, { data, extraActions: opts.actions, variables: opts.variables })
  return new UsmtStepsError('USM0305', text, { data, extraActions: opts.actions, variables: opts.variables })
}

/**
 * Errors USMT skipped because of /c (or return code 3): nothing to say, a warning, or — with
 * USMTStepsFailOnIgnoredErrors — USM0306 for the step to throw. `extraActions` is only asked for the error.
 */
export function skippedErrors(tool: string, c: ClassifiedRun, failOnIgnored: boolean, opts: { variables?: Record<string, string>; extraActions?: () => string[] } = {}): { error?: UsmtStepsError; warning?: string } {
  if (c.ignored.length === 0 && c.classification.code !== 3) return {}
  const lines = ignoredLines(c.ignored)
  if (failOnIgnored) {
    return {
      error: new UsmtStepsError('USM0306', `${tool} skipped ${c.ignored.length} error(s) because of /c: ${lines.join('; ')}`, {
        data: { returnCode: c.classification.code }, extraActions: opts.extraActions?.(), variables: opts.variables,
      }),
    }
  }
  return { warning: `${tool} skipped ${c.ignored.length} error(s) because of /c (return code ${c.classification.code}): ${lines.join('; ')}` }
}
