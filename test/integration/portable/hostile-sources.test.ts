/**
 * Issue #20 items 3 and 4: hostile sources. Symbolic links (Windows reparse points on a mounted volume) are never
 * followed outside the mapped volume and are always logged, in the compressed and the hard-link capture alike;
 * a file whose name Windows cannot hold is skipped and listed (return code 3 under /c, named in the error
 * without /c) while the rest of the capture proceeds.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { StoreSession } from '../../../src/store/store.js'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { summarizeProgress } from '../../../src/usmt/progress-log.js'
import { runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'

const RULES = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/hostile">
  <component type="Documents" context="System"><displayName>Data</displayName><role role="Data"><rules>
    <include><objectSet><pattern type="File">C:\\Data\\* [*]</pattern></objectSet></include>
  </rules></role></component>
</migration>
`

describe('portable scanstate: hostile sources (issue #20 items 3 and 4)', function () {
  this.timeout(180000)
  let tmp: ReturnType<typeof tempDir>
  before(() => { tmp = tempDir('usmt-hostile-') })
  after(() => tmp.cleanup())
  const machine = (name: string): { dir: string; c: string; rules: string } => {
    const dir = path.join(tmp.dir, name)
    const c = path.join(dir, 'C')
    mkdirSync(path.join(c, 'Data'), { recursive: true })
    mkdirSync(path.join(c, 'Other'), { recursive: true })
    writeFileSync(path.join(c, 'Data', 'keep.txt'), 'keep me')
    const rules = path.join(dir, 'rules.xml')
    writeFileSync(rules, RULES)
    return { dir, c, rules }
  }
  const scan = async (m: { dir: string; c: string; rules: string }, store: string, extra: string[]): Promise<{ code: number; stdout: string; log: string; progress: string }> => {
    const log = path.join(m.dir, `${path.basename(store)}.log`)
    const progress = path.join(m.dir, `${path.basename(store)}.progress`)
    const r = await runCli(['scanstate', '--volume', `C=${m.c}`, '--computer', 'PC', store, `/i:${m.rules}`, `/l:${log}`, `/progress:${progress}`, '/v:5', ...extra, '--progress', 'none'])
    return { code: r.exitCode, stdout: r.stdout, log: readFileSync(log, 'utf8'), progress: readFileSync(progress, 'utf8') }
  }

  it('item 4: a link out of the volume is not followed and is logged; a link inside is captured as its target, by the compressed and the hard-link capture', async () => {
    const m = machine('links')
    const outside = path.join(m.dir, 'outside-secret.txt')
    writeFileSync(outside, 'not on drive C')
    writeFileSync(path.join(m.c, 'Other', 'inside.txt'), 'inside the volume')
    symlinkSync(outside, path.join(m.c, 'Data', 'out.txt'))
    symlinkSync(path.join(m.dir), path.join(m.c, 'Data', 'outdir'))
    symlinkSync(path.join('..', 'Other', 'inside.txt'), path.join(m.c, 'Data', 'in.txt'))
    for (const kind of [[], ['/nocompress'], ['/hardlink', '/nocompress']]) {
      const store = path.join(m.dir, `store-${kind.join('').replace(/\//g, '') || 'compressed'}`)
      const r = await scan(m, store, kind)
      expect(r.code, r.stdout).to.equal(0)
      expect(r.log).to.match(/Warning .*C:\\Data\\out\.txt is a symbolic link \(reparse point\) to .*outside drive C:; not followed, not migrated/)
      expect(r.log).to.match(/Warning .*C:\\Data\\outdir is a symbolic link \(reparse point\) to .*outside drive C:; not followed/)
      expect(r.log).to.match(/Warning .*C:\\Data\\in\.txt is a symbolic link \(reparse point\) to C:\\Other\\inside\.txt/)
      expect(r.log).to.not.include('Stored C:\\Data\\out.txt')
      expect(r.log).to.include('Stored C:\\Data\\in.txt')
      const target = path.join(m.dir, `target-${path.basename(store)}`)
      mkdirSync(target)
      const load = await runCli(['loadstate', '--volume', `C=${target}`, store, `/i:${m.rules}`, ...kind, '--progress', 'none'])
      expect(load.exitCode, load.stdout).to.equal(0)
      expect(readdirSync(path.join(target, 'Data')).sort()).to.deep.equal(['in.txt', 'keep.txt'])
      expect(readFileSync(path.join(target, 'Data', 'in.txt'), 'utf8')).to.equal('inside the volume')
      expect(statSync(path.join(target, 'Data', 'in.txt')).isFile()).to.equal(true)
      expect(existsSync(path.join(target, 'Data', 'outdir'))).to.equal(false)
    }
  })

  it('item 3: names Windows cannot hold are skipped and listed under /c (3) by every store kind, and named in the error without /c (61)', async () => {
    const m = machine('names')
    const bad = ['CON', 'nul.txt', 'a:b', 'q?', 'dot.', 'space ', 'new\nline', 'back\\slash', 'COM\u00b9']
    for (const name of bad) writeFileSync(path.join(m.c, 'Data', name), `bad name ${JSON.stringify(name)}`)
    const shown = (name: string): string => `C:\\Data\\${name.replace(/\n/g, '\\x0a')}`
    for (const kind of [[], ['/hardlink', '/nocompress']]) {
      const store = path.join(m.dir, `c-${kind.length ? 'hardlink' : 'compressed'}`)
      const r = await scan(m, store, ['/c', ...kind])
      expect(r.code, r.stdout).to.equal(3)
      const errors = summarizeProgress(r.progress).errors
      expect(errors.map((e) => e.objectName).sort()).to.deep.equal(bad.map(shown).sort())
      expect(errors.every((e) => e.action === 'Ignore' && e.errorCode === 123)).to.equal(true)
      for (const name of bad) expect(r.log).to.include(`Invalid name 123 for ${shown(name)}`)
      expect(r.log).to.include('Stored C:\\Data\\keep.txt')
      expect(parseUsmtLog(r.log).outcome?.kind).to.equal('success-with-errors')
      const target = path.join(m.dir, `t-${path.basename(store)}`)
      mkdirSync(target)
      const load = await runCli(['loadstate', '--volume', `C=${target}`, store, `/i:${m.rules}`, ...kind, '--progress', 'none'])
      expect(load.exitCode, load.stdout).to.equal(0)
      expect(readdirSync(path.join(target, 'Data'))).to.deep.equal(['keep.txt'])
    }
    const stop = await scan(m, path.join(m.dir, 'no-c'), [])
    expect(stop.code).to.equal(61)
    expect(stop.stdout).to.match(/Invalid name 123 for C:\\Data\\\S+: /)
    expect(parseUsmtLog(stop.log).outcome?.kind).to.equal('failed')
    expect(existsSync(path.join(m.dir, 'no-c')) ? readdirSync(path.join(m.dir, 'no-c')) : []).to.deep.equal([])
  })

  it('a file the kernel refuses to hard-link (an immutable file) is a file error of the hard-link capture: skipped and listed under /c (3), stopped on without /c (61)', async () => {
    const m = machine('refused')
    writeFileSync(path.join(m.c, 'Data', 'locked.txt'), 'link(2) fails with EPERM, even for root')
    writeFileSync(path.join(m.c, 'Data', 'z-after.txt'), 'after the refused file')
    const locked = path.join(m.c, 'Data', 'locked.txt')
    execFileSync('chattr', ['+i', locked])
    try {
      const store = path.join(m.dir, 'store')
      const list = path.join(m.dir, 'list.txt')
      const r = await scan(m, store, ['/hardlink', '/nocompress', '/c', `/listfiles:${list}`])
      expect(r.code, r.stdout).to.equal(3)
      expect(r.log).to.match(/Read error \d+ for C:\\Data\\locked\.txt/)
      expect(r.log).to.include('Stored C:\\Data\\keep.txt')
      expect(r.log).to.include('Stored C:\\Data\\z-after.txt')
      expect(r.log).to.not.include('Stored C:\\Data\\locked.txt')
      expect(readFileSync(list, 'utf8').split(/\r?\n/).filter(Boolean)).to.deep.equal(['C:\\Data\\keep.txt', 'C:\\Data\\z-after.txt'])
      expect(summarizeProgress(r.progress).errors.map((e) => [e.objectName, e.action])).to.deep.equal([['C:\\Data\\locked.txt', 'Ignore']])
      expect(r.stdout).to.include('2 files captured')
      const stop = await scan(m, path.join(m.dir, 'no-c'), ['/hardlink', '/nocompress'])
      expect(stop.code, stop.stdout).to.equal(61)
      expect(stop.stdout).to.match(/Read error \d+ for C:\\Data\\locked\.txt/)
      expect(existsSync(path.join(m.dir, 'no-c')) ? readdirSync(path.join(m.dir, 'no-c')) : []).to.deep.equal([])
    } finally {
      execFileSync('chattr', ['-i', locked])
    }
  })

  it('item 9: a 6,000-character path in a store is a file error on restore (3 under /c, 61 without), not 72; the other files are restored', async () => {
    const m = machine('long')
    const src = path.join(m.dir, 'src.txt')
    writeFileSync(src, 'long path content')
    const st = statSync(src)
    const store = path.join(m.dir, 'store')
    const session = await StoreSession.create(store, { kind: 'compressed', overwrite: false })
    const long = `C:\\${Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(197)}`).join('\\')}\\f.txt`
    expect(long.length).to.be.greaterThan(6000)
    for (const p of [long, 'C:\\Data\\ok.txt']) {
      await session.addFile({ path: p, localPath: src, user: null, component: 'Data', bytes: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, birthtimeMs: st.birthtimeMs, attributes: { readOnly: false, hidden: false, system: false } })
    }
    await session.commit({ kind: 'compressed', encrypted: false, created: new Date().toISOString(), computer: 'PC', tool: 'test', users: [], ruleFiles: [], ignoredErrors: 0 })
    for (const [extra, code] of [[['/c'], 3], [[], 61]] as const) {
      const target = path.join(m.dir, `t${code}`)
      mkdirSync(target)
      const log = path.join(m.dir, `l${code}.log`)
      const r = await runCli(['loadstate', '--volume', `C=${target}`, store, ...extra, `/l:${log}`, '--progress', 'none'])
      expect(r.exitCode, r.stdout).to.equal(code)
      expect(readFileSync(log, 'utf8')).to.include('Apply error 206 (ENAMETOOLONG) for C:\\00x')
      if (code === 3) expect(readFileSync(path.join(target, 'Data', 'ok.txt'), 'utf8')).to.equal('long path content')
    }
  })
})
