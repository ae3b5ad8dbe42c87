import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { hintInBytes, isSecretName, MASK, Redactor } from '../../../src/runtime/redact.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'

describe('runtime/redact', () => {
  it('recognises secret variable names', () => {
    for (const n of ['OSDMigrateLocalAccountPassword', 'UserDataKey', 'USMTStepsEncryptionKey', '_SMSTSReserved1-000', '_SMSTSReserved2', 'ClientSecret', 'UserPassword']) {
      expect(isSecretName(n), n).to.equal(true)
    }
    for (const n of ['OSDStateStorePath', 'KeyboardLocale', 'UDShare', '_SMSTSLogPath']) expect(isSecretName(n), n).to.equal(false)
  })

  it('masks registered values, their escaped and base64 forms, longest first', () => {
    const r = new Redactor()
    r.add('C:\\keys\\k1')
    r.add('hunter22')
    r.add('hunter22-long')
    const b64 = Buffer.from('hunter22').toString('base64')
    const out = r.redact(`key=hunter22-long pw hunter22 path C:\\\\keys\\\\k1 b64 ${b64}`)
    expect(out).to.not.include('hunter22')
    expect(out).to.not.include('k1')
    expect(out).to.not.include(b64)
  })

  it('never treats boolean-like values as secrets, so JSON and flags stay intact', () => {
    const r = new Redactor()
    r.addFromVariables({ USMTStepsLacPasswordOnCommandLine: 'true', OSDMigrateLocalAccountPassword: 'Real-Pass-1' })
    expect(r.redact('{"hidden": true, "x": "Real-Pass-1"}')).to.equal(`{"hidden": true, "x": "${MASK}"}`)
  })

  it('masks short secrets only as whole tokens', () => {
    const r = new Redactor()
    r.add('ab')
    r.add('pw123')
    expect(r.redact('ab cab ab. pw123 xpw1234')).to.equal(`${MASK} cab ${MASK}. ${MASK} xpw1234`)
  })

  it('masks USMT and smbclient command-line forms even for unknown values', () => {
    const r = new Redactor()
    expect(r.redact('scanstate \\\\s\\x /i:a.xml /encrypt /key:"my secret" /lac:Pa55 /v:5')).to.equal(`scanstate \\\\s\\x /i:a.xml /encrypt /key:${MASK} /lac:${MASK} /v:5`)
    expect(r.redact('smbclient -U user%pw //h/s')).to.equal(`smbclient -U user%${MASK} //h/s`)
    expect(r.redact('password=abc;x')).to.equal(`password=${MASK};x`)
  })

  it('keeps a JSON document valid when an inline pattern appears inside it', () => {
    const r = new Redactor()
    const doc = JSON.stringify({ path: 'C:\\Data\\pwd=1.txt', cmd: 'scanstate /key:"my secret" /v:5', u: 'smbclient -U bob%pw1 //h' })
    const out = r.redact(doc)
    const parsed = JSON.parse(out) as Record<string, string>
    expect(parsed.path).to.equal(`C:\\Data\\pwd=${MASK}`)
    expect(parsed.cmd).to.equal(`scanstate /key:${MASK} /v:5`)
    expect(parsed.u).to.equal(`smbclient -U bob%${MASK} //h`)
  })

  it('redacts UTF-8 bytes as it redacts their text, and hands back the same bytes when nothing can be masked', () => {
    const texts = [
      '{"path":"C:\\\\Users\\\\ann\\\\Résumé ü 📄.docx","rule":"MigUser.xml:485 → C:\\\\* [*.txt]"}',
      'scanstate /KEY:"my secret" /lac:Pa55 Ünïcode', 'smbclient -U bob%pw1 //h', 'PASSWORD = x; Secret:y', 'ǩey: no hint here (non-ASCII k)', '',
    ]
    const plain = new Redactor()
    const withSecret = new Redactor()
    withSecret.add('Résumé ü')
    for (const r of [plain, withSecret]) {
      for (const t of texts) {
        const bytes = Buffer.from(t, 'utf8')
        const out = r.redactBytes(bytes)
        expect(out.toString('utf8'), t).to.equal(r.redact(t))
        if (r.redact(t) === t) expect(out, t).to.equal(bytes) // the very same bytes: nothing copied
      }
    }
    expect(plain.redactBytes(Buffer.from(texts[1])).toString()).to.equal(`scanstate /KEY:${MASK} /lac:${MASK} Ünïcode`)
    expect(withSecret.redactBytes(Buffer.from(texts[0])).toString()).to.include(MASK)
  })

  it('finds the inline patterns\' hints in UTF-8 bytes exactly where the expression finds them in the text', () => {
    const HINT = /key|lac|pass|pwd|secret|-U/i // INLINE_HINT of src/runtime/redact.ts
    const alphabet = ['k', 'K', 'e', 'E', 'y', 'Y', 'l', 'L', 'a', 'A', 'c', 'C', 'p', 'P', 's', 'S', 'w', 'W', 'd', 'r', 't', 'T', '-', 'u', 'U', 'ǩ', 'ſ', '\u212a', 'é', '📄', '\r', '+', 'x']
    let seed = 7
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648)
    let hits = 0
    for (let i = 0; i < 20000; i++) {
      let t = ''
      for (let j = next() % 9; j > 0; j--) t += alphabet[next() % alphabet.length]
      const expected = HINT.test(t)
      if (expected) hits++
      expect(hintInBytes(Buffer.from(t, 'utf8')), JSON.stringify(t)).to.equal(expected)
    }
    for (const t of ['KEY', 'kEy', 'lAc', 'PASS', 'pWd', 'SeCrEt', '-U', '-u', 'ke', 'secre', '\u212aey', 'ſecret', '-\u0055']) {
      expect(hintInBytes(Buffer.from(t, 'utf8')), t).to.equal(HINT.test(t))
    }
    expect(hits).to.be.greaterThan(100) // both answers exercised
  })

  it('redacts deep structures and masks secret-named keys', () => {
    const r = new Redactor()
    r.add('s3cret!')
    expect(r.redactDeep({ a: ['x s3cret! y'], UserDataKey: 'whatever', nested: { OSDMigrateLocalAccountPassword: 'p' } })).to.deep.equal({
      a: [`x ${MASK} y`], UserDataKey: MASK, nested: { OSDMigrateLocalAccountPassword: MASK },
    })
    expect(r.maskVariables({ UserPassword: 'p', A: 'b' })).to.deep.equal({ UserPassword: MASK, A: 'b' })
    expect(r.redactDeep({ key: 'logDir', encryptionKey: 'x' })).to.deep.equal({ key: 'logDir', encryptionKey: MASK })
  })
  it('guards stdout and stderr however they are written to, and makes neither stream before it is used', () => {
    // A child with both streams as pipes (as under a task sequence). Making a pipe stream costs a step's start-up
    // milliseconds, so installStreamGuards must not call Node's stream getters itself: they are counted. Then a secret
    // is registered and every way of writing is tried.
    const redact = pathToFileURL(path.join(PROJECT_ROOT, 'src', 'runtime', 'redact.ts')).href
    const script = `
      const made = { stdout: 0, stderr: 0 }
      for (const name of ['stdout', 'stderr']) {
        const d = Object.getOwnPropertyDescriptor(process, name)
        Object.defineProperty(process, name, { configurable: true, enumerable: d.enumerable, get() { made[name]++; return d.get.call(process) } })
      }
      const { installStreamGuards, redactor } = await import(${JSON.stringify(redact)})
      const beforeInstall = { ...made }
      installStreamGuards()
      const atInstall = { ...made }
      redactor.add('s3cr3t-Value')
      console.log('log s3cr3t-Value')
      process.stdout.write('write s3cr3t-Value\\n')
      process.stdout.write(Buffer.from('bytes s3cr3t-Value\\n'))
      console.error('error s3cr3t-Value')
      process.stderr.write(Buffer.from('stderr s3cr3t-Value\\n'))
      // The loader may have made a stream before (tsx does); the guards make none, and each getter then runs once.
      console.error('made by install: ' + (atInstall.stdout - beforeInstall.stdout) + ' ' + (atInstall.stderr - beforeInstall.stderr) + ', getter calls after: ' + (made.stdout - atInstall.stdout) + ' ' + (made.stderr - atInstall.stderr))
    `
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(`log ${MASK}\nwrite ${MASK}\nbytes ${MASK}\n`)
    expect(r.stderr).to.include(`error ${MASK}\nstderr ${MASK}\n`)
    expect(r.stderr).to.not.include('s3cr3t')
    // Each getter ran once, on first use, never at install.
    expect(r.stderr.split('\n').find((l) => l.startsWith('made by install'))).to.equal('made by install: 0 0, getter calls after: 1 1')
  })
})
