import { expect } from 'chai'
import { textTable } from '../../../src/runtime/text-table.js'

describe('runtime/text-table: plain-text columns', () => {
  it('fixed and automatic widths, right alignment, per-column separators, indent; the last column is not padded', () => {
    expect(textTable([['11', 'usage', 'bad argument'], ['0', 'ok', 'done']], { columns: [{ width: 5, align: 'right', sep: '  ' }, { width: 8 }] }))
      .to.deep.equal(['   11  usage    bad argument', '    0  ok       done'])
    expect(textTable([['PROFILE', 'X'], ['C:\\Users\\ann', 'Y']], { gap: '  ', indent: '> ' })).to.deep.equal(['> PROFILE       X', '> C:\\Users\\ann  Y'])
  })

  it('caps an automatic width and cuts longer cells with an ellipsis', () => {
    expect(textTable([['abcdefghij', 'end'], ['ab', 'x']], { columns: [{ max: 6 }] })).to.deep.equal(['abcde… end', 'ab     x'])
  })
})
