import { expect } from 'chai'
import { settingFlags } from '../../../src/cli/flags.js'
import type { Command } from '@oclif/core'
import UsmtStepsHelp, { settingsForCommand, settingsHelpSection } from '../../../src/cli/help.js'
import { cliConfig, runCli } from '../../helpers/cli.js'

/** The help text of a command, as `usmt-steps <command> --help` prints it (without running oclif's help flow). */
class HelpText extends UsmtStepsHelp {
  text(command: Command.Loadable): string {
    return this.formatCommand({ ...command }) // oclif rewrites the id it formats (template:mdt → template mdt)
  }
}

/** The flags a --help text offers: its FLAGS sections and the flag column of its SETTINGS section. */
function flagsShown(help: string): string[] {
  const names: string[] = []
  const settingsAt = help.indexOf('\nSETTINGS (')
  const flagPart = settingsAt < 0 ? help : help.slice(0, settingsAt)
  for (const m of flagPart.matchAll(/^\s+(?:-\w, )?--(?:\[no-\])?([a-z][a-z0-9-]*)/gm)) names.push(m[1])
  if (settingsAt >= 0) for (const m of help.slice(settingsAt).matchAll(/^\s{6}--([a-z][a-z0-9-]*)(?= \||$)/gm)) names.push(m[1])
  return names
}

describe('cli/help: settings rendered into --help', () => {
  it('lists the foundation settings and the ones a command declares', () => {
    const keys = settingsForCommand({ id: 'restore', settings: ['usersLeftBehind', 'keepStore'] }).map((s) => s.key)
    expect(keys).to.include.members(['usersLeftBehind', 'keepStore', 'logDir', 'tsEnv'])
    expect(keys).not.to.include('offlineCapture')
  })

  it('shows variables and environment variables for each setting in --help', async () => {
    const r = await runCli(['restore', '--help'])
    expect(r.stdout).to.include('SETTINGS (flag > task-sequence variable > environment > default')
    expect(r.stdout).to.match(/usersLeftBehind \(default fail\)\s+USMTStepsUsersLeftBehind/)
    expect(settingsHelpSection([])).to.equal('')
  })

  it('offers in every command\'s --help only flags the command accepts', async () => {
    const config = await cliConfig()
    const help = new HelpText(config)
    const commands = config.commands.filter((x) => x.pluginName === 'usmt-steps')
    expect(commands.length).to.be.greaterThan(20)
    const wrong: string[] = []
    for (const c of commands) {
      const shown = flagsShown(help.text(c))
      expect(shown, `${c.id} --help`).to.include('json')
      for (const name of shown) if (!(name in c.flags)) wrong.push(`${c.id}: --${name}`)
    }
    expect(wrong).to.deep.equal([])
  })

  it('plan and restore show none of the store and capture settings they do not read', async () => {
    expect((await runCli(['plan', '--help'])).stdout).not.to.match(/--transport|--mount|--retry-count/)
    expect((await runCli(['restore', '--help'])).stdout).not.to.match(/--at-risk|--offline|OSDMigrateAdditionalCaptureOptions/)
  })

  it('generates a setting\'s flag from its declaration and refuses two settings with one flag', () => {
    const flags = settingFlags(['storeTransport', 'storeRetryCount', 'keepStore', 'rulesFiles'])
    expect(Object.keys(flags)).to.deep.equal(['transport', 'retry-count', 'keep-store', 'rules'])
    expect(flags.transport).to.include({ type: 'option' }).and.to.have.deep.property('options', ['auto', 'fs', 'smbclient'])
    expect(flags['keep-store']).to.include({ type: 'boolean', allowNo: true })
    expect(flags.rules).to.include({ multiple: true })
    expect(() => settingFlags(['storeRequestType', 'storeReleaseType'])).to.throw(/--type is the flag of two settings/)
  })
})
