import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('settings command', () => {
  it('shows each value with its source, following flag > variable > environment > default', async () => {
    const t = tempDir()
    try {
      const env = path.join(t.dir, 'e.json')
      writeFileSync(env, JSON.stringify({ USMTStepsLogMaxBytes: '100000' }))
      const r = await runCli(['settings', '--ts-env', `json:${env}`, '--json', '--area', 'foundation'], { env: { USMT_STEPS_PROGRESS: 'lines' } })
      expect(r.exitCode).to.equal(0)
      const rows = parseJsonOutput<{ result: Array<{ key: string; value: unknown; source: string }> }>(r.stdout).result
      const by = Object.fromEntries(rows.map((x) => [x.key, x]))
      expect(by.logMaxBytes).to.include({ value: 100000, source: 'variable USMTStepsLogMaxBytes' })
      expect(by.progress).to.include({ value: 'lines', source: 'environment USMT_STEPS_PROGRESS' })
      expect(by.verbose).to.include({ value: false, source: 'default' })
    } finally {
      t.cleanup()
    }
  })
})
