/**
 * Inputs and output of `usmt-steps plan`: task-sequence variables + policy + machine facts → one decision
 * record. The facts shape is a public contract (admins write it for `--facts`): extend, never rename.
 */
export type BitLockerState = 'off' | 'on' | 'suspended'

export interface VolumeFact {
  /** Drive letter with colon, upper case: `C:`. */
  letter: string
  /** `NTFS`, `ReFS`, `FAT32`, … (compared case-insensitively). */
  fileSystem: string
  totalBytes: number
  freeBytes: number
  bitLocker: BitLockerState
  label?: string
  removable?: boolean
}

export interface Facts {
  inWinPE: boolean
  /** Drive of the Windows installation being migrated (in WinPE: the offline OS, not X:). */
  systemDrive: string
  /** Drive that holds the user profiles (ProfilesDirectory). */
  profilesVolume: string
  volumes: VolumeFact[]
  /** The engine's size estimate of the user state in bytes, or null when unknown. */
  estimateBytes?: number | null
  computerName?: string
  /** Accounts whose profile SID cannot be resolved (orphaned profiles). */
  unresolvableProfiles?: string[]
  /** Where the facts came from: `file:PATH`, `probe:powershell`, `probe:statfs`. */
  source?: string
}

export type StoreType = 'hardlink' | 'share' | 'smp' | 'none'
export type NetworkStoreType = 'share' | 'smp'
export type Scenario = 'refresh' | 'replace'
export type UnresolvableProfilesPolicy = 'fail' | 'warn' | 'ignore'

export interface SharePolicy {
  /** UNC path of the share root (may include a sub-folder): `\\server\migstore` or `\\server\migstore\stores`. */
  path: string
  /** TCP port (smbclient transport; default 445). */
  port?: number
  /** At most this many active (requested or captured, not yet restored) stores. */
  maxClients: number
  /** Free space the share must keep, in bytes (`minFree`), or as a percentage of its size (`minFreePercent`). */
  minFreeBytes: number
  minFreePercent?: number
}

export interface Policy {
  /** Tried first when it fits; the others follow in the default order hardlink, share, smp. */
  preferredStore?: Exclude<StoreType, 'none'>
  allowedStores: Array<Exclude<StoreType, 'none'>>
  /** In a refresh with UserDataLocation blank: may a network store replace an impossible hard-link store? */
  fallbackToNetwork: boolean
  shares: SharePolicy[]
  /** Encrypt network (share) stores: the capture step then needs a key file. */
  encryptNetworkStores: boolean
  hardLink: {
    /** Fixed free space needed on the profiles volume (USMT's 250 MB working space + WinPE and logs). */
    minFreeBytes: number
    /** Share of the size estimate added for the hard-link catalog. */
    overheadRatio: number
  }
  unresolvableProfiles: UnresolvableProfilesPolicy
  retention: {
    /** Days a restored store is kept after "store release --type restore" (0 = deleted by the next prune). */
    restoredDays: number
    /** Days after which a store that was requested but never captured is pruned. */
    abandonedDays: number
  }
  /**
   * Per-store access on shares (issue #19), as a state migration point sets it: absent → the share's own ACL
   * applies to every store (the old behaviour).
   */
  access?: StoreAccessPolicy
  /** Where the policy came from (file path or `defaults`). */
  source: string
}

export interface StoreAccessPolicy {
  /** The admins' group (`DOMAIN\\group` or a SID): full control on every store, always. */
  admins: string
  /** How a computer's account is named: `{computer}` is replaced by the computer name (default `{domain}\\{computer}$`). */
  computerAccount: string
  /** Domain for `{domain}` (default: the domain of the step's credentials). */
  domain?: string
  /** Explicit accounts by computer name, where computer accounts are not available (lab, workgroup). */
  accounts: Record<string, string>
}

export interface Rejected {
  storeType: Exclude<StoreType, 'none'>
  storePath: string | null
  reason: string
}

/** The rule of the decision table that fired (README table, one row each). */
export type RuleId =
  | 'user-data-none'
  | 'store-path-given'
  | 'user-data-path'
  | 'network-udshare'
  | 'network-policy-share'
  | 'network-smp'
  | 'refresh-hardlink'
  | 'refresh-fallback-udshare'
  | 'refresh-fallback-policy-share'
  | 'refresh-fallback-smp'

export interface DecisionRecord {
  storeType: StoreType
  /** The store folder (OSDStateStorePath), or null when a later step creates it (policy share, SMP). */
  storePath: string | null
  reasons: string[]
  /** Task-sequence variables written for later steps. */
  variables: Record<string, string>
  rule: RuleId
  scenario: Scenario
  rejected: Rejected[]
  /** Candidate shares for `store request` (policy shares). */
  shares: string[]
  inputs: PlanInputsSummary
}

export interface PlanInputsSummary {
  variables: Record<string, string>
  policy: string
  facts: string
  estimateBytes: number | null
  /** Where the estimate came from: `--estimate-bytes`, `facts`, `engine: …`; null when there is none. */
  estimateSource: string | null
}

export interface PlanFailure {
  code: 'USM0402' | 'USM0403' | 'USM0404' | 'USM0405' | 'USM0407'
  message: string
  scenario: Scenario
  reasons: string[]
  rejected: Rejected[]
  inputs: PlanInputsSummary
}

export type PlanResult = { ok: true; decision: DecisionRecord } | { ok: false; failure: PlanFailure }

export interface PlanInput {
  /** Task-sequence variables (looked up case-insensitively). */
  variables: Record<string, string>
  policy: Policy
  facts: Facts
  /** --scenario; undefined = from DeploymentType. */
  scenario?: Scenario
  /** Overrides facts.estimateBytes. */
  estimateBytes?: number | null
  /** Where estimateBytes came from (recorded in the decision's inputs); default `given`. */
  estimateSource?: string
}
