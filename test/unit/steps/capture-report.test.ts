import { expect } from 'chai'
import { captureOutcome, captureSkipped, type CaptureRun } from '../../../src/steps/capture-report.js'
import type { CloudOnlyResult } from '../../../src/steps/cloud-step.js'
import { classifyReturnCode } from '../../../src/usmt/index.js'

describe('steps/capture-report', () => {
  const cloud = { policy: 'warn', source: 'none', checked: false, action: 'not-checked', files: 0, bytes: 0, users: [], notes: [] } as unknown as CloudOnlyResult
  const run = (over: Partial<CaptureRun>): CaptureRun => ({
    location: { engine: 'portable', source: 'portable' }, storePath: '\\\\srv\\mig\\PC1', storeLocal: '/mnt/mig/PC1', kind: 'compressed', encryption: { algorithm: 'AES_256' },
    run: { classification: classifyReturnCode(0), ignored: [] }, users: ['PC1\\amy', 'PC1\\bob'],
    leftOut: { found: [], neverUsed: [], risky: [], action: 'none' }, cloud, logs: ['/logs/scanstate.log'], storeLogs: ['/mnt/mig/PC1/Logs/scanstate.log'], durationMs: 2500, ...over,
  })

  it('summary, result and the variables the capture hands the later steps', () => {
    const o = captureOutcome(run({}))
    expect(o.summary).to.equal('captured 2 user(s) into the compressed, AES_256-encrypted store \\\\srv\\mig\\PC1 (scanstate 0 USMT_SUCCESS, 2.5 s)')
    expect(o.result).to.include({ skipped: false, encrypted: true, algorithm: 'AES_256', storeKind: 'compressed', usmtReturnCode: 0, ignoredErrors: 0 })
    expect(o.result.logs).to.deep.equal(['/logs/scanstate.log', '/mnt/mig/PC1/Logs/scanstate.log'])
    expect(o.recordAlsoIn).to.deep.equal(['/mnt/mig/PC1/Logs'])
    expect(o.variables).to.include({
      USMTStepsUsmtReturnCode: '0', USMTStepsCaptureStorePath: '\\\\srv\\mig\\PC1', USMTStepsCaptureStoreKind: 'compressed', USMTStepsCaptureEncrypted: 'true', USMTStepsCapturedUsers: 'PC1\\amy,PC1\\bob',
    })
  })

  it('an unencrypted store, no store folder (no record copy), profiles at risk in the text', () => {
    const risky = [{ kind: 'excluded-profile' as const, what: 'PC1\\joe (detected but not included)' }]
    const o = captureOutcome(run({ encryption: undefined, storeLocal: undefined, leftOut: { found: risky, neverUsed: [], risky, action: 'warn' } }))
    expect(o.summary).to.contain('compressed, unencrypted store')
    expect(o.recordAlsoIn).to.deep.equal([])
    expect(o.text).to.contain('At risk: PC1\\joe (detected but not included)')
    expect(o.result.atRisk).to.deep.equal(['PC1\\joe (detected but not included)'])
    expect(o.variables?.USMTStepsCaptureEncrypted).to.equal('false')
    expect(captureSkipped('nothing').result).to.include({ skipped: true })
  })

  it('a sealed hard-link store hands its seal key to the restore (secret, redacted); a capture that sealed nothing clears it (issue #20 item 5)', async () => {
    const { redactor } = await import('../../../src/runtime/redact.js')
    const key = 'f'.repeat(63) + '1'
    const sealed = captureOutcome(run({ kind: 'hardlink', encryption: undefined, sealKey: key }))
    expect(sealed.variables?.USMTStepsStoreSealKey).to.equal(key)
    expect(sealed.result.catalogSealed).to.equal(true)
    expect(sealed.text).to.contain('hard-link, catalog sealed')
    expect(JSON.stringify(sealed.result)).to.not.contain(key)
    expect(redactor.redact(`key=${key}`)).to.not.contain(key)
    const plain = captureOutcome(run({}))
    expect(plain.variables?.USMTStepsStoreSealKey).to.equal('')
    expect(plain.result.catalogSealed).to.equal(undefined)
  })
})
