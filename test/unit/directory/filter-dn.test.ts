import { expect } from 'chai'
import { AndFilter, EqualityFilter, OrFilter } from 'ldapts'
import { and, eq, escapeValue, fixed, or } from '../../../src/directory/filter.js'
import { absoluteDn, escapeDnValue, isDn, isUnderDn, parentDn, parseDn, sameDn } from '../../../src/directory/dn.js'

describe('directory/filter', () => {
  it('escapes values as RFC 4515 §4 shows', () => {
    expect(escapeValue('Parens R Us (for all your parenthetical needs)')).to.equal('Parens R Us \\28for all your parenthetical needs\\29')
    expect(escapeValue('*')).to.equal('\\2a')
    expect(escapeValue('C:\\MyFile')).to.equal('C:\\5cMyFile')
    expect(escapeValue('a\u0000b')).to.equal('a\\00b')
    expect(escapeValue(Buffer.from([0x00, 0x00, 0x00, 0x04]))).to.equal('\\00\\00\\00\\04')
    expect(escapeValue('Lučić')).to.equal('Lučić')
  })

  it('an injection attempt stays one literal equality assertion', () => {
    const f = eq('sAMAccountName', '*)(objectClass=*')
    expect(f).to.be.instanceOf(EqualityFilter)
    expect((f as EqualityFilter).value).to.equal('*)(objectClass=*')
    expect(f.toString()).to.equal('(sAMAccountName=\\2a\\29\\28objectClass=\\2a)')
    const widened = or(eq('sAMAccountName', 'ann)(|(sAMAccountName=*'), eq('sAMAccountName', 'bob'))
    expect(widened).to.be.instanceOf(OrFilter)
    expect((widened as OrFilter).filters).to.have.length(2)
    expect(widened.toString()).to.equal('(|(sAMAccountName=ann\\29\\28|\\28sAMAccountName=\\2a)(sAMAccountName=bob))')
  })

  it('keeps binary values as bytes (objectSid)', () => {
    const sid = Buffer.from('010500000000000515000000bd6ce1c9', 'hex')
    const f = eq('objectSid', sid) as EqualityFilter
    expect(Buffer.isBuffer(f.value) && f.value.equals(sid)).to.equal(true)
    expect(f.toString()).to.equal(`(objectSid=${escapeValue(sid)})`)
  })

  it('combines filters and refuses bad attribute names', () => {
    expect(and(fixed('(objectClass=user)'), eq('cn', 'x'))).to.be.instanceOf(AndFilter)
    expect(and(eq('cn', 'x')).toString()).to.equal('(cn=x)')
    expect(() => or()).to.throw()
    expect(() => eq('cn)(x', 'y')).to.throw(/invalid attribute/)
    expect(() => eq('1.2.840.113556.1.4.221', 'y')).to.not.throw()
  })
})

describe('directory/dn', () => {
  it('parses escaped and quoted values', () => {
    expect(parseDn('CN=Smith\\, John,OU=Sales,DC=corp,DC=example,DC=com').map((r) => r.value)).to.deep.equal(['Smith, John', 'Sales', 'corp', 'example', 'com'])
    expect(parseDn('cn=a\\2cb,ou="x,y"')[0]).to.deep.equal({ type: 'CN', value: 'a,b' })
    expect(parseDn('cn=a\\2cb,ou="x,y"')[1].value).to.equal('x,y')
    expect(parseDn('CN=gone\\0ADEL:1234,CN=Deleted Objects,DC=corp')[0].value).to.equal('gone\nDEL:1234')
    expect(() => parseDn('CN=a,,DC=b')).to.throw(/not type=value/)
    expect(isDn('OU=Sales,OU=Lab')).to.equal(true)
    expect(isDn('Sales')).to.equal(false)
  })

  it('compares case-insensitively and tests containment', () => {
    expect(sameDn('OU=Sales,DC=Corp,DC=Example', 'ou=sales, dc=corp, dc=example')).to.equal(true)
    expect(isUnderDn('CN=ann,OU=Sales,OU=Lab,DC=corp', 'ou=lab,dc=CORP')).to.equal(true)
    expect(isUnderDn('OU=Lab,DC=corp', 'OU=Lab,DC=corp')).to.equal(true)
    expect(isUnderDn('CN=ann,OU=Salesforce,DC=corp', 'OU=Sales,DC=corp')).to.equal(false)
    expect(isUnderDn('CN=x\\,OU=Sales,DC=corp', 'OU=Sales,DC=corp')).to.equal(false)
    expect(isUnderDn('DC=corp', 'OU=Lab,DC=corp')).to.equal(false)
  })

  it('takes parents, makes relative OUs absolute and escapes RDN values', () => {
    expect(parentDn('CN=Smith\\, John,OU=Sales,DC=corp')).to.equal('OU=Sales,DC=corp')
    expect(parentDn('DC=corp')).to.equal('')
    expect(absoluteDn('OU=Sales,OU=Lab', 'DC=corp,DC=example')).to.equal('OU=Sales,OU=Lab,DC=corp,DC=example')
    expect(absoluteDn('OU=Sales,DC=corp,DC=example', 'dc=CORP,dc=example')).to.equal('OU=Sales,DC=corp,DC=example')
    expect(escapeDnValue('Smith, John')).to.equal('Smith\\, John')
    expect(escapeDnValue(' #lead')).to.equal('\\ #lead')
    expect(parseDn(`CN=${escapeDnValue('a+b=c;"d"<e> ')},DC=x`)[0].value).to.equal('a+b=c;"d"<e> ')
  })
})
