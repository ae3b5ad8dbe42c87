import { expect } from 'chai'
import { execa } from 'execa'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { requireSamba, startSamba, type SambaServer } from '../../helpers/samba.js'
import { defaultSmbRunner, SmbclientTransport, type SmbRunner } from '../../../src/share-store/smbclient.js'
import { TransportError } from '../../../src/share-store/transport.js'

describe('one smbclient session per transport, over a real Samba (smb-session.ts)', function () {
  this.timeout(300000)
  let smb: SambaServer
  let dir: string

  before(async function () {
    requireSamba(this)
    smb = await startSamba({ shares: ['migstore'] })
  })
  after(async () => { await smb?.dispose() })
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-session-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const creds = () => ({ username: smb.user, password: smb.password, source: 'test' })
  const recording = () => {
    const children: Array<ReturnType<typeof execa>> = []
    const runner: SmbRunner = (file, args, options) => {
      const child = defaultSmbRunner(file, args, options)
      children.push(child)
      return child
    }
    return { children, runner }
  }

  it('a session that dies fails the operation in flight as a transfer error; the next operation logs on again', async () => {
    const { children, runner } = recording()
    const t = new SmbclientTransport({ unc: smb.unc(), port: smb.port, credentials: creds(), runner })
    await t.ensureDir('S/a/b')
    await t.writeText('S/a/b/r.json', '{"n":1}')
    expect(await t.readText('S/a/b/r.json')).to.equal('{"n":1}')
    expect(children, 'three operations, one process').to.have.length(1)
    const big = path.join(dir, 'big.bin')
    writeFileSync(big, randomBytes(300 * 1024 * 1024))
    const remote = path.join(smb.shareDir(), 'S', 'big.bin')
    const upload = t.putFile(big, 'S/big.bin')
    let killedAt = -1
    for (let i = 0; i < 4000 && killedAt < 0; i++) {
      const size = existsSync(remote) ? statSync(remote).size : 0
      if (size > 8 * 1024 * 1024) {
        killedAt = size
        children[0].kill('SIGKILL') // sh exec'd stdbuf, which exec'd smbclient: the same process
      } else {
        await new Promise((r) => setTimeout(r, 5))
      }
    }
    expect(killedAt, 'the upload was seen in progress').to.be.greaterThan(0)
    const err = await upload.then(() => null, (e: unknown) => e)
    expect(err).to.be.instanceOf(TransportError)
    expect((err as TransportError).kind).to.equal('transfer')
    expect((err as Error).message).to.match(/smbclient exited with a signal/)
    // the next operation starts a new session
    expect((await t.list('S')).map((e) => e.name).sort()).to.include('a')
    expect(children).to.have.length(2)
    await t.close()
  })

  it('a wrong password fails the first operation of the session as an authentication error, and every retry again', async () => {
    const { children, runner } = recording()
    const t = new SmbclientTransport({ unc: smb.unc(), port: smb.port, credentials: { ...creds(), password: 'wrong-Pass1!' }, runner })
    for (let i = 0; i < 2; i++) {
      const err = await t.list('').then(() => null, (e: unknown) => e)
      expect((err as TransportError).kind).to.equal('auth')
      expect((err as TransportError).status).to.equal('NT_STATUS_LOGON_FAILURE')
    }
    expect(children).to.have.length(2)
    await t.close()
  })

  it('no smbclient to run: the session reports it as the missing package (USM0417\'s message), as a process per operation does', async () => {
    for (const session of [true, false]) {
      const t = new SmbclientTransport({ unc: smb.unc(), port: smb.port, credentials: creds(), binary: path.join(dir, 'no-smbclient'), session })
      const err = await t.list('').then(() => null, (e: unknown) => e)
      expect((err as TransportError).status, session ? 'session' : 'process').to.equal('ENOENT')
      expect((err as Error).message).to.match(/was not found \(install the smbclient package\)/)
      await t.close()
    }
  })

  it('a transport left open does not keep the step from exiting (smbclient ends at the end of its input)', async () => {
    const script = path.join(dir, 'left-open.mts')
    writeFileSync(script, [
      `import { SmbclientTransport } from ${JSON.stringify(path.join(PROJECT_ROOT, 'src', 'share-store', 'smbclient.ts'))}`,
      `const t = new SmbclientTransport({ unc: ${JSON.stringify(smb.unc())}, port: ${smb.port}, credentials: JSON.parse(process.env.CREDS) })`,
      `await t.writeText('open.txt', 'still here')`,
      `console.log(JSON.stringify(await t.list('')))`,
      '// no t.close()',
    ].join('\n'))
    const r = await execa(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, env: { CREDS: JSON.stringify(creds()) }, reject: false, timeout: 60000 })
    expect(r.timedOut, 'the process exited by itself').to.equal(false)
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('open.txt')
    expect(readFileSync(path.join(smb.shareDir(), 'open.txt'), 'utf8')).to.equal('still here')
  })
})
