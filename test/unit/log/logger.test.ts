import { expect } from 'chai'
import { existsSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { CMTRACE_LINE, parseCmtraceLine } from '../../../src/log/cmtrace.js'
import { Logger } from '../../../src/log/logger.js'
import { redactor } from '../../../src/runtime/redact.js'
import { tempDir } from '../../helpers/fixtures.js'

describe('log/logger', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  it('buffers lines until the folder is known, then writes them in order, synchronously', () => {
    const echoed: string[] = []
    const log = new Logger({ component: 'usmt-steps test', stderr: (l) => echoed.push(l) })
    log.info('first')
    log.warn('second')
    expect(existsSync(path.join(t.dir, 'usmt-steps.log'))).to.equal(false)
    const file = log.attach(t.dir)
    log.error('third')
    const lines = readFileSync(file, 'utf8').split('\r\n').filter(Boolean)
    expect(lines).to.have.length(3)
    for (const l of lines) expect(l).to.match(CMTRACE_LINE)
    expect(lines.map((l) => parseCmtraceLine(l)!.type)).to.deep.equal([1, 2, 3])
    expect(lines.map((l) => parseCmtraceLine(l)!.message)).to.deep.equal(['first', 'second', 'third'])
    expect(echoed).to.deep.equal(['warning: second', 'error: third'])
    expect(log.warnings).to.deep.equal(['second'])
  })

  it('rolls the log over to .lo_ at the size limit', () => {
    const log = new Logger({ component: 'c', echo: false, maxBytes: 2000 })
    const file = log.attach(t.dir)
    for (let i = 0; i < 40; i++) log.info(`line ${i} ${'x'.repeat(50)}`)
    expect(existsSync(path.join(t.dir, 'usmt-steps.lo_'))).to.equal(true)
    expect(statSync(file).size).to.be.at.most(2000)
    const tail = readFileSync(file, 'utf8')
    expect(tail).to.include('line 39')
  })

  it('redacts registered secrets before they reach the file or stderr', () => {
    redactor.add('Logger-Secret-123')
    const echoed: string[] = []
    const log = new Logger({ component: 'c', stderr: (l) => echoed.push(l) })
    const file = log.attach(t.dir)
    log.warn('the key is Logger-Secret-123')
    expect(readFileSync(file, 'utf8')).to.not.include('Logger-Secret-123')
    expect(echoed.join('')).to.not.include('Logger-Secret-123')
  })

  it('flushes to the temp folder when no folder was ever set', () => {
    const log = new Logger({ component: 'c', echo: false, fileName: `fallback-${process.pid}-${Date.now()}.log` })
    log.info('early failure')
    const file = log.flushToFallback()!
    expect(readFileSync(file, 'utf8')).to.include('early failure')
  })
})
