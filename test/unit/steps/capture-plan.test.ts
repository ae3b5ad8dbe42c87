import { expect } from 'chai'
import * as nodePath from 'node:path'
import { captureLogFiles, decideCaptureStore, judgeLeftOut, planCaptureCommand } from '../../../src/steps/capture-plan.js'
import { parseCaptureExtras } from '../../../src/steps/command-line.js'
import type { StepInputs } from '../../../src/steps/inputs.js'
import type { OfflinePlan } from '../../../src/steps/offline.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { emptyProgressState } from '../../../src/usmt/progress-log.js'
import { isWindowsPath } from '../../../src/windows/path.js'

/** The capture's decisions are pure functions of the inputs, the option texts and the run's progress. */
describe('steps/capture-plan', () => {
  const none = parseCaptureExtras(undefined, 'ScanStateArgs', () => undefined)
  const inputs = (over: Partial<StepInputs>): StepInputs => ({
    storeType: undefined, replace: false, encryptNetworkStore: true, continueOnError: false, verbose: false, skipEncryptedFiles: false, vss: false,
    udProfiles: [], algorithm: 'AES_256', profilesAtRisk: 'fail', ...over,
  }) as StepInputs

  describe('decideCaptureStore', () => {
    it('encrypts a network store and refuses one without a key', () => {
      expect(decideCaptureStore(inputs({ key: 'k' }), '\\\\srv\\mig\\PC1', none, none)).to.deep.equal({ network: true, hardLink: false, encrypt: true, key: 'k' })
      expect(() => decideCaptureStore(inputs({}), '\\\\srv\\mig\\PC1', none, none)).to.throw(UsmtStepsError, /must be encrypted/).with.property('code', 'USM0303')
    })

    it('keeps a local hard-link store unencrypted and refuses one that leaves the machine', () => {
      expect(decideCaptureStore(inputs({ storeType: 'hardlink' }), 'C:\\StateStore', none, none)).to.include({ network: false, hardLink: true, encrypt: false })
      const hard = parseCaptureExtras('/hardlink /nocompress', 'OSDMigrateAdditionalCaptureOptions', () => undefined)
      expect(() => decideCaptureStore(inputs({ replace: true }), 'C:\\StateStore', none, hard)).to.throw(/cannot move to another computer/)
    })

    it('tells Windows paths from local ones (the store path is normalised only for Windows paths)', () => {
      expect(['C:\\x', 'c:x', '\\\\srv\\share\\x', '\\\\?\\C:\\x'].map(isWindowsPath)).to.deep.equal([true, true, true, true])
      expect(['/tmp/x', '//srv/share', './store', 'store'].map(isWindowsPath)).to.deep.equal([false, false, false, false])
    })
  })

  describe('planCaptureCommand', () => {
    const logDir = nodePath.join('/tmp', 'logs')
    const plan = (over: Partial<Parameters<typeof planCaptureCommand>[0]>, extra = none) => planCaptureCommand({
      inputs: inputs({}), usmtStore: 'C:\\StateStore', xmlFiles: ['MigDocs.xml'], store: { network: false, hardLink: false, encrypt: false }, logDir, cwd: '/tmp', ...over,
    }, none, extra)

    it('puts the store once, the logs and the default /listfiles into the log folder, in scanstate argument order', () => {
      const files = captureLogFiles(logDir)
      const { options, kind, argv } = plan({})
      expect(kind).to.equal('compressed')
      expect(options.listFiles).to.equal(files.listFiles)
      expect(argv[0]).to.equal('C:\\StateStore')
      expect(argv.filter((a) => a === 'C:\\StateStore')).to.have.length(1)
      expect(argv).to.include.members(['/i:MigDocs.xml', `/l:${files.log}`, `/progress:${files.progress}`, `/listfiles:${files.listFiles}`, '/o'])
    })

    it('encrypts through the key file of the run, never with the key on the command line', () => {
      const { options, argv } = plan({ store: { network: true, hardLink: false, encrypt: true, key: 'secret' }, keyFile: '/run/key' })
      expect(options.encrypt).to.deep.equal({ algorithm: 'AES_256' })
      expect(argv).to.include.members(['/encrypt:AES_256', '/keyfile:/run/key'])
      expect(argv.join(' ')).not.to.contain('secret')
    })

    it('a hard-link store gets /hardlink /nocompress /efs:hardlink; offline names the Windows folder', () => {
      const offline = { switch: 'offlineWinDir', winDir: 'D:\\Windows' } as OfflinePlan
      const { kind, argv } = plan({ store: { network: false, hardLink: true, encrypt: false }, offline })
      expect(kind).to.equal('hardlink')
      expect(argv).to.include.members(['/hardlink', '/nocompress', '/efs:hardlink', '/offlineWinDir:D:\\Windows'])
    })
  })

  describe('judgeLeftOut', () => {
    const progress = { ...emptyProgressState(), detectedUsers: [{ user: 'PC1\\alice', included: true }, { user: 'PC1\\bob', included: false }] }

    it('a left-out profile stops a refresh under USMTStepsProfilesAtRisk=fail, and only warns in a replace or under warn', () => {
      const opts = { ui: [], ue: [], uel: undefined }
      expect(judgeLeftOut(progress, opts, [], 'fail', true)).to.include({ action: 'fail' })
      expect(judgeLeftOut(progress, opts, [], 'fail', true).risky.map((r) => r.user)).to.deep.equal(['PC1\\bob'])
      expect(judgeLeftOut(progress, opts, [], 'fail', false).action).to.equal('warn')
      expect(judgeLeftOut(progress, opts, [], 'warn', true).action).to.equal('warn')
      expect(judgeLeftOut(progress, opts, [], 'ignore', true).action).to.equal('log')
    })

    it('left out on purpose by /ue (not named by /ui) is no risk; a never-used profile is said, never a stop', () => {
      expect(judgeLeftOut(progress, { ui: [], ue: ['PC1\\bob'], uel: undefined }, [], 'fail', true)).to.include({ action: 'none' })
      expect(judgeLeftOut(progress, { ui: ['PC1\\bob'], ue: ['*\\*'], uel: undefined }, [], 'fail', true).action).to.equal('fail')
      const v = judgeLeftOut(progress, { ui: [], ue: [], uel: undefined }, [{ account: 'PC1\\bob', profile: 'C:\\Users\\bob', neverUsed: true }], 'fail', true)
      expect(v.action).to.equal('none')
      expect(v.neverUsed.map((r) => r.user)).to.deep.equal(['PC1\\bob'])
    })
  })
})
