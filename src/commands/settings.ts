import { Flags } from '../cli/spec.js'
import { StepCommand, type StepContext, type StepOutcome } from '../cli/step-command.js'
import { MASK } from '../runtime/redact.js'
import { resolveSetting } from '../runtime/settings.js'
import { ALL_SETTINGS } from '../runtime/settings/index.js'
import { textTable } from '../runtime/text-table.js'

interface SettingRow { key: string; area: string; value: unknown; source: string; flag?: string; tsVariables: readonly string[]; envVar?: string; default?: string; description: string }

export default class Settings extends StepCommand<SettingRow[]> {
  static override description = 'Show every setting, its value here and where the value comes from (flag > task-sequence variable > environment > default)'
  static override examples = ['<%= config.bin %> settings --ts-env json:env.json', '<%= config.bin %> settings --area steps --json']
  static override flags = { area: Flags.string({ description: 'only settings of this area (foundation, engine, portable, steps, stores, directory, deploy, report)' }) }
  static override recordsResult = false

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<SettingRow[]>> {
    const tsEnv = await ctx.tsEnv()
    const rows: SettingRow[] = []
    for (const def of ALL_SETTINGS) {
      if (flags.area && def.area !== flags.area) continue
      let value: unknown
      let source: string
      try {
        const r = resolveSetting(def, { flags: {}, variable: (n) => tsEnv.get(n), env: ctx.env })
        value = def.secret && r.value !== undefined ? MASK : r.value
        source = r.source
      } catch (err) {
        value = null
        source = `invalid: ${(err as Error).message}`
      }
      rows.push({ key: def.key, area: def.area, value, source, flag: def.flag, tsVariables: def.tsVariables ?? [], envVar: def.envVar, default: def.default, description: def.description })
    }
    const table = textTable(rows.map((r) => [r.key, String(r.value ?? '-'), r.source]), { columns: [{ width: 28 }, { width: 24 }] })
    const text = rows.map((r, i) => `${table[i]}\n    ${r.description}${r.flag ? ` (--${r.flag})` : ''}`).join('\n')
    return { result: rows, summary: `${rows.length} settings`, text }
  }
}
