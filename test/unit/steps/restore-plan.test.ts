import { expect } from 'chai'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { parseRestoreExtras } from '../../../src/steps/command-line.js'
import type { StepInputs } from '../../../src/steps/inputs.js'
import type { RestoreProof } from '../../../src/steps/proof.js'
import {
  byHand, catalogSealPlan, decideRestoreStore, judgeUsers, planRestoreCommand, proofProblem, restoreLogFiles, storeAfterRestore, userMappings, verifyArgv, verifyVerdict,
} from '../../../src/steps/restore-plan.js'
import type { StoreMeta } from '../../../src/store/layout.js'

/** The restore's decisions are pure functions of the inputs, the store's description and the run's results. */
describe('steps/restore-plan', () => {
  const none = parseRestoreExtras(undefined, 'LoadStateArgs', () => undefined)
  const meta = (over: Partial<StoreMeta>): StoreMeta => ({ schema: 1, kind: 'compressed', encrypted: false, engine: 'portable', capturedAt: '2026-01-01T00:00:00Z', usmtReturnCode: 0, users: [], ...over })
  const inputs = (over: Partial<StepInputs>): StepInputs => ({
    continueOnError: false, verbose: false, udProfiles: [], localAccounts: false, lacPasswordOnCommandLine: false, ...over,
  }) as StepInputs

  it('userMappings: from USMTStepsUserMapArgs, else from the store; anything but /mu and /md is USM0302', () => {
    const fromVar = userMappings('/mu:PC1\\bob:DOM\\bob', {}, () => undefined)
    expect(fromVar.source).to.equal('USMTStepsUserMapArgs')
    expect(fromVar.mapped.options.mu).to.deep.include({ from: 'PC1\\bob', to: 'DOM\\bob', raw: 'PC1\\bob:DOM\\bob' })
    const fromStore = userMappings(undefined, { meta: meta({ userMap: ['/mu:PC1\\amy:DOM\\amy'] }) }, () => undefined)
    expect(fromStore.source).to.equal(`the store's usmt-steps.json`)
    expect(fromStore.mapped.options.mu.map((m) => m.to)).to.deep.equal(['DOM\\amy'])
    expect(userMappings(undefined, {}, () => undefined).source).to.equal(undefined)
    expect(() => userMappings('/mu:a:b /c', {}, () => undefined)).to.throw(UsmtStepsError, /may only hold \/mu and \/md/).with.property('code', 'USM0302')
  })

  it('decideRestoreStore: the store\'s own description wins; an encrypted store without a key is USM0303', () => {
    expect(decideRestoreStore({ meta: meta({ kind: 'hardlink' }) }, 'C:\\S', 'k', true, 'AES_128')).to.deep.equal({ kind: 'hardlink', encrypted: false, algorithm: 'AES_128' })
    expect(decideRestoreStore({ meta: meta({ encrypted: true, algorithm: 'AES_256' }) }, 'C:\\S', 'k', false, 'AES_128')).to.deep.equal({ kind: 'compressed', encrypted: true, algorithm: 'AES_256' })
    expect(decideRestoreStore({ kind: 'uncompressed' }, 'C:\\S', 'k', false, 'AES_128').encrypted).to.equal(false)
    expect(decideRestoreStore({}, 'C:\\S', undefined, false, 'AES_128').encrypted).to.equal(false)
    expect(() => decideRestoreStore({}, 'C:\\S', undefined, true, 'AES_128')).to.throw(/is encrypted but/).with.property('code', 'USM0303')
  })

  it('verify: only a compressed store with its .MIG; the return codes that refuse the store', () => {
    const files = restoreLogFiles('/logs', 'microsoft')
    expect(files.applied).to.equal(undefined)
    expect(restoreLogFiles('/logs', 'portable').applied).to.equal(nodePath.join('/logs', 'loadstate-applied.jsonl'))
    const base = { kind: 'compressed' as const, migFile: '/store/USMT/USMT.MIG', usmtStore: 'C:\\S', encrypted: true, algorithm: 'AES_256', keyFile: '/k', log: files.verify }
    expect(verifyArgv({ ...base, kind: 'hardlink', engine: 'portable' })).to.equal(null)
    expect(verifyArgv({ ...base, migFile: undefined, engine: 'portable' })).to.equal(null)
    const argv = verifyArgv({ ...base, engine: 'microsoft' }) as string[]
    expect(argv.join(' ')).to.contain(nodePath.join('C:\\S', 'USMT', 'USMT.MIG')).and.contain('/decrypt:AES_256').and.contain('/keyfile:/k')
    expect([27, 37, 38, 42].map((c) => verifyVerdict(c).refuse)).to.deep.equal(['USM0304', 'USM0311', 'USM0311', 'USM0311'])
    expect(verifyVerdict(0)).to.deep.equal({ verified: true })
    expect(verifyVerdict(61)).to.deep.equal({ verified: false })
  })

  it('catalog seal (issue #20 item 5): with USMTStepsStoreSealKey the seal is checked by usmtutils /verify before the restore and a rewritten catalog is USM0319; without it the restore says what was not checked', () => {
    const key = 'a'.repeat(64)
    expect(catalogSealPlan(true, key, 'C:\\S')).to.deep.equal({ key, state: 'verified' })
    // An unsealed catalog with a key goes to /verify too, which refuses it (a seal cannot be stripped).
    expect(catalogSealPlan(false, key, 'C:\\S')).to.deep.equal({ key, state: 'verified' })
    // A store of another kind in place of the sealed one: refused before anything runs.
    expect(() => catalogSealPlan(undefined, key, 'C:\\S')).to.throw(/was replaced after the capture/).with.property('code', 'USM0319')
    expect(catalogSealPlan(true, '', 'C:\\S')).to.include({ state: 'unchecked' }).and.have.property('warning').that.includes('USMTStepsStoreSealKey is empty')
    expect(catalogSealPlan(false, undefined, 'C:\\S')).to.include({ state: 'unsealed' }).and.have.property('warning').that.includes('not sealed')
    expect(catalogSealPlan(undefined, undefined, 'C:\\S')).to.deep.equal({})
    const argv = verifyArgv({ kind: 'hardlink', usmtStore: '/store', engine: 'portable', encrypted: false, algorithm: 'AES_256', sealKeyFile: '/seal', log: '/v.log' }) as string[]
    expect(argv).to.include('/verify:catalog').and.include('/store').and.include('--seal-key-file=/seal')
    expect(argv.join(' ')).to.not.contain(key)
    expect(verifyVerdict(42, true).refuse).to.equal('USM0319')
    expect(verifyVerdict(0, true)).to.deep.equal({ verified: true })
  })

  it('planRestoreCommand: defaults < LoadStateArgs < additional < mappings; the engine\'s flags before --applied; the password only when opted in', () => {
    const files = restoreLogFiles('/logs', 'portable')
    const extra = parseRestoreExtras('/v:13', 'OSDMigrateAdditionalRestoreOptions', () => undefined)
    const mapped = userMappings('/mu:PC1\\bob:DOM\\bob', {}, () => undefined).mapped
    const p = {
      inputs: inputs({}), engine: 'portable' as const, usmtStore: '/store', store: { kind: 'compressed' as const, encrypted: true, algorithm: 'AES_256' }, keyFile: '/k',
      xmlFiles: [], files, toolFlags: ['--computer=PC2'], cwd: '/tmp',
    }
    const { options, argv } = planRestoreCommand(p, [none, extra, mapped])
    expect(options.verbosity).to.equal(13)
    expect(options.mu.map((m) => m.to)).to.deep.equal(['DOM\\bob'])
    expect(argv.slice(-2)).to.deep.equal(['--computer=PC2', `--applied=${files.applied}`])
    expect(argv).to.include.members(['/decrypt:AES_256', '/keyfile:/k'])
    const lac = (engine: 'microsoft' | 'portable', onCommandLine: boolean) => planRestoreCommand({
      ...p, engine, inputs: inputs({ localAccounts: true, lacPasswordOnCommandLine: onCommandLine, localAccountPassword: 'Pa55' }),
    }, [none]).options
    expect(lac('microsoft', false)).to.deep.include({ lac: {}, lae: false })
    expect(lac('microsoft', true)).to.deep.include({ lac: { password: 'Pa55' }, lae: true })
    expect(lac('portable', false)).to.deep.include({ lac: {}, lae: true })
  })

  it('judgeUsers: the last line about a user decides; users left behind are a problem unless a selection at restore asked for it', () => {
    const progress = { detectedUsers: [{ user: 'PC1\\bob', included: false }, { user: 'PC1\\amy', included: true }, { user: 'pc1\\BOB', included: true }, { user: 'PC1\\joe', included: false }] }
    const all = { ui: [], ue: [], uel: undefined, lac: undefined }
    const v = judgeUsers(progress, all)
    expect(v.users).to.deep.equal(['pc1\\BOB', 'PC1\\amy'])
    expect(v.leftBehind).to.deep.equal(['PC1\\joe'])
    expect(v.message).to.contain('did not restore 1 user(s)').and.contain('without /lac')
    expect(judgeUsers(progress, { ...all, ui: ['PC1\\amy'] }).message).to.equal(undefined)
  })

  it('proofProblem and storeAfterRestore', () => {
    const proof = (over: Partial<RestoreProof>): RestoreProof => ({ checked: true, verified: 3, missing: [], changed: [], notRestored: 0, methods: { content: 3, 'same-file': 0, 'size-time': 0, size: 0 }, method: '', durationMs: 0, bytesRead: 0, ...over })
    expect(proofProblem(proof({}))).to.equal(null)
    expect(proofProblem(proof({ checked: false, missing: [{ path: 'C:\\a', source: 'a', why: 'gone' }] }))).to.equal(null)
    expect(proofProblem(proof({ missing: [{ path: 'C:\\a', source: 'a', why: 'gone' }], changed: [{ path: 'C:\\b', source: 'b', why: 'size' }] })))
      .to.equal('the proof after the restore found 1 missing and 1 changed file(s) of 5: missing C:\\a; changed C:\\b (size)')
    expect(storeAfterRestore('compressed', false, undefined, 0)).to.deep.equal({ remove: false, kept: 'network and compressed stores are released by store release / retention' })
    expect(storeAfterRestore('compressed', false, 'users were left behind', 0)).to.deep.equal({ remove: false, kept: 'users were left behind' })
    expect(storeAfterRestore('hardlink', true, 'users were left behind', 0)).to.deep.equal({ remove: false, kept: 'USMTStepsKeepStore=true' })
    expect(storeAfterRestore('hardlink', false, 'users were left behind', 0)).to.deep.equal({ remove: false, kept: 'users were left behind' })
    expect(storeAfterRestore('hardlink', false, undefined, 3)).to.include({ remove: false, warn: true })
    expect(storeAfterRestore('hardlink', false, undefined, 0)).to.deep.equal({ remove: true })
  })

  it('byHand: the key file is a placeholder; a Microsoft folder with spaces is quoted', () => {
    expect(byHand({ engine: 'portable' }, ['/store', '/keyfile:/tmp/k1'], '/tmp/k1')).to.equal('usmt-steps loadstate /store "/keyfile:<file holding the store key>"')
    expect(byHand({ engine: 'microsoft', dir: 'C:/Program Files/USMT' }, ['C:\\S'], undefined)).to.match(/^"C:\/Program Files\/USMT\/loadstate\.exe" C:\\S$/)
  })
})
