import { expect } from 'chai'
import { configMgrScript, psLiteral } from '../../../src/templates/cm-powershell.js'
import { buildSequence, SCENARIOS } from '../../../src/templates/scenarios.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'
import { descendants, parsePowerShell, syntaxErrors, stringValue } from '../ps-module/ps-ast.js'

const CMDLETS = new Set(['New-CMTaskSequence', 'New-CMTaskSequenceGroup', 'New-CMTSStepRunCommandLine', 'New-CMTSStepRequestStateStore', 'New-CMTSStepReleaseStateStore',
  'New-CMTSStepSetVariable', 'New-CMTSStepConditionVariable', 'New-CMTSStepConditionIfStatement', 'Add-CMTaskSequenceStep', 'Get-Command'])

describe('templates/cm-powershell (ConfigMgr cmdlet script)', () => {
  const defs = loadTaskSteps()

  for (const scenario of SCENARIOS) {
    it(`${scenario}: the script parses and only calls the ConfigMgr cmdlets, adding groups at increasing indexes`, async () => {
      const seq = buildSequence(defs, { scenario, flavour: 'configmgr', packageId: 'ABC00012', options: { policy: 'policy.json' } })
      const script = configMgrScript(seq, { name: `usmt-steps ${scenario}`, description: 'd', generatedBy: 'test' })
      const tree = await parsePowerShell(script)
      expect(syntaxErrors(tree)).to.deep.equal([])
      const called = new Set(descendants(tree.rootNode, 'command_name').map((n) => n.text))
      expect([...called].filter((c) => !CMDLETS.has(c))).to.deep.equal([])
      expect(called.has('New-CMTSStepRunCommandLine')).to.equal(true)
      const adds = [...script.matchAll(/Add-CMTaskSequenceStep -Step \$\w+ -InsertStepStartIndex (\d+)/g)].map((m) => Number(m[1]))
      expect(adds).to.deep.equal(seq.children.map((_, i) => i))
      const commandLines = [...script.matchAll(/-CommandLine ('(?:[^']|'')*')/g)].map((m) => m[1])
      expect(commandLines.some((c) => c.includes('plan --scenario'))).to.equal(true)
    })
  }

  it('keeps hostile text literal', async () => {
    const nasty = "x'; Remove-Item -Recurse C:\\ ; '$(whoami)"
    const lit = psLiteral(nasty)
    const tree = await parsePowerShell(`$a = ${lit}\n`)
    expect(syntaxErrors(tree)).to.deep.equal([])
    expect(descendants(tree.rootNode, 'command_name').map((n) => n.text)).to.deep.equal([])
    expect(stringValue(descendants(tree.rootNode, 'string_literal')[0])).to.equal(nasty)
  })
})
