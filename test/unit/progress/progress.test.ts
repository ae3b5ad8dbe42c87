import { expect } from 'chai'
import * as path from 'node:path'
import { formatProgressLine, LineSink, MemorySink, ProgressReporter } from '../../../src/progress/progress.js'
import { shouldShowTsProgress, TsDialogSink } from '../../../src/progress/ts-dialog.js'
import { comDoubleEnv, readComDoubleState } from '../../helpers/com-double.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('progress', () => {
  it('clamps and fans out updates', () => {
    const m = new MemorySink()
    const r = new ProgressReporter([m])
    r.update({ phase: 'Capturing', percent: 140 })
    r.update({ phase: 'Capturing', percent: -3 })
    expect(m.updates.map((u) => u.percent)).to.deep.equal([100, 0])
  })

  it('throttles plain lines by time, phase change and 10-point steps', () => {
    const lines: string[] = []
    let now = 0
    const s = new LineSink((l) => lines.push(l), 5000, () => now)
    s.update({ phase: 'Scanning', percent: 1 })
    s.update({ phase: 'Scanning', percent: 5 })
    s.update({ phase: 'Scanning', percent: 12 })
    now = 6000
    s.update({ phase: 'Scanning', percent: 13 })
    s.update({ phase: 'Capturing', percent: 13 })
    expect(lines).to.deep.equal(['[progress] Scanning   1%', '[progress] Scanning  12%', '[progress] Scanning  13%', '[progress] Capturing  13%'])
    expect(formatProgressLine({ phase: 'X', detail: 'y' })).to.equal('[progress] X - y')
  })

  it('shows the TS dialog only under the documented conditions', () => {
    const get = (vars: Record<string, string>) => (n: string): string | undefined => vars[n]
    expect(shouldShowTsProgress(get({}))).to.equal(false)
    expect(shouldShowTsProgress(get({ _SMSTSInWinPE: 'true' }))).to.equal(true)
    expect(shouldShowTsProgress(get({ _SMSTSLaunchMode: 'usb' }))).to.equal(true)
    expect(shouldShowTsProgress(get({ _SMSTSReturnToGINA: 'true' }))).to.equal(true)
    expect(shouldShowTsProgress(get({ _SMSTSStandAloneMode: 'true' }))).to.equal(true)
    expect(shouldShowTsProgress(get({ _SMSTSShowProgressUI: 'true' }))).to.equal(true)
    expect(shouldShowTsProgress(get({ _SMSTSInWinPE: 'true', TSDisableProgressUI: 'true' }))).to.equal(false)
  })

  describe('TS dialog sink (COM double)', function () {
    this.timeout(60000)
    let t: ReturnType<typeof tempDir>
    let saved: NodeJS.ProcessEnv
    beforeEach(() => { t = tempDir(); saved = { ...process.env } })
    afterEach(() => { process.env = saved; t.cleanup() })

    it('calls ShowActionProgress with the nine documented arguments', async () => {
      const state = path.join(t.dir, 's.json')
      Object.assign(process.env, comDoubleEnv(state, { inTaskSequence: true, variables: {}, progressUI: true }))
      const vars: Record<string, string> = { _SMSTSOrgName: 'Contoso IT', _SMSTSPackageName: 'Refresh', _SMSTSCurrentActionName: 'Capture', _SMSTSNextInstructionPointer: '4', _SMSTSInstructionTableSize: '12' }
      const sink = TsDialogSink.create((n) => vars[n], () => undefined, { platform: 'win32', env: process.env })!
      sink.update({ phase: 'Capturing', percent: 42.4, detail: 'CONTOSO\\ann' })
      await sink.end()
      expect(readComDoubleState(state).progressCalls).to.deep.equal([['Contoso IT', 'Refresh', '', 'Capture', '4', '12', 'Capturing: CONTOSO\\ann', '42', '100']])
    })

    it('fails soft once when TSProgressUI is not registered (no logged-on user)', async () => {
      Object.assign(process.env, comDoubleEnv(path.join(t.dir, 's.json'), { inTaskSequence: true, variables: {}, progressUI: false }))
      const failures: string[] = []
      const sink = TsDialogSink.create(() => undefined, (m) => failures.push(m), { platform: 'win32', env: process.env })!
      sink.update({ phase: 'A', percent: 1 })
      await sink.end({ phase: 'A', percent: 100 })
      sink.update({ phase: 'B', percent: 2 })
      await sink.end()
      expect(failures).to.have.length(1)
      expect(failures[0]).to.match(/continuing without it/)
    })
  })
})
