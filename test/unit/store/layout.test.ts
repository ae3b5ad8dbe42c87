import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { inspectStore } from '../../../src/store/layout.js'

describe('store/layout: the store folder a capture leaves', () => {
  it('recognises complete, incomplete and missing stores', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-layout-'))
    try {
      expect(inspectStore(path.join(d, 'nope')).complete).to.equal(false)
      mkdirSync(path.join(d, 'USMT'))
      expect(inspectStore(d).problem).to.contain('did not finish')
      writeFileSync(path.join(d, 'USMT', 'USMT.MIG'), '')
      expect(inspectStore(d).complete).to.equal(false)
      writeFileSync(path.join(d, 'USMT', 'USMT.MIG'), 'x')
      expect(inspectStore(d)).to.include({ complete: true, kind: 'compressed' })
    } finally {
      rmSync(d, { recursive: true, force: true })
    }
  })

})
