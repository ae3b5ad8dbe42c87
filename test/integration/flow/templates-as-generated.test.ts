import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT, spawnCli } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { requireSamba, startSamba } from '../../helpers/samba.js'

/**
 * Runs as generated: a ConfigMgr template generated with the usmt-steps package ID, a separate USMT package and one
 * policy file for every step validates, and `template run` executes it on the sample machine with the packages
 * mapped to local folders (each usmt-steps step starts in the usmt-steps package folder, as smsswd.exe /run:ID
 * does; Download Package Content sets USMTStepsUsmtPackage01). Every step exits 0. The same template without the
 * package or the USMT source fails `template validate` with the code that says what to add.
 */
interface RunDoc { status: string; result: { completed: boolean; exitCode: number; steps: Array<{ name: string; type: string; status: string; exitCode?: number; commandLine?: string }> } }

const USMT_STEPS_PKG = 'UST00012'
const USMT_PKG = 'UST00013'

describe('templates run as generated (template configmgr → template validate → template run on the sample machine)', function () {
  this.timeout(300000)
  let t: ReturnType<typeof tempDir>
  before(function () {
    requireSharedFixtures(this, 'usmt-xml', 'MigDocs.xml')
    t = tempDir('usmt-steps-asgen-')
  })
  after(() => t?.cleanup())

  it('refresh: generated with the package, the USMT package and one policy file; validated; every step exits 0', async () => {
    const pkg = path.join(t.dir, 'usmt-steps-package')
    mkdirSync(pkg)
    // One policy file: users: for usmt-steps users, stores: for plan (each step rejects the other's keys if mixed up).
    // orphans: exclude — the sample has an Entra ID profile (AzureAD\KimAkers), which stops a refresh unless the admin leaves it out knowingly.
    writeFileSync(path.join(pkg, 'policy.yaml'), ['users:', '  keepLocal: true', '  orphans: exclude', 'stores:', '  allowedStores: [hardlink, share]', '  preferredStore: hardlink', ''].join('\n'))
    const xml = path.join(t.dir, 'refresh.xml')
    const gen = await spawnCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', USMT_STEPS_PKG, '--usmt-package-id', USMT_PKG, '--policy', 'policy.yaml', '--out', xml])
    expect(gen.exitCode, gen.stderr).to.equal(0)
    const text = readFileSync(xml, 'utf8')
    expect(text).to.include(`<reference package="${USMT_STEPS_PKG}"/>`).and.to.include(`<reference package="${USMT_PKG}"/>`)
    expect(text).to.include(`smsswd.exe /run:${USMT_STEPS_PKG} usmt-steps.cmd capture --usmt-dir "%USMTStepsUsmtPackage01%"`)

    const valid = await spawnCli(['template', 'validate', xml, '--package-dir', pkg, '--json'])
    expect(valid.exitCode, valid.stdout).to.equal(0)
    expect((JSON.parse(valid.stdout) as { status: string }).status).to.equal('success')

    const machine = path.join(t.dir, 'machine')
    cpSync(path.join(PROJECT_ROOT, 'samples', 'machine'), machine, { recursive: true })
    const facts = path.join(t.dir, 'facts.json')
    writeFileSync(facts, JSON.stringify({ inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 5e11, freeBytes: 2e11, bitLocker: 'off' }], estimateBytes: 1e7 }))
    const vars = path.join(t.dir, 'env.json')
    writeFileSync(vars, JSON.stringify({
      _SMSTSInWinPE: 'false', DeploymentType: 'REFRESH', _SMSTSMachineName: 'PC', _SMSTSLogPath: path.join(t.dir, 'logs'),
      OSDMigrateLocalAccounts: 'true', USMTStepsEngine: 'portable', USMTStepsDirectory: 'none',
    }))
    // What the client gives the steps on Windows (its drive, its facts) is given here by flags; each step gets the ones it accepts.
    const run = await spawnCli(['template', 'run', xml, '--variables', vars, '--package', `${USMT_STEPS_PKG}=${pkg}`, '--package', `${USMT_PKG}=${sharedFixture('usmt-xml')}`, '--json',
      '--', '--volume', `C=${path.join(machine, 'C')}`, '--facts', facts, '--users', path.join(machine, 'users.json')])
    const doc = JSON.parse(run.stdout) as RunDoc
    const ran = doc.result.steps.filter((s) => s.exitCode !== undefined)
    expect(run.exitCode, JSON.stringify(doc.result.steps, null, 1)).to.equal(0)
    expect(doc.result.completed).to.equal(true)
    for (const s of ran) expect(s.exitCode, `${s.name}: ${s.commandLine}`).to.equal(0)
    expect(ran.map((s) => s.name)).to.deep.equal([
      'Select the users to migrate (usmt-steps)', 'Plan the user state store (usmt-steps)', 'Download the USMT package', 'Capture user state (usmt-steps)',
      'Write the migration report (usmt-steps)', 'Download the USMT package', 'Restore user state (usmt-steps)', 'Write the migration report (usmt-steps)',
    ])
    expect(ran.find((s) => s.name.startsWith('Capture'))?.commandLine).to.equal(`usmt-steps.cmd capture --usmt-dir "${sharedFixture('usmt-xml')}"`)
    const env = JSON.parse(readFileSync(vars, 'utf8')) as Record<string, string>
    expect(env).to.include({ USMTStepsStoreType: 'hardlink', USMTStepsUsmtPackage01: sharedFixture('usmt-xml'), USMTStepsLastResult: 'Success' })
    expect(env.USMTStepsPlanRule).to.be.a('string')
  })

  it('replace: replace-source on the old PC and replace-destination on the new PC, generated with both packages and one policy file, run against the project\'s Samba; every step exits 0 and the files arrive', async function () {
    requireSamba(this)
    const smb = await startSamba({ shares: ['migstore'] })
    try {
      const pkg = path.join(t.dir, 'replace-package')
      mkdirSync(pkg)
      // One policy file for every step: users: for users, stores: for plan and the store steps (share stores only, encrypted).
      writeFileSync(path.join(pkg, 'policy.yaml'), [
        'users:', '  keepLocal: true', '  orphans: exclude',
        'stores:', '  allowedStores: [share]', '  encryptNetworkStores: true', '  shares:', `    - path: '${smb.unc()}'`, `      port: ${smb.port}`, '      maxClients: 10', '',
      ].join('\n'))
      const generate = async (scenario: string): Promise<string> => {
        const xml = path.join(t.dir, `${scenario}.xml`)
        const gen = await spawnCli(['template', 'configmgr', '--scenario', scenario, '--package-id', USMT_STEPS_PKG, '--usmt-package-id', USMT_PKG, '--policy', 'policy.yaml', '--out', xml])
        expect(gen.exitCode, gen.stderr).to.equal(0)
        const text = readFileSync(xml, 'utf8')
        expect(text).to.include(`<reference package="${USMT_STEPS_PKG}"/>`).and.to.include(`<reference package="${USMT_PKG}"/>`)
        const valid = await spawnCli(['template', 'validate', xml, '--package-dir', pkg, '--json'])
        expect(valid.exitCode, valid.stdout).to.equal(0)
        return xml
      }
      const KEY = 'Replace-template-key-41d9'
      const oldPc = path.join(t.dir, 'replace-old')
      cpSync(path.join(PROJECT_ROOT, 'samples', 'machine'), oldPc, { recursive: true })
      const newPc = path.join(t.dir, 'replace-new')
      mkdirSync(path.join(newPc, 'C', 'Users'), { recursive: true })
      const facts = path.join(t.dir, 'replace-facts.json')
      writeFileSync(facts, JSON.stringify({ inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 5e11, freeBytes: 2e11, bitLocker: 'off' }], estimateBytes: 1e7 }))
      const common = { _SMSTSInWinPE: 'false', USMTStepsEngine: 'portable', USMTStepsDirectory: 'none', USMTStepsStoreTransport: 'smbclient', USMTStepsEncryptionKey: KEY, OSDStateSMPRetryTime: '0' }
      const run = async (xml: string, vars: Record<string, string>, volumes: string[]): Promise<{ doc: RunDoc; env: Record<string, string> }> => {
        const file = path.join(t.dir, `${path.basename(xml, '.xml')}-env.json`)
        writeFileSync(file, JSON.stringify({ ...common, ...vars }))
        const r = await spawnCli(['template', 'run', xml, '--variables', file, '--package', `${USMT_STEPS_PKG}=${pkg}`, '--package', `${USMT_PKG}=${sharedFixture('usmt-xml')}`, '--json',
          '--', ...volumes, '--facts', facts])
        const doc = JSON.parse(r.stdout) as RunDoc
        expect(r.exitCode, JSON.stringify(doc.result.steps, null, 1)).to.equal(0)
        expect(doc.result.completed).to.equal(true)
        for (const s of doc.result.steps.filter((x) => x.exitCode !== undefined)) expect(s.exitCode, `${s.name}: ${s.commandLine}`).to.equal(0)
        return { doc, env: JSON.parse(readFileSync(file, 'utf8')) as Record<string, string> }
      }
      const ran = (doc: RunDoc): string[] => doc.result.steps.filter((s) => s.exitCode !== undefined).map((s) => s.name)

      // ---- old PC: the network access account reaches the share (OSDStateFallbackToNAA, as the native step's option)
      const source = await run(await generate('replace-source'), {
        _SMSTSMachineName: 'OLDPC', DeploymentType: 'REPLACE', _SMSTSLogPath: path.join(t.dir, 'replace-old-logs'), USMTStepsStoreLocalPath: path.join(t.dir, 'replace-old-stage'),
        '_SMSTSReserved1-000': smb.user, '_SMSTSReserved2-000': smb.password, OSDStateFallbackToNAA: 'true',
      }, ['--volume', `C=${path.join(oldPc, 'C')}`, '--volume', `D=${path.join(oldPc, 'D')}`, '--users', path.join(oldPc, 'users.json')])
      expect(ran(source.doc)).to.deep.equal([
        'Select the users to migrate (usmt-steps)', 'Plan the user state store (usmt-steps)', 'Request a share state store for capture (usmt-steps)',
        'Download the USMT package', 'Capture user state (usmt-steps)', 'Release the share state store after capture (usmt-steps)', 'Write the migration report (usmt-steps)',
      ])
      const skipped = source.doc.result.steps.filter((s) => s.exitCode === undefined).map((s) => `${s.name}:${s.status}`)
      expect(skipped).to.include.members(['Request State Store (capture):skipped-condition', 'Release State Store:skipped-condition'])
      expect(source.env).to.include({ USMTStepsStoreType: 'share', USMTStepsEncrypt: 'true', USMTStepsLastResult: 'Success' })
      const id = source.env.USMTStepsStoreId
      expect(source.env.OSDStateStorePath).to.equal(`${smb.unc()}\\${id}`)
      expect(JSON.parse(readFileSync(path.join(smb.shareDir(), id, 'store.json'), 'utf8'))).to.include({ state: 'captured', encrypted: true })

      // ---- the admin associates the computers (ConfigMgr: a computer association)
      const adminEnv = path.join(t.dir, 'replace-admin-env.json')
      writeFileSync(adminEnv, JSON.stringify({ UserID: smb.user, UserPassword: smb.password, _SMSTSLogPath: path.join(t.dir, 'replace-admin-logs') }))
      const assoc = await spawnCli(['store', 'associate', '--source', 'OLDPC', '--destination', 'NEWPC', '--policy', path.join(pkg, 'policy.yaml'), '--ts-env', `json:${adminEnv}`])
      expect(assoc.exitCode, assoc.stdout + assoc.stderr).to.equal(0)

      // ---- new PC: the share is reached with MDT-style UserID/UserPassword; local accounts are created by loadstate
      const dest = await run(await generate('replace-destination'), {
        _SMSTSMachineName: 'NEWPC', DeploymentType: 'REPLACE', _SMSTSLogPath: path.join(t.dir, 'replace-new-logs'), USMTStepsStoreLocalPath: path.join(t.dir, 'replace-new-stage'),
        OSDMigrateLocalAccounts: 'true', UserID: smb.user, UserDomain: 'WORKGROUP', UserPassword: smb.password,
      }, ['--volume', `C=${path.join(newPc, 'C')}`, '--volume', `D=${path.join(newPc, 'D')}`])
      expect(ran(dest.doc)).to.deep.equal([
        'Plan the user state store (usmt-steps)', 'Request a share state store for restore (usmt-steps)', 'Download the USMT package',
        'Restore user state (usmt-steps)', 'Release the share state store after restore (usmt-steps)', 'Write the migration report (usmt-steps)',
      ])
      expect(dest.env).to.include({ OSDStateStorePath: `${smb.unc()}\\${id}`, USMTStepsLastResult: 'Success', USMTStepsProofMissing: '0', USMTStepsProofChanged: '0' })
      expect(Number(dest.env.USMTStepsProofVerified)).to.be.greaterThan(20)
      expect(JSON.parse(readFileSync(path.join(smb.shareDir(), id, 'store.json'), 'utf8'))).to.include({ state: 'restored' })
      // The old PC's documents are on the new PC, byte for byte.
      const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex')
      const docs = path.join(oldPc, 'C', 'Users', 'jdoe', 'Documents')
      const files = readdirSync(docs).filter((n) => statSync(path.join(docs, n)).isFile())
      expect(files.length).to.be.greaterThan(0)
      for (const n of files) {
        const there = path.join(newPc, 'C', 'Users', 'jdoe', 'Documents', n)
        expect(existsSync(there), there).to.equal(true)
        expect(sha(there)).to.equal(sha(path.join(docs, n)))
      }
      // Neither the store key nor the share password is in what the steps wrote.
      for (const dir of ['replace-old-logs', 'replace-new-logs']) {
        for (const n of readdirSync(path.join(t.dir, dir))) {
          const text = readFileSync(path.join(t.dir, dir, n), 'utf8')
          expect(text, `${dir}/${n}`).to.not.include(KEY).and.not.include(smb.password)
        }
      }
    } finally {
      await smb.dispose()
    }
  })

  it('the same template without the package or without a USMT source fails template validate with USM0608 / USM0609', async () => {
    const noPkg = path.join(t.dir, 'no-package.xml')
    const gen = await spawnCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', USMT_STEPS_PKG, '--usmt-package-id', USMT_PKG, '--out', noPkg])
    expect(gen.exitCode).to.equal(0)
    // What the packaged templates used to be: smsswd.exe /run: with no package and no reference.
    writeFileSync(noPkg, readFileSync(noPkg, 'utf8').replace(new RegExp(`/run:${USMT_STEPS_PKG} `, 'g'), '/run: ')
      .replace(new RegExp(`<variable name="PackageID" property="PackageID" hidden="true">${USMT_STEPS_PKG}</variable>`, 'g'), '')
      .replace(`<reference package="${USMT_STEPS_PKG}"/>`, ''))
    const a = await spawnCli(['template', 'validate', noPkg, '--json'])
    expect(a.exitCode).to.equal(3)
    const ea = (JSON.parse(a.stdout) as { error: { code: string; message: string; actions: string[] } }).error
    expect(ea.code).to.equal('USM0608')
    expect(ea.message).to.include('runs usmt-steps from no package')

    const noUsmt = path.join(t.dir, 'no-usmt.xml')
    const g2 = await spawnCli(['template', 'configmgr', '--scenario', 'refresh', '--package-id', USMT_STEPS_PKG, '--usmt-dir', 'C:\\USMT', '--out', noUsmt])
    expect(g2.exitCode).to.equal(0)
    writeFileSync(noUsmt, readFileSync(noUsmt, 'utf8').replace(/ --usmt-dir C:\\USMT/g, ''))
    const b = await spawnCli(['template', 'validate', noUsmt, '--json'])
    expect(b.exitCode).to.equal(3)
    const eb = (JSON.parse(b.stdout) as { error: { code: string; message: string } }).error
    expect(eb.code).to.equal('USM0609')
    expect(eb.message).to.include('capture has no USMT source').and.to.include('--usmt-package-id')
  })
})
