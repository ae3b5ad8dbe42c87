import { expect } from 'chai'
import { chooseBind, type BindInput } from '../../../src/directory/bind.js'
import { codeOf } from '../../helpers/errors.js'

describe('directory/bind', () => {
  const naa = { user: 'CORP\\naa', password: 'n', names: '_SMSTSReserved1-000/_SMSTSReserved2-000' }
  const base: BindInput = { bind: 'auto', powershell: true, inWinPE: false }

  it('auto: a bind account wins; else the computer account in the full OS; else the network access account', () => {
    expect(chooseBind({ ...base, user: 'CORP\\svc', password: 'p', naa })).to.include({ method: 'credentials', user: 'CORP\\svc' })
    expect(chooseBind({ ...base, naa }).method).to.equal('computer')
    expect(chooseBind({ ...base, inWinPE: true, naa })).to.include({ method: 'naa', user: 'CORP\\naa' })
    expect(chooseBind({ ...base, powershell: false, naa }).method).to.equal('naa')
    expect(chooseBind({ ...base, inWinPE: true, naa }).why).to.include('Windows PE has no computer account')
  })

  it('auto with nothing to bind as in WinPE is USM0505 (the unavailable policy decides); a user without a password is USM0505', () => {
    expect(codeOf(() => chooseBind({ ...base, inWinPE: true }))).to.equal('USM0505')
    expect(codeOf(() => chooseBind({ ...base, user: 'CORP\\svc' }))).to.equal('USM0505')
  })

  it('computer: forced, also over a bind account; refused in WinPE and without PowerShell (USM0514)', () => {
    expect(chooseBind({ ...base, bind: 'computer', user: 'CORP\\svc', password: 'p' }).method).to.equal('computer')
    expect(codeOf(() => chooseBind({ ...base, bind: 'computer', inWinPE: true }))).to.equal('USM0514')
    expect(codeOf(() => chooseBind({ ...base, bind: 'computer', powershell: false }))).to.equal('USM0514')
  })

  it('credentials: never the computer account', () => {
    expect(chooseBind({ ...base, bind: 'credentials', naa }).method).to.equal('naa')
    expect(codeOf(() => chooseBind({ ...base, bind: 'credentials' }))).to.equal('USM0505')
  })
})
