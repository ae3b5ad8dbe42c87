import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'
import { APPROVED_VERBS, cliCalls, functions, manifestExports, parsePowerShell, syntaxErrors } from './ps-ast.js'

const MODULE = path.join(PROJECT_ROOT, 'ps-module', 'UsmtSteps')
const read = (p: string): string => readFileSync(p, 'utf8')

function psFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? psFiles(p) : /\.ps(d|m)?1$/i.test(e.name) ? [p] : []
  })
}

/** Commands that exist in src/commands (topic/verb.ts → "topic verb"). */
function existingCommands(): Set<string> {
  const root = path.join(PROJECT_ROOT, 'src', 'commands')
  const walk = (dir: string, prefix: string[]): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return walk(path.join(dir, e.name), [...prefix, e.name])
    return e.name.endsWith('.ts') ? [[...prefix, e.name.slice(0, -3)].join(' ')] : []
  })
  return new Set(walk(root, []))
}

describe('ps-module UsmtSteps (checked with the tree-sitter PowerShell parser)', () => {
  const files = psFiles(path.join(PROJECT_ROOT, 'ps-module'))

  it('finds the module files', () => {
    expect(files.map((f) => path.relative(PROJECT_ROOT, f))).to.include.members([
      'ps-module/UsmtSteps/UsmtSteps.psd1', 'ps-module/UsmtSteps/UsmtSteps.psm1', 'ps-module/UsmtSteps/Public/Invoke-UsmtStep.ps1',
      'ps-module/UsmtSteps/Public/New-UsmtStepsTaskSequence.ps1', 'ps-module/UsmtSteps/Public/Get-UsmtStepsStore.ps1', 'ps-module/tests/UsmtSteps.Tests.ps1',
    ])
  })

  it('the parser reports syntax errors (control: broken code is not accepted)', async () => {
    expect(syntaxErrors(await parsePowerShell('function Get-X { if ($a -eq 1 { return } }'))).to.not.be.empty
    expect(syntaxErrors(await parsePowerShell('$x = @(1, 2'))).to.not.be.empty
    expect(syntaxErrors(await parsePowerShell('function Get-X {\n  param([string]$A)\n  return $A\n}\n'))).to.deep.equal([])
  })

  it('every .ps1/.psm1/.psd1 file parses without syntax errors', async () => {
    const problems: string[] = []
    for (const f of files) for (const e of syntaxErrors(await parsePowerShell(read(f)))) problems.push(`${path.relative(PROJECT_ROOT, f)}:${e}`)
    expect(problems).to.deep.equal([])
  })

  it('exports exactly the Public functions, one function per file named like the file, with approved verbs', async () => {
    const exported = manifestExports(await parsePowerShell(read(path.join(MODULE, 'UsmtSteps.psd1'))))
    expect(exported).to.not.equal(undefined)
    const publicFiles = readdirSync(path.join(MODULE, 'Public')).filter((f) => f.endsWith('.ps1')).map((f) => f.slice(0, -4)).sort()
    expect([...(exported ?? [])].sort()).to.deep.equal(publicFiles)
    expect(publicFiles).to.deep.equal(['Get-UsmtStepsStore', 'Invoke-UsmtStep', 'New-UsmtStepsTaskSequence'])
    for (const dir of ['Public', 'Private']) {
      for (const f of readdirSync(path.join(MODULE, dir)).filter((x) => x.endsWith('.ps1'))) {
        const fns = functions(await parsePowerShell(read(path.join(MODULE, dir, f))))
        expect(fns.map((x) => x.name), `${dir}/${f}`).to.deep.equal([f.slice(0, -4)])
        expect(APPROVED_VERBS.has(fns[0].name.split('-')[0]), `${fns[0].name} uses an approved verb`).to.equal(true)
      }
    }
  })

  it('every function has comment-based help with synopsis, description, example and each parameter', async () => {
    const problems: string[] = []
    for (const dir of ['Public', 'Private']) {
      for (const f of readdirSync(path.join(MODULE, dir)).filter((x) => x.endsWith('.ps1'))) {
        for (const fn of functions(await parsePowerShell(read(path.join(MODULE, dir, f))))) {
          if (!fn.help) {
            problems.push(`${fn.name}: no comment-based help`)
            continue
          }
          for (const kw of ['.SYNOPSIS', '.DESCRIPTION', '.EXAMPLE']) if (!fn.help.toUpperCase().includes(kw)) problems.push(`${fn.name}: help has no ${kw}`)
          for (const p of fn.parameters) if (!new RegExp(`\\.PARAMETER\\s+${p}\\b`, 'i').test(fn.help)) problems.push(`${fn.name}: help does not document -${p}`)
        }
      }
    }
    expect(problems).to.deep.equal([])
  })

  it('passes CLI arguments as arrays: every call of the CLI goes through Invoke-UsmtStepsCli', async () => {
    const offenders: string[] = []
    for (const f of files.filter((x) => !x.includes(`${path.sep}tests${path.sep}`))) {
      const text = read(f)
      if (/Invoke-Expression|\biex\b|Start-Process|cmd(\.exe)?\s+\/c/i.test(text)) offenders.push(path.relative(PROJECT_ROOT, f))
    }
    expect(offenders).to.deep.equal([])
    const callers = new Set<string>()
    for (const f of psFiles(path.join(MODULE, 'Public'))) for (const c of cliCalls(await parsePowerShell(read(f)), 'Invoke-UsmtStepsCli')) callers.add(c.function)
    expect([...callers].sort()).to.deep.equal(['Get-UsmtStepsStore', 'Invoke-UsmtStep', 'New-UsmtStepsTaskSequence'])
  })

  it('only calls CLI commands that are declared (src/commands or a task-step definition)', async () => {
    const defs = loadTaskSteps()
    const declared = new Set([...existingCommands(), ...defs.map((d) => d.command.join(' ')), 'store list'])
    const calls = (await Promise.all(psFiles(path.join(MODULE, 'Public')).map(async (f) => cliCalls(await parsePowerShell(read(f)), 'Invoke-UsmtStepsCli')))).flat()
    const literal = calls.filter((c) => !c.dynamic)
    expect(literal.map((c) => c.command.join(' ')).sort()).to.deep.equal(['store list', 'template configmgr'])
    for (const c of literal) expect(declared.has(c.command.join(' ')), `${c.function} calls usmt-steps ${c.command.join(' ')}`).to.equal(true)
    // The dynamic call (Invoke-UsmtStep) builds its arguments from task-steps/<id>.json: its ValidateSet must list exactly those steps.
    expect(calls.filter((c) => c.dynamic).map((c) => c.function)).to.deep.equal(['Invoke-UsmtStep'])
    const src = read(path.join(MODULE, 'Public', 'Invoke-UsmtStep.ps1'))
    const set = /\[ValidateSet\(([^)]*)\)\]\s*\[string\]\s*\$Step/.exec(src)
    expect(set, 'Invoke-UsmtStep has a ValidateSet on -Step').to.not.equal(null)
    const ids = [...(set?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]).sort()
    expect(ids).to.deep.equal(defs.map((d) => d.id).sort())
  })

  it('calls only CLI commands that exist in src/commands today', async () => {
    const calls = (await Promise.all(psFiles(path.join(MODULE, 'Public')).map(async (f) => cliCalls(await parsePowerShell(read(f)), 'Invoke-UsmtStepsCli')))).flat()
    const existing = existingCommands()
    const wanted = new Set([...calls.filter((c) => !c.dynamic).map((c) => c.command.join(' ')), ...loadTaskSteps().map((d) => d.command.join(' '))])
    const missing = [...wanted].filter((c) => !existing.has(c)).sort()
    expect(existing.has('template configmgr')).to.equal(true)
    expect(missing, 'commands called by the module or task-steps that do not exist').to.deep.equal([])
  })

  it('ships the Pester tests for Windows runners', () => {
    const tests = read(path.join(PROJECT_ROOT, 'ps-module', 'tests', 'UsmtSteps.Tests.ps1'))
    expect(tests).to.match(/ModuleVersion = '5\.0\.0'/)
    for (const fn of ['Invoke-UsmtStep', 'New-UsmtStepsTaskSequence', 'Get-UsmtStepsStore']) expect(tests).to.include(`Describe '${fn}'`)
    expect(existsSync(path.join(MODULE, 'UsmtSteps.psm1'))).to.equal(true)
  })

  it('the Pester tests run with one documented command (Invoke-UsmtStepsTests.ps1: Pester 5 required, exit code = failures)', () => {
    const runner = read(path.join(PROJECT_ROOT, 'ps-module', 'tests', 'Invoke-UsmtStepsTests.ps1'))
    const command = 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File ps-module\\tests\\Invoke-UsmtStepsTests.ps1'
    expect(runner).to.include(command)
    expect(runner).to.match(/\$minimum = \[version\]'5\.0\.0'/)
    expect(runner).to.include('Install-Module -Name Pester -MinimumVersion $minimum -Scope CurrentUser')
    expect(runner).to.include('$config.Run.Path = $PSScriptRoot')
    expect(runner).to.include('exit $result.FailedCount')
    // The tests find the module and task-steps two folders up: the package folder or the checkout.
    expect(read(path.join(PROJECT_ROOT, 'ps-module', 'tests', 'UsmtSteps.Tests.ps1'))).to.include("Split-Path -Path (Split-Path -Path $PSScriptRoot -Parent) -Parent")
    for (const doc of ['README.md', path.join('templates', 'package-README.md')]) expect(read(path.join(PROJECT_ROOT, doc)), doc).to.include(command)
  })
})
