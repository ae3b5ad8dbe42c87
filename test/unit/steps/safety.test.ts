import { expect } from 'chai'
import { assertHardLinkVolume, isCloudFileError, profilesAtRisk, userMatcher } from '../../../src/steps/safety.js'
import { emptyProgressState } from '../../../src/usmt/index.js'
import { codeOf } from '../../helpers/errors.js'

describe('steps/safety: what would put user data at risk', () => {
  it('hard-link store must be on the profiles\' volume', () => {
    expect(codeOf(() => assertHardLinkVolume({ storePath: 'D:\\Store', profilesPath: 'C:\\Users' }))).to.equal('USM0307')
    expect(codeOf(() => assertHardLinkVolume({ storePath: '\\\\srv\\share\\x', profilesPath: 'C:\\Users' }))).to.equal('USM0307')
    expect(assertHardLinkVolume({ storePath: 'C:\\_SMSTaskSequence\\UserState', profilesPath: 'C:\\Users' })).to.contain('C:')
  })

  it('lists orphaned profiles and cloud-only files, not profiles excluded on purpose', () => {
    const st = emptyProgressState()
    st.detectedUsers.push({ user: 'S-1-5-21-1-2-3-1107', included: false }, { user: 'CONTOSO\\old', included: false }, { user: 'CONTOSO\\ann', included: true })
    st.errors.push({ type: 'UnableToOpen', objectName: 'C:\\Users\\ann\\OneDrive\\a.docx', action: 'Ignore', errorCode: 395 })
    const r = profilesAtRisk(st, userMatcher(['CONTOSO\\o*']))
    expect(r.map((x) => x.kind)).to.deep.equal(['orphaned-profile', 'cloud-only-files'])
    expect(isCloudFileError(32)).to.equal(false)
  })

  it('a detected user scanstate did not include because the profile was never used is named with that cause', () => {
    const st = emptyProgressState()
    st.detectedUsers.push({ user: 'PC\\newhire', included: false }, { user: 'PC\\bob', included: false }, { user: 'PC\\fresh', included: false })
    const r = profilesAtRisk(st, () => false, [
      { account: 'PC\\newhire', profile: 'C:\\Users\\newhire', neverUsed: true },
      { account: 'PC\\bob', profile: 'C:\\Users\\bob' },
      // Listed from its folder only (no account known): matched by the folder name, as USMT names local users.
      { profile: 'C:\\Users\\fresh', neverUsed: true },
    ])
    expect(r.map((x) => [x.kind, x.user])).to.deep.equal([['never-used-profile', 'PC\\newhire'], ['excluded-profile', 'PC\\bob'], ['never-used-profile', 'PC\\fresh']])
    expect(r[0].what).to.equal('PC\\newhire (C:\\Users\\newhire: never logged on (no NTUSER.DAT and no lastUse); USMT does not migrate a profile that was never used)')
  })
})
