import { expect } from 'chai'
import { classifyReturnCode, returnCodeOfMessage, USMT_MESSAGES, USMT_RETURN_CODES, UsmtFailure, usmtReturnCode } from '../../../src/usmt/return-codes.js'

describe('usmt/return-codes', () => {
  it('holds every documented code once, each with at least one message', () => {
    const codes = USMT_RETURN_CODES.map((r) => r.code)
    expect(codes).to.deep.equal([0, 1, 2, 3, 11, 12, 13, 14, 26, 27, 28, 29, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 61, 71, 72])
    for (const r of USMT_RETURN_CODES) expect(r.messages.length, r.name).to.be.greaterThan(0)
    expect(usmtReturnCode(11)?.messages.length).to.equal(39)
  })

  it('maps every catalogued message to a return code', () => {
    for (const [key, text] of Object.entries(USMT_MESSAGES)) expect(returnCodeOfMessage(text), key).to.be.a('number')
    expect(returnCodeOfMessage(USMT_MESSAGES.storeExists)).to.equal(27)
    expect(returnCodeOfMessage(USMT_MESSAGES.corruptedStore)).to.equal(42)
    expect(returnCodeOfMessage(USMT_MESSAGES.offlineApply)).to.equal(36)
  })

  const table: Array<[number, string, boolean, boolean]> = [
    [0, 'success', true, false], [3, 'partial', true, false], [1, 'help', false, false], [2, 'canceled', false, false],
    [11, 'usage', false, false], [12, 'usage', false, false], [14, 'usage', false, false], [27, 'store', false, false],
    [35, 'store', false, true], [37, 'store', false, false], [42, 'store', false, false], [26, 'setup', false, false],
    [29, 'setup', false, true], [61, 'nonFatal', false, true], [71, 'fatal', false, false], [72, 'fatal', false, true],
    [99, 'unknown', false, false],
  ]
  for (const [code, kind, succeeded, retryable] of table) {
    it(`classifies ${code} as ${kind}`, () => {
      const c = classifyReturnCode(code)
      expect(c.kind).to.equal(kind)
      expect(c.succeeded).to.equal(succeeded)
      expect(c.retryable).to.equal(retryable)
      expect(c.message).to.be.a('string').and.not.equal('')
    })
  }

  it('keeps the documented troubleshooting text of the matching message', () => {
    const c = classifyReturnCode(27, USMT_MESSAGES.storeExists)
    expect(c.name).to.equal('USMT_INVALID_STORE_LOCATION')
    expect(c.fix).to.equal('Specify /o to overwrite an existing intermediate or migration store.')
    expect(classifyReturnCode(3).message).to.equal('At least one error was skipped as a result of /c.')
  })

  it('UsmtFailure.of carries the documented code', () => {
    const f = UsmtFailure.of('wrongKey')
    expect(f.returnCode).to.equal(37)
    expect(f.message).to.equal('The store holds encrypted data but the correct encryption key was not provided')
  })
})
