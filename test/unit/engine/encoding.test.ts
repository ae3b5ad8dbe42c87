/**
 * Issue #20 item 8: invalid UTF-8 in migration XML used to be replaced by U+FFFD and accepted silently (a
 * rule then matched nothing: preview and scanstate returned 0 with 0 files). It is a coded error naming the
 * file and the byte offset, in the engine, in `rules preview` and in portable scanstate (USMT return code 29, "an XML error").
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { firstInvalidUtf8, loadRuleModel } from '../../../src/engine/loader.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { inc, makeMachine, migration } from './helpers.js'

function caught(fn: () => unknown): UsmtStepsError {
  try {
    fn()
  } catch (e) {
    if (e instanceof UsmtStepsError) return e
    throw e
  }
  throw new Error('no error')
}

describe('engine: migration XML encoding (issue #20 item 8)', () => {
  it('finds the first invalid UTF-8 byte (stray, truncated, overlong, surrogate) and accepts valid text', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii é € 𝄞', 'utf8'))).to.equal(-1)
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe9, 0x62]))).to.equal(1)
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).to.equal(2)
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).to.equal(0)
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xed, 0xa0, 0x80]))).to.equal(1)
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).to.equal(0)
  })

  it('a stray byte in a pattern is USM0115 with file and byte offset (rules preview too); declared encodings and UTF-16 still load', async () => {
    const m = makeMachine({ C: ['Data\\caf\u00e9.txt'] })
    try {
      const text = migration('enc', [{ name: 'Latin', rules: inc('C:\\Data\\* [caf\u00e9.txt]') }])
      const bad = path.join(m.root, 'bad.xml')
      const bytes = Buffer.from(text, 'latin1')
      writeFileSync(bad, bytes)
      const offset = bytes.indexOf(0xe9)
      const e = caught(() => loadRuleModel([bad]))
      expect(e.code).to.equal('USM0115')
      expect(e.message).to.include(bad).and.include(`byte offset ${offset}`).and.include(`line ${bytes.subarray(0, offset).toString('latin1').split('\n').length}`)
      const r = await runCli(['rules', 'preview', '--rules', bad, '--volume', `C=${path.join(m.root, 'C')}`, '--json'])
      const doc = parseJsonOutput<{ status: string; error?: { code: string; message: string } }>(r.stdout)
      expect(doc.status).to.equal('error')
      expect(doc.error?.code).to.equal('USM0115')
      expect(r.exitCode).to.not.equal(0)
      // The same text declared as windows-1252, and as UTF-16LE with a BOM, loads with the é intact.
      const declared = path.join(m.root, 'declared.xml')
      writeFileSync(declared, Buffer.from(text.replace('encoding="UTF-8"', 'encoding="windows-1252"'), 'latin1'))
      expect(JSON.stringify(loadRuleModel([declared]).components)).to.include('caf\u00e9.txt')
      const wide = path.join(m.root, 'wide.xml')
      writeFileSync(wide, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace('urlid="', 'urlid="w'), 'utf16le')]))
      expect(JSON.stringify(loadRuleModel([wide]).components)).to.include('caf\u00e9.txt')
      expect(readFileSync(bad)[offset]).to.equal(0xe9)
    } finally {
      m.cleanup()
    }
  })

  it('portable scanstate returns 29 (XML error) and names the byte offset in its log instead of capturing 0 files', async () => {
    const m = makeMachine({ C: ['Data\\caf\u00e9.txt'] })
    try {
      const bytes = Buffer.from(migration('enc', [{ name: 'Latin', rules: inc('C:\\Data\\* [caf\u00e9.txt]') }]), 'latin1')
      const bad = path.join(m.root, 'bad.xml')
      writeFileSync(bad, bytes)
      const log = path.join(m.root, 'scan.log')
      const r = await runCli(['scanstate', '--volume', `C=${path.join(m.root, 'C')}`, path.join(m.root, 'store'), `/i:${bad}`, `/l:${log}`, '--progress', 'none'])
      expect(r.exitCode).to.equal(29)
      expect(readFileSync(log, 'utf8')).to.include(`byte offset ${bytes.indexOf(0xe9)}`)
    } finally {
      m.cleanup()
    }
  })
})
