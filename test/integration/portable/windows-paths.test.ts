/**
 * Issue #20 item 12: a Windows path argument of the portable tools goes through the volume map like every
 * source path. `scanstate --volume C=DIR C:\store …` used to write a folder literally named `C:\store` in the
 * current directory and report success; now the store lands in DIR/store, and a drive that is not mapped (or a
 * UNC path on Linux) is the argument's USMT return code with nothing written in the current directory.
 */
import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { tempDir } from '../../helpers/fixtures.js'
import { prepareMachine, RULES } from './helpers.js'

describe('portable tools: Windows path arguments on mapped volumes (issue #20 item 12)', function () {
  this.timeout(120000)
  let tmp: ReturnType<typeof tempDir>
  before(() => { tmp = tempDir('usmt-winpaths-') })
  after(() => tmp.cleanup())
  const run = (argv: string[], cwd: string): ReturnType<typeof runCli> => runCli([...argv, '--progress', 'none'], { cwd })

  it('store, /l, /progress, /i, /config, /listfiles and /keyfile given as C:\\… resolve inside the mapped volume, for scanstate, loadstate and usmtutils', async () => {
    const dir = path.join(tmp.dir, 'mapped')
    const m = prepareMachine(dir)
    const cwd = path.join(dir, 'cwd')
    mkdirSync(cwd, { recursive: true })
    mkdirSync(path.join(m.c, 'Work'), { recursive: true })
    writeFileSync(path.join(m.c, 'Work', 'rules.xml'), RULES)
    writeFileSync(path.join(m.c, 'Work', 'Config.xml'), '<Configuration><Policies><ErrorControl></ErrorControl></Policies></Configuration>')
    writeFileSync(path.join(m.c, 'Work', 'key.txt'), 'a store key')
    const vol = ['--volume', `C=${m.c}`, '--computer', 'PC', ...(m.users ? ['--users', m.users] : [])]
    const scan = await run(['scanstate', ...vol, 'C:\\Store', '/i:C:\\Work\\rules.xml', '/config:C:\\Work\\Config.xml', '/l:C:\\Work\\scan.log',
      '/progress:C:\\Work\\scan.progress', '/listfiles:C:\\Work\\list.txt', '/encrypt', '/keyfile:C:\\Work\\key.txt', '/o'], cwd)
    expect(scan.exitCode, scan.stdout).to.equal(0)
    expect(readdirSync(cwd)).to.deep.equal([])
    expect(existsSync(path.join(m.c, 'Store', 'USMT', 'USMT.MIG'))).to.equal(true)
    for (const f of ['scan.log', 'scan.progress', 'list.txt']) expect(existsSync(path.join(m.c, 'Work', f)), f).to.equal(true)
    expect(readFileSync(path.join(m.c, 'Work', 'list.txt'), 'utf8')).to.not.include('C:\\Store')
    const target = path.join(dir, 'target')
    mkdirSync(target)
    const load = await run(['loadstate', '--volume', `C=${target}`, '--volume', `D=${m.c}`, 'D:\\Store', '/i:D:\\Work\\rules.xml', '/l:D:\\Work\\load.log',
      '/progress:D:\\Work\\load.progress', '/decrypt', '/keyfile:D:\\Work\\key.txt'], cwd)
    expect(load.exitCode, load.stdout).to.equal(0)
    expect(existsSync(path.join(m.c, 'Work', 'load.log'))).to.equal(true)
    expect(readdirSync(target).length).to.be.greaterThan(0)
    const verify = await run(['usmtutils', '--volume', `D=${m.c}`, '/verify', 'D:\\Store\\USMT\\USMT.MIG', '/decrypt', '/keyfile:D:\\Work\\key.txt', '/l:D:\\Work\\verify.log'], cwd)
    expect(verify.exitCode, verify.stdout).to.equal(0)
    expect(existsSync(path.join(m.c, 'Work', 'verify.log'))).to.equal(true)
    expect(readdirSync(cwd)).to.deep.equal([])
  })

  it('a drive that is not mapped, or a UNC path, is the argument\'s return code and nothing is written in the current directory', async () => {
    const dir = path.join(tmp.dir, 'unmapped')
    const m = prepareMachine(dir)
    const cwd = path.join(dir, 'cwd')
    mkdirSync(cwd, { recursive: true })
    const vol = ['--volume', `C=${m.c}`, '--computer', 'PC']
    const store = await run(['scanstate', ...vol, 'D:\\Store', `/i:${m.rules}`], cwd)
    expect(store.exitCode).to.equal(27)
    expect(store.stdout).to.include('drive D:, which is not mapped')
    const unc = await run(['scanstate', ...vol, '\\\\server\\share\\Store', `/i:${m.rules}`], cwd)
    expect(unc.exitCode).to.equal(27)
    expect(unc.stdout).to.include('UNC')
    expect((await run(['scanstate', ...vol, path.join(dir, 's1'), '/i:D:\\rules.xml'], cwd)).exitCode).to.equal(28)
    expect((await run(['scanstate', ...vol, path.join(dir, 's2'), `/i:${m.rules}`, '/config:D:\\Config.xml'], cwd)).exitCode).to.equal(39)
    expect((await run(['scanstate', ...vol, path.join(dir, 's3'), `/i:${m.rules}`, '/l:D:\\scan.log'], cwd)).exitCode).to.equal(13)
    expect((await run(['scanstate', ...vol, path.join(dir, 's4'), `/i:${m.rules}`, '/progress:D:\\scan.progress'], cwd)).exitCode).to.equal(40)
    expect((await run(['scanstate', ...vol, path.join(dir, 's5'), `/i:${m.rules}`, '/listfiles:D:\\list.txt'], cwd)).exitCode).to.equal(11)
    expect((await run(['scanstate', ...vol, path.join(dir, 's6'), `/i:${m.rules}`, '/encrypt', '/keyfile:D:\\key.txt'], cwd)).exitCode).to.equal(33)
    expect((await run(['loadstate', ...vol, 'D:\\Store', `/i:${m.rules}`], cwd)).exitCode).to.equal(27)
    expect((await run(['usmtutils', '/verify', 'D:\\Store\\USMT\\USMT.MIG'], cwd)).exitCode).to.equal(27)
    expect(readdirSync(cwd)).to.deep.equal([])
    for (const s of ['s1', 's2', 's3', 's4', 's5', 's6']) expect(existsSync(path.join(dir, s)) ? readdirSync(path.join(dir, s)) : [], s).to.deep.equal([])
  })
})
