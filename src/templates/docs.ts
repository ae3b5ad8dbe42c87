import { describeCondition } from './condition.js'
import { stepArgv, stepCommandLine, type TaskStepDef } from './task-steps.js'

/** The README table of the task-sequence steps, rendered from task-steps/ (docs/readme/60-deploy.md embeds it). */
export function stepsMarkdown(defs: readonly TaskStepDef[]): string {
  const rows = defs.map((d) => {
    const params = Object.fromEntries(Object.entries(d.parameters).map(([k, p]) => [k, p.choices[0]]))
    const cl = stepCommandLine('usmt-steps.cmd', stepArgv(d, { params }))
    const choices = Object.entries(d.parameters).map(([k, p]) => ` (${k}: ${p.choices.join(' \\| ')})`).join('')
    return `| \`${d.id}\` | \`${cl}\`${choices} | ${d.runIn} | ${d.successCodes.join(' ')} | ${d.continueOnError ? 'yes' : 'no'} | ${d.condition ? `\`${describeCondition(d.condition)}\`` : 'always'} | ${d.writes.map((w) => `\`${w}\``).join(', ') || '—'} |`
  })
  return ['| step | command line | runs in | success codes | continue on error | condition | writes |', '|---|---|---|---|---|---|---|', ...rows].join('\n')
}
