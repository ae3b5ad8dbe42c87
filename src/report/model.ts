/**
 * Gathered run → report summary (pure). Everything the JSON and the HTML show is decided here.
 */
import type { RunRecord } from '../runtime/run-record.js'
import type { StepStatus } from '../runtime/step-result.js'
import { parseUsmtLog, type ParsedUsmtLog } from '../usmt/main-log.js'
import { classifyReturnCode } from '../usmt/return-codes.js'
import { parseUsmtCommandLine } from './command-line.js'
import type { GatheredLog, GatheredRun } from './gather.js'
import { summarizeInventory, THIS_COMPUTER, type UserInfo } from './inventory.js'
import {
  digestProgress, failureCauseFromLog, groupedWarnings, mainLogProblems, progressPhaseRows, progressProblems, reasonFor, settingsFromLog, type ProgressDigest,
} from './log-analysis.js'
import {
  REPORT_SCHEMA, type CommandRow, type FailureCause, type OverallStatus, type PhaseRow, type ProblemRow, type ReportCloudOnly, type ReportProof, type ReportSummary, type StepRow,
  type StoreInfo, type StoreState, type UserTotal, type WarningRow,
} from './types.js'

export interface BuildOptions {
  generator: string
  now?: Date
}

const RANK: Record<StepStatus, number> = { success: 0, warning: 1, error: 2 }

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}

interface ParsedLogs {
  main: Array<{ log: GatheredLog; parsed: ParsedUsmtLog }>
  progress: Array<{ log: GatheredLog; digest: ProgressDigest }>
}

function parseLogs(logs: readonly GatheredLog[]): ParsedLogs {
  const out: ParsedLogs = { main: [], progress: [] }
  for (const log of logs) {
    if (log.text === undefined) continue
    if (log.kind === 'main') out.main.push({ log, parsed: parseUsmtLog(log.text) })
    else if (log.kind === 'progress') out.progress.push({ log, digest: digestProgress(log.text) })
  }
  return out
}

const usesTool = (r: RunRecord, tool: string): boolean => r.commands.some((c) => parseUsmtCommandLine(c.commandLine)?.tool === tool)
const isCapture = (r: RunRecord): boolean => /capture/i.test(r.step) || usesTool(r, 'scanstate')
const isRestore = (r: RunRecord): boolean => /restore/i.test(r.step) || usesTool(r, 'loadstate')

function failureCause(failed: RunRecord, parsed: ParsedLogs): FailureCause {
  const cmd = [...failed.commands].reverse().find((c) => parseUsmtCommandLine(c.commandLine) !== null && c.exitCode !== 0)
  const info = cmd ? parseUsmtCommandLine(cmd.commandLine) : null
  const rc = cmd && typeof cmd.exitCode === 'number' && info && info.tool !== 'usmtutils' ? classifyReturnCode(cmd.exitCode) : undefined
  const returnCode = rc ? { code: rc.code, name: rc.name, message: rc.message, fix: rc.fix } : undefined
  for (const m of parsed.main.filter((x) => x.log.step === failed.step && (!info || !x.log.tool || x.log.tool === info.tool))) {
    const c = failureCauseFromLog(m.parsed)
    if (c) return { step: failed.step, source: m.log.name, line: c.line, text: c.text, context: c.context, returnCode }
  }
  for (const p of parsed.progress.filter((x) => x.log.step === failed.step)) {
    const abort = p.digest.state.errors.find((e) => e.action.toLowerCase() === 'abort')
    if (abort) return { step: failed.step, source: p.log.name, text: `${abort.objectName}: ${reasonFor(abort.type, abort.errorCode)}`, context: [], returnCode }
    const fin = p.digest.state.final
    if (fin && fin.errorCode !== 0 && fin.message) return { step: failed.step, source: p.log.name, text: fin.message, context: [], returnCode }
  }
  if (failed.error) {
    return { step: failed.step, source: 'usmt-steps.log', text: `${failed.error.code}: ${failed.error.message}`, context: [...failed.error.actions], returnCode }
  }
  if (returnCode) return { step: failed.step, source: 'return code', text: `USMT returned ${returnCode.code} (${returnCode.name}): ${returnCode.message}`, context: [returnCode.fix], returnCode }
  return { step: failed.step, source: 'usmt-steps.log', text: failed.summary, context: [] }
}

function storeInfo(run: GatheredRun): StoreInfo {
  const plan = run.records.find((r) => r.step === 'plan' && r.status !== 'error')?.result as
    { storeType?: string; storePath?: string | null; reasons?: string[]; rule?: string } | undefined
  const capture = [...run.records].reverse().find(isCapture)
  const restore = [...run.records].reverse().find(isRestore)
  const s = run.store
  const type = plan?.storeType ?? (s.hardlink ? 'hardlink' : s.path ? (s.path.startsWith('\\\\') ? 'share' : 'local') : null)
  let state: StoreState
  let reason: string
  if (plan?.storeType === 'none') {
    state = 'none'
    reason = 'The plan chose no store: nothing is captured.'
  } else if (restore && restore.status !== 'error') {
    state = s.exists === false ? 'removed' : 'restored'
    reason = s.exists === false ? 'Restored, and the store was removed afterwards (hard-link stores are removed after a successful restore).' : 'Restored; the store is still there.'
  } else if (restore && restore.status === 'error') {
    state = s.exists === false ? 'missing' : capture && capture.status === 'error' ? 'incomplete' : 'captured'
    reason = s.exists === false ? 'The restore failed and the store is not there.' : 'The restore failed; the store was kept so the restore can be repeated.'
  } else if (capture) {
    if (capture.status === 'error') {
      state = 'incomplete'
      reason = 'The capture failed: the store is not complete and cannot be restored.'
    } else if (s.exists === false) {
      state = 'missing'
      reason = 'The capture succeeded but the store folder is not there any more.'
    } else {
      state = 'captured'
      reason = 'Captured and waiting for the restore.'
    }
  } else if (plan) {
    state = 'planned'
    reason = 'Planned; no capture has run yet.'
  } else {
    state = 'unknown'
    reason = 'No plan, capture or restore record was found.'
  }
  if (s.path && s.exists === null) reason += ' The store is not reachable from here, so its content was not checked.'
  const access = storeAccess(run)
  return {
    type, path: s.path, localPath: s.localPath, exists: s.exists, state, stateReason: reason, layout: s.layout, encrypted: s.encrypted,
    sizeBytes: s.sizeBytes, reasons: plan?.reasons ?? [], rule: plan?.rule, ...(access.length ? { access } : {}),
  }
}

/** The access history of a share store with per-store access, from the last store step's record of it. */
function storeAccess(run: GatheredRun): NonNullable<StoreInfo['access']> {
  type Ev = { at?: unknown; computer?: unknown; event?: unknown; detail?: unknown }
  const rec = [...run.records].reverse().map((r) => (r.result as { store?: { access?: unknown; history?: unknown } } | undefined)?.store)
    .find((st) => st !== undefined && st.access !== undefined && Array.isArray(st.history))
  if (!rec) return []
  const what: Record<string, string> = { requested: 'requested the store', captured: 'released it after capture', 'restore-requested': 'read it', restored: 'released it after restore' }
  return (rec.history as Ev[]).filter((e) => typeof e.at === 'string' && typeof e.computer === 'string' && typeof e.event === 'string' && (e.event === 'access' || e.event in what))
    .map((e) => ({ at: e.at as string, computer: e.computer as string, event: e.event as string, detail: e.event === 'access' ? String(e.detail ?? '') : what[e.event as string] }))
}

function reportedUsers(parsed: ParsedLogs): UserInfo[] {
  // The capture's view first (what was in the source), else the restore's (what was in the store).
  const ordered = [...parsed.progress].sort((a, b) => (a.log.tool === 'scanstate' ? 0 : 1) - (b.log.tool === 'scanstate' ? 0 : 1))
  const src = ordered.find((p) => p.digest.state.detectedUsers.length > 0)
  if (!src) return []
  const st = src.digest.state
  return st.detectedUsers.map((u) => ({
    user: u.user, included: u.included,
    components: st.components.filter((c) => c.forUser.toLowerCase() === u.user.toLowerCase()).map((c) => ({ name: c.component, included: c.included })),
  }))
}

/** The record's result, or the data of its error (a failed step keeps what it found in its error). */
function findings(r: RunRecord): Record<string, unknown> {
  return { ...(r.error?.data ?? {}), ...((r.result as Record<string, unknown> | undefined) ?? {}) }
}

function cloudOnlyOf(records: readonly RunRecord[]): ReportCloudOnly | undefined {
  const r = [...records].reverse().find((x) => isCapture(x) && findings(x).cloudOnly)
  const c = r ? findings(r).cloudOnly as ReportCloudOnly : undefined
  return c ? { policy: c.policy, action: c.action, source: c.source, checked: c.checked, files: c.files, bytes: c.bytes, users: c.users ?? [], notes: c.notes ?? [] } : undefined
}

function proofOf(records: readonly RunRecord[]): ReportProof | undefined {
  const r = [...records].reverse().find((x) => isRestore(x) && findings(x).proof)
  const p = r ? findings(r).proof as ReportProof : undefined
  if (!p) return undefined
  const bad = (l: ReportProof['missing'] | undefined): ReportProof['missing'] => (l ?? []).map((b) => ({ path: b.path, why: b.why }))
  return { checked: p.checked, note: p.note, method: p.method, verified: p.verified, notRestored: p.notRestored ?? 0, missing: bad(p.missing), changed: bad(p.changed), durationMs: p.durationMs ?? 0 }
}

/** The reason column of the Users table: why a profile was left out or is at risk. */
function addReasons(users: UserTotal[], records: readonly RunRecord[], cloud: ReportCloudOnly | undefined): void {
  const reasons = new Map<string, string[]>()
  const add = (user: string, why: string): void => {
    const k = user.toLowerCase()
    const list = reasons.get(k) ?? []
    if (!list.includes(why)) list.push(why)
    reasons.set(k, list)
  }
  for (const r of records.filter(isCapture)) {
    const at = findings(r).atRiskDetails ?? findings(r).atRisk
    if (Array.isArray(at)) for (const a of at as Array<{ user?: string; reason?: string }>) if (a && typeof a === 'object' && a.user && a.reason) add(a.user, a.reason)
  }
  for (const u of cloud?.users ?? []) add(u.user, `${u.files} cloud-only file(s) ${cloud?.action === 'failed' ? 'stopped the capture' : 'left in the cloud'} (${cloud?.policy})`)
  for (const u of users) {
    const list = reasons.get(u.user.toLowerCase()) ?? []
    if (list.length === 0 && u.included === false) list.push('not included by USMT (user selection /ui, /ue, /uel, or the profile was not found)')
    if (list.length) u.reason = list.join('; ')
  }
}

const PROBLEM_ORDER: Record<ProblemRow['kind'], number> = { aborted: 0, step: 1, usmt: 2, summary: 3, ignored: 4 }

export function buildSummary(run: GatheredRun, opts: BuildOptions): ReportSummary {
  const parsed = parseLogs(run.logs)
  const records = run.records
  const steps: StepRow[] = records.map((r) => ({
    step: r.step, status: r.status, exitCode: r.exitCode, startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: r.durationMs,
    summary: r.summary, computer: r.computer, warnings: r.warnings.length,
    ...(r.error ? { error: { code: r.error.code, message: r.error.message, actions: r.error.actions } } : {}),
  }))
  const worst = records.reduce<StepStatus>((w, r) => (RANK[r.status] > RANK[w] ? r.status : w), 'success')
  const ranUsmt = records.some((r) => isCapture(r) || isRestore(r))
  const plannedNone = records.some((r) => r.step === 'plan' && (r.result as { storeType?: string } | undefined)?.storeType === 'none')
  const status: OverallStatus = worst === 'error' ? 'error' : !ranUsmt && !plannedNone ? 'incomplete' : worst
  const failed = records.find((r) => r.status === 'error')
  const cause = failed ? failureCause(failed, parsed) : undefined

  const problems: ProblemRow[] = []
  for (const r of records) {
    if (r.error) problems.push({ step: r.step, kind: 'step', code: r.error.code, reason: r.error.message, source: 'usmt-steps.log', count: 1 })
  }
  const fromProgress = parsed.progress.flatMap((p) => progressProblems(p.log.step, p.log.name, p.digest.state))
  // A file the progress log lists as ignored is the same problem as the main log's lines about it: keep one row.
  const named = (row: ProblemRow): boolean => fromProgress.some((p) => p.step === row.step && p.object !== undefined
    && p.kind === 'ignored' && (row.object === p.object || row.reason.includes(p.object)))
  for (const m of parsed.main) problems.push(...mainLogProblems(m.log.step, m.log.name, m.parsed).filter((row) => !named(row)))
  problems.push(...fromProgress)
  problems.sort((a, b) => PROBLEM_ORDER[a.kind] - PROBLEM_ORDER[b.kind])
  // A failed run shows its error once, in "Why it failed": rows that only repeat it (the failed step's own error,
  // the log line named as the cause, USMT's summary of the file that stopped it) are not listed again.
  if (cause) {
    const aborted = new Set(problems.filter((p) => p.kind === 'aborted' && p.object).map((p) => `${p.step}|${p.object}`))
    for (let i = problems.length - 1; i >= 0; i--) {
      const p = problems[i]
      const repeats = (p.kind === 'step' && p.step === cause.step)
        || (p.kind === 'usmt' && p.step === cause.step && p.reason === cause.text)
        || (p.kind === 'summary' && p.object !== undefined && aborted.has(`${p.step}|${p.object}`))
      if (repeats) problems.splice(i, 1)
    }
  }

  const warnings: WarningRow[] = []
  for (const r of records) {
    const map = new Map<string, WarningRow>()
    for (const w of r.warnings) {
      const row = map.get(w)
      if (row) row.count++
      else map.set(w, { step: r.step, source: 'usmt-steps.log', message: w, count: 1 })
    }
    warnings.push(...map.values())
  }
  for (const m of parsed.main) warnings.push(...groupedWarnings(m.log.step, m.log.name, m.parsed))

  const phases: PhaseRow[] = []
  for (const r of records) for (const p of r.phases) phases.push({ step: r.step, phase: p.phase, source: 'step', startedAt: p.startedAt, durationMs: p.durationMs })
  for (const p of parsed.progress) phases.push(...progressPhaseRows(p.log.step, p.log.name, p.digest))

  const commands: CommandRow[] = records.flatMap((r) => r.commands.map((c) => {
    const info = parseUsmtCommandLine(c.commandLine)
    const names = new Set<string>([...(c.artifacts ?? []), info?.mainLog, info?.progressLog, info?.listFiles]
      .filter((x): x is string => Boolean(x)).map((a) => a.split(/[\\/]/).pop() ?? a))
    return {
      step: r.step, commandLine: c.commandLine, exitCode: c.exitCode, startedAt: c.startedAt, durationMs: c.durationMs,
      artifacts: [...names].map((name) => ({ name, found: run.logs.some((l) => l.step === r.step && l.name === name && l.localPath !== null) })),
    }
  }))

  // Settings from the capture's main log (the last capture when several ran).
  const captureLogs = parsed.main.filter((m) => m.log.tool === 'scanstate')
  const settings = captureLogs.length ? settingsFromLog(captureLogs[captureLogs.length - 1].parsed) : []
  const users = reportedUsers(parsed)
  const inv = summarizeInventory(run.inventory, users)
  const cloudOnly = cloudOnlyOf(records)
  const proof = proofOf(records)
  addReasons(inv.users, records, cloudOnly)
  const ignoredFromRows = Math.max(fromProgress.filter((p) => p.kind === 'ignored').reduce((n, p) => n + p.count, 0),
    problems.filter((p) => p.kind === 'ignored' && p.source !== 'usmt-steps.log' && !fromProgress.includes(p)).reduce((n, p) => n + p.count, 0))
  const ignoredReported = Math.max(0, ...parsed.main.map((m) => m.parsed.outcome?.ignoredErrors ?? 0), ...parsed.progress.map((p) => p.digest.state.final?.ignoredErrors ?? 0))
  const store = storeInfo(run)
  const includedUsers = inv.users.filter((u) => u.user !== THIS_COMPUTER && u.included !== false && (u.files > 0 || u.included === true))
  const headline = headlineOf(status, records, cause, inv.files, inv.bytes, includedUsers.length, store)
  return {
    schema: REPORT_SCHEMA,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    generator: opts.generator,
    computer: run.computer,
    status,
    headline,
    ...(cause ? { cause } : {}),
    steps,
    store,
    totals: {
      users: includedUsers.length, files: inv.files, bytes: inv.bytes, unknownSize: inv.unknownSize,
      ignored: Math.max(ignoredFromRows, ignoredReported),
      errors: problems.filter((p) => p.kind === 'step' || p.kind === 'usmt' || p.kind === 'aborted').reduce((n, p) => n + p.count, 0),
      warnings: warnings.reduce((n, w) => n + w.count, 0),
      settings: settings.reduce((n, r) => n + r.settings, 0),
    },
    settings,
    users: inv.users,
    components: inv.components,
    kinds: inv.kinds,
    excludedUsers: users.filter((u) => !u.included).map((u) => u.user),
    ...(cloudOnly ? { cloudOnly } : {}),
    ...(proof ? { proof } : {}),
    problems,
    warnings,
    phases,
    commands,
    sources: run.sources,
    outputs: [],
  }
}

function headlineOf(status: OverallStatus, records: readonly RunRecord[], cause: FailureCause | undefined, files: number, bytes: number, users: number, store: StoreInfo): string {
  const flow = records.map((r) => r.step).join(' → ')
  if (status === 'error' && cause) return `${cause.step} failed: ${cause.text}`
  const what = files > 0 ? `${files} file${files === 1 ? '' : 's'} (${formatBytes(bytes)}) of ${users} user${users === 1 ? '' : 's'}` : `${users} user${users === 1 ? '' : 's'}`
  const restored = records.some((r) => isRestore(r) && r.status !== 'error')
  const captured = records.some((r) => isCapture(r) && r.status !== 'error')
  if (status === 'incomplete') return `No capture or restore has run yet (${flow || 'no steps'}).`
  if (store.state === 'none') return 'No user state was migrated: the plan chose no store.'
  const verb = restored ? (captured ? 'Captured and restored' : 'Restored') : 'Captured'
  return `${verb} ${what}${status === 'warning' ? ', with warnings' : ''}.`
}
