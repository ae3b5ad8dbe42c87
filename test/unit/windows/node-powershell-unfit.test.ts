import { expect } from 'chai'
import { PowerShell } from 'node-powershell'
import { POWERSHELL_BRIDGE_SCRIPT } from '../../../src/windows/bridge-scripts.js'
import { hostArgv } from '../../../src/windows/com-bridge.js'

/**
 * The design card names node-powershell for the COM bridge. Its command template interpolates values into
 * PowerShell text without escaping (deps-lab.md §3), so a path from a task-sequence variable could run
 * code as SYSTEM. This test keeps that finding honest; the bridge therefore runs a fixed -EncodedCommand
 * script and passes data through an environment variable.
 */
describe('node-powershell is unfit for values from task-sequence variables', () => {
  it('interpolates a $() subexpression unescaped into the command text', () => {
    const hostile = 'C:\\USMT\\$(Remove-Item -Recurse C:\\)'
    const cmd = String(PowerShell.command`Set-Thing -Path ${hostile}`)
    expect(cmd).to.include('$(Remove-Item -Recurse C:\\)')
    expect(cmd).to.match(/"C:\\USMT\\\$\(Remove-Item/)
  })

  it('our bridge never carries data in its command line', () => {
    const argv = hostArgv({ kind: 'powershell', executable: 'powershell.exe' })
    expect(Buffer.from(argv[5], 'base64').toString('utf16le')).to.equal(POWERSHELL_BRIDGE_SCRIPT)
    expect(POWERSHELL_BRIDGE_SCRIPT).to.include("GetEnvironmentVariable('USMT_STEPS_BRIDGE_REQUEST')")
  })
})
