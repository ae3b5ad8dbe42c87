import { expect } from 'chai'
import { warmUp, warmUpFor } from '../../../src/cli/warm-up.js'
import { until } from '../../helpers/fixtures.js'

describe('cli/warm-up: what a command starts before its modules load', () => {
  it('starts the link thread for scanstate with /hardlink in any case and either prefix, and for nothing else', () => {
    for (const argv of [['C:\\store', '/hardlink', '/nocompress'], ['/HardLink'], ['-hardlink', '/o']]) expect(warmUpFor('scanstate', argv), argv.join(' ')).to.equal('link-thread')
    expect(warmUpFor('scanstate', ['C:\\store', '/nocompress', '/o'])).to.equal(null)
    expect(warmUpFor('scanstate', ['/hardlinks', '/i:hardlink.xml', 'C:\\hardlink'])).to.equal(null)
    expect(warmUpFor('loadstate', ['C:\\store', '/hardlink', '/nocompress'])).to.equal(null)
    expect(warmUpFor('capture', ['--hardlink'])).to.equal(null)
  })

  it("the thread warmUp starts is the one the capture's link pipeline then uses", async function () {
    this.timeout(20_000)
    expect(await warmUp('loadstate', ['/hardlink'])).to.equal(null)
    const early = await warmUp('scanstate', ['C:\\store', '/hardlink', '/nocompress'])
    // The module warmUp loaded: the bundle has one instance of it; here (mocha loads this file through require) a
    // dynamic import is the same instance as warmUp's, a static one would not be.
    const { LinkPipeline } = await import('../../../src/store/link-pipeline.js')
    if (early === null) throw new Error('scanstate /hardlink started nothing')
    await until(() => early.ready)
    const pipe = new LinkPipeline()
    const next = new LinkPipeline()
    try {
      // A thread of its own could not be running yet: the pipeline took the one warmUp started, and only it did.
      expect(pipe.threadReady).to.equal(true)
      expect(next.threadReady).to.equal(false)
    } finally {
      await pipe.close()
      await next.close()
    }
  })
})
