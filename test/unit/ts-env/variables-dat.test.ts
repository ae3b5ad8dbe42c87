import { expect } from 'chai'
import { parseVariablesDat, serializeVariablesDat, variablesOf } from '../../../src/ts-env/variables-dat.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

// Written in ZTIUtility's exact format (configmgr-mdt.md §5.7): one line, upper-case names, CDATA values,
// USERPASSWORD Base64-obfuscated.
const REAL = '<?xml version="1.0" ?><MediaVarList Version="4.00.5345.0000"><var name="USERDATALOCATION"><![CDATA[AUTO]]></var><var name="UDSHARE"><![CDATA[\\\\server\\MigData$]]></var><var name="USERPASSWORD"><![CDATA[UEBzc3cwcmQh]]></var><var name="DEPLOYMENTTYPE"><![CDATA[REFRESH]]></var></MediaVarList>'

describe('ts-env/variables-dat', () => {
  it('reads names, values and de-obfuscates Base64 credentials', () => {
    const doc = parseVariablesDat(Buffer.from(REAL))
    expect(variablesOf(doc)).to.deep.equal([['USERDATALOCATION', 'AUTO'], ['UDSHARE', '\\\\server\\MigData$'], ['USERPASSWORD', 'P@ssw0rd!'], ['DEPLOYMENTTYPE', 'REFRESH']])
  })

  it('round-trips byte for byte when unchanged, also as UTF-16 with a BOM', () => {
    expect(serializeVariablesDat(parseVariablesDat(Buffer.from(REAL))).equals(Buffer.from(REAL))).to.equal(true)
    const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(REAL.replace('?>', '?>\r\n'), 'utf16le')])
    expect(serializeVariablesDat(parseVariablesDat(u16)).equals(u16)).to.equal(true)
  })

  it('changes only the changed elements; appends new ones; deletes on empty', () => {
    const doc = parseVariablesDat(Buffer.from(REAL))
    const out = serializeVariablesDat(doc, [{ name: 'UDShare', value: '\\\\new\\share' }, { name: 'USMTLocal', value: 'True' }, { name: 'DeploymentType', value: '' }]).toString()
    expect(out).to.equal('<?xml version="1.0" ?><MediaVarList Version="4.00.5345.0000"><var name="USERDATALOCATION"><![CDATA[AUTO]]></var><var name="UDSHARE"><![CDATA[\\\\new\\share]]></var><var name="USERPASSWORD"><![CDATA[UEBzc3cwcmQh]]></var><var name="USMTLOCAL"><![CDATA[True]]></var></MediaVarList>')
  })

  it('keeps a value containing ]]> intact across CDATA sections', () => {
    const out = serializeVariablesDat(parseVariablesDat(Buffer.from(REAL)), [{ name: 'Odd', value: 'a]]>b<c&d' }])
    expect(variablesOf(parseVariablesDat(out)).find(([n]) => n === 'ODD')![1]).to.equal('a]]>b<c&d')
  })

  it('rejects malformed files with USM0015', () => {
    for (const bad of ['<MediaVarList><var name="A">x</MediaVarList>', '<?xml version="1.0" ?><Other/>', '<MediaVarList><foo/></MediaVarList>', 'not xml']) {
      expect(() => parseVariablesDat(Buffer.from(bad)), bad).to.throw(UsmtStepsError).with.property('code', 'USM0015')
    }
  })
})
