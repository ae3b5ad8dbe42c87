/**
 * The portable tools' own flags: the list the argv split and the report's command-line reader use
 * (src/portable/common.ts) is the set of oclif flags the three commands declare (src/cli/portable.ts plus the
 * base flags), so a flag added to one is never passed on to USMT as an unknown option by the other.
 */
import { expect } from 'chai'
import { BASE_FLAGS } from '../../../src/cli/flags.js'
import { flagNames, PORTABLE_FLAGS } from '../../../src/cli/portable.js'
import { PORTABLE_BOOL_FLAGS, PORTABLE_VALUE_FLAGS, splitToolArgv } from '../../../src/portable/common.js'

describe('cli/portable: one list of the portable tools\' flags', () => {
  it('the split lists hold exactly the flags scanstate, loadstate and usmtutils declare', () => {
    const declared = flagNames({ ...BASE_FLAGS, ...PORTABLE_FLAGS })
    expect([...PORTABLE_VALUE_FLAGS].sort()).to.deep.equal([...declared.value].sort())
    expect([...PORTABLE_BOOL_FLAGS].sort()).to.deep.equal([...declared.bool].sort())
  })

  it('every declared flag is stripped from the USMT command line, with its value', () => {
    const argv = ['STORE', '--applied', 'a.jsonl', '/i:MigDocs.xml', '--attributes=attr.json', '--no-verbose', '/v:5']
    expect(splitToolArgv(argv)).to.deep.equal(['STORE', '/i:MigDocs.xml', '/v:5'])
  })
})
