import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { MIG_DIGEST_FILE } from '../../../src/store/layout.js'
import { sampleMachine, SAMPLE_RULES, wineLane, type Lane } from './lane.js'

interface Listed { windows: string; unix: string }

/**
 * The portable USMT tools of the package on a Windows runtime: scanstate → loadstate through usmt-steps.cmd and
 * cmd.exe, on drive letters mapped to a copy of samples/machine whose folders and file names have spaces and
 * non-ASCII characters. Every file scanstate listed comes back byte for byte.
 */
describe('Wine lane: portable capture/restore round trips through the package (hard-link store, encrypted store)', function () {
  this.timeout(900000)
  let l: Lane

  before(async () => { l = await wineLane() })

  /** scanstate's /listfiles (Windows paths on the mapped C:) with their Unix paths under `c`. */
  function listed(file: string, c: string): Listed[] {
    return readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean).map((w) => {
      expect(w.slice(0, 3).toUpperCase()).to.equal('C:\\')
      return { windows: w, unix: path.join(c, ...w.slice(3).split('\\')) }
    })
  }

  it('hard-link store: /hardlink /nocompress links the files (same inode), loadstate restores them, usmtutils /rd removes the store', async () => {
    const machine = sampleMachine(l, 'hardlink machine')
    const c = path.join(machine, 'C')
    const m = l.w.mapDrive('H', c)
    const before = new Map<string, Buffer>()
    const list = path.join(l.work, 'hardlink files.txt')
    const scan = await l.usmt(['scanstate', '--volume', `C=${m}\\`, '--computer', 'PC', '--users', l.w.z(path.join(machine, 'users.json')), `${m}\\StateStore`,
      `/i:${l.w.z(SAMPLE_RULES)}`, '/o', '/hardlink', '/nocompress', `/listfiles:${l.w.z(list)}`, `/l:${l.w.z(path.join(l.work, 'hardlink scan.log'))}`])
    // 3, not 0: the sample rules name registry values, which the portable engine cannot read on Windows (reported, not dropped).
    expect(scan.exitCode, scan.stdout + scan.stderr).to.equal(3)
    expect(scan.stdout).to.match(/\d+ rule items not evaluated \(return code 3\)/)
    const files = listed(list, c)
    expect(files.map((f) => f.windows)).to.include('C:\\Users\\ann\\Documents\\Résumé – Zoë ✓.txt')
    expect(files.length).to.be.greaterThan(20)
    for (const f of files) before.set(f.windows, readFileSync(f.unix))
    // Real NTFS-style hard links through Wine: every captured file now has a second name in the store.
    for (const f of files) expect(statSync(f.unix).nlink, f.windows).to.equal(2)

    for (const f of files) rmSync(f.unix)
    const load = await l.usmt(['loadstate', '--volume', `C=${m}\\`, '--computer', 'PC', `${m}\\StateStore`, `/i:${l.w.z(SAMPLE_RULES)}`, '/lac', '/lae',
      '/hardlink', '/nocompress', `/l:${l.w.z(path.join(l.work, 'hardlink load.log'))}`])
    expect(load.exitCode, load.stdout + load.stderr).to.equal(0)
    for (const f of files) expect(readFileSync(f.unix), f.windows).to.deep.equal(before.get(f.windows))

    const rd = await l.usmt(['usmtutils', '/rd', `${m}\\StateStore`, '/y'])
    expect(rd.exitCode, rd.stdout + rd.stderr).to.equal(0)
    expect(readdirSync(c)).to.not.include('StateStore')
    for (const f of files) expect(statSync(f.unix).nlink, f.windows).to.equal(1)
  })

  it('encrypted store: /encrypt /key on the source, /decrypt on an empty destination; a wrong key restores nothing', async () => {
    const machine = sampleMachine(l, 'encrypted machine')
    const c = path.join(machine, 'C')
    const src = l.w.mapDrive('S', c)
    const destDir = path.join(l.work, 'new PC – Zoë', 'C')
    mkdirSync(destDir, { recursive: true })
    const dest = l.w.mapDrive('T', destDir)
    const storeDir = path.join(l.work, 'share ü', 'PC store')
    mkdirSync(path.dirname(storeDir), { recursive: true })
    const store = l.w.z(storeDir)
    const KEY = 'Wine key – Zoë & 42'
    const list = path.join(l.work, 'encrypted files.txt')
    const scan = await l.usmt(['scanstate', '--volume', `C=${src}\\`, '--computer', 'PC', '--users', l.w.z(path.join(machine, 'users.json')), store,
      `/i:${l.w.z(SAMPLE_RULES)}`, '/o', '/encrypt', `/key:${KEY}`, `/listfiles:${l.w.z(list)}`, `/l:${l.w.z(path.join(l.work, 'encrypted scan.log'))}`])
    expect(scan.exitCode, scan.stdout + scan.stderr).to.equal(3)
    expect(readFileSync(path.join(l.work, 'encrypted scan.log'), 'utf8')).to.include('the offline registry tools (hivex) do not run on Windows')
    expect(readdirSync(path.join(storeDir, 'USMT')).sort()).to.deep.equal(['USMT.MIG', MIG_DIGEST_FILE])
    const mig = readFileSync(path.join(storeDir, 'USMT', 'USMT.MIG'))
    expect(mig.includes(Buffer.from('Grüße aus Århus'))).to.equal(false)
    // Windows has no O_DIRECT: the container went through the page cache and was hashed as it was written.
    expect(JSON.parse(readFileSync(path.join(storeDir, 'USMT', MIG_DIGEST_FILE), 'utf8'))).to.include({ size: mig.length, sha256: createHash('sha256').update(mig).digest('hex') })
    const files = listed(list, c)
    expect(files.map((f) => f.windows)).to.include('C:\\Users\\ann\\Documents\\Résumé – Zoë ✓.txt')

    const wrong = await l.usmt(['loadstate', '--volume', `C=${dest}\\`, '--computer', 'PC', store, `/i:${l.w.z(SAMPLE_RULES)}`, '/lac', '/lae', '/decrypt', '/key:not the key'])
    expect(wrong.exitCode).to.not.equal(0)
    expect(readdirSync(destDir)).to.deep.equal([])

    const load = await l.usmt(['loadstate', '--volume', `C=${dest}\\`, '--computer', 'PC', store, `/i:${l.w.z(SAMPLE_RULES)}`, '/lac', '/lae', '/decrypt', `/key:${KEY}`,
      `/l:${l.w.z(path.join(l.work, 'encrypted load.log'))}`])
    expect(load.exitCode, load.stdout + load.stderr).to.equal(0)
    for (const f of files) {
      const restored = path.join(destDir, ...f.windows.slice(3).split('\\'))
      expect(readFileSync(restored), f.windows).to.deep.equal(readFileSync(f.unix))
      expect(Math.abs(statSync(restored).mtimeMs - statSync(f.unix).mtimeMs), f.windows).to.be.below(1)
    }
    for (const log of ['encrypted scan.log', 'encrypted load.log']) expect(readFileSync(path.join(l.work, log), 'utf8')).to.not.include(KEY)
  })
})
