#!/usr/bin/env node
// npm run demo: the main job of usmt-steps on the bundled sample machine, end to end, with the portable engine.
// Every step runs as a real child process of the built CLI, exactly as a task sequence would run it.
// Nothing here needs Windows, a network or Microsoft's files: the rules are the project's own samples/rules.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const work = path.join(root, '.tmp', 'demo')
const cli = path.join(root, 'bin', 'run.js')
const sample = path.join(root, 'samples', 'machine')
const rules = path.join(root, 'samples', 'rules', 'usmt-steps-sample.xml')
const say = (l = '') => process.stdout.write(`${l}\n`)
const usmt = (args, opts = {}) => {
  try {
    return { stdout: execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, USMT_STEPS_QUIET: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] }), code: 0 }
  } catch (e) {
    return { stdout: String(e.stdout ?? ''), code: e.status ?? 1 }
  }
}

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
say('usmt-steps demo — the user-state steps of a Windows deployment, run on the bundled sample machine')
say(`(work folder: ${path.relative(root, work)}; nothing outside it is touched)`)

// 1. The task-sequence environment, its secrets and the CMTrace log
say('\n1. The task-sequence environment')
const env = path.join(work, 'ts-env.json')
writeFileSync(env, JSON.stringify({ _SMSTSLogPath: path.join(work, 'logs'), _SMSTSMachineName: 'PC', DeploymentType: 'REFRESH', UserDataKey: 'not-for-your-eyes', '_SMSTSReserved2-000': 'NaaPassw0rd' }, null, 2))
say('   A JSON file stands in for ConfigMgr\'s TSEnvironment; secrets are masked everywhere:')
for (const line of usmt(['env', 'list', '--ts-env', `json:${env}`]).stdout.trim().split('\n')) say(`     ${line}`)
usmt(['env', 'set', 'USMTStepsDemo=hello', '--ts-env', `json:${env}`])
const log = readFileSync(path.join(work, 'logs', 'usmt-steps.log'), 'utf8').trim().split('\r\n')
say(`   Every step logs CMTrace lines to _SMSTSLogPath\\usmt-steps.log, e.g.:\n     ${log[log.length - 1]}`)

// 2. What would the rules capture?
say('\n2. What would the migration rules capture? (usmt-steps rules preview — no Windows needed)')
const preview = JSON.parse(usmt(['rules', 'preview', '--rules', rules, '--volume', `C=${path.join(sample, 'C')}`, '--volume', `D=${path.join(sample, 'D')}`,
  '--removable', `E=${path.join(sample, 'E')}`, '--users', path.join(sample, 'users.json'), '--json']).stdout).result
const byUser = {}
for (const f of preview.included) byUser[f.user ?? '(shared data)'] = (byUser[f.user ?? '(shared data)'] ?? 0) + 1
for (const [u, n] of Object.entries(byUser)) say(`     ${u.padEnd(16)} ${n} files`)
say(`     excluded: ${preview.excluded.length} files (temp files, caches, installers, removable drive E:)`)
const why = usmt(['rules', 'explain', 'C:\\Users\\ann\\Downloads\\setup.exe', '--rules', rules, '--volume', `C=${path.join(sample, 'C')}`, '--users', path.join(sample, 'users.json')]).stdout.trim().split('\n')
say('   Why is a file (not) captured? usmt-steps rules explain C:\\Users\\ann\\Downloads\\setup.exe')
for (const line of why.slice(0, 6)) say(`     ${line}`)

// 3. Which users?
say('\n3. Which profiles are migrated? (usmt-steps users — file-based mode here: no directory is started by the demo)')
for (const line of usmt(['users', '--volume', `C=${path.join(sample, 'C')}`, '--users', path.join(sample, 'users.json'), '--computer', 'PC', '--directory', 'none', '--ts-env', `json:${env}`]).stdout.trim().split('\n')) say(`     ${line}`)

// 4. Refresh and replace, end to end
say('\n4. The steps of a task sequence, end to end')
const { tsImport } = await import('tsx/esm/api')
const { runStepsDemo } = await tsImport('./steps-demo.ts', import.meta.url)
const results = await runStepsDemo({ root, rules: [rules], workDir: path.join(work, 'scenarios'), keep: true, report: true, print: (l) => say(`   ${l}`) })
say(`\nOpen the reports in a browser; all logs, stores and reports are under ${path.relative(root, work)}.`)
process.exitCode = results.every((r) => r.ok) ? 0 : 1
