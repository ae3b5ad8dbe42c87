import { expect } from 'chai'
import { editDistance, mdtList, nearMissVariables } from '../../../src/steps/inputs.js'

describe('steps/inputs: task-sequence variables read by the steps', () => {
  it('reads MDT lists (NAME001…, NAME1…, comma lists) in order', () => {
    expect(mdtList({ USMTMigFiles002: 'b.xml', usmtmigfiles001: 'a.xml', USMTMigFiles: 'c.xml, d.xml' }, 'USMTMigFiles')).to.deep.equal(['a.xml', 'b.xml', 'c.xml', 'd.xml'])
  })

  it('spots near-miss variable names and leaves exact and unrelated names alone', () => {
    expect(editDistance('OSDMigrageAdditionalCaptureOptions', 'OSDMigrateAdditionalCaptureOptions')).to.equal(1)
    const hits = nearMissVariables(['OSDMigrageAdditionalCaptureOptions', 'osdstatestorepath', 'USMTStepsEncrpytionKey', 'SomethingElse', 'UDProfile'])
    expect(hits).to.deep.include(['OSDMigrageAdditionalCaptureOptions', 'OSDMigrateAdditionalCaptureOptions'])
    expect(hits).to.deep.include(['USMTStepsEncrpytionKey', 'USMTStepsEncryptionKey'])
    expect(hits.map((h) => h[0])).to.not.include('osdstatestorepath')
    expect(hits.map((h) => h[0])).to.not.include('SomethingElse')
  })
})
