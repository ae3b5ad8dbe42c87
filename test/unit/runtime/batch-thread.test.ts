import { expect } from 'chai'
import { BatchThread } from '../../../src/runtime/batch-thread.js'
import { until } from '../../helpers/fixtures.js'

describe('runtime/batch-thread: one worker thread answering batches in order', () => {
  it('answers every batch, in the order sent', async () => {
    const t = new BatchThread<string[]>(`
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (text) => parentPort.postMessage(text.split('\\0').reverse()))
`, 'test')
    try {
      const answers = await Promise.all(['a\0b', 'c', 'd\0e\0f'].map((b) => t.send(b)))
      expect(answers).to.deep.equal([['b', 'a'], ['c'], ['f', 'e', 'd']])
      expect(t.failed).to.equal(null)
    } finally {
      await t.close()
    }
  })

  it('says when it is ready: not before its start-up, then once it has run its code (readable without awaiting anything)', async () => {
    const t = new BatchThread<string>(`
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (text) => parentPort.postMessage(text))
`, 'test')
    try {
      expect(t.ready).to.equal(false)
      expect(await t.send('one')).to.equal('one')
      expect(t.ready).to.equal(true)
    } finally {
      await t.close()
    }
  })

  it('a thread that ends with batches outstanding rejects them, and every later one, naming the thread', async () => {
    const t = new BatchThread<string>(`
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (text) => { if (text === 'stop') process.exit(3); parentPort.postMessage(text) })
`, 'test')
    try {
      expect(await t.send('one')).to.equal('one')
      const outstanding = [t.send('stop'), t.send('two')]
      for (const p of outstanding) {
        const err = await p.then(() => null, (e: unknown) => e)
        expect((err as Error).message).to.equal('the test thread stopped (exit code 3)')
      }
      const later = await t.send('three').then(() => null, (e: unknown) => e)
      expect((later as Error).message).to.equal('the test thread stopped (exit code 3)')
      expect(t.failed).to.be.instanceOf(Error)
    } finally {
      await t.close()
    }
  })

  it('an answer outstanding keeps the process alive; an idle thread does not', async () => {
    // A process whose only work left is waiting for the thread's answer (the restore's digest thread at the end of a
    // verify) must wait for it, and end on its own once the thread is idle, without close().
    const ports = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length
    const t = new BatchThread<string>(`
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (m) => setTimeout(() => parentPort.postMessage(m + ' answered'), 50))
`, 'test')
    try {
      expect(await t.send('first')).to.equal('first answered')
      const idle = ports()
      const answer = t.send('late')
      expect(ports(), 'an answer outstanding').to.equal(idle + 1)
      expect(await answer).to.equal('late answered')
      expect(ports(), 'answered').to.equal(idle)
    } finally {
      await t.close()
    }
  })

  it('a thread never sent anything does not keep the process alive (an early-started link thread of a capture that failed before using it)', async () => {
    const ports = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length
    const before = ports()
    const t = new BatchThread<string>(`
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (m) => parentPort.postMessage(m))
`, 'test')
    try {
      expect(ports(), 'just made').to.equal(before)
      await until(() => t.ready)
      expect(ports(), 'started').to.equal(before)
    } finally {
      await t.close()
    }
  })
})
