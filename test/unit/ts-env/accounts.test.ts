import { expect } from 'chai'
import { redactor, isSecretName } from '../../../src/runtime/redact.js'
import { ENGINE_VARIABLES } from '../../../src/runtime/variables.js'
import { connectNetworkFolderAccount, networkAccessAccount } from '../../../src/ts-env/accounts.js'

const lookup = (vars: Record<string, string>) => (n: string): string | undefined => vars[n]

describe('ts-env/accounts: the accounts the task-sequence engine hands a task sequence', () => {
  it('network access account: the unsuffixed pair of older ConfigMgr versions, else the first complete -nnn pair; its password is registered as a secret', () => {
    expect(networkAccessAccount(lookup({ _SMSTSReserved1: 'naa', _SMSTSReserved2: 'p1-older' }))).to.deep.include({ user: 'naa', password: 'p1-older', names: '_SMSTSReserved1/_SMSTSReserved2' })
    const two = networkAccessAccount(lookup({ '_SMSTSReserved1-000': 'first', '_SMSTSReserved1-001': 'second', '_SMSTSReserved2-001': 'Naa-secret-001' }))
    expect(two).to.deep.include({ user: 'second', password: 'Naa-secret-001', names: '_SMSTSReserved1-001/_SMSTSReserved2-001' })
    expect(redactor.redact('x Naa-secret-001 y')).not.to.contain('Naa-secret-001')
    expect(networkAccessAccount(lookup({ '_SMSTSReserved1-000': 'u', '_SMSTSReserved2-000': '' }))).to.equal(undefined)
  })

  it('Connect To Network Folder account: both variables or none; its password is registered as a secret', () => {
    expect(connectNetworkFolderAccount(lookup({ SMSConnectNetworkFolderAccount: 'CORP\\svc', SMSConnectNetworkFolderPassword: 'Cnf-secret-9' })))
      .to.deep.equal({ user: 'CORP\\svc', password: 'Cnf-secret-9', names: 'SMSConnectNetworkFolderAccount/SMSConnectNetworkFolderPassword' })
    expect(redactor.redact('x Cnf-secret-9 y')).not.to.contain('Cnf-secret-9')
    expect(connectNetworkFolderAccount(lookup({ SMSConnectNetworkFolderAccount: 'CORP\\svc' }))).to.equal(undefined)
  })

  it('the variables are declared once, with their secrecy, and the redactor masks every secret one by name', () => {
    const byName = new Map<string, { secret: boolean }>(ENGINE_VARIABLES.map((v) => [v.name, v]))
    for (const name of ['_SMSTSReserved1-000', '_SMSTSReserved2-000', 'SMSConnectNetworkFolderPassword']) expect(byName.get(name)?.secret, name).to.equal(true)
    expect(byName.get('SMSConnectNetworkFolderAccount')?.secret).to.equal(false)
    for (const v of ENGINE_VARIABLES) {
      expect(v.names.test(v.name), v.name).to.equal(true)
      if (v.secret) for (const n of [v.name, v.name.replace(/-000$/, ''), v.name.replace(/-000$/, '-003')]) expect(isSecretName(n), n).to.equal(true)
    }
    expect(ENGINE_VARIABLES[0].names.test('_SMSTSReserved1-001')).to.equal(true)
    expect(ENGINE_VARIABLES[0].names.test('_SMSTSReserved2-001')).to.equal(false)
  })
})
