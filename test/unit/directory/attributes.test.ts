import { expect } from 'chai'
import { allValues, dateToFileTime, fileTimeToDate, firstString, isDisabled, parseUac, UAC } from '../../../src/directory/attributes.js'

describe('directory/attributes', () => {
  it('treats an absent attribute (ldapts returns []) as missing, not as 1601', () => {
    expect(fileTimeToDate([])).to.equal(undefined)
    expect(fileTimeToDate(undefined)).to.equal(undefined)
    expect(fileTimeToDate('0')).to.equal(undefined)
    expect(fileTimeToDate('9223372036854775807')).to.equal(undefined)
    expect(firstString([])).to.equal(undefined)
    expect(allValues([])).to.deep.equal([])
    expect(allValues('a')).to.deep.equal(['a'])
  })

  it('converts FILETIME both ways', () => {
    // 116444736000000000 is the Unix epoch in FILETIME; 133000000000000000 checked with python (1655526400 s)
    expect(dateToFileTime(new Date(0))).to.equal('116444736000000000')
    const d = new Date('2026-11-20T12:34:56.789Z')
    expect(fileTimeToDate(dateToFileTime(d))?.toISOString()).to.equal(d.toISOString())
    expect(fileTimeToDate(['133000000000000000'])?.toISOString()).to.equal('2022-06-18T04:26:40.000Z')
    expect(fileTimeToDate('116444736000000000')?.toISOString()).to.equal('1970-01-01T00:00:00.000Z')
  })

  it('reads userAccountControl', () => {
    expect(parseUac('514')).to.equal(514)
    expect(isDisabled(parseUac(['514']))).to.equal(true)
    expect(isDisabled(parseUac('512'))).to.equal(false)
    expect(isDisabled(parseUac('66050'))).to.equal(true)
    expect(parseUac([])).to.equal(undefined)
    expect(isDisabled(undefined)).to.equal(false)
    expect(UAC.ACCOUNTDISABLE).to.equal(2)
  })
})
