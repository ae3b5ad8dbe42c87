/**
 * scanAhead (the captured files' stats on a thread, what `rules preview --json` runs) against the synchronous
 * scan: the same sink calls, in the same order, with the same stat fields.
 */
import { expect } from 'chai'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { prepare, scan, type FullEngineInput, type ScanSink } from '../../../src/engine/index.js'
import { scanAhead, StatThread } from '../../../src/engine/scan-ahead.js'
import { tempDir } from '../../helpers/fixtures.js'
import { exc, generateMachine, inc, migration, ux } from './helpers.js'

type Call = unknown[]

function recorder(): { sink: ScanSink; calls: Call[] } {
  const calls: Call[] = []
  const sink: ScanSink = {
    include(folder, name, unit, rule, st, parameters, localPath) {
      calls.push(['include', folder.winDir, folder.dirKey, folder.localPrefix, name, unit.name, unit.context.account, rule.rule,
        st.size, st.mode, st.uid, st.gid, st.mtimeMs, st.atimeMs, st.birthtimeMs, parameters ?? null, localPath ?? null])
    },
    exclude(folder, name, user, reason, rule) {
      calls.push(['exclude', folder.winDir, name, user, reason, rule?.rule ?? null])
    },
    warning(w) {
      calls.push(['warning', w.code, w.message, w.path ?? null])
    },
    registry(d) {
      calls.push(['registry', d.value.key, d.value.name, d.included, d.reason ?? null])
    },
  }
  return { sink, calls }
}

describe('engine/scan-ahead: the scan with its stats on a thread', function () {
  this.timeout(120000)
  let t: ReturnType<typeof tempDir>
  let input: FullEngineInput

  before(() => {
    t = tempDir('usmt-engine-ahead-')
    generateMachine(t.dir, 6_000)
    // a link to a file inside the volume (captured through its target), one outside it, an unreadable folder
    const docs = path.join(t.dir, 'C', 'Data', 'Team')
    symlinkSync(path.join(t.dir, 'C', 'Zz', 'keep.txt'), path.join(docs, 'linked.docx'))
    symlinkSync('/etc/hostname', path.join(docs, 'outside.docx'))
    mkdirSync(path.join(docs, 'Many'))
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(docs, 'Many', `m${i}.txt`), String(i)) // one folder larger than a batch
    const rules = path.join(t.dir, 'rules.xml')
    writeFileSync(rules, migration('ahead', [
      { name: 'Team data', rules: inc('C:\\Data\\* [*]', 'C:\\Zz\\* [*]') + exc('C:\\Data\\Team\\Archive\\* [*.log]') + ux('C:\\Data\\* [*.tmp]') },
      { name: 'Profiles', context: 'User', rules: inc('%CSIDL_PERSONAL%\\* [*]', '%CSIDL_DESKTOPDIRECTORY%\\* [*]') + exc('%CSIDL_PERSONAL%\\* [*.mp3]') },
      { name: 'Projects', rules: inc('D:\\Projects\\* [*]') + '<excludeAttributes attributes="TimeFields"><objectSet><pattern type="File">D:\\Projects\\* [*]</pattern></objectSet></excludeAttributes>' },
    ]))
    input = {
      ruleFiles: [rules], computer: 'PC', selection: { ue: ['PC\\u7'] }, hiveToolsMissing: () => null,
      volumes: new VolumeMap([{ letter: 'C:', root: path.join(t.dir, 'C'), removable: false }, { letter: 'D:', root: path.join(t.dir, 'D'), removable: false }]),
    }
  })
  after(() => t?.cleanup())

  it('gives the sink the same calls as scan, in the same order', async () => {
    const sync = recorder()
    for (const _ of scan(prepare(input), sync.sink)) { /* to the end */ }
    const ahead = recorder()
    let folders = 0
    await scanAhead(prepare(input), ahead.sink, async () => {
      folders++
      if (folders % 50 === 0) await new Promise((resolve) => setImmediate(resolve)) // a consumer that waits now and then
    })
    // not vacuous: thousands of files captured and excluded, the links' warnings, a link captured through its target
    const kinds = (calls: Call[], k: string): number => calls.filter((c) => c[0] === k).length
    expect(kinds(sync.calls, 'include')).to.be.greaterThan(4000)
    expect(kinds(sync.calls, 'exclude')).to.be.greaterThan(200)
    expect(sync.calls.filter((c) => c[0] === 'warning').map((c) => c[1])).to.include.members(['reparse-point', 'unreadable'])
    expect(sync.calls.some((c) => c[0] === 'include' && c[4] === 'linked.docx' && c[16] !== null)).to.equal(true)
    expect(folders).to.be.greaterThan(100)
    expect(ahead.calls).to.deep.equal(sync.calls)
  })

  it('reports a stat that fails with its code, and stats a link\'s target', async () => {
    const thread = new StatThread()
    try {
      const file = path.join(t.dir, 'C', 'Zz', 'keep.txt')
      const link = path.join(t.dir, 'C', 'Data', 'Team', 'linked.docx')
      const a = await thread.stat([file, path.join(t.dir, 'missing.txt'), `\u0001${link}`, link])
      expect(a.errors.map((e) => [e[0], e[1]])).to.deep.equal([[1, 'ENOENT']])
      expect(a.out[0]).to.equal(4) // "keep"
      expect(a.out[2 * 7]).to.equal(4) // the target's size
      // lstat of the link itself: a symbolic link whose size is its target's path
      expect(a.out[3 * 7]).to.equal(file.length)
      expect(a.out[3 * 7 + 1] & 0o170000).to.equal(0o120000)
    } finally {
      thread.close()
    }
  })
})
