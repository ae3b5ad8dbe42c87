import { expect } from 'chai'
import { settingsForCommand, settingsHelpSection } from '../../../src/cli/help.js'
import { runCli } from '../../helpers/cli.js'

describe('cli/help: settings rendered into --help', () => {
  it('maps commands to their settings areas and global flags', () => {
    const keys = settingsForCommand('restore', ['json', 'log-dir']).map((s) => s.key)
    expect(keys).to.include.members(['usersLeftBehind', 'keepStore', 'logDir'])
    expect(settingsForCommand('rules:preview', []).every((s) => s.area === 'engine')).to.equal(true)
  })

  it('shows variables and environment variables for each setting in --help', async () => {
    const r = await runCli(['restore', '--help'])
    expect(r.stdout).to.include('SETTINGS (flag > task-sequence variable > environment > default')
    expect(r.stdout).to.match(/usersLeftBehind \(default fail\)\s+USMTStepsUsersLeftBehind/)
    expect(settingsHelpSection([])).to.equal('')
  })
})
