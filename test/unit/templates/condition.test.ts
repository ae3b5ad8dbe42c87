import { expect } from 'chai'
import { allOf, ConditionError, describeCondition, evaluateCondition, normalizeOperator, type Condition } from '../../../src/templates/condition.js'
import { caseInsensitiveLookup } from '../../../src/windows/path.js'

describe('templates/condition', () => {
  const vars = caseInsensitiveLookup({ USMTStepsStoreType: 'hardlink', _SMSTSInWinPE: 'false', Count: '10', Empty: '' })
  const get = (n: string): string | undefined => { const v = vars(n); return v === '' ? undefined : v }

  it('compares case-insensitively, numerically when both sides are numbers, and treats unset as empty', () => {
    expect(evaluateCondition({ variable: 'usmtstepsstoretype', operator: 'equals', value: 'HARDLINK' }, get)).to.equal(true)
    expect(evaluateCondition({ variable: 'Count', operator: 'greater', value: '9' }, get)).to.equal(true)
    expect(evaluateCondition({ variable: 'Count', operator: 'less', value: '9' }, get)).to.equal(false)
    expect(evaluateCondition({ variable: 'Missing', operator: 'notEquals', value: 'x' }, get)).to.equal(true)
    expect(evaluateCondition({ variable: 'Empty', operator: 'exists' }, get)).to.equal(false)
    expect(evaluateCondition({ variable: 'USMTStepsStoreType', operator: 'like', value: 'hard*' }, get)).to.equal(true)
  })

  it('and = all, or = any, not = none of', () => {
    const t: Condition = { variable: 'Count', operator: 'equals', value: '10' }
    const f: Condition = { variable: 'Count', operator: 'equals', value: '11' }
    expect(evaluateCondition({ and: [t, f] }, get)).to.equal(false)
    expect(evaluateCondition({ or: [t, f] }, get)).to.equal(true)
    expect(evaluateCondition({ not: [f, f] }, get)).to.equal(true)
    expect(evaluateCondition({ not: [t, f] }, get)).to.equal(false)
  })

  it('refuses to guess WMI/file conditions', () => {
    expect(() => evaluateCondition({ expression: 'SMS_TaskSequence_WMIConditionExpression', variables: [{ name: 'Query', value: 'select * from Win32_Battery' }] }, get)).to.throw(ConditionError)
  })

  it('normalises MDT operator spelling and combines conditions', () => {
    expect(normalizeOperator('Equals')).to.equal('equals')
    expect(normalizeOperator('approximately')).to.equal(undefined)
    const c = allOf({ variable: 'A', operator: 'exists' }, undefined, { and: [{ variable: 'B', operator: 'equals', value: '1' }, { variable: 'C', operator: 'notExists' }] })
    expect(describeCondition(c!)).to.equal('A exists and B equals 1 and C notExists')
  })
})
