import { expect } from 'chai'
import { parseUsmtCommandLine } from '../../../src/report/command-line.js'

describe('report/command-line: a recorded portable-tool command line', () => {
  it('skips every usmt-steps flag of the portable tools with its value (one list with the tools: --attributes too)', () => {
    const info = parseUsmtCommandLine('usmt-steps scanstate --attributes attrs.json --volume C=/mnt/c --users=u.json --json /tmp/store /l:/tmp/scan.log /nocompress')
    expect(info).to.deep.include({ tool: 'scanstate', store: '/tmp/store', mainLog: '/tmp/scan.log', nocompress: true })
  })
})
