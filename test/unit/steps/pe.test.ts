import { expect } from 'chai'
import { peHeader, peMachineOf, runningArch } from '../../../src/steps/pe.js'

describe('steps/pe: the architecture of USMT binaries and of the running OS', () => {
  it('reads the machine type of a PE header and the running architecture', () => {
    expect(peMachineOf(peHeader('arm64'))).to.equal('arm64')
    expect(peMachineOf(peHeader('x86'))).to.equal('x86')
    expect(peMachineOf(Buffer.from('#!/bin/sh\n'.padEnd(128)))).to.equal(null)
    expect(runningArch({ PROCESSOR_ARCHITECTURE: 'x86', PROCESSOR_ARCHITEW6432: 'AMD64' }, 'win32')).to.equal('amd64')
    expect(runningArch({ PROCESSOR_ARCHITECTURE: 'ARM64' }, 'win32')).to.equal('arm64')
  })

})
