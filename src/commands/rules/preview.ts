import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { engineInputFromFlags, formatBytes, ruleFlags } from '../../engine/cli-support.js'
import { evaluatePrepared, prepare, type EngineWarning, type UserDecision } from '../../engine/index.js'

interface Totals { files: number; bytes: number }

export interface PreviewResult {
  included: Array<{ path: string; type: 'file'; user: string | null; component: string; rule: string; bytes: number }>
  excluded: Array<{ path: string; user: string | null; reason: string; rule: string | null }>
  users: Array<{ account: string; profile: string; migrated: boolean; reason: string }>
  warnings: EngineWarning[]
  notEvaluated: Array<{ file: string; line: number; component: string; type: string; pattern: string }>
  totals: {
    files: number
    bytes: number
    excluded: number
    users: { total: number; migrated: number }
    byUser: Record<string, Totals>
    byComponent: Record<string, Totals>
  }
}

export default class RulesPreview extends StepCommand<PreviewResult> {
  static override description = 'Evaluate USMT migration XML (and Config.xml) over a Windows volume and list what scanstate would capture and why'
  static override examples = [
    '<%= config.bin %> rules preview --rules MigUser.xml --volume C=./samples/machine/C --volume D=./samples/machine/D --removable E=./samples/machine/E --users ./samples/machine/users.json',
    '<%= config.bin %> rules preview --rules MigDocs.xml --config Config.xml --volume C=/mnt/windows --ue "*\\*" --ui "CONTOSO\\*" --json',
  ]
  static override flags = ruleFlags
  static override recordsResult = false
  static override usesTsEnv = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<PreviewResult>> {
    const p = prepare(await engineInputFromFlags(ctx, flags))
    const result: PreviewResult = {
      included: [], excluded: [], users: p.users.map((u: UserDecision) => ({ account: u.account, profile: u.profile, migrated: u.migrated, reason: u.reason })),
      warnings: [], notEvaluated: p.notEvaluated,
      totals: { files: 0, bytes: 0, excluded: 0, users: { total: p.users.length, migrated: p.users.filter((u) => u.migrated).length }, byUser: {}, byComponent: {} },
    }
    const t = result.totals
    for await (const e of evaluatePrepared(p)) {
      if (e.kind === 'warning') result.warnings.push(e.warning)
      else if (e.kind === 'include') {
        const f = e.file
        result.included.push({ path: f.path, type: 'file', user: f.user, component: f.component, rule: f.rule, bytes: f.bytes })
        t.files++
        t.bytes += f.bytes
        const u = (t.byUser[f.user ?? 'System'] ??= { files: 0, bytes: 0 })
        u.files++
        u.bytes += f.bytes
        const c = (t.byComponent[f.component] ??= { files: 0, bytes: 0 })
        c.files++
        c.bytes += f.bytes
      } else if (e.kind === 'exclude') {
        result.excluded.push({ path: e.file.path, user: e.file.user, reason: e.file.reason, rule: e.file.rule })
        t.excluded++
      }
    }
    for (const w of result.warnings) ctx.logger.warn(`${w.code}: ${w.message}`)
    const summary = `${t.files} files (${formatBytes(t.bytes)}) would be captured for ${t.users.migrated} of ${t.users.total} users; ${t.excluded} excluded; ${result.warnings.length} warnings`
    return { result, summary, text: ctx.json ? undefined : `${renderTree(result)}\n${summary}` }
  }
}

/** Readable tree: user → component → files, with sizes. */
export function renderTree(r: PreviewResult): string {
  const lines: string[] = ['Users:']
  for (const u of r.users) lines.push(`  ${u.migrated ? '+' : '-'} ${u.account} (${u.profile}): ${u.reason}`)
  const groups = new Map<string, Map<string, PreviewResult['included']>>()
  for (const f of r.included) {
    const u = f.user ?? 'System'
    const byComp = groups.get(u) ?? new Map<string, PreviewResult['included']>()
    groups.set(u, byComp)
    const list = byComp.get(f.component) ?? []
    byComp.set(f.component, list)
    list.push(f)
  }
  lines.push('', 'Captured:')
  for (const [user, byComp] of groups) {
    const tu = r.totals.byUser[user]
    lines.push(`  ${user}  ${tu.files} files, ${formatBytes(tu.bytes)}`)
    for (const [comp, files] of byComp) {
      const bytes = files.reduce((s, f) => s + f.bytes, 0)
      lines.push(`    ${comp}  ${files.length} files, ${formatBytes(bytes)}`)
      for (const f of files) lines.push(`      ${f.path}  ${formatBytes(f.bytes)}`)
    }
  }
  if (r.excluded.length) {
    lines.push('', 'Excluded:')
    for (const e of r.excluded) lines.push(`  ${e.path}: ${e.reason}${e.rule ? ` (${e.rule})` : ''}`)
  }
  if (r.notEvaluated.length) lines.push('', `Not evaluated: ${r.notEvaluated.length} registry/Ini/content patterns (listed under notEvaluated in --json)`)
  if (r.warnings.length) {
    lines.push('', 'Warnings:')
    for (const w of r.warnings) lines.push(`  ${w.code}: ${w.message}${w.file ? ` [${w.file}${w.line ? `:${w.line}` : ''}]` : ''}`)
  }
  return lines.join('\n')
}
