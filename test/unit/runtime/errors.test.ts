import { expect } from 'chai'
import { ERROR_CATALOG, toUsmtStepsError, UsmtStepsError } from '../../../src/runtime/errors.js'
import { EXIT_CODES, exitTable } from '../../../src/runtime/exit-codes.js'

describe('runtime/errors and exit codes', () => {
  it('catalogues every code once with an exit class that exists and at least one action', () => {
    expect(Object.keys(ERROR_CATALOG).length).to.be.greaterThan(10)
    for (const [code, spec] of Object.entries(ERROR_CATALOG)) {
      expect(code).to.match(/^USM\d{4}$/)
      expect(EXIT_CODES).to.have.property(spec.exit)
      expect(spec.actions.length, code).to.be.greaterThan(0)
      expect(spec.summary, code).to.match(/\.$/)
    }
  })

  it('keeps exit codes unique, with 0 success and 3010 reboot', () => {
    const codes = exitTable().map((r) => r.code)
    expect(new Set(codes).size).to.equal(codes.length)
    expect(EXIT_CODES.success.code).to.equal(0)
    expect(EXIT_CODES.reboot.code).to.equal(3010)
  })

  it('derives exit code and actions from the catalogue', () => {
    const e = new UsmtStepsError('USM0012', 'variable _X is read-only', { data: { name: '_X' } })
    expect(e.exitCode).to.equal(EXIT_CODES.tsEnv.code)
    expect(e.headline).to.equal('Error (USM0012): variable _X is read-only')
    expect(e.toJSON()).to.include({ code: 'USM0012', exitCode: 4 })
    expect(e.actions[0]).to.match(/underscore/)
  })

  it('wraps unknown errors as internal failures and oclif parse errors as usage errors', () => {
    expect(toUsmtStepsError(new Error('boom')).code).to.equal('USM0001')
    const parseErr = Object.assign(new Error('Nonexistent flag: --nope'), { oclif: { exit: 2 } })
    expect(toUsmtStepsError(parseErr).code).to.equal('USM0002')
    expect(toUsmtStepsError(parseErr).exitCode).to.equal(2)
  })
})
