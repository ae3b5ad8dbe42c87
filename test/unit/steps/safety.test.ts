import { expect } from 'chai'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { assertHardLinkVolume, isCloudFileError, profilesAtRisk, userMatcher } from '../../../src/steps/safety.js'
import { emptyProgressState } from '../../../src/usmt/index.js'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return e instanceof UsmtStepsError ? e.code : 'other'
  }
  return undefined
}

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

})
