import { readFileSync } from 'node:fs'
import type { StepContext, StepOutcome } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { stepVariables } from '../runtime/variables.js'
import { resolveSetting, type SettingValue } from '../runtime/settings.js'
import { settingDef } from '../runtime/settings/index.js'
import { POLICY_SETTING_KEYS } from '../runtime/settings/directory.js'
import { findBridgeHost } from '../windows/com-bridge.js'
import { VolumeMap } from '../windows/volume-map.js'
import { buildUserArgs, mergeCaptureOptions, type UserArgs } from './args.js'
import { connectAsComputer } from './adsi.js'
import { chooseBind } from './bind.js'
import { DirectoryClient } from './client.js'
import { discoverDcs, dnsSrvLookup, endpointUrl, parseDcList, type DcEndpoint, type TlsSetting } from './discovery.js'
import { absoluteDn, isDn } from './dn.js'
import { readPolicySection, POLICY_SECTION_KEYS } from '../runtime/policy-file.js'
import { ENTRA_REASON } from './entra.js'
import { DEFAULT_POLICY, selectProfiles, type GroupRule, type ProfileDecision, type SelectionPolicy } from './policy.js'
import { listVolumeProfiles, listWindowsProfiles, type ProfileListing } from './profiles.js'
import { resolveProfiles, type ResolvedProfile } from './resolve.js'
import { isSid, normalizeSid } from './sid.js'
import { networkAccessAccount } from '../ts-env/accounts.js'
import { textTable } from '../runtime/text-table.js'

/**
 * The `usmt-steps users` service: list the profiles, resolve them in AD, apply the selection policy, and
 * hand the capture step its /ui /ue arguments. Orphans nobody decided about fail the step before capture.
 */
export interface UsersResult {
  source: string
  computerName?: string
  directory: {
    mode: 'ldap' | 'none'
    state: 'connected' | 'not-used' | 'unavailable'
    dc?: string
    transport?: string
    /** The account the directory was read as: a user, the network access account, or the computer account (ADSI). */
    account?: string
    baseDn?: string
    domainSid?: string
    netbiosName?: string
    error?: string
  }
  policy: {
    includeGroups: string[]
    excludeGroups: string[]
    includeOus: string[]
    excludeOus: string[]
    skipDisabled: boolean
    skipDeleted: boolean
    inactiveDays?: number
    keepLocal: boolean
    orphans: 'fail' | 'exclude'
    orphanMappings: number
  }
  profiles: ProfileDecision[]
  counts: { capture: number; skip: number; blocked: number; always: number }
  userArgs: UserArgs
  variables: Record<string, string>
}

export interface UsersStepOptions {
  /** --volume / --removable values (file-based mode). */
  volumes?: readonly string[]
  removable?: readonly string[]
  /** Injected for tests: the clock and the directory's sleep between retries. */
  now?: Date
  sleep?: (ms: number) => Promise<void>
}

type PolicyFile = Partial<Record<string, unknown>>
const POLICY_FILE_KEYS: Record<string, string> = {
  includegroups: 'includeGroups', excludegroups: 'excludeGroups', includeous: 'includeOus', excludeous: 'excludeOus',
  skipdisabled: 'skipDisabled', skipdeleted: 'skipDeleted', inactivedays: 'inactiveDays', keeplocal: 'keepLocal',
  orphans: 'orphanPolicy', orphanpolicy: 'orphanPolicy', orphanmap: 'orphanMap',
}

/** The `users:` section of the policy file (the `stores:` section belongs to plan and the store commands). */
export function readPolicyFile(file: string): PolicyFile {
  const section = readPolicySection(file, 'users') ?? {}
  const out: PolicyFile = {}
  for (const [k, v] of Object.entries(section)) {
    const key = POLICY_FILE_KEYS[k.toLowerCase()]
    if (!key) throw new UsmtStepsError('USM0510', `${file}: unknown key "${k}" in the "users:" section (allowed: ${POLICY_SECTION_KEYS.users.join(', ')})`, { data: { file } })
    out[key] = v
  }
  return out
}

function listOf(value: SettingValue | unknown, origin: string): string[] {
  if (value === undefined || value === null || value === '') return []
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string')) throw new UsmtStepsError('USM0510', `${origin} must be a list of strings`)
    return value.map((v) => v.trim()).filter(Boolean)
  }
  if (typeof value !== 'string') throw new UsmtStepsError('USM0510', `${origin} must be a list of strings or a ";"-separated string`)
  return value.split(';').map((v) => v.trim()).filter(Boolean)
}

export function parseOrphanMap(doc: unknown, origin: string): Record<string, string> {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UsmtStepsError('USM0512', `${origin} must be a JSON object {"old SID or DOMAIN\\\\name": "DOMAIN\\\\newname"}`)
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== 'string' || !/^[^\\*?"]+\\[^\\*?"]+$/.test(v.trim())) throw new UsmtStepsError('USM0512', `${origin}: "${k}" must map to a DOMAIN\\name without wildcards, got ${JSON.stringify(v)}`)
    if (/^S-1-/i.test(k)) {
      if (!isSid(k)) throw new UsmtStepsError('USM0512', `${origin}: "${k}" is not a valid SID`)
      out[normalizeSid(k)] = v.trim()
    } else if (/^[^\\]+\\[^\\]+$/.test(k)) {
      out[k.trim().toLowerCase()] = v.trim()
    } else {
      throw new UsmtStepsError('USM0512', `${origin}: key "${k}" must be a SID or DOMAIN\\name`)
    }
  }
  return out
}

function readOrphanMap(value: unknown, origin: string): Record<string, string> {
  if (value === undefined || value === '') return {}
  if (typeof value === 'string') {
    let doc: unknown
    try {
      doc = JSON.parse(readFileSync(value, 'utf8'))
    } catch (err) {
      throw new UsmtStepsError('USM0512', `cannot read the orphan map ${value}: ${(err as Error).message}`, { cause: err })
    }
    return parseOrphanMap(doc, value)
  }
  return parseOrphanMap(value, origin)
}

/** Policy keys: a flag or task-sequence variable overrides the policy file, which overrides the default. */
async function resolvePolicySettings(ctx: StepContext): Promise<{ values: Record<string, unknown>; sources: Record<string, string> }> {
  const file = await ctx.setting('selectionPolicyFile')
  const fromFile = typeof file === 'string' && file ? readPolicyFile(file) : {}
  const tsEnv = await ctx.tsEnv()
  const values: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  for (const key of POLICY_SETTING_KEYS) {
    const r = resolveSetting(settingDef(key), { flags: ctx.flags, variable: (n) => tsEnv.get(n), env: ctx.env })
    if (r.source !== 'default' && r.source !== 'unset') {
      values[key] = r.value
      sources[key] = r.source
    } else if (fromFile[key] !== undefined) {
      values[key] = fromFile[key]
      sources[key] = `policy file ${String(file)}`
    } else {
      values[key] = r.value
      sources[key] = r.source
    }
  }
  const check = (key: string, type: 'boolean' | 'number'): void => {
    if (values[key] !== undefined && typeof values[key] !== type) throw new UsmtStepsError('USM0510', `${sources[key]}: ${key} must be a ${type}`)
  }
  check('skipDisabled', 'boolean')
  check('skipDeleted', 'boolean')
  check('keepLocal', 'boolean')
  check('inactiveDays', 'number')
  if (values.inactiveDays !== undefined && (!Number.isInteger(values.inactiveDays) || (values.inactiveDays as number) < 1)) {
    throw new UsmtStepsError('USM0510', `${sources.inactiveDays}: inactiveDays must be a whole number of days (1 or more)`)
  }
  if (values.orphanPolicy !== 'fail' && values.orphanPolicy !== 'exclude') throw new UsmtStepsError('USM0510', `${sources.orphanPolicy}: orphans must be "fail" or "exclude"`)
  return { values, sources }
}

async function listProfiles(ctx: StepContext, opts: UsersStepOptions): Promise<ProfileListing> {
  const usersFile = await ctx.setting('usersFile')
  if ((opts.volumes?.length ?? 0) > 0 || (opts.removable?.length ?? 0) > 0 || usersFile) {
    return listVolumeProfiles(VolumeMap.parse(opts.volumes ?? [], opts.removable ?? [], ctx.cwd), usersFile)
  }
  const host = findBridgeHost({ platform: process.platform, env: ctx.env })
  if (host?.kind === 'powershell') return listWindowsProfiles(host.executable)
  throw new UsmtStepsError('USM0511', 'no profile source: this is not a Windows with PowerShell, and neither --volume nor --users was given', {
    actions: ['Pass --volume C=DIR (a mounted Windows volume) and optionally --users FILE, or run the step on Windows.'],
  })
}

async function directoryEndpoints(ctx: StepContext, tls: TlsSetting): Promise<DcEndpoint[]> {
  const dc = await ctx.setting('directoryDc')
  if (dc) return parseDcList(dc, tls)
  const domain = await ctx.setting('directoryDomain')
  if (!domain) throw new UsmtStepsError('USM0500', 'no domain controller (--dc) and no domain (--domain) to discover one from')
  const dns = await ctx.setting('directoryDnsServer')
  const servers = dns ? dns.split(/[;\s]+/).filter(Boolean) : undefined
  const found = await discoverDcs(domain, tls, dnsSrvLookup(servers, (await ctx.setting('directoryTimeout')) * 1000))
  ctx.logger.info(`directory: DNS lists ${found.map(endpointUrl).join(', ')} for ${domain}`)
  return found
}

async function bindPassword(ctx: StepContext): Promise<string | undefined> {
  const password = await ctx.setting('directoryPassword')
  if (password) return password
  const file = await ctx.setting('directoryPasswordFile')
  if (!file) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8').split(/\r?\n/)[0]
  } catch (err) {
    throw new UsmtStepsError('USM0500', `cannot read the bind password file ${file}: ${(err as Error).message}`, { cause: err })
  }
  redactor.add(text)
  return text
}

async function connect(ctx: StepContext, opts: UsersStepOptions): Promise<DirectoryClient> {
  const tsEnv = await ctx.tsEnv()
  const user = await ctx.setting('directoryUser')
  const host = findBridgeHost({ platform: process.platform, env: ctx.env })
  const choice = chooseBind({
    bind: await ctx.setting('directoryBind'), user, password: await bindPassword(ctx),
    naa: user ? undefined : networkAccessAccount((n) => tsEnv.get(n)),
    powershell: host?.kind === 'powershell', inWinPE: await ctx.setting('inWinPE'),
  })
  if (choice.method === 'computer') {
    const dc = await ctx.setting('directoryDc')
    const server = dc ? parseDcList(dc, 'auto').map((e) => (e.port === 389 || e.port === 636 ? e.host : `${e.host}:${e.port}`))[0] : ''
    if (await ctx.setting('directoryCaFile')) ctx.logger.info('directory: --ca-file does not apply to ADSI (Kerberos signs and seals the connection)')
    return connectAsComputer({
      powershell: (host as { executable: string }).executable, server,
      timeoutMs: (await ctx.setting('directoryTimeout')) * 1000,
      pageSize: await ctx.setting('directoryPageSize'),
      baseDn: await ctx.setting('directoryBaseDn'),
      log: (line) => ctx.logger.info(line),
      env: ctx.env,
    })
  }
  redactor.add(choice.password)
  if (choice.method === 'naa') ctx.logger.info(`directory: binding as the network access account (${choice.names}): ${choice.why}`)
  const bindUser = choice.user
  const password = choice.password
  const tls = await ctx.setting('directoryTls')
  const caFile = await ctx.setting('directoryCaFile')
  let ca: string | undefined
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8')
    } catch (err) {
      throw new UsmtStepsError('USM0500', `cannot read the CA file ${caFile}: ${(err as Error).message}`, { cause: err })
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsmtStepsError('USM0500', `${caFile} holds no PEM certificate`)
  }
  const endpoints = await directoryEndpoints(ctx, tls)
  if (endpoints.some((e) => e.transport === 'none')) ctx.warn('directory: --tls none sends the bind password unencrypted')
  return DirectoryClient.connect({
    endpoints, credentials: { user: bindUser as string, password }, ca,
    timeoutMs: (await ctx.setting('directoryTimeout')) * 1000,
    retries: await ctx.setting('directoryRetries'),
    pageSize: await ctx.setting('directoryPageSize'),
    baseDn: await ctx.setting('directoryBaseDn'),
    log: (line) => ctx.logger.info(line),
    sleep: opts.sleep,
  })
}

async function buildPolicy(ctx: StepContext, values: Record<string, unknown>, sources: Record<string, string>, dir: DirectoryClient | null): Promise<SelectionPolicy> {
  const policy: SelectionPolicy = {
    ...DEFAULT_POLICY,
    skipDisabled: values.skipDisabled as boolean,
    skipDeleted: values.skipDeleted as boolean,
    keepLocal: values.keepLocal as boolean,
    inactiveDays: values.inactiveDays as number | undefined,
    orphans: values.orphanPolicy as 'fail' | 'exclude',
    orphanMap: readOrphanMap(values.orphanMap, sources.orphanMap),
  }
  const groupSpecs = { include: listOf(values.includeGroups, sources.includeGroups), exclude: listOf(values.excludeGroups, sources.excludeGroups) }
  const ouSpecs = { include: listOf(values.includeOus, sources.includeOus), exclude: listOf(values.excludeOus, sources.excludeOus) }
  const ruleCount = groupSpecs.include.length + groupSpecs.exclude.length + ouSpecs.include.length + ouSpecs.exclude.length
  if (!dir) {
    if (ruleCount > 0) ctx.warn(`the group and OU rules (${ruleCount}) need the directory and were not applied`)
    return policy
  }
  const groups = async (specs: string[], which: string): Promise<GroupRule[]> => {
    const out: GroupRule[] = []
    for (const spec of specs) {
      const g = await dir.findGroup(spec)
      if (!g) throw new UsmtStepsError('USM0508', `${which} group "${spec}" (${sources[which === 'include' ? 'includeGroups' : 'excludeGroups']}) was not found under ${dir.baseDn}`, { data: { group: spec } })
      out.push({ spec, name: g.name, sid: g.sid })
    }
    return out
  }
  const ous = async (specs: string[], which: string): Promise<string[]> => {
    const out: string[] = []
    for (const spec of specs) {
      if (!isDn(spec)) throw new UsmtStepsError('USM0508', `${which} OU "${spec}" is not a DN (write it like OU=Sales,OU=Lab)`)
      const dn = absoluteDn(spec, dir.baseDn)
      if (!(await dir.containerExists(dn))) throw new UsmtStepsError('USM0508', `${which} OU "${dn}" does not exist in the directory`, { data: { ou: dn } })
      out.push(dn)
    }
    return out
  }
  return {
    ...policy,
    includeGroups: await groups(groupSpecs.include, 'include'),
    excludeGroups: await groups(groupSpecs.exclude, 'exclude'),
    includeOus: await ous(ouSpecs.include, 'include'),
    excludeOus: await ous(ouSpecs.exclude, 'exclude'),
  }
}

/** The decision table for the log and the console. */
export function formatDecisionTable(decisions: readonly ProfileDecision[]): string {
  const rows = decisions.map((d) => [d.profile, d.account ?? '?', d.status === 'not-checked' ? d.kind : `${d.kind}/${d.status}`, d.decision.toUpperCase(), d.reason])
  const head = ['PROFILE', 'ACCOUNT', 'KIND/AD', 'DECISION', 'REASON']
  return textTable([head, ...rows], { gap: '  ', columns: [{ max: 40 }, { max: 40 }, { max: 40 }, { max: 40 }] }).join('\n')
}

export async function runUsersStep(ctx: StepContext, opts: UsersStepOptions = {}): Promise<StepOutcome<UsersResult>> {
  const now = opts.now ?? new Date()
  const listing = await listProfiles(ctx, opts)
  for (const w of listing.warnings) ctx.warn(w)
  ctx.logger.info(`profiles: ${listing.profiles.length} from ${listing.source}`)
  const computerName = (await ctx.setting('computerName')) ?? listing.computerName
  const { values, sources } = await resolvePolicySettings(ctx)
  for (const [k, v] of Object.entries(values)) ctx.logger.verbose(`policy ${k} = ${JSON.stringify(v)} (${sources[k]})`)
  const mode = await ctx.setting('directoryMode')
  const onUnavailable = await ctx.setting('directoryUnavailable')
  const directory: UsersResult['directory'] = { mode, state: 'not-used' }
  let dir: DirectoryClient | null = null
  if (mode === 'ldap') {
    try {
      dir = await connect(ctx, opts)
      Object.assign(directory, {
        state: 'connected', dc: dir.connection.dc, transport: dir.connection.transport, account: dir.connection.account, baseDn: dir.baseDn,
        domainSid: dir.domainSid, netbiosName: dir.netbiosName,
      })
    } catch (err) {
      // No domain controller answers, or there is no account to ask with: the documented policy decides (fail, or keep-all with a warning).
      const unreachable = err instanceof UsmtStepsError && (err.code === 'USM0501' || err.code === 'USM0506' || err.code === 'USM0505')
      if (!unreachable || onUnavailable !== 'keep-all') throw err
      directory.state = 'unavailable'
      directory.error = `${err.code}: ${err.message}`
      ctx.warn(`directory unavailable (${err.code}: ${err.message}); keeping every profile (USMTStepsDirectoryUnavailable=keep-all)`)
    }
  }
  try {
    const policy = await buildPolicy(ctx, values, sources, dir)
    const needGroups = policy.includeGroups.length + policy.excludeGroups.length > 0
    const resolved: ResolvedProfile[] = await resolveProfiles(listing.profiles, {
      computerName, machineSid: listing.machineSid, directory: dir,
      noDirectoryStatus: directory.state === 'unavailable' ? 'unavailable' : 'not-checked', needGroups,
    })
    const selection = selectProfiles(resolved, policy, now)
    for (const w of selection.warnings) ctx.warn(w)
    const table = formatDecisionTable(selection.decisions)
    for (const line of table.split('\n')) ctx.logger.info(`users: ${line}`)
    const counts = { capture: 0, skip: 0, blocked: 0, always: 0 }
    for (const d of selection.decisions) counts[d.decision]++
    const blocked = selection.decisions.filter((d) => d.decision === 'blocked')
    if (blocked.length > 0) {
      const entra = blocked.filter((d) => d.rule === 'entra-blocked').length
      const what = entra === 0 ? 'orphaned profile(s)' : entra === blocked.length ? 'Entra ID profile(s)' : 'orphaned or Entra ID profile(s)'
      throw new UsmtStepsError('USM0509', `${blocked.length} ${what} would be lost: ${blocked.map((d) => `${d.profile} (${d.account ?? d.sid ?? 'unknown account'}: ${d.rule === 'entra-blocked' ? ENTRA_REASON : d.status === 'deleted' ? 'deleted in AD' : 'SID not found'})`).join('; ')}; capture must not run`, {
        data: { blocked: blocked.map((d) => ({ profile: d.profile, account: d.account, sid: d.sid, status: d.status })) },
      })
    }
    const userArgs = buildUserArgs(selection.decisions)
    const tsEnv = await ctx.tsEnv()
    const variables = stepVariables('users', {
      USMTStepsUserArgs: userArgs.commandLine,
      OSDMigrateAdditionalCaptureOptions: mergeCaptureOptions(tsEnv.get('OSDMigrateAdditionalCaptureOptions'), userArgs.args),
      UDProfiles: userArgs.udProfiles,
      USMTStepsUserMapArgs: userArgs.mapArgs.join(' '),
    })
    const result: UsersResult = {
      source: listing.source, computerName, directory,
      policy: {
        includeGroups: policy.includeGroups.map((g) => g.name), excludeGroups: policy.excludeGroups.map((g) => g.name),
        includeOus: [...policy.includeOus], excludeOus: [...policy.excludeOus], skipDisabled: policy.skipDisabled, skipDeleted: policy.skipDeleted,
        inactiveDays: policy.inactiveDays, keepLocal: policy.keepLocal, orphans: policy.orphans, orphanMappings: Object.keys(policy.orphanMap).length,
      },
      profiles: selection.decisions, counts, userArgs, variables,
    }
    const where = directory.state === 'connected' ? `resolved in AD via ${directory.dc}` : directory.state === 'unavailable' ? 'directory unavailable, all kept' : 'file-based mode, directory not consulted'
    const text = [
      `Profiles from ${listing.source} (${where}):`,
      table,
      '',
      `USMTStepsUserArgs = ${userArgs.commandLine || '(empty: USMT default, all users)'}`,
      ...(userArgs.mapArgs.length ? [`USMTStepsUserMapArgs = ${variables.USMTStepsUserMapArgs}`] : []),
    ].join('\n')
    return {
      result, text, variables,
      summary: `${counts.capture} profile(s) to capture, ${counts.skip} left out (${where})`,
      status: selection.warnings.length > 0 || directory.state === 'unavailable' ? 'warning' : undefined,
    }
  } finally {
    await dir?.close()
  }
}
