import { stepVariables } from '../runtime/variables.js'
import { caseInsensitiveLookup, driveOf, expandEnv, isUnc, isUnder, join, normalize, parseWinPath } from '../windows/path.js'
import type {
  DecisionRecord, Facts, PlanFailure, PlanInput, PlanInputsSummary, PlanResult, Policy, Rejected, RuleId, Scenario, StoreType, VolumeFact,
} from './types.js'

/** Variables `plan` reads (recorded in the decision's inputs). */
export const PLAN_INPUT_VARIABLES = [
  'DeploymentType', 'UserDataLocation', 'UDShare', 'UDDir', 'StatePath', 'OSDStateStorePath', '_SMSTSInWinPE', '_SMSTSUserStatePath',
  '_SMSTSMP', '_SMSTSMachineName', 'OSDComputerName', 'ComputerName', 'OSDMigrateAdditionalCaptureOptions', 'OSDMigrateAdditionalRestoreOptions',
] as const

const HARDLINK_CAPTURE = ['/hardlink', '/efs:hardlink', '/nocompress']
const HARDLINK_RESTORE = ['/hardlink', '/nocompress']
const GIB = 1024 ** 3

export function formatBytes(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(1)} GB`
  if (n < 1024 ** 2) return `${n} bytes`
  return `${Math.ceil(n / 1024 ** 2)} MB`
}

/** Add switches that are missing (case-insensitive, whole tokens), keeping the admin's own text first. */
export function withSwitches(options: string, switches: readonly string[]): string {
  const tokens = options.split(/\s+/).filter(Boolean)
  const has = (s: string): boolean => tokens.some((t) => t.toLowerCase() === s.toLowerCase())
  return [...tokens, ...switches.filter((s) => !has(s))].join(' ')
}

/** Remove `/hardlink` and `/efs:hardlink` left over from an earlier plan: they break network stores. */
export function withoutHardLink(options: string): string {
  return options.split(/\s+/).filter((t) => t && !/^\/(hardlink|efs:hardlink)$/i.test(t)).join(' ')
}

interface Candidate {
  storeType: StoreType
  storePath: string | null
  rule: RuleId
  reasons: string[]
  shares?: string[]
}

type Evaluation = { ok: true; candidate: Candidate } | { ok: false; rejected: Rejected[] }

/**
 * The store decision, as one pure function of variables, policy and facts. Rules, in order (README table):
 *  1. UserDataLocation=NONE → no store.
 *  2. OSDStateStorePath is a UNC path → that network store, as given (an SMP store under ConfigMgr unless it
 *     lies on a known share).
 *  3. UserDataLocation or StatePath is a UNC path → that folder is the network store (MDT).
 *  4. replace (DeploymentType=REPLACE or --scenario replace) or UserDataLocation=NETWORK → a network store:
 *     UDShare\UDDir (UDDir defaults to the computer name), else the policy's shares, else the ConfigMgr SMP;
 *     none configured → failure, never a silent local store.
 *  5. refresh → a local hard-link store at the explicit local path, _SMSTSUserStatePath or
 *     %SystemDrive%\StateStore, only on the profiles' volume, NTFS, unlocked, with room for the overhead;
 *     otherwise a network store (as in 4) when the fallback is allowed (UserDataLocation=AUTO, or blank and
 *     the policy's fallbackToNetwork), else failure with the reasons.
 * The policy's allowedStores filters every candidate and preferredStore is tried first.
 */
export function decide(input: PlanInput): PlanResult {
  const get = caseInsensitiveLookup(input.variables)
  const v = (name: string): string => (get(name) ?? '').trim()
  const { policy, facts } = input
  const estimate = input.estimateBytes ?? facts.estimateBytes ?? null
  const scenario: Scenario = input.scenario ?? (v('DeploymentType').toUpperCase() === 'REPLACE' ? 'replace' : 'refresh')
  const udl = v('UserDataLocation')
  const udlUpper = udl.toUpperCase()
  const computer = v('_SMSTSMachineName') || v('OSDComputerName') || v('ComputerName') || facts.computerName || ''
  const inConfigMgr = v('_SMSTSMP') !== ''
  const reasons: string[] = []
  const rejected: Rejected[] = []
  const inputs = summarizeInputs(input, estimate)
  const allowed = (t: Exclude<StoreType, 'none'>): boolean => policy.allowedStores.includes(t)
  const fail = (code: PlanFailure['code'], message: string): PlanResult => ({ ok: false, failure: { code, message, scenario, reasons, rejected, inputs } })

  reasons.push(`scenario ${scenario} (${input.scenario ? '--scenario' : v('DeploymentType') ? `DeploymentType=${v('DeploymentType')}` : 'default for an in-place deployment'})`)
  if (estimate !== null) reasons.push(`size estimate ${formatBytes(estimate)} (${inputs.estimateSource})`)

  // Rule 1
  if (udlUpper === 'NONE') {
    reasons.push('UserDataLocation=NONE: no user state is captured; capture and restore steps skip')
    return finish({ storeType: 'none', storePath: null, rule: 'user-data-none', reasons: [] })
  }

  // Rule 2
  const given = v('OSDStateStorePath')
  if (given && isUnc(given)) {
    const path = normalize(given)
    const known = knownShares(policy, v('UDShare')).some((s) => isUnder(path, s) || pathEquals(path, s))
    const type: 'share' | 'smp' = inConfigMgr && !known ? 'smp' : 'share'
    if (!allowed(type)) {
      rejected.push({ storeType: type, storePath: path, reason: `OSDStateStorePath names a ${type} store but the policy does not allow ${type}` })
      return fail('USM0404', `OSDStateStorePath ${path} is a ${type} store and the policy (${policy.source}) does not allow ${type} stores`)
    }
    return finish({
      storeType: type, storePath: path, rule: 'store-path-given',
      reasons: [type === 'smp'
        ? `OSDStateStorePath is already the UNC path ${path}, set by ConfigMgr's Request State Store (state migration point): used as given`
        : `OSDStateStorePath is already the UNC path ${path}: that network store is used as given`],
    })
  }
  if (given) reasons.push(`OSDStateStorePath=${given} is local: it is re-checked as a hard-link location below, never trusted blindly`)

  // Rule 3
  const statePath = v('StatePath')
  const udlPath = isUnc(udl) || driveOf(udl) ? udl : ''
  const explicitPath = statePath || udlPath
  const explicitFrom = statePath ? 'StatePath' : 'UserDataLocation'
  if (explicitPath && isUnc(explicitPath)) {
    const path = normalize(expandEnv(explicitPath, get))
    if (!allowed('share')) {
      rejected.push({ storeType: 'share', storePath: path, reason: 'share stores are not allowed by the policy' })
      return fail('USM0404', `${explicitFrom} names the network folder ${path} but the policy (${policy.source}) does not allow share stores`)
    }
    return finish({ storeType: 'share', storePath: path, rule: 'user-data-path', reasons: [`${explicitFrom} is the UNC path ${path}: the store goes there`] })
  }
  const explicitLocal = explicitPath && driveOf(explicitPath) ? normalize(expandEnv(explicitPath, get)) : given && driveOf(given) ? normalize(given) : ''

  const networkRequired = scenario === 'replace' || udlUpper === 'NETWORK'
  if (networkRequired) {
    reasons.push(scenario === 'replace' ? 'replace: the user state must leave this machine, so a network store is required' : 'UserDataLocation=NETWORK: a network store is required')
    rejected.push({ storeType: 'hardlink', storePath: null, reason: scenario === 'replace' ? 'a hard-link store cannot move to another computer (replace)' : 'UserDataLocation=NETWORK asks for a network store' })
    const net = evaluateNetwork(false)
    if (net.ok) return finish(net.candidate)
    rejected.push(...net.rejected)
    if (!policy.allowedStores.some((t) => t !== 'hardlink')) return fail('USM0404', `a network store is required but the policy (${policy.source}) allows only ${policy.allowedStores.join(', ')}`)
    return fail('USM0402', 'a network store is required but none is configured: UDShare is empty, the policy lists no shares and no ConfigMgr state migration point is available')
  }

  // Rule 5 (refresh)
  const explicitLocalChoice = explicitPath !== '' && driveOf(explicitPath) !== null
  const fallbackAllowed = !explicitLocalChoice
    && (udlUpper === 'AUTO' || (udl === '' && policy.fallbackToNetwork) || policy.preferredStore === 'share' || policy.preferredStore === 'smp')
  const fallbackWhy = explicitLocalChoice ? `${explicitFrom} names the local folder ${explicitPath}` : udlUpper === 'AUTO' ? 'UserDataLocation=AUTO' : udl === '' ? `fallbackToNetwork: ${policy.fallbackToNetwork} in ${policy.source}` : `UserDataLocation=${udl}`
  const preferNetwork = policy.preferredStore === 'share' || policy.preferredStore === 'smp'
  if (preferNetwork && fallbackAllowed) {
    const net = evaluateNetwork(false)
    if (net.ok) {
      rejected.push({ storeType: 'hardlink', storePath: null, reason: `the policy prefers ${policy.preferredStore} stores` })
      return finish(net.candidate)
    }
    rejected.push(...net.rejected)
  }
  const hl = evaluateHardLink()
  if (hl.ok) return finish(hl.candidate)
  rejected.push(...hl.rejected)
  if (!fallbackAllowed) {
    reasons.push(`no fallback to a network store (${fallbackWhy})`)
    return fail('USM0403', `a local hard-link store is not possible (${hl.rejected.map((r) => r.reason).join('; ')}) and falling back to a network store is not allowed (${fallbackWhy})`)
  }
  if (!preferNetwork) {
    reasons.push(`hard-link store not possible: falling back to a network store (${fallbackWhy})`)
    const net = evaluateNetwork(true)
    if (net.ok) return finish(net.candidate)
    rejected.push(...net.rejected)
  }
  if (policy.allowedStores.length === 1 && policy.allowedStores[0] === 'hardlink') {
    return fail('USM0403', `a local hard-link store is not possible (${hl.rejected.map((r) => r.reason).join('; ')}) and the policy (${policy.source}) allows no network store`)
  }
  return fail('USM0402', `a local hard-link store is not possible (${hl.rejected.map((r) => r.reason).join('; ')}) and no network store is configured for the fallback`)

  function evaluateNetwork(fallback: boolean): Evaluation {
    const out: Rejected[] = []
    const order: Array<'share' | 'smp'> = policy.preferredStore === 'smp' ? ['smp', 'share'] : ['share', 'smp']
    for (const type of order) {
      const c = type === 'share' ? shareCandidate(fallback, out) : smpCandidate(fallback, out)
      if (c) {
        for (const other of order.filter((t) => t !== type)) out.push({ storeType: other, storePath: null, reason: `not needed: ${type} is tried first` })
        rejected.push(...out)
        return { ok: true, candidate: c }
      }
    }
    return { ok: false, rejected: out }
  }

  function shareCandidate(fallback: boolean, out: Rejected[]): Candidate | null {
    const udShare = v('UDShare')
    if (!allowed('share')) {
      out.push({ storeType: 'share', storePath: udShare || null, reason: `share stores are not allowed by the policy (${policy.source})` })
      return null
    }
    if (udShare) {
      if (!isUnc(udShare)) {
        out.push({ storeType: 'share', storePath: udShare, reason: `UDShare=${udShare} is not a UNC path` })
        return null
      }
      const dir = v('UDDir') ? expandEnv(v('UDDir'), get) : computer
      if (!dir) {
        out.push({ storeType: 'share', storePath: udShare, reason: 'UDDir is empty and the computer name is unknown' })
        return null
      }
      const path = join(udShare, dir)
      if (policy.shares.length > 0) out.push({ storeType: 'share', storePath: null, reason: `policy shares not used: UDShare is set (${udShare})` })
      return {
        storeType: 'share', storePath: path, rule: fallback ? 'refresh-fallback-udshare' : 'network-udshare',
        reasons: [`network store UDShare\\UDDir = ${path}${v('UDDir') ? '' : ' (UDDir defaults to the computer name)'}`],
      }
    }
    if (policy.shares.length > 0) {
      const shares = policy.shares.map((s) => s.path)
      return {
        storeType: 'share', storePath: null, rule: fallback ? 'refresh-fallback-policy-share' : 'network-policy-share', shares,
        reasons: [`network store on a policy share (${shares.join(', ')}): "usmt-steps store request" picks the first reachable share with room and sets OSDStateStorePath`],
      }
    }
    out.push({ storeType: 'share', storePath: null, reason: 'no share configured (UDShare is empty and the policy lists no shares)' })
    return null
  }

  function smpCandidate(fallback: boolean, out: Rejected[]): Candidate | null {
    if (!allowed('smp')) {
      out.push({ storeType: 'smp', storePath: null, reason: `state migration points are not allowed by the policy (${policy.source})` })
      return null
    }
    if (!inConfigMgr) {
      out.push({ storeType: 'smp', storePath: null, reason: 'not running under ConfigMgr (_SMSTSMP is not set), so no state migration point' })
      return null
    }
    return {
      storeType: 'smp', storePath: null, rule: fallback ? 'refresh-fallback-smp' : 'network-smp',
      reasons: [`ConfigMgr state migration point (management point ${v('_SMSTSMP')}): the native Request State Store step runs (USMTLocal=False) and sets OSDStateStorePath`],
    }
  }

  function evaluateHardLink(): Evaluation {
    const userStatePath = v('_SMSTSUserStatePath')
    const path = explicitLocal || (userStatePath ? normalize(userStatePath) : join(facts.systemDrive, 'StateStore'))
    const from = explicitLocal ? (statePath ? 'StatePath' : udlPath ? 'UserDataLocation' : 'OSDStateStorePath') : userStatePath ? '_SMSTSUserStatePath' : '%SystemDrive%\\StateStore'
    const no = (reason: string): Evaluation => ({ ok: false, rejected: [{ storeType: 'hardlink', storePath: path, reason }] })
    if (!allowed('hardlink')) return no(`hard-link stores are not allowed by the policy (${policy.source})`)
    const parsed = parseWinPath(path)
    if (parsed.kind !== 'drive') return no(`${from}=${path} is not a local folder`)
    if (parsed.segments.length === 0) return no(`${path} is a drive root; a store needs its own folder`)
    const drive = parsed.root
    const vol = facts.volumes.find((x) => x.letter.toUpperCase() === drive)
    if (!vol) return no(`volume ${drive} of ${path} is not among the machine's volumes (${facts.volumes.map((x) => x.letter).join(', ') || 'none'})`)
    if (drive !== facts.profilesVolume.toUpperCase()) return no(`${path} is on ${drive} but the profiles are on ${facts.profilesVolume}: hard links cannot cross volumes`)
    if (vol.fileSystem.toUpperCase() !== 'NTFS') return no(`${drive} is ${vol.fileSystem}, hard-link stores need NTFS`)
    if (vol.bitLocker === 'on' && facts.inWinPE) return no(`${drive} is BitLocker-protected and not suspended: Windows PE cannot write the store`)
    const need = needBytes(policy, estimate)
    if (vol.freeBytes < need) {
      return no(`${drive} has ${formatBytes(vol.freeBytes)} free, the hard-link store needs ${formatBytes(need)} (${formatBytes(policy.hardLink.minFreeBytes)} reserve${estimate !== null ? ` + ${policy.hardLink.overheadRatio * 100}% of the ${formatBytes(estimate)} estimate` : ''})`)
    }
    const extra: string[] = [`local hard-link store at ${path} (${from}): ${drive} holds the profiles, is NTFS and has ${formatBytes(vol.freeBytes)} free of the ${formatBytes(need)} needed`]
    if (estimate === null) extra.push('no size estimate: only the fixed reserve was checked (hard links copy no file data)')
    if (vol.bitLocker === 'on') extra.push(`${drive} is BitLocker-protected: suspend BitLocker before restarting into Windows PE`)
    return { ok: true, candidate: { storeType: 'hardlink', storePath: path, rule: 'refresh-hardlink', reasons: extra } }
  }

  function finish(c: Candidate): PlanResult {
    reasons.push(...c.reasons)
    const profiles = facts.unresolvableProfiles ?? []
    if (c.storeType !== 'none' && profiles.length > 0) {
      const what = `${profiles.length} profile(s) cannot be resolved and would not be migrated: ${profiles.join(', ')}`
      if (policy.unresolvableProfiles === 'fail') {
        reasons.push(what)
        return fail('USM0405', `${what} (unresolvableProfiles: fail in ${policy.source})`)
      }
      if (policy.unresolvableProfiles === 'warn') reasons.push(`warning: ${what}`)
    }
    // usmt-steps capture replaces the native Capture User State step, which is what encrypts SMP stores: an SMP store
    // is always encrypted by capture with the admin's key (USMTStepsEncryptionKey), whatever the policy says for shares.
    const encrypt = c.storeType === 'smp' || (c.storeType === 'share' && policy.encryptNetworkStores)
    if (c.storeType === 'share') reasons.push(encrypt ? 'network store is encrypted (encryptNetworkStores: true)' : 'network store is not encrypted (encryptNetworkStores: false)')
    if (c.storeType === 'smp') reasons.push('state migration point store: capture encrypts it with USMTStepsEncryptionKey (set it as a hidden collection variable), as the native step it replaces would')
    const hard = c.storeType === 'hardlink'
    const capture = v('OSDMigrateAdditionalCaptureOptions')
    const restore = v('OSDMigrateAdditionalRestoreOptions')
    const variables = stepVariables('plan', {
      OSDStateStorePath: c.storePath ?? '',
      USMTLocal: c.storeType === 'smp' ? 'False' : 'True',
      USMTStepsStoreType: c.storeType,
      USMTStepsScenario: scenario,
      USMTStepsHardLink: String(hard),
      USMTStepsEncrypt: String(encrypt),
      USMTStepsStoreRequest: String(c.storeType === 'share' && c.storePath === null),
      USMTStepsPlanRule: c.rule,
      USMTStepsUnresolvableProfiles: policy.unresolvableProfiles,
      // store request adds it to the share's free-space minimum (an admin's USMTStepsEstimateBytes wins).
      USMTStepsPlanEstimateBytes: estimate === null ? '' : String(estimate),
      OSDMigrateAdditionalCaptureOptions: hard ? withSwitches(capture, HARDLINK_CAPTURE) : withoutHardLink(capture),
      OSDMigrateAdditionalRestoreOptions: hard ? withSwitches(restore, HARDLINK_RESTORE) : withoutHardLink(restore),
    })
    const decision: DecisionRecord = {
      storeType: c.storeType, storePath: c.storePath, reasons, variables, rule: c.rule, scenario, rejected, shares: c.shares ?? [], inputs,
    }
    return { ok: true, decision }
  }
}

function needBytes(policy: Policy, estimate: number | null): number {
  return policy.hardLink.minFreeBytes + Math.ceil((estimate ?? 0) * policy.hardLink.overheadRatio)
}

function knownShares(policy: Policy, udShare: string): string[] {
  return [...policy.shares.map((s) => s.path), ...(udShare && isUnc(udShare) ? [normalize(udShare)] : [])]
}

function pathEquals(a: string, b: string): boolean {
  return normalize(a).toLowerCase() === normalize(b).toLowerCase()
}

function summarizeInputs(input: PlanInput, estimate: number | null): PlanInputsSummary {
  const get = caseInsensitiveLookup(input.variables)
  const variables: Record<string, string> = {}
  for (const name of PLAN_INPUT_VARIABLES) {
    const value = get(name)
    if (value !== undefined && value !== '') variables[name] = value
  }
  const estimateSource = estimate === null ? null
    : input.estimateBytes !== undefined && input.estimateBytes !== null ? input.estimateSource ?? 'given' : 'facts'
  return { variables, policy: input.policy.source, facts: input.facts.source ?? 'given', estimateBytes: estimate, estimateSource }
}

/** Volume helper for callers that show the facts. */
export function volumeOf(facts: Facts, letter: string): VolumeFact | undefined {
  return facts.volumes.find((v) => v.letter.toUpperCase() === letter.toUpperCase())
}
