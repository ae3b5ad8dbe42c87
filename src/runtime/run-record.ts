import { readdirSync, readFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { writeFileAtomic } from './atomic-file.js'
import { redactor } from './redact.js'

/**
 * Every task-sequence step leaves a run record beside usmt-steps.log: `usmt-steps-<step>.json`
 * (e.g. usmt-steps-capture.json, usmt-steps-store-request.json). It is what `usmt-steps report` reads to
 * tell what happened: outcome, timings per phase, warnings, the exact (redacted) commands run and the
 * step's own result. Records are redacted before they are written.
 */
export const RUN_RECORD_SCHEMA = 1

export interface PhaseTiming {
  phase: string
  startedAt: string
  endedAt: string
  durationMs: number
}

export interface CommandRecord {
  /** Redacted command line as it would be typed. */
  commandLine: string
  exitCode: number | null
  startedAt: string
  durationMs: number
  /** Files this command wrote that the report should link (logs, progress files). */
  artifacts?: string[]
}

export interface RunRecord<R = unknown> {
  schema: typeof RUN_RECORD_SCHEMA
  step: string
  computer: string
  version: string
  status: 'success' | 'warning' | 'error'
  exitCode: number
  startedAt: string
  finishedAt: string
  durationMs: number
  summary: string
  warnings: string[]
  error?: { code: string; message: string; actions: readonly string[]; data: Record<string, unknown> }
  phases: PhaseTiming[]
  commands: CommandRecord[]
  result?: R
}

export function runRecordFileName(step: string): string {
  return `usmt-steps-${step.trim().replace(/[\s:]+/g, '-').toLowerCase()}.json`
}

export function writeRunRecord(dir: string, record: RunRecord): string {
  const file = nodePath.join(dir, runRecordFileName(record.step))
  writeFileAtomic(file, `${JSON.stringify(redactor.redactDeep(record), null, 2)}\n`)
  return file
}

/** All run records in a folder, oldest first. Unreadable or foreign JSON files are skipped. */
export function readRunRecords(dir: string): RunRecord[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: RunRecord[] = []
  for (const n of names) {
    if (!/^usmt-steps-.+\.json$/i.test(n)) continue
    try {
      const r = JSON.parse(readFileSync(nodePath.join(dir, n), 'utf8')) as RunRecord
      if (r && r.schema === RUN_RECORD_SCHEMA && typeof r.step === 'string') out.push(r)
    } catch {
      /* not ours */
    }
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt))
}

/** Collects phase timings from progress updates (a new phase name closes the previous one). */
export class PhaseClock {
  private current: { phase: string; startedAt: number } | undefined
  readonly phases: PhaseTiming[] = []

  constructor(private readonly now = () => Date.now()) {}

  mark(phase: string): void {
    if (this.current?.phase === phase) return
    this.close()
    this.current = { phase, startedAt: this.now() }
  }

  close(): void {
    if (!this.current) return
    const end = this.now()
    this.phases.push({ phase: this.current.phase, startedAt: new Date(this.current.startedAt).toISOString(), endedAt: new Date(end).toISOString(), durationMs: end - this.current.startedAt })
    this.current = undefined
  }
}
