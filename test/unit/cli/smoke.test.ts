import { expect } from 'chai'
import { runCli } from '../../helpers/cli.js'

describe('cli smoke', () => {
  it('prints the exit-code table through help exit-codes', async () => {
    const r = await runCli(['help', 'exit-codes'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.match(/3010\s+reboot/)
  })
})
