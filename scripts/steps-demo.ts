/**
 * The end-to-end demonstration of the capture and restore steps on the bundled sample machine, with the
 * portable engine: the refresh scenario (plan a hard-link store → capture → wipe the volume except the store
 * → restore → verify) and the replace scenario (compressed, encrypted store in a folder standing in for a
 * network share → restore onto a second, empty machine). `npm run demo` (scripts/demo.mjs) and
 * scripts/demo-steps.mjs run it through tsx; it is a development script, not part of the shipped CLI.
 * Every step runs as a real child process of the built CLI, as in a task sequence.
 */
import { execa } from 'execa'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'

export interface DemoOptions {
  /** Project root (holds bin/run.js and samples/machine). */
  root: string
  /** Folder with MigApp.xml and MigDocs.xml for the portable engine (passed as --usmt-dir), optional. */
  xmlDir?: string
  /** Migration XML files passed with --rules (the project's own samples/rules by default in npm run demo). */
  rules?: string[]
  /** Write the migration report at the end of each scenario (usmt-steps report). */
  report?: boolean
  /** Where the demo works (default: a new temp folder, removed at the end unless keep). */
  workDir?: string
  keep?: boolean
  print?: (line: string) => void
}

export interface DemoScenarioResult {
  name: string
  ok: boolean
  filesBefore: number
  filesRestored: number
  missing: string[]
  steps: Array<{ step: string; exitCode: number; summary: string }>
  /** Files the rules selected (rules preview) that are not back, byte for byte, after the restore. */
  notBack: string[]
  /** Path of the HTML report, when written. */
  reportPath?: string
}

function files(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = nodePath.join(dir, n)
    if (statSync(p).isDirectory()) out.push(...files(p, base))
    else out.push(nodePath.relative(base, p))
  }
  return out.sort()
}

/** Files of the user profiles (what a migration is about), relative to the volume. */
function profileFiles(volume: string): string[] {
  return files(nodePath.join(volume, 'Users')).filter((f) => !/^(Default|Default User|All Users|Public)[\\/]/.test(f)).map((f) => `Users/${f}`)
}

export async function runStepsDemo(opts: DemoOptions): Promise<DemoScenarioResult[]> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`))
  const work = opts.workDir ?? mkdtempSync(nodePath.join(os.tmpdir(), 'usmt-steps-demo-'))
  const cli = nodePath.join(opts.root, 'bin', 'run.js')
  const sample = nodePath.join(opts.root, 'samples', 'machine')
  const results: DemoScenarioResult[] = []
  const engineArgs = ['--engine', 'portable', ...(opts.xmlDir ? ['--usmt-dir', opts.xmlDir] : []), ...(opts.rules ?? []).flatMap((r) => ['--rules', r])]
  const run = async (args: string[]): Promise<{ stdout: string; exitCode: number }> => {
    const p = await execa(process.execPath, [cli, ...args], { reject: false, env: { USMT_STEPS_QUIET: '1' }, stdin: 'ignore' })
    return { stdout: String(p.stdout), exitCode: p.exitCode ?? 1 }
  }
  /** What the rules select on a machine (usmt-steps rules preview --json): Windows path → sha256 of the bytes. */
  const selected = async (machine: string): Promise<Map<string, string>> => {
    const rulesArgs = (opts.rules ?? []).flatMap((r) => ['--rules', r])
    if (opts.xmlDir) for (const f of ['MigApp.xml', 'MigDocs.xml']) rulesArgs.push('--rules', nodePath.join(opts.xmlDir, f))
    const p = await run(['rules', 'preview', ...rulesArgs, '--volume', `C=${nodePath.join(machine, 'C')}`, '--users', nodePath.join(machine, 'users.json'), '--json'])
    const doc = JSON.parse(p.stdout) as { result: { included: Array<{ path: string }> } }
    const out = new Map<string, string>()
    for (const f of doc.result.included) {
      const local = nodePath.join(machine, 'C', ...f.path.slice(3).split('\\'))
      out.set(f.path, createHash('sha256').update(readFileSync(local)).digest('hex'))
    }
    return out
  }
  const notBack = (expected: Map<string, string>, machine: string): string[] => [...expected].filter(([p, sha]) => {
    const local = nodePath.join(machine, 'C', ...p.slice(3).split('\\'))
    return !existsSync(local) || createHash('sha256').update(readFileSync(local)).digest('hex') !== sha
  }).map(([p]) => p)
  const report = async (r: DemoScenarioResult, env: string, machine: string): Promise<void> => {
    if (!opts.report) return
    const p = await run(['report', '--ts-env', `json:${env}`, '--volume', `C=${nodePath.join(machine, 'C')}`, '--json'])
    const doc = JSON.parse(p.stdout) as { result?: { html?: string; paths?: { html?: string } } }
    const vars = JSON.parse(readFileSync(env, 'utf8')) as Record<string, string>
    r.reportPath = vars.USMTStepsReportPath ?? doc.result?.html ?? doc.result?.paths?.html
    print(`  → report: ${r.reportPath ?? '(not written)'} (exit ${p.exitCode})`)
  }

  const step = async (r: DemoScenarioResult, title: string, args: string[]): Promise<number> => {
    print(`  → ${title}`)
    print(`    usmt-steps ${args.join(' ')}`)
    const p = await execa(process.execPath, [cli, ...args, '--progress', 'lines'], { reject: false, env: { USMT_STEPS_QUIET: '1' }, stdin: 'ignore' })
    const summary = String(p.stdout).trim().split('\n').pop() ?? ''
    for (const line of String(p.stderr).split('\n').filter((l) => l.startsWith('[progress]')).slice(-3)) print(`      ${line}`)
    print(`    ${summary} (exit ${p.exitCode})`)
    r.steps.push({ step: title, exitCode: p.exitCode ?? 1, summary })
    return p.exitCode ?? 1
  }

  try {
    // ---- refresh
    {
      const r: DemoScenarioResult = { name: 'refresh (hard-link store on the same disk)', ok: false, filesBefore: 0, filesRestored: 0, missing: [], steps: [], notBack: [] }
      print('')
      print('Scenario 1 — REFRESH: reinstall Windows on the same PC and keep everyone\'s files.')
      print('  The user state is captured into a hard-link store on C: (no data is copied: the store links the')
      print('  existing files), the disk is wiped except the store, and the state is restored.')
      const machine = nodePath.join(work, 'refresh-pc')
      cpSync(sample, machine, { recursive: true })
      const c = nodePath.join(machine, 'C')
      const expected = await selected(machine)
      print(`  The rules select ${expected.size} files on this machine (usmt-steps rules preview).`)
      const before = profileFiles(c)
      r.filesBefore = before.length
      const logs = nodePath.join(work, 'refresh-logs')
      const env = nodePath.join(work, 'refresh-env.json')
      writeFileSync(env, JSON.stringify({ _SMSTSLogPath: logs, _SMSTSMachineName: 'PC', _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', DeploymentType: 'REFRESH', OSDMigrateLocalAccounts: 'true' }, null, 2))
      const common = ['--ts-env', `json:${env}`]
      const vols = ['--volume', `C=${c}`]
      const facts = nodePath.join(work, 'refresh-facts.json')
      writeFileSync(facts, JSON.stringify({ inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 256 * 1024 ** 3, freeBytes: 100 * 1024 ** 3, bitLocker: 'off' }] }))
      if (await step(r, 'plan: decide where the user state goes', ['plan', ...common, '--facts', facts]) === 0
        && await step(r, 'capture: scanstate into the hard-link store', ['capture', ...common, ...vols, ...engineArgs, '--users', nodePath.join(machine, 'users.json'), '--at-risk', 'warn'])  === 0) {
        print('  → simulate the OS installation: delete everything on C: except C:\\_SMSTaskSequence')
        for (const n of readdirSync(c)) if (n !== '_SMSTaskSequence') rmSync(nodePath.join(c, n), { recursive: true, force: true })
        print(`    C: now holds ${files(c).filter((f) => !f.startsWith('_SMSTaskSequence')).length} files outside the store`)
        await step(r, 'restore: loadstate from the hard-link store, then remove the store', ['restore', ...common, ...vols, ...engineArgs])
      }
      r.notBack = notBack(expected, machine)
      print(`  Check: ${expected.size - r.notBack.length} of ${expected.size} selected files are back, byte for byte.`)
      await report(r, env, machine)
      const after = new Set(profileFiles(c))
      r.missing = before.filter((f) => !after.has(f))
      r.filesRestored = before.length - r.missing.length
      r.ok = r.steps.every((s) => s.exitCode === 0) && r.steps.length === 3 && r.notBack.length === 0
      results.push(r)
    }
    // ---- replace
    {
      const r: DemoScenarioResult = { name: 'replace (encrypted store on a share, new PC)', ok: false, filesBefore: 0, filesRestored: 0, missing: [], steps: [], notBack: [] }
      print('')
      print('Scenario 2 — REPLACE: move everyone\'s files from an old PC to a new, empty PC.')
      print('  The old PC writes a compressed store encrypted with AES-256 to a network share (here a local')
      print('  folder); the key comes from the secret variable USMTStepsEncryptionKey and never appears in a log.')
      const oldPc = nodePath.join(work, 'old-pc')
      const newPc = nodePath.join(work, 'new-pc')
      cpSync(sample, oldPc, { recursive: true })
      mkdirSync(nodePath.join(newPc, 'C', 'Users'), { recursive: true })
      const share = nodePath.join(work, 'share', 'OLDPC')
      const key = `demo-${Math.random().toString(36).slice(2)}-key`
      const expected = await selected(oldPc)
      print(`  The rules select ${expected.size} files on the old PC.`)
      const before = profileFiles(nodePath.join(oldPc, 'C'))
      r.filesBefore = before.length
      const envOld = nodePath.join(work, 'old-env.json')
      const envNew = nodePath.join(work, 'new-env.json')
      const vars = { OSDStateStorePath: share, USMTStepsStoreType: 'share', DeploymentType: 'REPLACE', USMTStepsEncryptionKey: key }
      writeFileSync(envOld, JSON.stringify({ ...vars, _SMSTSLogPath: nodePath.join(work, 'old-logs'), _SMSTSMachineName: 'OLDPC' }, null, 2))
      writeFileSync(envNew, JSON.stringify({ ...vars, _SMSTSLogPath: nodePath.join(work, 'new-logs'), _SMSTSMachineName: 'NEWPC', OSDMigrateLocalAccounts: 'true' }, null, 2))
      if (await step(r, 'capture on the old PC: compressed, encrypted store on the share', ['capture', '--ts-env', `json:${envOld}`, '--volume', `C=${nodePath.join(oldPc, 'C')}`, ...engineArgs, '--users', nodePath.join(oldPc, 'users.json'), '--computer', 'PC']) === 0) {
        print(`    share now holds: ${files(share).join(', ')}`)
        await step(r, 'restore on the new PC: verify the store, then loadstate', ['restore', '--ts-env', `json:${envNew}`, '--volume', `C=${nodePath.join(newPc, 'C')}`, ...engineArgs])
      }
      r.notBack = notBack(expected, newPc)
      print(`  Check: ${expected.size - r.notBack.length} of ${expected.size} selected files are on the new PC, byte for byte.`)
      await report(r, envNew, newPc)
      const after = new Set(profileFiles(nodePath.join(newPc, 'C')))
      r.missing = before.filter((f) => !after.has(f))
      r.filesRestored = before.length - r.missing.length
      const leaked = files(work).filter((f) => /\.(log|json)$/.test(f)).some((f) => readFileSync(nodePath.join(work, f), 'utf8').includes(key) && !/env\.json$/.test(f))
      if (leaked) print('    ! the key was found in a log file')
      r.ok = !leaked && r.steps.every((s) => s.exitCode === 0) && r.steps.length === 2 && r.notBack.length === 0
      results.push(r)
    }
    print('')
    print('Summary')
    for (const r of results) {
      print(`  ${r.ok ? 'OK  ' : 'FAIL'} ${r.name}: every file the rules selected is back${r.notBack.length ? ` except ${r.notBack.slice(0, 5).join(', ')}` : ''}; ${r.filesRestored} of ${r.filesBefore} files in the profiles (the rest — caches, temp files, registry hives — the rules leave behind on purpose)`)
      if (r.reportPath) print(`       report: ${r.reportPath}`)
    }
    print(`  Logs and stores: ${work}${opts.keep ? '' : ' (removed now; pass keep to look at them)'}`)
    return results
  } finally {
    if (!opts.keep && !opts.workDir) rmSync(work, { recursive: true, force: true })
  }
}
