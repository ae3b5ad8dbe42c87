/**
 * Issue #20 item 2: restoring onto a file system that runs out of space. Before, a short write was ignored (a
 * file kept 20,480 of 37,041 bytes and was logged "Applied … (written)", return code 3 under /c) and a stopped
 * restore (61) left 0-byte and partial files behind. Now a file is written whole (its size checked) or not at
 * all, and every file that was not written is listed as an error. The destination is a real small file system:
 * a 64 KiB tmpfs mounted for the test (the suites run as root, as the Samba AD DC tests do).
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { summarizeProgress } from '../../../src/usmt/progress-log.js'
import { runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

const RULES = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/full">
  <component type="Documents" context="System"><displayName>Data</displayName><role role="Data"><rules>
    <include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include>
  </rules></role></component>
</migration>
`

function filesBelow(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) out.push(...filesBelow(p, base))
    else out.push(path.relative(base, p))
  }
  return out.sort()
}

describe('loadstate onto a full disk: whole files or none, every missing file listed (issue #20 item 2)', function () {
  this.timeout(120000)
  let tmp: ReturnType<typeof tempDir>
  const mounts: string[] = []
  const sources = new Map<string, Buffer>()
  let store = ''
  let rules = ''
  before(async () => {
    expect(process.getuid?.(), 'the full-disk test mounts a tmpfs: run the suites as root').to.equal(0)
    tmp = tempDir('usmt-fulldisk-')
    const c = path.join(tmp.dir, 'src', 'C')
    mkdirSync(path.join(c, 'Data'), { recursive: true })
    for (let i = 0; i < 8; i++) {
      const data = randomBytes(20_000 + i * 2_345)
      sources.set(`f${i}.bin`, data)
      writeFileSync(path.join(c, 'Data', `f${i}.bin`), data)
    }
    rules = path.join(tmp.dir, 'rules.xml')
    writeFileSync(rules, RULES)
    store = path.join(tmp.dir, 'store')
    const scan = await runCli(['scanstate', '--volume', `C=${c}`, store, `/i:${rules}`, '--progress', 'none'])
    expect(scan.exitCode, scan.stdout).to.equal(0)
  })
  after(() => {
    for (const m of mounts) execFileSync('umount', [m])
    tmp?.cleanup()
  })
  const smallDisk = (name: string): string => {
    const dir = path.join(tmp.dir, name)
    mkdirSync(dir)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir])
    mounts.push(dir)
    return dir
  }

  for (const [extra, code] of [[['/c'], 3], [[], 61]] as const) {
    it(`${extra.length ? 'with /c: return code 3' : 'without /c: return code 61'}; every file on disk is whole, the others are listed as errors, nothing partial or temporary stays`, async () => {
      const disk = smallDisk(`disk${code}`)
      const progress = path.join(tmp.dir, `p${code}.progress`)
      const log = path.join(tmp.dir, `l${code}.log`)
      const r = await runCli(['loadstate', '--volume', `C=${disk}`, store, `/i:${rules}`, ...extra, `/l:${log}`, `/progress:${progress}`, '/v:5', '--progress', 'none'])
      expect(r.exitCode, r.stdout).to.equal(code)
      const onDisk = filesBelow(disk)
      expect(onDisk.every((f) => f.startsWith(`Data${path.sep}`)), onDisk.join(', ')).to.equal(true)
      const written = onDisk.map((f) => path.basename(f))
      for (const name of written) expect(readFileSync(path.join(disk, 'Data', name)).equals(sources.get(name) as Buffer), `${name} is whole`).to.equal(true)
      expect(written.length).to.be.lessThan(sources.size)
      const errors = summarizeProgress(readFileSync(progress, 'utf8')).errors.map((e) => e.objectName)
      const logText = readFileSync(log, 'utf8')
      if (code === 3) {
        // Every file not on disk is an error, and no error names a file that is on disk.
        const missing = [...sources.keys()].filter((n) => !written.includes(n)).map((n) => `C:\\Data\\${n}`)
        expect(errors.sort()).to.deep.equal(missing.sort())
        for (const m of missing) expect(logText).to.not.match(new RegExp(`Applied ${m.replace(/\\/g, '\\\\').replace('.', '\\.')} `))
      } else {
        expect(errors.length).to.equal(1)
        expect(written).to.not.include(path.basename(errors[0]))
      }
    })
  }
})
