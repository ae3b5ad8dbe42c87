import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { openToolLog, parseToolCommandLine } from '../../../src/portable/tool-start.js'
import { parseScanStateArgs } from '../../../src/usmt/grammar.js'
import { USMT_MESSAGES, UsmtFailure } from '../../../src/usmt/return-codes.js'
import { UsmtMainLog } from '../../../src/usmt/main-log.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

/** The start the portable tools share: the main log where /l asks, then the command line (help, refusal). */
describe('portable/tool-start: openToolLog and parseToolCommandLine', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(nodePath.join(os.tmpdir(), 'h12d-common-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const ctx = (argv: string[], out: string[] = []) => ({ argv, cwd: dir, volumes: VolumeMap.parse([], [], dir), out: (l: string) => { out.push(l) } })
  const now = () => new Date('2026-12-06T09:00:00Z')

  it('opens the log at the /l path even when the rest of the command line is wrong; a /l folder that does not exist is return code 13', () => {
    const log = openToolLog(ctx(['store', `/l:${nodePath.join(dir, 'scan.log')}`, '/bogus']), now, 'gather')
    expect(log).to.be.instanceOf(UsmtMainLog)
    ;(log as UsmtMainLog).close()
    const bad = openToolLog(ctx(['store', `/l:${nodePath.join(dir, 'missing', 'scan.log')}`]), now, 'gather')
    expect(bad).to.be.instanceOf(UsmtFailure)
    expect((bad as UsmtFailure).returnCode).to.equal(13)
  })

  it('/? prints the help (1); a refused command line is logged, printed with the argument it names, and returned with its code; otherwise the options', () => {
    const run = (argv: string[]) => {
      const out: string[] = []
      const file = nodePath.join(dir, `${argv.length}.log`)
      const log = new UsmtMainLog(file)
      const parsed = parseToolCommandLine(ctx(argv, out), log, { program: 'scanstate', phase: 'gather', help: 'HELP TEXT' }, () => parseScanStateArgs(argv), (o) => {
        if (o.encrypt) throw UsmtFailure.of('algorithm')
      })
      log.close()
      return { parsed, out, text: readFileSync(file, 'utf8') }
    }
    const help = run(['/?'])
    expect(help.parsed).to.deep.equal({ exit: { returnCode: 1, message: USMT_MESSAGES.help } })
    expect(help.out).to.deep.equal(['HELP TEXT'])
    const bogus = run(['C:\\store', '/bogus'])
    expect('exit' in bogus.parsed && bogus.parsed.exit.returnCode).to.equal(11)
    expect(bogus.out[0]).to.contain('/bogus')
    expect(bogus.text).to.contain('##ERROR##')
    const refused = run(['C:\\store', '/encrypt', '/key:k', '/c'])
    expect('exit' in refused.parsed && refused.parsed.exit.message).to.equal(USMT_MESSAGES.algorithm)
    const ok = run(['C:\\store', '/o', '/c', '/v:13'])
    expect('options' in ok.parsed && ok.parsed.options.verbosity).to.equal(13)
    expect(ok.out).to.deep.equal([])
  })
})
