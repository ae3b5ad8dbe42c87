import { expect } from 'chai'
import { credentialsFrom } from '../../../src/share-store/credentials.js'
import { redactor } from '../../../src/runtime/redact.js'

const lookup = (vars: Record<string, string>) => (n: string): string | undefined => vars[n]

describe('share credentials from task-sequence variables', () => {
  it('reads the network access account as current ConfigMgr sets it (_SMSTSReserved1-000/_SMSTSReserved2-000) when OSDStateFallbackToNAA=true', () => {
    const vars = { '_SMSTSReserved1-000': 'CONTOSO\\svc-naa', '_SMSTSReserved2-000': 'Naa-pass-000-x1' }
    const c = credentialsFrom(lookup(vars), { fallbackToNaa: true, env: {} })
    expect(c).to.deep.include({ username: 'svc-naa', domain: 'CONTOSO', password: 'Naa-pass-000-x1' })
    expect(c?.source).to.contain('_SMSTSReserved1-000/_SMSTSReserved2-000')
    expect(redactor.redact('x Naa-pass-000-x1 y')).to.not.contain('Naa-pass-000-x1')
    // not without the opt-in, as the native Request State Store step
    expect(credentialsFrom(lookup(vars), { fallbackToNaa: false, env: {} })).to.equal(undefined)
  })

  it('MDT UserID/UserDomain/UserPassword win over the network access account; the environment comes last', () => {
    const vars = { UserID: 'mdtuser', UserDomain: 'CORP', UserPassword: 'Mdt-pass-1', '_SMSTSReserved1-000': 'naa', '_SMSTSReserved2-000': 'Naa-pass-2' }
    expect(credentialsFrom(lookup(vars), { fallbackToNaa: true, env: {} })).to.deep.include({ username: 'mdtuser', domain: 'CORP', password: 'Mdt-pass-1' })
    expect(credentialsFrom(lookup({}), { fallbackToNaa: true, env: { USMT_STEPS_SMB_USER: 'WG\\tool', USMT_STEPS_SMB_PASSWORD: 'Env-pass-3' } }))
      .to.deep.include({ username: 'tool', domain: 'WG', password: 'Env-pass-3' })
    expect(credentialsFrom(lookup({}), { fallbackToNaa: true, env: {} })).to.equal(undefined)
  })

  it('the Connect To Network Folder account comes after MDT\'s credentials and before the network access account', () => {
    const cnf = { SMSConnectNetworkFolderAccount: 'CORP\\svc-store', SMSConnectNetworkFolderPassword: 'Cnf-pass-4' }
    const naa = { '_SMSTSReserved1-000': 'naa', '_SMSTSReserved2-000': 'Naa-pass-2' }
    expect(credentialsFrom(lookup({ ...cnf, ...naa }), { fallbackToNaa: true, env: {} })).to.deep.include({ username: 'svc-store', domain: 'CORP', password: 'Cnf-pass-4', source: 'SMSConnectNetworkFolderAccount/SMSConnectNetworkFolderPassword' })
    expect(redactor.redact('x Cnf-pass-4 y')).to.not.contain('Cnf-pass-4')
    expect(credentialsFrom(lookup({ ...cnf, UserID: 'mdtuser', UserPassword: 'Mdt-pass-1' }), { fallbackToNaa: true, env: {} })?.username).to.equal('mdtuser')
    expect(credentialsFrom(lookup({ SMSConnectNetworkFolderAccount: 'CORP\\svc-store', SMSConnectNetworkFolderPassword: '' }), { fallbackToNaa: false, env: {} })).to.equal(undefined)
  })
})
