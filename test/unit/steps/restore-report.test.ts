import { expect } from 'chai'
import type { RestoreProof } from '../../../src/steps/proof.js'
import { restoreOutcome, restoreSkipped, type RestoreRun } from '../../../src/steps/restore-report.js'
import { classifyReturnCode } from '../../../src/usmt/index.js'

describe('steps/restore-report', () => {
  const proof: RestoreProof = { checked: true, verified: 4, missing: [], changed: [], notRestored: 0, methods: { content: 4, 'same-file': 0, 'size-time': 0, size: 0 }, method: 'content', durationMs: 1, bytesRead: 10 }
  const run = (over: Partial<RestoreRun>): RestoreRun => ({
    engine: 'portable', storePath: 'C:\\StateStore', storeLocal: '/c/StateStore', kind: 'hardlink', encrypted: false, verified: false,
    run: { classification: classifyReturnCode(0), ignored: [] }, users: ['PC1\\amy'], storeRemoved: true, rebootRequired: false, proof,
    logs: ['/logs/loadstate.log'], storeLogs: [], durationMs: 1000, ...over,
  })

  it('a removed hard-link store: summary, text and variables', () => {
    const o = restoreOutcome(run({ storeLocal: undefined }))
    expect(o.summary).to.equal('restored 1 user(s) from the hardlink store C:\\StateStore (loadstate 0 USMT_SUCCESS; 4 file(s) proven, store removed)')
    expect(o.text).to.contain('Hard-link store removed (usmtutils /rd).')
    expect(o.exit).to.equal('success')
    expect(o.recordAlsoIn).to.deep.equal([])
    expect(o.variables).to.include({ USMTStepsRestoredUsers: 'PC1\\amy', USMTStepsStoreRemoved: 'true', USMTStepsUsmtReturnCode: '0' })
    expect(o.variables).not.to.have.property('SMSTSRebootRequested')
  })

  it('a restart to remove the store asks the task sequence for a reboot; a kept store says why', () => {
    const o = restoreOutcome(run({ storeRemoved: false, storeKept: 'a restart is needed to remove it', rebootRequired: true }))
    expect(o.exit).to.equal('reboot')
    expect(o.summary).to.contain(', restart needed')
    expect(o.text).to.contain('Store kept: a restart is needed to remove it')
    expect(o.variables).to.include({ SMSTSRebootRequested: 'HD', USMTStepsStoreRemoved: 'false' })
    expect(o.recordAlsoIn).to.deep.equal(['/c/StateStore/Logs'])
    expect(restoreSkipped('nothing').result).to.include({ skipped: true, storeRemoved: false })
  })
})
