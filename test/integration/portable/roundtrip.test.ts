import { expect } from 'chai'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseUsmtLog } from '../../../src/usmt/main-log.js'
import { summarizeProgress } from '../../../src/usmt/progress-log.js'
import { tempDir } from '../../helpers/fixtures.js'
import { prepareMachine, sha, tool } from './helpers.js'

interface ScanResult { returnCode: number; files: number; listFiles?: string; message: string; ignoredErrors: number }
interface LoadResult { returnCode: number; message: string; files: Array<{ source: string; destination: string; action: string }>; notes: string[] }

const KINDS: Array<{ name: string; scan: string[]; load: string[] }> = [
  { name: 'compressed', scan: [], load: [] },
  { name: 'compressed + encrypted (/key)', scan: ['/encrypt', '/key:Tr0ub4dor&3 spaced'], load: ['/decrypt', '/key:Tr0ub4dor&3 spaced'] },
  { name: 'compressed + encrypted (/keyfile)', scan: ['/encrypt:AES_256', '/keyfile:KEYFILE'], load: ['/decrypt:AES_256', '/keyfile:KEYFILE'] },
  { name: 'mirror (/nocompress)', scan: ['/nocompress'], load: ['/nocompress'] },
  { name: 'hard-link (/hardlink /nocompress)', scan: ['/hardlink', '/nocompress'], load: ['/hardlink', '/nocompress'] },
]

describe('portable scanstate → loadstate round trip of the sample machine', function () {
  this.timeout(300000)
  let tmp: ReturnType<typeof tempDir>
  before(() => { tmp = tempDir('usmt-rt-') })
  after(() => tmp.cleanup())

  for (const kind of KINDS) {
    it(`${kind.name}: every captured file comes back byte-for-byte with its timestamps`, async () => {
      const dir = path.join(tmp.dir, kind.name.replace(/[^a-z]+/gi, '_'))
      const m = prepareMachine(dir)
      const keyFile = path.join(dir, 'key.txt')
      writeFileSync(keyFile, 'key-from-a-file\r\n')
      const sub = (a: string[]): string[] => a.map((x) => x.replace('KEYFILE', keyFile))
      const flags = ['--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : []), ...(m.attributes ? ['--attributes', m.attributes] : [])]
      const store = path.join(dir, 'store')
      const scan = await tool<ScanResult>(['scanstate', ...flags, store, `/i:${m.rules}`, '/o', '/v:5', `/l:${path.join(dir, 'scan.log')}`,
        `/progress:${path.join(dir, 'scan.progress')}`, `/listfiles:${path.join(dir, 'list.txt')}`, ...sub(kind.scan)])
      expect(scan.exitCode, scan.result.message).to.equal(0)
      expect(scan.result.files).to.be.greaterThan(5)
      const listed = readFileSync(path.join(dir, 'list.txt'), 'utf8').split('\r\n').filter(Boolean)
      expect(listed).to.have.length(scan.result.files)
      expect(listed).to.include('C:\\Data\\readme.txt')
      expect(listed.some((l) => /ntuser\.dat/i.test(l))).to.equal(false)
      const slog = parseUsmtLog(readFileSync(path.join(dir, 'scan.log'), 'utf8'))
      expect(slog.tool).to.equal('SCANSTATE')
      expect(slog.outcome?.kind).to.equal('success')
      expect(readFileSync(path.join(dir, 'scan.log'), 'utf8')).not.to.include('Tr0ub4dor')
      const sp = summarizeProgress(readFileSync(path.join(dir, 'scan.progress'), 'utf8'))
      expect(sp.percent).to.equal(100)
      expect(sp.final).to.deep.equal({ errorCode: 0, ignoredErrors: 0, message: 'Successful run' })
      expect(sp.detectedUsers.length).to.be.greaterThan(0)

      const dest = path.join(dir, 'dest', 'C')
      const load = await tool<LoadResult>(['loadstate', '--volume', `C=${dest}`, '--computer', 'PC', store, `/i:${m.rules}`, '/lac', '/lae',
        `/l:${path.join(dir, 'load.log')}`, `/progress:${path.join(dir, 'load.progress')}`, ...sub(kind.load)])
      expect(load.exitCode, load.result.message).to.equal(0)
      expect(parseUsmtLog(readFileSync(path.join(dir, 'load.log'), 'utf8')).outcome?.kind).to.equal('success')
      for (const win of listed) {
        const rel = win.slice(3).split('\\')
        const src = path.join(m.c, ...rel)
        const out = path.join(dest, ...rel)
        expect(existsSync(out), win).to.equal(true)
        expect(sha(out), win).to.equal(sha(src))
        const a = statSync(src)
        const b = statSync(out)
        expect(Math.abs(b.mtimeMs - a.mtimeMs), `${win} mtime`).to.be.lessThan(0.001)
        if (kind.name.startsWith('hard-link')) expect(b.ino, `${win} inode`).to.equal(a.ino)
      }
      if (kind.name.startsWith('hard-link')) {
        const storeFile = path.join(store, 'USMT', 'File', 'C', 'Data', 'readme.txt')
        expect(statSync(storeFile).ino).to.equal(statSync(path.join(m.c, 'Data', 'readme.txt')).ino)
      }
      if (kind.name.startsWith('compressed')) {
        const mig = path.join(store, 'USMT', 'USMT.MIG')
        expect(existsSync(mig)).to.equal(true)
        const v = await tool<{ returnCode: number }>(['usmtutils', '/verify:all', mig, ...sub(kind.load)])
        expect(v.exitCode).to.equal(0)
      }
    })
  }
})
