import { expect } from 'chai'
import * as path from 'node:path'
import { policyFromObject } from '../../../src/plan/policy.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { parseMounts } from '../../../src/share-store/index.js'

describe('share-store/index: --mount values', () => {
  const one = policyFromObject({ shares: [{ path: '\\\\srv\\mig', maxClients: 5 }] }, 'test')
  const two = policyFromObject({ shares: [{ path: '\\\\srv\\mig', maxClients: 5 }, { path: '\\\\srv2\\mig', maxClients: 5 }] }, 'test')

  it('maps \\\\server\\share=DIR, and a bare DIR when the policy has one share', () => {
    expect(parseMounts(['\\\\SRV2\\Mig=/mnt/b'], two)).to.deep.equal({ '\\\\srv2\\mig': path.resolve('/mnt/b') })
    expect(parseMounts(['/mnt/a'], one)).to.deep.equal({ '\\\\srv\\mig': path.resolve('/mnt/a') })
  })

  it('a bare DIR with several shares is a usage error (USM0421), not "install smbclient" (USM0417)', () => {
    try {
      parseMounts(['/mnt/a'], two)
      expect.fail('parseMounts accepted a bare DIR with two shares')
    } catch (err) {
      expect(err).to.be.instanceOf(UsmtStepsError)
      expect((err as UsmtStepsError).code).to.equal('USM0421')
      expect((err as UsmtStepsError).message).to.contain('--mount \\\\server\\share=DIR')
    }
  })
})
