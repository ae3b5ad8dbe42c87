/**
 * Issue #20 item 6: files in a store that the capture did not write (an `evil.exe` dropped into USMT\ or into
 * the File\ tree) are never restored, and `usmtutils /verify` now lists them and fails (42) instead of passing
 * over them.
 */
import { expect } from 'chai'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { prepareMachine } from './helpers.js'

describe('usmtutils /verify: extra files in a store (issue #20 item 6)', function () {
  this.timeout(120000)
  let tmp: ReturnType<typeof tempDir>
  before(() => { tmp = tempDir('usmt-extras-') })
  after(() => tmp.cleanup())

  for (const kind of [[], ['/nocompress'], ['/hardlink', '/nocompress']]) {
    it(`are listed as EXTRA and fail the verification (${kind.join(' ') || 'compressed'})`, async () => {
      const dir = path.join(tmp.dir, kind.join('').replace(/\//g, '') || 'compressed')
      const m = prepareMachine(dir)
      const store = path.join(m.c, 'Store')
      const scan = await runCli(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : []), store, `/i:${m.rules}`, ...kind, '--progress', 'none'])
      expect(scan.exitCode, scan.stdout).to.equal(0)
      const verify = (): ReturnType<typeof runCli> => runCli(['usmtutils', '/verify:failureonly', store, '--progress', 'none'])
      const clean = await verify()
      expect(clean.exitCode, clean.stdout).to.equal(0)
      const extras = ['USMT/evil.exe', ...(kind.length ? ['USMT/File/C/Data/evil.exe'] : [])]
      for (const x of extras) {
        mkdirSync(path.dirname(path.join(store, x)), { recursive: true })
        writeFileSync(path.join(store, x), 'MZ')
      }
      const dirty = await verify()
      expect(dirty.exitCode).to.equal(42)
      for (const x of extras) expect(dirty.stdout).to.include(`${x}\tEXTRA`)
      for (const x of extras) rmSync(path.join(store, x))
      expect((await verify()).exitCode).to.equal(0)
    })
  }
})
