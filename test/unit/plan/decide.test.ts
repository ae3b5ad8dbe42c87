import { expect } from 'chai'
import { decide, withSwitches, withoutHardLink } from '../../../src/plan/decide.js'
import { defaultPolicy, policyFromObject } from '../../../src/plan/policy.js'
import type { DecisionRecord, Facts, PlanFailure, PlanInput, Policy } from '../../../src/plan/types.js'

const GB = 1024 ** 3

function facts(over: Partial<Facts> = {}): Facts {
  return {
    inWinPE: false, systemDrive: 'C:', profilesVolume: 'C:', estimateBytes: 20 * GB, source: 'test',
    volumes: [
      { letter: 'C:', fileSystem: 'NTFS', totalBytes: 256 * GB, freeBytes: 100 * GB, bitLocker: 'off' },
      { letter: 'D:', fileSystem: 'NTFS', totalBytes: 512 * GB, freeBytes: 400 * GB, bitLocker: 'off' },
    ],
    ...over,
  }
}

function policy(doc: Record<string, unknown> = {}): Policy {
  return policyFromObject(doc, 'policy.yaml')
}

function ok(input: Partial<PlanInput> & { variables?: Record<string, string> }): DecisionRecord {
  const r = decide({ variables: {}, policy: defaultPolicy(), facts: facts(), ...input })
  if (!r.ok) throw new Error(`expected a decision, got ${r.failure.code}: ${r.failure.message}`)
  return r.decision
}

function failed(input: Partial<PlanInput> & { variables?: Record<string, string> }): PlanFailure {
  const r = decide({ variables: {}, policy: defaultPolicy(), facts: facts(), ...input })
  if (r.ok) throw new Error(`expected a failure, got ${r.decision.storeType} (${r.decision.rule})`)
  return r.failure
}

const SHARES = { shares: [{ path: '\\\\fs1\\migstore', maxClients: 50, minFree: '10GB' }, '\\\\fs2\\migstore'] }
const CM = { _SMSTSMP: 'http://mp01.contoso.com', _SMSTSMachineName: 'PC042' }

describe('plan decide (the decision table)', () => {
  it('row 1: UserDataLocation=NONE → no store, later steps skip', () => {
    const d = ok({ variables: { UserDataLocation: 'none', OSDStateStorePath: 'C:\\old' } })
    expect(d.storeType).to.equal('none')
    expect(d.storePath).to.equal(null)
    expect(d.rule).to.equal('user-data-none')
    expect(d.variables).to.include({ OSDStateStorePath: '', USMTStepsStoreType: 'none', USMTLocal: 'True', USMTStepsHardLink: 'false' })
  })

  it('row 2: OSDStateStorePath already UNC → that network store as given', () => {
    const d = ok({ variables: { OSDStateStorePath: '\\\\srv\\share\\PC1\\' } })
    expect(d).to.include({ storeType: 'share', storePath: '\\\\srv\\share\\PC1', rule: 'store-path-given' })
    expect(d.variables).to.include({ OSDStateStorePath: '\\\\srv\\share\\PC1', USMTLocal: 'True', USMTStepsStoreType: 'share' })
  })

  it('row 2 under ConfigMgr: a UNC set by Request State Store is an SMP store (USMTLocal=False so Release runs)', () => {
    const d = ok({ variables: { ...CM, OSDStateStorePath: '\\\\smp01\\SMPSTOREa1b2$\\0B8C2F1E' } })
    expect(d.storeType).to.equal('smp')
    expect(d.variables.USMTLocal).to.equal('False')
    expect(d.reasons.join(' ')).to.match(/Request State Store/)
  })

  it('row 2 under ConfigMgr: a UNC on a policy share stays a share store', () => {
    const d = ok({ variables: { ...CM, OSDStateStorePath: '\\\\FS1\\MIGSTORE\\PC042-20261120T000000Z-0a1b2c3d' }, policy: policy(SHARES) })
    expect(d.storeType).to.equal('share')
  })

  it('row 2 failure: the given store type is not allowed by the policy', () => {
    const f = failed({ variables: { OSDStateStorePath: '\\\\srv\\share\\PC1' }, policy: policy({ allowedStores: ['hardlink'] }) })
    expect(f.code).to.equal('USM0404')
    expect(f.rejected[0]).to.include({ storeType: 'share' })
  })

  it('row 3: UserDataLocation or StatePath as a UNC path → that folder (MDT)', () => {
    expect(ok({ variables: { UserDataLocation: '\\\\srv\\users\\%ComputerName%', ComputerName: 'PC9' } })).to.include({ storeType: 'share', storePath: '\\\\srv\\users\\PC9', rule: 'user-data-path' })
    expect(ok({ variables: { StatePath: '\\\\srv\\state\\x' } })).to.include({ storePath: '\\\\srv\\state\\x', rule: 'user-data-path' })
  })

  it('row 4: replace + UDShare/UDDir → UDShare\\UDDir', () => {
    const d = ok({ variables: { DeploymentType: 'REPLACE', UDShare: '\\\\srv\\MigData', UDDir: '%OSDComputerName%', OSDComputerName: 'PC7' } })
    expect(d).to.include({ storeType: 'share', storePath: '\\\\srv\\MigData\\PC7', rule: 'network-udshare', scenario: 'replace' })
    expect(d.rejected.map((r) => r.storeType)).to.include('hardlink')
  })

  it('row 4: UDDir defaults to the computer name', () => {
    const d = ok({ variables: { DeploymentType: 'REPLACE', UDShare: '\\\\srv\\MigData', _SMSTSMachineName: 'OLDPC' } })
    expect(d.storePath).to.equal('\\\\srv\\MigData\\OLDPC')
    expect(d.reasons.join(' ')).to.match(/defaults to the computer name/)
  })

  it('row 4: replace + policy shares → share store picked later by store request', () => {
    const d = ok({ scenario: 'replace', policy: policy(SHARES) })
    expect(d).to.include({ storeType: 'share', storePath: null, rule: 'network-policy-share' })
    expect(d.shares).to.deep.equal(['\\\\fs1\\migstore', '\\\\fs2\\migstore'])
    expect(d.variables).to.include({ USMTStepsStoreRequest: 'true', OSDStateStorePath: '', USMTLocal: 'True' })
  })

  it('row 4: replace under ConfigMgr without shares → the SMP (native Request State Store runs)', () => {
    const d = ok({ scenario: 'replace', variables: CM })
    expect(d).to.include({ storeType: 'smp', storePath: null, rule: 'network-smp' })
    expect(d.variables).to.include({ USMTLocal: 'False', USMTStepsStoreType: 'smp', USMTStepsEncrypt: 'true' })
  })

  it('row 4: preferredStore smp is tried before the policy shares', () => {
    const d = ok({ scenario: 'replace', variables: CM, policy: policy({ ...SHARES, preferredStore: 'smp' }) })
    expect(d.storeType).to.equal('smp')
    expect(d.rejected.find((r) => r.storeType === 'share')?.reason).to.match(/not needed/)
  })

  it('row 4 failure: replace with no network store configured → clear failure, never a local store', () => {
    const f = failed({ variables: { DeploymentType: 'replace' } })
    expect(f.code).to.equal('USM0402')
    expect(f.rejected.map((r) => r.storeType)).to.have.members(['hardlink', 'share', 'smp'])
    expect(f.rejected.find((r) => r.storeType === 'smp')?.reason).to.match(/_SMSTSMP/)
  })

  it('row 4 failure: replace when the policy allows only hard links', () => {
    expect(failed({ scenario: 'replace', policy: policy({ allowedStores: ['hardlink'], ...SHARES }) }).code).to.equal('USM0404')
  })

  it('row 4: UserDataLocation=NETWORK in a refresh also needs a network store', () => {
    const d = ok({ variables: { UserDataLocation: 'NETWORK', UDShare: '\\\\srv\\m', UDDir: 'x' } })
    expect(d).to.include({ storeType: 'share', storePath: '\\\\srv\\m\\x', scenario: 'refresh', rule: 'network-udshare' })
    expect(failed({ variables: { UserDataLocation: 'NETWORK' } }).code).to.equal('USM0402')
  })

  it('--scenario replace overrides DeploymentType', () => {
    expect(ok({ scenario: 'replace', variables: { DeploymentType: 'REFRESH', UDShare: '\\\\s\\m' , ComputerName: 'A' } }).scenario).to.equal('replace')
    expect(ok({ scenario: 'refresh', variables: { DeploymentType: 'REPLACE' } }).storeType).to.equal('hardlink')
  })

  it('row 5: refresh → local hard-link store at %SystemDrive%\\StateStore with the hard-link switches', () => {
    const d = ok({ variables: { OSDMigrateAdditionalCaptureOptions: '/ue:*\\* /ui:CONTOSO\\*' } })
    expect(d).to.include({ storeType: 'hardlink', storePath: 'C:\\StateStore', rule: 'refresh-hardlink', scenario: 'refresh' })
    expect(d.variables).to.include({
      OSDStateStorePath: 'C:\\StateStore', USMTLocal: 'True', USMTStepsHardLink: 'true', USMTStepsEncrypt: 'false',
      OSDMigrateAdditionalCaptureOptions: '/ue:*\\* /ui:CONTOSO\\* /hardlink /efs:hardlink /nocompress',
      OSDMigrateAdditionalRestoreOptions: '/hardlink /nocompress',
    })
  })

  it('row 5: _SMSTSUserStatePath is preferred (it survives Apply Operating System)', () => {
    const d = ok({ variables: { _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState' } })
    expect(d.storePath).to.equal('C:\\_SMSTaskSequence\\UserState')
    expect(d.reasons.join(' ')).to.match(/_SMSTSUserStatePath/)
  })

  it('row 5 fallback (AUTO): store volume is not the profiles volume → UDShare', () => {
    const d = ok({ variables: { UserDataLocation: 'AUTO', _SMSTSUserStatePath: 'D:\\_SMSTaskSequence\\UserState', UDShare: '\\\\srv\\m', ComputerName: 'PC1' } })
    expect(d).to.include({ storeType: 'share', storePath: '\\\\srv\\m\\PC1', rule: 'refresh-fallback-udshare' })
    expect(d.rejected.find((r) => r.storeType === 'hardlink')?.reason).to.match(/profiles are on C:.*cannot cross volumes/)
    expect(d.variables.OSDMigrateAdditionalCaptureOptions).to.equal('')
  })

  it('row 5 fallback: not NTFS → policy shares (blank UserDataLocation, fallbackToNetwork default true)', () => {
    const f = facts({ volumes: [{ letter: 'C:', fileSystem: 'ReFS', totalBytes: 100 * GB, freeBytes: 90 * GB, bitLocker: 'off' }] })
    const d = ok({ facts: f, policy: policy(SHARES) })
    expect(d).to.include({ storeType: 'share', rule: 'refresh-fallback-policy-share' })
    expect(d.rejected[0].reason).to.match(/ReFS, hard-link stores need NTFS/)
  })

  it('row 5 fallback: no room for the hard-link overhead (reserve + estimate) → SMP under ConfigMgr', () => {
    const f = facts({ volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 100 * GB, freeBytes: 450 * 1024 ** 2, bitLocker: 'off' }] })
    const d = ok({ facts: f, variables: CM, estimateBytes: 10 * GB })
    expect(d).to.include({ storeType: 'smp', rule: 'refresh-fallback-smp' })
    expect(d.rejected[0].reason).to.match(/needs .*reserve \+ 1% of the 10\.0 GB estimate/)
    expect(d.inputs.estimateBytes).to.equal(10 * GB)
    // the same machine with no estimate fits (only the 400 MB reserve)
    expect(ok({ facts: { ...f, estimateBytes: null }, variables: CM }).storeType).to.equal('hardlink')
  })

  it('row 5 fallback: BitLocker on in WinPE rejects hard links; in the full OS it is allowed with a note', () => {
    const on = facts({ inWinPE: true, volumes: [{ letter: 'C:', fileSystem: 'NTFS', totalBytes: 100 * GB, freeBytes: 50 * GB, bitLocker: 'on' }] })
    const d = ok({ facts: on, variables: { UDShare: '\\\\s\\m', ComputerName: 'A' } })
    expect(d.storeType).to.equal('share')
    expect(d.rejected[0].reason).to.match(/BitLocker/)
    const full = ok({ facts: { ...on, inWinPE: false } })
    expect(full.storeType).to.equal('hardlink')
    expect(full.reasons.join(' ')).to.match(/suspend BitLocker/)
    expect(ok({ facts: { ...on, volumes: [{ ...on.volumes[0], bitLocker: 'suspended' }] } }).storeType).to.equal('hardlink')
  })

  it('row 5 failure: hard link impossible and fallbackToNetwork false (blank UserDataLocation) → USM0403 with the reason', () => {
    const f = failed({ variables: { _SMSTSUserStatePath: 'D:\\x' }, policy: policy({ fallbackToNetwork: false, ...SHARES }) })
    expect(f.code).to.equal('USM0403')
    expect(f.message).to.match(/cannot cross volumes.*not allowed \(fallbackToNetwork: false/)
  })

  it('row 5 failure: an explicit local UserDataLocation/StatePath never falls back', () => {
    const f = failed({ variables: { UserDataLocation: 'D:\\Mig', UDShare: '\\\\s\\m' } })
    expect(f.code).to.equal('USM0403')
    expect(f.rejected[0]).to.include({ storeType: 'hardlink', storePath: 'D:\\Mig' })
    expect(ok({ variables: { StatePath: 'C:\\MigState' } })).to.include({ storeType: 'hardlink', storePath: 'C:\\MigState' })
  })

  it('row 5 failure: fallback allowed but no network store configured → USM0402', () => {
    const f = failed({ variables: { UserDataLocation: 'AUTO', _SMSTSUserStatePath: 'D:\\x' } })
    expect(f.code).to.equal('USM0402')
  })

  it('row 5: a drive root or an unknown volume is never a hard-link store', () => {
    expect(failed({ variables: { StatePath: 'C:\\' } }).rejected[0].reason).to.match(/drive root/)
    expect(failed({ variables: { StatePath: 'Q:\\store' } }).rejected[0].reason).to.match(/not among the machine's volumes/)
  })

  it('row 5: a local OSDStateStorePath from an earlier plan is re-checked, not trusted', () => {
    const d = ok({ variables: { OSDStateStorePath: 'C:\\StateStore' } })
    expect(d.storePath).to.equal('C:\\StateStore')
    expect(d.reasons.join(' ')).to.match(/re-checked/)
  })

  it('policy: hard links not allowed → network store in a refresh; preferredStore share skips hard links', () => {
    const d = ok({ policy: policy({ allowedStores: ['share'], ...SHARES }) })
    expect(d.storeType).to.equal('share')
    expect(d.rejected[0].reason).to.match(/not allowed by the policy/)
    const p = ok({ policy: policy({ preferredStore: 'share', ...SHARES }) })
    expect(p.storeType).to.equal('share')
    expect(p.rejected.find((r) => r.storeType === 'hardlink')?.reason).to.match(/prefers share/)
    expect(failed({ policy: policy({ allowedStores: ['hardlink'] }), facts: facts({ profilesVolume: 'D:' }) }).code).to.equal('USM0403')
  })

  it('unresolvable profiles: fail stops the plan, warn records it', () => {
    const f = facts({ unresolvableProfiles: ['CONTOSO\\gone'] })
    const stop = failed({ facts: f })
    expect(stop.code).to.equal('USM0405')
    expect(stop.message).to.match(/CONTOSO\\gone/)
    const warn = ok({ facts: f, policy: policy({ unresolvableProfiles: 'warn' }) })
    expect(warn.reasons.join(' ')).to.match(/warning: 1 profile/)
    expect(warn.variables.USMTStepsUnresolvableProfiles).to.equal('warn')
    expect(ok({ facts: f, variables: { UserDataLocation: 'NONE' } }).storeType).to.equal('none')
  })

  it('encryption: encryptNetworkStores marks share stores encrypted, never hard-link stores', () => {
    const p = policy({ encryptNetworkStores: true, ...SHARES })
    expect(ok({ scenario: 'replace', policy: p }).variables.USMTStepsEncrypt).to.equal('true')
    expect(ok({ policy: p }).variables.USMTStepsEncrypt).to.equal('false')
  })

  it('switch helpers keep the admin\'s switches and never duplicate', () => {
    expect(withSwitches('/c /HARDLINK', ['/hardlink', '/nocompress'])).to.equal('/c /HARDLINK /nocompress')
    expect(withoutHardLink('/c /hardlink /efs:hardlink /nocompress')).to.equal('/c /nocompress')
  })

  it('records the inputs it read', () => {
    const d = ok({ variables: { DeploymentType: 'REFRESH', UserPassword: 'secret', _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState' } })
    expect(d.inputs.variables).to.deep.equal({ DeploymentType: 'REFRESH', _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState' })
    expect(d.inputs.policy).to.equal('defaults')
  })
})
