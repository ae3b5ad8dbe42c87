import { expect } from 'chai'
import { decideCaptureStore } from '../../../src/steps/capture.js'
import { parseCaptureExtras } from '../../../src/steps/command-line.js'
import type { StepInputs } from '../../../src/steps/inputs.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { isWindowsPath } from '../../../src/windows/path.js'

/** The capture's store decision is a pure function of the inputs and the option texts. */
describe('steps/capture: decideCaptureStore', () => {
  const none = parseCaptureExtras(undefined, 'ScanStateArgs', () => undefined)
  const inputs = (over: Partial<StepInputs>): StepInputs => ({ storeType: undefined, replace: false, encryptNetworkStore: true, ...over }) as StepInputs

  it('encrypts a network store and refuses one without a key', () => {
    expect(decideCaptureStore(inputs({ key: 'k' }), '\\\\srv\\mig\\PC1', none, none)).to.deep.equal({ network: true, hardLink: false, encrypt: true, key: 'k' })
    expect(() => decideCaptureStore(inputs({}), '\\\\srv\\mig\\PC1', none, none)).to.throw(UsmtStepsError, /must be encrypted/).with.property('code', 'USM0303')
  })

  it('keeps a local hard-link store unencrypted and refuses one that leaves the machine', () => {
    expect(decideCaptureStore(inputs({ storeType: 'hardlink' }), 'C:\\StateStore', none, none)).to.include({ network: false, hardLink: true, encrypt: false })
    const hard = parseCaptureExtras('/hardlink /nocompress', 'OSDMigrateAdditionalCaptureOptions', () => undefined)
    expect(() => decideCaptureStore(inputs({ replace: true }), 'C:\\StateStore', none, hard)).to.throw(/cannot move to another computer/)
  })

  it('tells Windows paths from local ones (the store path is normalised only for Windows paths)', () => {
    expect(['C:\\x', 'c:x', '\\\\srv\\share\\x', '\\\\?\\C:\\x'].map(isWindowsPath)).to.deep.equal([true, true, true, true])
    expect(['/tmp/x', '//srv/share', './store', 'store'].map(isWindowsPath)).to.deep.equal([false, false, false, false])
  })
})
