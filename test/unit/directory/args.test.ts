import { expect } from 'chai'
import { buildUserArgs, mergeCaptureOptions, uiValue } from '../../../src/directory/args.js'
import type { ProfileDecision } from '../../../src/directory/policy.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { splitCommandLine } from '../../../src/windows/path.js'

const d = (account: string | undefined, decision: ProfileDecision['decision'], extra: Partial<ProfileDecision> = {}): ProfileDecision => ({
  profile: `C:\\Users\\${account?.split('\\').pop() ?? 'x'}`, account, kind: 'domain', status: 'active', decision, reason: 'r', rule: 'captured', ...extra,
})

describe('directory/args (/ui /ue output)', () => {
  it('writes an explicit selection: /ue:*\\* then one /ui per captured profile', () => {
    const r = buildUserArgs([d('CORP\\ann', 'capture'), d('CORP\\bob', 'skip'), d('PC01\\admin', 'capture'), d(undefined, 'always', { sid: 'S-1-5-18' })])
    expect(r.args).to.deep.equal(['/ue:*\\*', '/ui:CORP\\ann', '/ui:PC01\\admin'])
    expect(r.commandLine).to.equal('/ue:*\\* /ui:CORP\\ann /ui:PC01\\admin')
    expect(r.udProfiles).to.equal('CORP\\ann,PC01\\admin')
    expect(r.mapArgs).to.deep.equal([])
  })

  it('nothing captured still excludes everyone (only service profiles remain)', () => {
    expect(buildUserArgs([d('CORP\\ann', 'skip')]).args).to.deep.equal(['/ue:*\\*'])
  })

  it('quotes names with spaces so scanstate reads them back whole', () => {
    const r = buildUserArgs([d('CORP\\user one', 'capture')])
    expect(r.commandLine).to.equal('/ue:*\\* "/ui:CORP\\user one"')
    expect(splitCommandLine(r.commandLine)).to.deep.equal(['/ue:*\\*', '/ui:CORP\\user one'])
    expect(r.udProfiles).to.equal('"CORP\\user one"')
  })

  it('never writes a wildcard from a name: such accounts are named by SID', () => {
    expect(uiValue(d('CORP\\a*', 'capture', { sid: 'S-1-5-21-1-2-3-1001' }))).to.equal('S-1-5-21-1-2-3-1001')
    expect(uiValue(d('CORP\\a?', 'capture'))).to.equal(undefined)
    expect(uiValue(d('ann', 'capture', { sid: 'S-1-5-21-1-2-3-1002' }))).to.equal('S-1-5-21-1-2-3-1002')
  })

  it('a profile that cannot be named: USMT default when all are captured, an error when some are left out', () => {
    const all = buildUserArgs([d('CORP\\ann', 'capture'), { ...d(undefined, 'capture'), profile: 'C:\\Users\\mystery' }])
    expect(all.args).to.deep.equal([])
    expect(all.commandLine).to.equal('')
    try {
      buildUserArgs([d('CORP\\ann', 'skip'), { ...d(undefined, 'capture'), profile: 'C:\\Users\\mystery' }])
      expect.fail('expected USM0513')
    } catch (e) {
      expect((e as UsmtStepsError).code).to.equal('USM0513')
      expect((e as UsmtStepsError).message).to.include('C:\\Users\\mystery')
    }
  })

  it('mapped orphans get /mu:old:new for the restore', () => {
    const r = buildUserArgs([d('CORP\\gone', 'capture', { mapTo: 'CORP\\ann' }), d(undefined, 'capture', { sid: 'S-1-5-21-1-2-3-99', mapTo: 'CORP\\bob' })])
    expect(r.mapArgs).to.deep.equal(['/mu:CORP\\gone:CORP\\ann', '/mu:S-1-5-21-1-2-3-99:CORP\\bob'])
  })

  it('replaces user switches in existing capture options and keeps everything else', () => {
    expect(mergeCaptureOptions('/hardlink /nocompress /ui:OLD\\x /ue:*\\* /uel:30 -all /v:5', ['/ue:*\\*', '/ui:CORP\\ann']))
      .to.equal('/hardlink /nocompress /v:5 /ue:*\\* /ui:CORP\\ann')
    expect(mergeCaptureOptions(undefined, ['/ue:*\\*'])).to.equal('/ue:*\\*')
    expect(mergeCaptureOptions('"/ui:CORP\\user one" /c', [])).to.equal('/c')
    expect(mergeCaptureOptions('/uiextra /c', [])).to.equal('/uiextra /c')
  })
})
