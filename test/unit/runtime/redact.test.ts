import { expect } from 'chai'
import { isSecretName, MASK, Redactor } from '../../../src/runtime/redact.js'

describe('runtime/redact', () => {
  it('recognises secret variable names', () => {
    for (const n of ['OSDMigrateLocalAccountPassword', 'UserDataKey', 'USMTStepsEncryptionKey', '_SMSTSReserved1-000', '_SMSTSReserved2', 'ClientSecret', 'UserPassword']) {
      expect(isSecretName(n), n).to.equal(true)
    }
    for (const n of ['OSDStateStorePath', 'KeyboardLocale', 'UDShare', '_SMSTSLogPath']) expect(isSecretName(n), n).to.equal(false)
  })

  it('masks registered values, their escaped and base64 forms, longest first', () => {
    const r = new Redactor()
    r.add('C:\\keys\\k1')
    r.add('hunter22')
    r.add('hunter22-long')
    const b64 = Buffer.from('hunter22').toString('base64')
    const out = r.redact(`key=hunter22-long pw hunter22 path C:\\\\keys\\\\k1 b64 ${b64}`)
    expect(out).to.not.include('hunter22')
    expect(out).to.not.include('k1')
    expect(out).to.not.include(b64)
  })

  it('never treats boolean-like values as secrets, so JSON and flags stay intact', () => {
    const r = new Redactor()
    r.addFromVariables({ USMTStepsLacPasswordOnCommandLine: 'true', OSDMigrateLocalAccountPassword: 'Real-Pass-1' })
    expect(r.redact('{"hidden": true, "x": "Real-Pass-1"}')).to.equal(`{"hidden": true, "x": "${MASK}"}`)
  })

  it('masks short secrets only as whole tokens', () => {
    const r = new Redactor()
    r.add('ab')
    r.add('pw123')
    expect(r.redact('ab cab ab. pw123 xpw1234')).to.equal(`${MASK} cab ${MASK}. ${MASK} xpw1234`)
  })

  it('masks USMT and smbclient command-line forms even for unknown values', () => {
    const r = new Redactor()
    expect(r.redact('scanstate \\\\s\\x /i:a.xml /encrypt /key:"my secret" /lac:Pa55 /v:5')).to.equal(`scanstate \\\\s\\x /i:a.xml /encrypt /key:${MASK} /lac:${MASK} /v:5`)
    expect(r.redact('smbclient -U user%pw //h/s')).to.equal(`smbclient -U user%${MASK} //h/s`)
    expect(r.redact('password=abc;x')).to.equal(`password=${MASK};x`)
  })

  it('keeps a JSON document valid when an inline pattern appears inside it', () => {
    const r = new Redactor()
    const doc = JSON.stringify({ path: 'C:\\Data\\pwd=1.txt', cmd: 'scanstate /key:"my secret" /v:5', u: 'smbclient -U bob%pw1 //h' })
    const out = r.redact(doc)
    const parsed = JSON.parse(out) as Record<string, string>
    expect(parsed.path).to.equal(`C:\\Data\\pwd=${MASK}`)
    expect(parsed.cmd).to.equal(`scanstate /key:${MASK} /v:5`)
    expect(parsed.u).to.equal(`smbclient -U bob%${MASK} //h`)
  })

  it('redacts deep structures and masks secret-named keys', () => {
    const r = new Redactor()
    r.add('s3cret!')
    expect(r.redactDeep({ a: ['x s3cret! y'], UserDataKey: 'whatever', nested: { OSDMigrateLocalAccountPassword: 'p' } })).to.deep.equal({
      a: [`x ${MASK} y`], UserDataKey: MASK, nested: { OSDMigrateLocalAccountPassword: MASK },
    })
    expect(r.maskVariables({ UserPassword: 'p', A: 'b' })).to.deep.equal({ UserPassword: MASK, A: 'b' })
    expect(r.redactDeep({ key: 'logDir', encryptionKey: 'x' })).to.deep.equal({ key: 'logDir', encryptionKey: MASK })
  })
})
