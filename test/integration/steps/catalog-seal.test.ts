/**
 * Issue #20 item 5 through the steps: a portable hard-link capture seals its catalog with a random key that only
 * the task sequence keeps (USMTStepsStoreSealKey, secret). The attack of the issue — delete a catalog entry, add
 * an `evil.exe` entry (and the file), recompute the count and the digest — is refused by restore before anything
 * is written (USM0319), and the store is kept. Without the key the restore goes on and says the catalog was not
 * checked against a seal (a warning and `catalogSeal` in --json), never silently.
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { parseJsonOutput, runCli } from '../../helpers/cli.js'
import { copySampleMachine, listFiles, readEnv, stepSuite, writeEnv } from './helpers.js'

const STORE = 'C:\\_SMSTaskSequence\\UserState'
const EVIL = 'C:\\Users\\ann\\Desktop\\evil.exe'

/** Every file below `dir` with its size and modification time (what a restore would change). */
function snapshot(dir: string): string[] {
  return listFiles(dir).map((f) => {
    const st = statSync(path.join(dir, f))
    return `${f} ${st.size} ${st.mtimeMs}`
  })
}

/**
 * The attack, as someone who can write the store does it: drop one catalog entry, add evil.exe (entry and file in
 * the store's File tree), recompute the end record's count and the digest; the seal line stays as it was.
 * Returns the Windows path of the dropped entry.
 */
function tamper(usmtDir: string): string {
  const file = path.join(usmtDir, 'Catalog.json')
  const text = readFileSync(file, 'utf8')
  const lines = text.slice(0, text.lastIndexOf('\nsha256:')).split('\n')
  const seal = lines.pop() as string
  expect(seal).to.match(/^seal:hmac-sha256:[0-9a-f]{64}$/)
  const end = JSON.parse(lines.pop() as string) as { count: number }
  const rows = lines.slice(1)
  const victim = rows.findIndex((r) => r.includes('\\\\Documents\\\\'))
  expect(victim).to.be.greaterThan(-1)
  const dropped = (JSON.parse(rows[victim]) as [string])[0]
  const template = JSON.parse(rows[victim]) as unknown[]
  rows.splice(victim, 1)
  rows.push(JSON.stringify([EVIL, template[1], template[2], 4, ...template.slice(4)]))
  writeFileSync(path.join(usmtDir, 'File', 'C', 'Users', 'ann', 'Desktop', 'evil.exe'), 'MZ!!')
  const body = [lines[0], ...rows, JSON.stringify({ ...end, count: rows.length }), seal].join('\n')
  writeFileSync(file, `${body}\nsha256:${createHash('sha256').update(body).digest('hex')}\n`)
  return dropped
}

describe('steps: sealed hard-link store catalogs (issue #20 item 5)', function () {
  this.timeout(240000)
  const s = stepSuite('usmt-steps-seal-')

  async function capture(): Promise<{ c: string; envFile: string; logs: string; key: string; out: string }> {
    const machine = copySampleMachine(path.join(s.dir, 'machine'))
    const c = path.join(machine, 'C')
    const logs = path.join(s.dir, 'logs')
    const envFile = writeEnv(path.join(s.dir, 'env.json'), { _SMSTSLogPath: logs, _SMSTSMachineName: 'PC', OSDStateStorePath: STORE, USMTStepsStoreType: 'hardlink', DeploymentType: 'REFRESH', OSDMigrateLocalAccounts: 'true' })
    const res = await runCli(['capture', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--users', path.join(machine, 'users.json'), '--at-risk', 'warn', '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.be.oneOf([0, 3])
    expect(parseJsonOutput<{ result: Record<string, unknown> }>(res.stdout).result).to.include({ storeKind: 'hardlink', catalogSealed: true })
    const key = readEnv(envFile).USMTStepsStoreSealKey
    expect(key, 'the seal key is kept in the task sequence').to.match(/^[0-9a-f]{64}$/)
    return { c, envFile, logs, key, out: res.stdout + res.stderr }
  }

  /** The key appears nowhere but in the task-sequence environment: not in output, logs, run records, the store or a child's argv. */
  function expectKeyNowhere(key: string, out: string, dirs: string[]): void {
    expect(out).to.not.include(key)
    for (const d of dirs.filter((x) => existsSync(x))) {
      for (const f of listFiles(d)) {
        if (statSync(path.join(d, f)).size > 5_000_000) continue
        expect(readFileSync(path.join(d, f), 'latin1'), path.join(d, f)).to.not.include(key)
      }
    }
  }

  it('capture seals the catalog with a key kept only in USMTStepsStoreSealKey; restore checks the seal, restores and removes the store', async () => {
    const { c, envFile, logs, key, out } = await capture()
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const doc = parseJsonOutput<{ result: Record<string, unknown>; warnings: string[] }>(res.stdout)
    expect(doc.result).to.include({ storeKind: 'hardlink', catalogSeal: 'verified', storeRemoved: true })
    expect(doc.warnings.join('\n')).to.not.match(/seal/i)
    const record = JSON.parse(readFileSync(path.join(logs, 'usmt-steps-restore.json'), 'utf8')) as { commands: Array<{ commandLine: string }> }
    const commands = record.commands.map((x) => x.commandLine).join('\n')
    expect(commands).to.match(/usmtutils \/verify:catalog .*--seal-key-file=/)
    expect(commands).to.match(/loadstate .*--seal-key-file=/)
    expectKeyNowhere(key, out + res.stdout + res.stderr, [logs, store])
    // The key files were private and are gone.
    for (const line of commands.split('\n')) {
      const m = /--seal-key-file=(\S+)/.exec(line)
      if (m) expect(existsSync(m[1]), m[1]).to.equal(false)
    }
  })

  it('the attack (delete an entry, add evil.exe, recompute count and digest) is refused before anything is written, and the store is kept', async () => {
    const { c, envFile, logs, key, out } = await capture()
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    const dropped = tamper(path.join(store, 'USMT'))
    const before = snapshot(c)
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    const doc = parseJsonOutput(res.stdout)
    expect(doc.error?.code, res.stdout + res.stderr).to.equal('USM0319')
    expect(doc.error?.message).to.include('Nothing was restored; the store was kept')
    expect(res.exitCode).to.not.equal(0)
    // Nothing written anywhere on C: (evil.exe not restored, the store untouched, not removed).
    expect(snapshot(c)).to.deep.equal(before)
    expect(existsSync(path.join(c, 'Users', 'ann', 'Desktop', 'evil.exe'))).to.equal(false)
    expect(readdirSync(path.join(store, 'USMT'))).to.include.members(['Catalog.json', 'File'])
    const record = JSON.parse(readFileSync(path.join(logs, 'usmt-steps-restore.json'), 'utf8')) as { commands: Array<{ commandLine: string }> }
    expect(record.commands.map((x) => x.commandLine).join('\n'), 'loadstate never ran').to.not.match(/loadstate/)
    expect(readFileSync(path.join(logs, 'usmtutils-verify.log'), 'utf8')).to.match(/seal does not match/)
    expectKeyNowhere(key, out + res.stdout + res.stderr, [logs, store])
    expect(dropped).to.match(/^C:\\Users\\/)
  })

  it('without the key (USMTStepsStoreSealKey empty) the restore goes on but says the catalog was not checked against a seal', async () => {
    const { c, envFile, logs } = await capture()
    tamper(path.join(c, '_SMSTaskSequence', 'UserState', 'USMT'))
    writeEnv(envFile, { ...readEnv(envFile), USMTStepsStoreSealKey: '' })
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--keep-store', '--json'])
    expect(res.exitCode, res.stdout + res.stderr).to.equal(0)
    const doc = parseJsonOutput<{ status: string; result: Record<string, unknown>; warnings: string[] }>(res.stdout)
    expect(doc.status).to.equal('warning')
    expect(doc.result).to.include({ catalogSeal: 'unchecked' })
    expect(doc.warnings.join('\n')).to.include('USMTStepsStoreSealKey is empty')
    expect(readFileSync(path.join(logs, 'loadstate.log'), 'utf8')).to.include('Catalog seal: not checked')
    // What an unchecked catalog means: the forged entry is restored like any other (the reason for the seal).
    expect(existsSync(path.join(c, 'Users', 'ann', 'Desktop', 'evil.exe'))).to.equal(true)
  })

  it('with the key, a store of another kind put in place of the sealed one (a compressed USMT.MIG) is refused too', async () => {
    const { c, envFile } = await capture()
    const store = path.join(c, '_SMSTaskSequence', 'UserState')
    const scan = await runCli(['scanstate', '--volume', `C=${c}`, '--computer', 'PC', '--users', path.join(s.dir, 'machine', 'users.json'), STORE,
      `/i:${path.join(s.xml, 'MigDocs.xml')}`, '/o', '/c', '--progress', 'none'])
    expect(scan.exitCode, scan.stdout).to.be.oneOf([0, 3])
    expect(existsSync(path.join(store, 'USMT', 'USMT.MIG'))).to.equal(true)
    const before = snapshot(c)
    const res = await runCli(['restore', '--ts-env', `json:${envFile}`, '--volume', `C=${c}`, '--engine', 'portable', '--usmt-dir', s.xml, '--json'])
    expect(parseJsonOutput(res.stdout).error?.code, res.stdout + res.stderr).to.equal('USM0319')
    expect(snapshot(c)).to.deep.equal(before)
  })
})
