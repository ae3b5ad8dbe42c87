import { expect } from 'chai'
import { captureDefaults, finishCapture, finishRestore, mergeOptions, parseCaptureExtras, parseRestoreExtras, restoreDefaults, type CaptureBuild, type RestoreBuild } from '../../../src/steps/command-line.js'
import { buildLoadStateArgs, buildScanStateArgs } from '../../../src/usmt/index.js'
import { codeOf } from '../../helpers/errors.js'

const none = (): undefined => undefined
const cb = (over: Partial<CaptureBuild> = {}): CaptureBuild => ({
  storePath: 'C:\\StateStore', xmlFiles: ['MigApp.xml'], continueOnError: true, verbose: false, skipEncryptedFiles: false, vss: false,
  hardLink: false, udProfiles: [], logFile: 'C:\\Logs\\scanstate.log', progressFile: 'C:\\Logs\\scan.prg', ...over,
})
const rb = (over: Partial<RestoreBuild> = {}): RestoreBuild => ({
  storePath: 'C:\\StateStore', kind: 'compressed', xmlFiles: ['MigApp.xml'], continueOnError: true, verbose: false, udProfiles: [],
  localAccounts: false, enableLocalAccounts: true, logFile: 'C:\\Logs\\loadstate.log', progressFile: 'C:\\Logs\\load.prg', ...over,
})
describe('steps/command-line: the scanstate/loadstate command-line builder', () => {
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
