import { expect } from 'chai'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import type { ReportSummary } from '../../../src/report/types.js'
import { EXIT_CODES } from '../../../src/runtime/exit-codes.js'
import type { RunRecord } from '../../../src/runtime/run-record.js'
import { parseJsonOutput, PROJECT_ROOT, runCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'report')

interface ReportJson { status: string; result: { html: string; json: string; store?: string; copy?: string; summary: ReportSummary }; warnings: string[] }

/** Sizes of the files under a folder, by the Windows path they stand for (C:\…). */
function sizesUnder(volume: string): Map<string, number> {
  const out = new Map<string, number>()
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else out.set(`C:\\${path.relative(volume, p).split(path.sep).join('\\')}`, statSync(p).size)
    }
  }
  walk(volume)
  return out
}

describe('usmt-steps report (a task-sequence run read back)', function () {
  this.timeout(60000)
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  function stage(name: string, machine: string, extra: Record<string, string> = {}): { logs: string; env: string; root: string } {
    const root = path.join(t.dir, name)
    cpSync(path.join(FIXTURES, name), root, { recursive: true })
    const logs = path.join(root, 'logs')
    const env = path.join(root, 'ts.json')
    writeFileSync(env, JSON.stringify({ _SMSTSLogPath: logs, _SMSTSMachineName: machine, ...extra }))
    return { logs, env, root }
  }

  it('reports a refresh with ignored errors: totals checked against the run, result variables, run record', async () => {
    const s = stage('refresh-warn', 'PC-0142')
    const r = await runCli(['report', '--ts-env', `json:${s.env}`, '--volume', `C=${path.join(s.root, 'C')}`, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const doc = parseJsonOutput<ReportJson>(r.stdout)
    const sum = doc.result.summary
    // The JSON file on disk is the summary printed.
    expect(JSON.parse(readFileSync(path.join(s.logs, 'usmt-steps-summary.json'), 'utf8'))).to.deep.equal(sum)
    expect(existsSync(path.join(s.logs, 'usmt-steps-report.html'))).to.equal(true)

    // Files and bytes: every listed file, sized from the volume; the one listed file that is gone counts as unknown.
    const listed = readFileSync(path.join(s.logs, 'scanstate-listfiles.txt'), 'utf8').split(/\r?\n/).filter(Boolean)
    const sizes = sizesUnder(path.join(s.root, 'C'))
    expect(sum.totals.files).to.equal(listed.length)
    expect(sum.totals.bytes).to.equal([...sizes.values()].reduce((a, b) => a + b, 0))
    expect(sum.totals.unknownSize).to.equal(listed.filter((p) => !sizes.has(p)).length).and.to.equal(1)
    const bytesOf = (prefix: string): number => [...sizes].filter(([p]) => p.toLowerCase().startsWith(prefix.toLowerCase())).reduce((n, [, b]) => n + b, 0)
    const user = (name: string): ReportSummary['users'][number] | undefined => sum.users.find((u) => u.user === name)
    expect(user('CONTOSO\\jdoe')).to.deep.include({ included: true, files: 8, bytes: bytesOf('C:\\Users\\jdoe\\') })
    expect(user('CONTOSO\\asmith')).to.deep.include({ included: true, files: 5, bytes: bytesOf('C:\\Users\\asmith\\'), unknownSize: 1 })
    expect(user('This Computer')).to.deep.include({ files: 1, bytes: bytesOf('C:\\Users\\Public\\') })
    expect(user('PC-0142\\Administrator')).to.deep.include({ included: false, files: 0 })
    expect(sum.excludedUsers).to.deep.equal(['PC-0142\\Administrator'])
    expect(sum.totals.users).to.equal(2)
    expect(user('CONTOSO\\asmith')?.components).to.deep.equal([{ name: 'Documents', included: true }, { name: 'Downloads', included: false }])
    expect(sum.kinds.reduce((n, k) => n + k.files, 0)).to.equal(listed.length)
    expect(sum.components.reduce((n, c) => n + c.bytes, 0)).to.equal(sum.totals.bytes)

    // Outcome, problems, store, steps, commands, phases: as the run records and logs say.
    const records = ['plan', 'capture', 'restore'].map((n) => JSON.parse(readFileSync(path.join(FIXTURES, 'refresh-warn', 'logs', `usmt-steps-${n}.json`), 'utf8')) as RunRecord)
    expect(sum.status).to.equal('warning')
    expect(sum.cause).to.equal(undefined)
    expect(sum.totals.ignored).to.equal(2)
    expect(sum.totals.errors).to.equal(0)
    const ignored = sum.problems.filter((p) => p.kind === 'ignored')
    expect(ignored.map((p) => `${p.object}|${p.code}`)).to.deep.equal([
      'C:\\Users\\jdoe\\AppData\\Local\\Microsoft\\Outlook\\jdoe@contoso.com.ost|UnableToOpen',
      'C:\\Users\\asmith\\OneDrive - Contoso\\plan.docx|UnableToOpen',
    ])
    expect(ignored[1].reason).to.include('Access to the cloud file is denied.')
    expect(sum.warnings.find((w) => w.message.startsWith('Registry location HKCU\\Printers'))?.count).to.equal(3)
    expect(sum.store).to.deep.include({ type: 'hardlink', path: 'C:\\StateStore', exists: false, state: 'removed', rule: 'refresh-hardlink' })
    expect(sum.steps.map((x) => `${x.step}:${x.status}:${x.exitCode}`)).to.deep.equal(records.map((x) => `${x.step}:${x.status}:${x.exitCode}`))
    expect(sum.commands.map((c) => c.commandLine)).to.deep.equal(records.flatMap((x) => x.commands.map((c) => c.commandLine)))
    expect(sum.commands[0].artifacts.every((a) => a.found)).to.equal(true)
    expect(sum.phases.filter((p) => p.source === 'step').map((p) => p.durationMs)).to.deep.equal(records.flatMap((x) => x.phases.map((p) => p.durationMs)))
    expect(sum.phases.filter((p) => p.source === 'scanstate-progress.log').map((p) => p.phase)).to.deep.equal(['Initializing', 'Scanning', 'Collecting', 'Saving'])

    // Result variables for the task sequence.
    const vars = JSON.parse(readFileSync(s.env, 'utf8')) as Record<string, string>
    expect(vars).to.deep.include({
      USMTStepsReportPath: path.join(s.logs, 'usmt-steps-report.html'), USMTStepsReportStatus: 'Warning', USMTStepsReportFiles: String(listed.length),
      USMTStepsReportBytes: String(sum.totals.bytes), USMTStepsReportUsers: '2', USMTStepsLastStep: 'report', USMTStepsLastResult: 'Success',
    })
    // The report's own run record is written and never reported on.
    expect(existsSync(path.join(s.logs, 'usmt-steps-report.json'))).to.equal(true)
    const again = parseJsonOutput<ReportJson>((await runCli(['report', '--ts-env', `json:${s.env}`, '--volume', `C=${path.join(s.root, 'C')}`, '--json'])).stdout)
    expect(again.result.summary.steps.map((x) => x.step)).to.deep.equal(['plan', 'capture', 'restore'])
  })

  it('points a failed capture at the first real error in scanstate.log and writes into the store and the central folder', async () => {
    const s = stage('replace-failed', 'PC-0277')
    const store = path.join(t.dir, 'share', 'PC-0277')
    mkdirSync(path.join(store, 'USMT'), { recursive: true })
    writeFileSync(path.join(store, 'USMT', 'partial.tmp'), 'x'.repeat(4096))
    const central = path.join(t.dir, 'central')
    const r = await runCli(['report', '--ts-env', `json:${s.env}`, '--store', store, '--copy-to', central, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const doc = parseJsonOutput<ReportJson>(r.stdout)
    const sum = doc.result.summary
    const logLines = readFileSync(path.join(s.logs, 'scanstate.log'), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)
    expect(sum.status).to.equal('error')
    expect(sum.cause).to.deep.include({ step: 'capture', source: 'scanstate.log', line: logLines.findIndex((l) => l.includes('aborting...')) + 1 })
    expect(sum.cause?.text).to.equal('Unable to process object C:\\Users\\kwong\\Desktop\\dvd.iso -> 733, aborting...')
    expect(sum.cause?.returnCode).to.deep.include({ code: 61, name: 'USMT_MIGRATION_STOPPED_NONFATAL' })
    expect(sum.headline).to.include('dvd.iso').and.not.include('MigDoMigration')
    expect(sum.problems[0]).to.deep.include({ kind: 'aborted', object: 'C:\\Users\\kwong\\Desktop\\dvd.iso', code: 'UnableToCopy' })
    expect(sum.store).to.deep.include({ type: 'share', state: 'incomplete', exists: true, layout: 'uncompressed', sizeBytes: 4096 })
    // The listfiles the command named was never written: a warning, not a failure.
    expect(doc.warnings.join('\n')).to.include('scanstate-listfiles.txt')
    // Into the store and the central folder, each a COMPUTER_TIME folder with the logs it links.
    expect(doc.result.store).to.match(/usmt-steps-reports[\\/]PC-0277_\d{8}T\d{6}Z[\\/]report\.html$/)
    expect(doc.result.copy).to.match(/central[\\/]PC-0277_\d{8}T\d{6}Z[\\/]report\.html$/)
    const copyDir = path.dirname(doc.result.copy ?? '')
    expect(readdirSync(copyDir).sort()).to.deep.equal(['report.html', 'scanstate-progress.log', 'scanstate.log', 'summary.json', 'usmt-steps.log'])
    const vars = JSON.parse(readFileSync(s.env, 'utf8')) as Record<string, string>
    expect(vars.USMTStepsReportStatus).to.equal('Failed')
    expect(vars.USMTStepsReportCopyPath).to.equal(doc.result.copy)

    // A second machine reports into the same folder; the overview lists the failure first.
    const s2 = stage('refresh-warn', 'PC-0142')
    expect((await runCli(['report', '--ts-env', `json:${s2.env}`, '--volume', `C=${path.join(s2.root, 'C')}`, '--copy-to', central])).exitCode).to.equal(0)
    const ix = await runCli(['report', 'index', central, '--json'])
    expect(ix.exitCode, ix.stderr).to.equal(0)
    const o = parseJsonOutput<{ result: { overview: { rows: Array<{ computer: string; status: string; href: string }>; counts: { computers: number } } } }>(ix.stdout).result.overview
    expect(o.counts.computers).to.equal(2)
    expect(o.rows.map((x) => `${x.computer}:${x.status}`)).to.deep.equal(['PC-0277:error', 'PC-0142:warning'])
    expect(existsSync(path.join(central, o.rows[0].href))).to.equal(true)
    expect(existsSync(path.join(central, 'index.html'))).to.equal(true)
  })

  it('never lets a secret of the task sequence into the report, its copies or the copied logs', async () => {
    const key = 'Sup3r-Secret-Store-Key!'
    const s = stage('replace-failed', 'PC-0277', { USMTStepsEncryptionKey: key })
    // A log that carries the key (USMT writes its command line, /key: included, into scanstate.log).
    const logFile = path.join(s.logs, 'scanstate.log')
    writeFileSync(logFile, readFileSync(logFile, 'utf8').replace('Processing C:\\Users\\kwong\\Desktop\\dvd.iso', `Processing with ${key}`).replace('Error 112.', `Error 112 ${key}.`))
    const central = path.join(t.dir, 'central')
    const r = await runCli(['report', '--ts-env', `json:${s.env}`, '--copy-to', central, '--json'])
    expect(r.exitCode).to.equal(0)
    const all: string[] = [r.stdout, r.stderr]
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = path.join(d, e)
        if (statSync(p).isDirectory()) walk(p)
        else if (!p.endsWith('scanstate.log') || !p.startsWith(s.logs)) all.push(readFileSync(p, 'utf8'))
      }
    }
    walk(s.logs)
    walk(central)
    const text = all.join('\n')
    expect(text).to.include('********')
    expect(text).to.not.include(key)
  })

  it('reads a real scanstate.log in place: warnings grouped, no cause taken from its benign Error lines', async function () {
    requireSharedFixtures(this, 'usmt-logs', 'scanstate.log')
    const logs = path.join(t.dir, 'logs')
    mkdirSync(logs)
    const real = sharedFixture('usmt-logs', 'scanstate.log')
    const record: RunRecord = {
      schema: 1, step: 'capture', computer: 'POOL015790', version: '0.1.0', status: 'success', exitCode: 0,
      startedAt: '2018-04-20T07:26:17.000Z', finishedAt: '2018-04-20T07:27:05.000Z', durationMs: 48000, summary: 'genconfig', warnings: [], phases: [],
      commands: [{ commandLine: `C:\\backup\\scanstate.exe /genconfig:Config.XML /i:migdocs.xml /l:${real}`, exitCode: 0, startedAt: '2018-04-20T07:26:17.000Z', durationMs: 48000, artifacts: [real] }],
    }
    writeFileSync(path.join(logs, 'usmt-steps-capture.json'), JSON.stringify(record))
    writeFileSync(path.join(t.dir, 'none.json'), '{}')
    const r = await runCli(['report', '--log-dir', logs, '--ts-env', `json:${path.join(t.dir, 'none.json')}`, '--no-to-store', '--json'], { env: { USMT_STEPS_TS_ENV: undefined } })
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const sum = parseJsonOutput<ReportJson>(r.stdout).result.summary
    expect(sum.status).to.equal('success')
    expect(sum.cause).to.equal(undefined)
    expect(sum.totals.errors).to.equal(0)
    const raw = readFileSync(real, 'utf8')
    expect(sum.warnings.filter((w) => w.source === 'scanstate.log').reduce((n, w) => n + w.count, 0)).to.equal((raw.match(/, Warning {15}\[/g) ?? []).length)
    expect(sum.computer).to.equal('POOL015790')
    // Filed under the computer running the report step, even when the newest run record is another computer's.
    writeFileSync(path.join(t.dir, 'old.json'), JSON.stringify({ _SMSTSMachineName: 'OLDPC' }))
    const o = await runCli(['report', '--log-dir', logs, '--ts-env', `json:${path.join(t.dir, 'old.json')}`, '--no-to-store', '--json'], { env: { USMT_STEPS_TS_ENV: undefined } })
    expect(parseJsonOutput<ReportJson>(o.stdout).result.summary.computer).to.equal('OLDPC')
  })

  it('fails clearly when there is nothing to report or no log folder', async () => {
    const empty = path.join(t.dir, 'empty')
    mkdirSync(empty)
    const env = path.join(t.dir, 'ts.json')
    writeFileSync(env, JSON.stringify({ _SMSTSLogPath: empty }))
    const r = await runCli(['report', '--ts-env', `json:${env}`, '--json'])
    expect(r.exitCode).to.equal(EXIT_CODES.io.code)
    expect(parseJsonOutput(r.stdout).error?.code).to.equal('USM0700')
    writeFileSync(env, JSON.stringify({}))
    const r2 = await runCli(['report', '--ts-env', `json:${env}`, '--json'], { env: { USMT_STEPS_LOG_DIR: undefined } })
    expect(r2.exitCode).to.equal(EXIT_CODES.config.code)
    expect(parseJsonOutput(r2.stdout).error?.code).to.equal('USM0701')
    const r3 = await runCli(['report', 'index', path.join(t.dir, 'missing'), '--json'])
    expect(r3.exitCode).to.equal(EXIT_CODES.io.code)
    expect(parseJsonOutput(r3.stdout).error?.code).to.equal('USM0703')
  })
})
