import { expect } from 'chai'
import { randomInt } from 'node:crypto'
import { domainSidOf, guidToString, isServiceSid, isSid, normalizeSid, ridOf, sidFromString, sidToString } from '../../../src/directory/sid.js'

describe('directory/sid', () => {
  // objectSid of a Samba AD user, as ldapts returned it (bytes) and as samba-tool shows it (text)
  const bytes = Buffer.from('010500000000000515000000bd6ce1c92b3659dacb022de94e040000', 'hex')
  const text = 'S-1-5-21-3386993853-3663279659-3912041163-1102'

  it('decodes a binary objectSid', () => {
    expect(sidToString(bytes)).to.equal(text)
  })

  it('encodes the string form back to the same bytes', () => {
    expect(sidFromString(text).equals(bytes)).to.equal(true)
  })

  it('round-trips well-known and random SIDs both ways', () => {
    for (const s of ['S-1-5-18', 'S-1-5-32-544', 'S-1-1-0', 'S-1-0', 'S-1-5-21-1-2-3-4294967295', 'S-1-12-1-1234-5678-9012-3456']) {
      expect(sidToString(sidFromString(s))).to.equal(s)
    }
    for (let i = 0; i < 200; i++) {
      const subs = Array.from({ length: randomInt(0, 16) }, () => randomInt(0, 2 ** 32 - 1))
      const s = `S-1-${randomInt(0, 2 ** 32 - 1)}${subs.map((x) => `-${x}`).join('')}`
      const b = sidFromString(s)
      expect(b.length).to.equal(8 + 4 * subs.length)
      expect(sidToString(b)).to.equal(s)
      expect(sidFromString(sidToString(b)).equals(b)).to.equal(true)
    }
  })

  it('writes authorities of 2^32 and above in hex (MS-DTYP) and reads them back', () => {
    const b = Buffer.from('0101ffffffffffff07000000', 'hex')
    expect(sidToString(b)).to.equal('S-1-0xFFFFFFFFFFFF-7')
    expect(sidFromString('S-1-0xFFFFFFFFFFFF-7').equals(b)).to.equal(true)
  })

  it('rejects malformed binary SIDs', () => {
    expect(() => sidToString(Buffer.from('0105', 'hex'))).to.throw(/at least 8 bytes/)
    expect(() => sidToString(Buffer.from('020100000000000512000000', 'hex'))).to.throw(/revision 2/)
    expect(() => sidToString(bytes.subarray(0, bytes.length - 1))).to.throw(/must be 28 bytes/)
  })

  it('rejects malformed text', () => {
    for (const bad of ['', 'S-1', 'S-2-5-18', 'S-1-5-x', 'S-1-5-21-1-2-3-4294967296', 'CORP\\ann', `S-1-5${'-1'.repeat(16)}`]) {
      expect(isSid(bad), bad).to.equal(false)
      expect(() => sidFromString(bad)).to.throw()
    }
    expect(isSid('s-1-5-18')).to.equal(true)
    expect(normalizeSid(' s-1-5-18 ')).to.equal('S-1-5-18')
  })

  it('splits domain and RID, and knows the service profiles', () => {
    expect(domainSidOf(text)).to.equal('S-1-5-21-3386993853-3663279659-3912041163')
    expect(ridOf(text)).to.equal(1102)
    expect(domainSidOf('S-1-5-18')).to.equal(null)
    expect(ridOf('S-1-5-32-544')).to.equal(null)
    expect(isServiceSid('S-1-5-18')).to.equal(true)
    expect(isServiceSid('S-1-5-20')).to.equal(true)
    expect(isServiceSid(text)).to.equal(false)
  })

  it('formats objectGUID', () => {
    expect(guidToString(Buffer.from('51790cf17b7cd647b9f3a1f271f5dd3a', 'hex'))).to.equal('f10c7951-7c7b-47d6-b9f3-a1f271f5dd3a')
  })
})
