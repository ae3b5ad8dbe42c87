import { expect } from 'chai'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { captureDefaults, finishCapture, finishRestore, mergeOptions, parseCaptureExtras, parseRestoreExtras, restoreDefaults, type CaptureBuild, type RestoreBuild } from '../../../src/steps/command-line.js'
import { editDistance, mdtList, nearMissVariables } from '../../../src/steps/inputs.js'
import { peHeader, peMachineOf, runningArch } from '../../../src/steps/pe.js'
import { assertHardLinkVolume, isCloudFileError, profilesAtRisk, userMatcher } from '../../../src/steps/safety.js'
import { createKeyFile, withKeyFile } from '../../../src/steps/secrets.js'
import { inspectStore } from '../../../src/store/layout.js'
import { buildLoadStateArgs, buildScanStateArgs, emptyProgressState } from '../../../src/usmt/index.js'

const none = (): undefined => undefined
const cb = (over: Partial<CaptureBuild> = {}): CaptureBuild => ({
  storePath: 'C:\\StateStore', xmlFiles: ['MigApp.xml'], continueOnError: true, verbose: false, skipEncryptedFiles: false, vss: false,
  hardLink: false, udProfiles: [], logFile: 'C:\\Logs\\scanstate.log', progressFile: 'C:\\Logs\\scan.prg', ...over,
})
const rb = (over: Partial<RestoreBuild> = {}): RestoreBuild => ({
  storePath: 'C:\\StateStore', kind: 'compressed', xmlFiles: ['MigApp.xml'], continueOnError: true, verbose: false, udProfiles: [],
  localAccounts: false, enableLocalAccounts: true, logFile: 'C:\\Logs\\loadstate.log', progressFile: 'C:\\Logs\\load.prg', ...over,
})
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return e instanceof UsmtStepsError ? e.code : 'other'
  }
  return undefined
}

describe('steps: command-line builder', () => {
  it('hard-link capture implies /nocompress and /efs:hardlink, refuses /vsc and encryption', () => {
    const o = finishCapture(captureDefaults(cb({ hardLink: true })), cb({ hardLink: true }), 'C:\\')
    expect(buildScanStateArgs(o)).to.include.members(['/hardlink', '/nocompress', '/efs:hardlink', '/o', '/c', '/v:5'])
    expect(codeOf(() => finishCapture(captureDefaults(cb()), cb({ hardLink: true, vss: true }), 'C:\\'))).to.equal('USM0302')
    expect(codeOf(() => finishCapture(captureDefaults(cb()), cb({ hardLink: true, encrypt: { algorithm: 'AES_256', keyFile: 'k.txt' } }), 'C:\\'))).to.equal('USM0302')
  })

  it('encryption goes through /keyfile and refuses /nocompress', () => {
    const b = cb({ encrypt: { algorithm: 'AES_256', keyFile: 'C:\\t\\key.txt' } })
    const argv = buildScanStateArgs(finishCapture(captureDefaults(b), b, 'C:\\'))
    expect(argv).to.include.members(['/encrypt:AES_256', '/keyfile:C:\\t\\key.txt'])
    expect(argv.some((a) => a.startsWith('/key:'))).to.equal(false)
    const extra = parseCaptureExtras('/nocompress', 'X', none).options
    expect(codeOf(() => finishCapture(mergeOptions(captureDefaults(b), extra), b, 'C:\\'))).to.equal('USM0302')
  })

  it('takes /key: out of extra options (MDT) and corrects /encrypt on restore to /decrypt', () => {
    const cap = parseCaptureExtras('/encrypt /key:"my key"', 'ScanStateArgs', none)
    expect(cap.key).to.equal('my key')
    expect(cap.options.key).to.equal(undefined)
    const res = parseRestoreExtras('/v:5 /c /encrypt /key:abc', 'LoadStateArgs', none)
    expect(res.key).to.equal('abc')
    expect(res.options.decrypt).to.deep.equal({})
    expect(res.notes.join(' ')).to.contain('read as /decrypt')
  })

  it('refuses unparseable extras and store paths in options, drops the step\'s own log switches', () => {
    expect(codeOf(() => parseCaptureExtras('/nosuchoption', 'OSDMigrateAdditionalCaptureOptions', none))).to.equal('USM0302')
    expect(codeOf(() => parseCaptureExtras('D:\\other /o', 'ScanStateArgs', none))).to.equal('USM0302')
    const x = parseCaptureExtras('/l:x.log /uel:30', 'X', none)
    expect(x.options.log).to.equal(undefined)
    expect(x.options.uel).to.equal('30')
  })

  it('merges base and additional options: lists add up, single values of the later text win, %VAR% expands', () => {
    const a = parseCaptureExtras('/v:5 /i:a.xml /ue:*\\*', 'A', none).options
    const b = parseCaptureExtras('/v:13 /i:a.xml /ui:%DOM%\\ann', 'B', (n) => (n === 'DOM' ? 'CONTOSO' : undefined)).options
    const m = mergeOptions(a, b)
    expect(m.verbosity).to.equal(13)
    expect(m.include).to.deep.equal(['a.xml'])
    expect(m.ui).to.deep.equal(['CONTOSO\\ann'])
  })

  it('restore: store kind decides /hardlink /nocompress or /decrypt /keyfile; /lae only when allowed', () => {
    expect(buildLoadStateArgs(finishRestore(restoreDefaults(rb({ kind: 'hardlink' })), rb({ kind: 'hardlink' }), 'C:\\'))).to.include.members(['/hardlink', '/nocompress'])
    const enc = rb({ decrypt: { algorithm: 'AES_256', keyFile: 'C:\\k.txt' } })
    expect(buildLoadStateArgs(finishRestore(restoreDefaults(enc), enc, 'C:\\'))).to.include.members(['/decrypt:AES_256', '/keyfile:C:\\k.txt'])
    const lac = rb({ localAccounts: true, enableLocalAccounts: false })
    const argv = buildLoadStateArgs(finishRestore(restoreDefaults(lac), lac, 'C:\\'))
    expect(argv).to.include('/lac')
    expect(argv).to.not.include('/lae')
  })
})

describe('steps: inputs', () => {
  it('reads MDT lists (NAME001…, NAME1…, comma lists) in order', () => {
    expect(mdtList({ USMTMigFiles002: 'b.xml', usmtmigfiles001: 'a.xml', USMTMigFiles: 'c.xml, d.xml' }, 'USMTMigFiles')).to.deep.equal(['a.xml', 'b.xml', 'c.xml', 'd.xml'])
  })

  it('spots near-miss variable names and leaves exact and unrelated names alone', () => {
    expect(editDistance('OSDMigrageAdditionalCaptureOptions', 'OSDMigrateAdditionalCaptureOptions')).to.equal(1)
    const hits = nearMissVariables(['OSDMigrageAdditionalCaptureOptions', 'osdstatestorepath', 'USMTStepsEncrpytionKey', 'SomethingElse', 'UDProfile'])
    expect(hits).to.deep.include(['OSDMigrageAdditionalCaptureOptions', 'OSDMigrateAdditionalCaptureOptions'])
    expect(hits).to.deep.include(['USMTStepsEncrpytionKey', 'USMTStepsEncryptionKey'])
    expect(hits.map((h) => h[0])).to.not.include('osdstatestorepath')
    expect(hits.map((h) => h[0])).to.not.include('SomethingElse')
  })
})

describe('steps: PE architecture, safety, store layout, key files', () => {
  it('reads the machine type of a PE header and the running architecture', () => {
    expect(peMachineOf(peHeader('arm64'))).to.equal('arm64')
    expect(peMachineOf(peHeader('x86'))).to.equal('x86')
    expect(peMachineOf(Buffer.from('#!/bin/sh\n'.padEnd(128)))).to.equal(null)
    expect(runningArch({ PROCESSOR_ARCHITECTURE: 'x86', PROCESSOR_ARCHITEW6432: 'AMD64' }, 'win32')).to.equal('amd64')
    expect(runningArch({ PROCESSOR_ARCHITECTURE: 'ARM64' }, 'win32')).to.equal('arm64')
  })

  it('hard-link store must be on the profiles\' volume', () => {
    expect(codeOf(() => assertHardLinkVolume({ storePath: 'D:\\Store', profilesPath: 'C:\\Users' }))).to.equal('USM0307')
    expect(codeOf(() => assertHardLinkVolume({ storePath: '\\\\srv\\share\\x', profilesPath: 'C:\\Users' }))).to.equal('USM0307')
    expect(assertHardLinkVolume({ storePath: 'C:\\_SMSTaskSequence\\UserState', profilesPath: 'C:\\Users' })).to.contain('C:')
  })

  it('lists orphaned profiles and cloud-only files, not profiles excluded on purpose', () => {
    const st = emptyProgressState()
    st.detectedUsers.push({ user: 'S-1-5-21-1-2-3-1107', included: false }, { user: 'CONTOSO\\old', included: false }, { user: 'CONTOSO\\ann', included: true })
    st.errors.push({ type: 'UnableToOpen', objectName: 'C:\\Users\\ann\\OneDrive\\a.docx', action: 'Ignore', errorCode: 395 })
    const r = profilesAtRisk(st, userMatcher(['CONTOSO\\o*']))
    expect(r.map((x) => x.kind)).to.deep.equal(['orphaned-profile', 'cloud-only-files'])
    expect(isCloudFileError(32)).to.equal(false)
  })

  it('recognises complete, incomplete and missing stores', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-layout-'))
    try {
      expect(inspectStore(path.join(d, 'nope')).complete).to.equal(false)
      mkdirSync(path.join(d, 'USMT'))
      expect(inspectStore(d).problem).to.contain('did not finish')
      writeFileSync(path.join(d, 'USMT', 'USMT.MIG'), '')
      expect(inspectStore(d).complete).to.equal(false)
      writeFileSync(path.join(d, 'USMT', 'USMT.MIG'), 'x')
      expect(inspectStore(d)).to.include({ complete: true, kind: 'compressed' })
    } finally {
      rmSync(d, { recursive: true, force: true })
    }
  })

  it('key files are private and removed afterwards, also when the work fails', async () => {
    const kf = createKeyFile('k-123')
    expect(statSync(kf.path).mode & 0o777).to.equal(0o600)
    expect(statSync(path.dirname(kf.path)).mode & 0o777).to.equal(0o700)
    expect(readFileSync(kf.path, 'utf8')).to.equal('k-123')
    kf.dispose()
    expect(existsSync(kf.path)).to.equal(false)
    let seen = ''
    try {
      await withKeyFile('k-456', async (f) => {
        seen = f as string
        throw new Error('boom')
      })
    } catch {
      /* expected */
    }
    expect(seen).to.not.equal('')
    expect(existsSync(seen)).to.equal(false)
  })
})

describe('steps/command-line: named users narrow the migration', () => {
  it('UDProfiles or an association\'s users become /ue:*\\* plus one /ui per user, on capture and restore', () => {
    const capture = buildScanStateArgs(finishCapture(captureDefaults(cb({ udProfiles: ['CONTOSO\\ann', 'PC\\bob'] })), cb({ udProfiles: ['CONTOSO\\ann', 'PC\\bob'] }), 'C:\\'))
    expect(capture).to.include.members(['/ue:*\\*', '/ui:CONTOSO\\ann', '/ui:PC\\bob'])
    const restore = buildLoadStateArgs(finishRestore(restoreDefaults(rb({ udProfiles: ['CONTOSO\\ann'] })), rb({ udProfiles: ['CONTOSO\\ann'] }), 'C:\\'))
    expect(restore).to.include.members(['/ue:*\\*', '/ui:CONTOSO\\ann'])
    const everyone = buildLoadStateArgs(finishRestore(restoreDefaults(rb()), rb(), 'C:\\'))
    expect(everyone.some((a) => a.startsWith('/ue') || a.startsWith('/ui'))).to.equal(false)
  })
})
