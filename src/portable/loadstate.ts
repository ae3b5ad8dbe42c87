/**
 * Portable LoadState: restores a usmt-steps store onto mapped volumes with USMT's restore semantics:
 * every file is verified before the first one is written; `locationModify` (RuleSet.relocate) re-routes;
 * /mu and /md remap profiles; a destination drive that is not mapped falls back to C:; collisions follow
 * `<merge>` (SourcePriority / DestinationPriority) or the default rename `name(1).ext`; /lac and /lae are
 * reported (accounts cannot be created from here); timestamps and the read-only attribute are restored.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import * as nodePath from 'node:path'
import { loadRuleSet } from '../engine/index.js'
import { captureFilter, filterName } from '../engine/filters.js'
import { compareVersions, readVersionInfo } from '../engine/pe.js'
import { tempBeside } from '../store/file-store.js'
import type { CleanupRule, LoadedRuleSet, RestorePlan } from '../engine/ruleset.js'
import { wildcardMatches } from '../engine/pattern.js'
import { redactor } from '../runtime/redact.js'
import type { CatalogEntry, CatalogUser } from '../store/catalog.js'
import { readStoreKey } from '../store/crypto.js'
import { openStore, type OpenedStore } from '../store/store.js'
import type { CatalogSeal } from '../store/seal.js'
import type { RestoreItem } from '../store/types.js'
import { parseLoadStateArgs } from '../usmt/grammar.js'
import type { LoadStateOptions } from '../usmt/options.js'
import { USMT_MESSAGES, UsmtFailure } from '../usmt/return-codes.js'
import { failOnViolation, validateLoadState } from '../usmt/validate.js'
import { basename, dirname, extname, join as winJoin, parseWinPath, relativeTo } from '../windows/path.js'
import { CaseInsensitiveTree, type VolumeMap } from '../windows/volume-map.js'
import { parseUel, userPatternMatches } from '../engine/users.js'
import {
  ErrorTally, logFailure, reportCatalogSeal, toolPath, toolSealKey, toUsmtFailure, type PortableContext, type PortableResult,
} from './common.js'
import { openToolProgress, parseToolCommandLine, startTool } from './tool-start.js'
import { decideFileError, readConfigPolicy, win32Code } from './policy.js'
import { decodeRegistry, type StoredRegistryValue } from '../store/registry.js'
import { localFile, machineHives, mountOf, userHives } from '../registry/hives.js'
import { createHive, hiveToolsMissing, mergeHive, readHive } from '../registry/hivex.js'
import type { RegMergeKey } from '../registry/reg-text.js'
import type { RegistryMergePolicy, RegistryRestoreRules } from '../engine/ruleset.js'
import { catalogKindOf, storeKindFromSwitches } from '../store/kind.js'

/** Numeric value of registry data for HigherValue/LowerValue (DWORD, QWORD, or a decimal string); null when not a number. */
function numericValue(v: { type: number; data: Buffer }): bigint | null {
  if (v.type === 4 && v.data.length === 4) return BigInt(v.data.readUInt32LE(0))
  if (v.type === 11 && v.data.length === 8) return v.data.readBigUInt64LE(0)
  if ((v.type === 1 || v.type === 2) && v.data.length % 2 === 0) {
    const t = v.data.toString('utf16le').replace(/\0+$/, '').trim()
    return /^\d+$/.test(t) ? BigInt(t) : null
  }
  return null
}

/** Does the destination's value stay (usmt.md `<merge>`: DestinationPriority; HigherValue/LowerValue compare numbers)? */
function destinationWins(policy: RegistryMergePolicy, dest: { type: number; data: Buffer }, src: { type: number; data: Buffer }): boolean {
  if (policy === 'DestinationPriority') return true
  if (policy !== 'HigherValue' && policy !== 'LowerValue') return false
  const d = numericValue(dest)
  const s = numericValue(src)
  if (d === null || s === null) return false
  return policy === 'HigherValue' ? d >= s : d <= s
}

/**
 * Write captured registry values into the destination's hives: HKCU into the (mapped) user's NTUSER.DAT
 * (UsrClass.dat for HKCU\Software\Classes), HKLM into SOFTWARE/SYSTEM. A profile without NTUSER.DAT gets a
 * copy of the Default profile's hive (what Windows does for a new profile) or an empty one. Per hive: one read
 * of the keys concerned (to tell written from overwritten) and one merge.
 */
export function applyRegistry(
  volumes: VolumeMap, values: readonly StoredRegistryValue[], profileOf: (user: string | null) => string | null, note: (n: string) => void,
  rules?: RegistryRestoreRules,
): RestoredSetting[] {
  const byHive = new Map<string, { winPath: string; local: string | null; values: Array<{ v: StoredRegistryValue; inner: string }> }>()
  const movedBy = new Map<StoredRegistryValue, { from: string; rule: string }>()
  const machine = machineHives(volumes, 'C:')
  for (const original of values) {
    const moved = rules?.registryRelocate(original.key, original.name, original.user) ?? null
    const v = moved ? { ...original, key: moved.key, name: moved.name } : original
    if (moved) movedBy.set(v, { from: `${original.key} [${original.name}]`, rule: moved.rule })
    let mounts = machine
    if (v.key.startsWith('HKCU')) {
      const profile = profileOf(v.user)
      if (!profile) continue
      mounts = userHives(volumes, profile)
    }
    const hit = mountOf(mounts, v.key)
    if (!hit) {
      note(`${v.key} [${v.name}] has no hive on the destination (only HKLM\\SOFTWARE, HKLM\\SYSTEM and HKCU are written); not restored`)
      continue
    }
    const g = byHive.get(hit.mount.winPath) ?? byHive.set(hit.mount.winPath, { winPath: hit.mount.winPath, local: hit.mount.local, values: [] }).get(hit.mount.winPath) as { winPath: string; local: string | null; values: Array<{ v: StoredRegistryValue; inner: string }> }
    g.values.push({ v, inner: hit.inner })
  }
  const out: RestoredSetting[] = []
  for (const g of byHive.values()) {
    let local = g.local
    if (local === null) {
      local = volumes.toLocal(g.winPath)
      if (!local) continue
      mkdirSync(nodePath.dirname(local), { recursive: true })
      const template = /\\NTUSER\.DAT$/i.test(g.winPath) ? localFile(volumes, 'C:\\Users\\Default\\NTUSER.DAT') : null
      if (template) copyFileSync(template, local)
      else createHive(local)
      note(`${g.winPath} did not exist: created ${template ? 'from the Default profile\'s NTUSER.DAT' : 'as an empty hive'}`)
    }
    const keys = [...new Set(g.values.map((x) => x.inner))]
    const existing = new Map<string, Map<string, { type: number; data: Buffer }>>()
    for (const rec of readHive(local, keys)) existing.set(rec.path.toLowerCase(), new Map(rec.values.map((x) => [x.name.toLowerCase(), x])))
    const merge = new Map<string, RegMergeKey>()
    for (const { v, inner } of g.values) {
      const parts = inner.split('\\').filter(Boolean)
      const keyPath = `\\${parts.join('\\')}`
      const had = existing.get(keyPath.toLowerCase())?.get(v.name.toLowerCase())
      const mv = movedBy.get(v)
      const source = mv?.from ?? `${v.key} [${v.name}]`
      const policy = rules?.registryMergePolicy(v.key, v.name, v.user) ?? { policy: 'default' as const, rule: null }
      const ruleText = [mv?.rule, policy.rule].filter((x): x is string => !!x).join('; ') || undefined
      const record: RestoredSetting = { source, hive: g.winPath, user: v.user, action: had ? 'overwritten' : 'written', ...(ruleText ? { rule: ruleText } : {}), ...(mv ? { destination: `${v.key} [${v.name}]` } : {}) }
      if (had && destinationWins(policy.policy, had, v)) {
        out.push({ ...record, action: 'kept-destination' })
        continue
      }
      for (let i = 1; i <= parts.length; i++) {
        const k = `\\${parts.slice(0, i).join('\\')}`
        if (!merge.has(k.toLowerCase())) merge.set(k.toLowerCase(), { path: k, set: [] })
      }
      const target = merge.get(keyPath.toLowerCase()) as RegMergeKey
      target.set = target.set.filter((x) => x.name.toLowerCase() !== v.name.toLowerCase())
      target.set.push({ name: v.name, type: v.type, data: v.data })
      out.push(record)
    }
    mergeHive(local, [...merge.values()])
  }
  return out
}

export interface AccountPlan {
  source: string
  target: string
  sourceProfile: string
  targetProfile: string
  local: boolean
  migrated: boolean
  /** For local accounts missing on the destination: what /lac and /lae would do on Windows. */
  localAccount?: 'exists' | 'create-disabled' | 'create-enabled' | 'skipped-no-lac'
  reason: string
}

export interface RestoredFile {
  source: string
  destination: string
  /**
   * skipped-error: the file could not be written and /c or a <nonFatal> rule skipped it; not-restored: every
   * component that includes it filters it out on LoadState (NeverRestore()); `destination` is then empty.
   */
  action: 'restored' | 'renamed' | 'overwritten' | 'kept-destination' | 'skipped-error' | 'not-restored'
  rule?: string
  /** Win32 error code of a skipped file. */
  error?: number
}

export interface RestoredSetting {
  /** Source location `KEY [Value]` and the hive file it was written into (Windows path on the destination). */
  source: string
  hive: string
  user: string | null
  /**
   * 'written': the value was absent; 'overwritten': the source replaced the destination's value (USMT's default
   * for the registry, and SourcePriority); 'kept-destination': a `<merge>` rule (DestinationPriority, or
   * HigherValue/LowerValue when the destination's number wins) kept the destination's value.
   */
  action: 'written' | 'overwritten' | 'kept-destination'
  /** The `<merge>` / `<locationModify>` rules that applied. */
  rule?: string
  /** Destination location when `<locationModify>` moved the value. */
  destination?: string
}

export interface LoadStateResult extends PortableResult {
  storePath?: string
  files: RestoredFile[]
  /** Registry values written into the destination's hives. */
  settings: RestoredSetting[]
  /** Registry values in the store that this runtime could not apply (no offline registry tools): return code 3. */
  registryNotApplied?: number
  /** Errors skipped because of /c or a <nonFatal> rule (return code 3). */
  ignoredErrors: number
  accounts: AccountPlan[]
  notes: string[]
  /** Destination files deleted by `<destinationCleanup>` before the apply. */
  cleaned: string[]
  /** Hard-link and uncompressed stores: how the catalog's seal was checked (--seal-key-file). */
  catalogSeal?: CatalogSeal
}

export const LOADSTATE_HELP = `usmt-steps loadstate — portable LoadState (USMT syntax; options start with / or -, case-insensitive)

  usmt-steps loadstate [--volume C=DIR…] [--users FILE] [--computer NAME] StorePath [/i:FILE…] [/config:FILE] [/c]
    [/hardlink /nocompress | /nocompress] [/decrypt[:AES_256] /key:KeyString | /keyfile:FILE]
    [/lac[:password] [/lae]] [/md:OldDomain:NewDomain…] [/mu:Old\\user:New\\user…] [/all | /ui:… /ue:… /uel:N|yyyy/mm/dd]
    [/l:FILE] [/v:N] [/progress:FILE] [--seal-key-file FILE]`


function splitAccount(a: string): { domain: string; user: string } {
  const i = a.indexOf('\\')
  return i < 0 ? { domain: '', user: a } : { domain: a.slice(0, i), user: a.slice(i + 1) }
}

/**
 * User selection at restore (usmt.md §10, the same decision as at capture): `/ui` wins over `/ue` and
 * `/uel`; with `/uel` a user is restored when the last use recorded at capture (NTUSER.DAT modification
 * time) lies inside the window counted back from now, and `/ue` no longer applies; otherwise `/ue` excludes.
 * `/uel:0` means "logged on when ScanState ran": the portable ScanState reads volumes offline, where nobody
 * is logged on, so no user qualifies through `/uel:0`. A bare name means a local account of the source computer.
 */
export function selectAtRestore(
  u: Pick<CatalogUser, 'account' | 'sid' | 'lastUse'>,
  o: Pick<LoadStateOptions, 'ui' | 'ue' | 'uel'>,
  sourceComputer: string,
  now: Date,
): { migrated: boolean; reason: string } {
  const profile = { account: u.account, profile: '', sid: u.sid }
  const ui = o.ui.find((p) => userPatternMatches(p, profile, sourceComputer))
  if (ui !== undefined) return { migrated: true, reason: `included by /ui:${ui}` }
  if (o.uel !== undefined) {
    const uel = parseUel(o.uel, now)
    if (uel.since === null) return { migrated: false, reason: `${uel.text}: nobody was logged on when the portable ScanState read the volume` }
    const last = u.lastUse === undefined ? Number.NaN : Date.parse(u.lastUse)
    if (Number.isNaN(last)) return { migrated: false, reason: `${uel.text}: the store records no last use for ${u.account}` }
    const within = last >= uel.since.getTime()
    return { migrated: within, reason: `last used ${u.lastUse}, ${within ? 'within' : 'outside'} ${uel.text}` }
  }
  const ue = o.ue.find((p) => userPatternMatches(p, profile, sourceComputer))
  if (ue !== undefined) return { migrated: false, reason: `excluded by /ue:${ue}` }
  return { migrated: true, reason: 'selected' }
}

/** Apply /mu (exact, first match) or /md (domain, wildcards, first match) to an account. */
export function mapAccount(account: string, o: Pick<LoadStateOptions, 'md' | 'mu'>): string {
  const { domain, user } = splitAccount(account)
  for (const m of o.mu) {
    const from = m.from.includes('\\') ? m.from : null
    const hit = from ? from.toLowerCase() === account.toLowerCase() : m.from.toLowerCase() === user.toLowerCase()
    if (hit) return m.to.includes('\\') ? m.to : `${domain}\\${m.to}`
  }
  for (const m of o.md) if (wildcardMatches(m.from, domain)) return `${m.to}\\${user}`
  return account
}

/** Existing accounts on the destination: --users FILE, else the profile folders under C:\Users. */
function destinationAccounts(volumes: VolumeMap, usersFile: string | undefined): Set<string> {
  const out = new Set<string>()
  if (usersFile) {
    try {
      for (const u of JSON.parse(readFileSync(usersFile, 'utf8')) as Array<{ account: string }>) out.add(u.account.toLowerCase())
    } catch (err) {
      throw UsmtFailure.of('malfunction', { detail: `--users ${usersFile}: ${(err as Error).message}` })
    }
    return out
  }
  const users = volumes.toLocal('C:\\Users')
  if (users) {
    try {
      for (const d of readdirSync(users, { withFileTypes: true })) if (d.isDirectory()) out.add(`*\\${d.name.toLowerCase()}`)
    } catch {
      // no profiles folder: no accounts
    }
  }
  return out
}

/** `name(1).ext`, `name(2).ext` … (USMT's default for a file that exists on the destination). */
export function collisionName(win: string, n: number): string {
  return placeByPattern(win, '<F>(<N>).<E>', n)
}

/**
 * `MigXmlHelper.FindFilePlaceByPattern` names: `<F>` the file name without its extension, `<N>` the counter,
 * `<E>` the extension (without the dot); for a name without an extension the `.` before `<E>` is dropped.
 * `"<F> (<N>).<E>"` names the second `MyDocument.doc` `MyDocument (1).doc`.
 */
export function placeByPattern(win: string, pattern: string, n: number): string {
  const ext = extname(win)
  const base = basename(win)
  const stem = ext ? base.slice(0, -ext.length) : base
  const e = ext.replace(/^\./, '')
  const p = e ? pattern : pattern.replace(/\.?<E>/gi, '')
  const name = p.replace(/<F>/gi, stem).replace(/<N>/gi, String(n)).replace(/<E>/gi, e)
  return winJoin(dirname(win), name)
}

/** Files on the destination that match a `<destinationCleanup>` pattern (walked from the pattern's literal folder). */
function cleanupMatches(volumes: VolumeMap, rule: CleanupRule): Array<{ win: string; local: string }> {
  const out: Array<{ win: string; local: string }> = []
  const node = rule.pattern.node
  const star = node.indexOf('*')
  const literal = (star < 0 ? node : node.slice(0, node.lastIndexOf('\\', star))).replace(/\\+$/, '')
  const start = volumes.toLocal(literal.length === 2 ? `${literal}\\` : literal)
  if (!start) return out
  const stack: Array<{ win: string; local: string }> = [{ win: literal, local: start }]
  while (stack.length) {
    const { win, local } = stack.pop() as { win: string; local: string }
    const key = win.toLowerCase()
    if (!rule.pattern.canMatchUnder(key)) continue
    let entries
    try {
      entries = readdirSync(local, { withFileTypes: true })
    } catch {
      continue
    }
    const here = rule.pattern.matchesDir(key)
    for (const e of entries) {
      if (e.isDirectory()) stack.push({ win: `${win}\\${e.name}`, local: nodePath.join(local, e.name) })
      else if (here && e.isFile() && rule.pattern.matchesLeaf(e.name.toLowerCase())) out.push({ win: `${win}\\${e.name}`, local: nodePath.join(local, e.name) })
    }
  }
  return out.sort((a, b) => (a.win < b.win ? -1 : a.win > b.win ? 1 : 0))
}

export async function runLoadState(ctx: PortableContext): Promise<LoadStateResult> {
  const program = 'loadstate'
  const result: LoadStateResult = { returnCode: 0, message: USMT_MESSAGES.success, files: [], settings: [], accounts: [], notes: [], ignoredErrors: 0, cleaned: [] }
  const start = startTool(ctx, program, 'apply')
  if (start instanceof UsmtFailure) return { ...result, returnCode: start.returnCode, message: start.message }
  const { now, log } = start
  const parsed = parseToolCommandLine(ctx, log, { program, phase: 'apply', help: LOADSTATE_HELP }, () => {
    const o = parseLoadStateArgs(ctx.argv)
    if (o.key !== undefined) redactor.add(o.key)
    if (o.lac?.password !== undefined) redactor.add(o.lac.password)
    return o
  }, (o) => {
    failOnViolation(validateLoadState(o, { cwd: ctx.cwd }))
    if (o.decrypt?.algorithm !== undefined && !['AES', 'AES_256'].includes(o.decrypt.algorithm.toUpperCase())) {
      throw UsmtFailure.of('algorithm', { detail: 'the portable store decrypts AES-256-GCM only' })
    }
  })
  if ('exit' in parsed) return { ...result, ...parsed.exit }
  const o: LoadStateOptions = parsed.options
  const opened = openToolProgress(ctx, start, { program, phase: 'apply' }, o.progress)
  if ('exit' in opened) return { ...result, ...opened.exit }
  const { progress } = opened
  const computer = ctx.computer ?? 'PC'
  let store: OpenedStore | null = null
  const tally = new ErrorTally()
  let stopLine: string | null = null
  try {
    const storeRoot = toolPath(ctx, o.storePath as string, 'storePathInvalid')
    result.storePath = storeRoot
    if (!ctx.volumes.get('C:')) throw UsmtFailure.of('applyError', { detail: 'the destination system drive C: is not mapped (--volume C=DIR)' })
    const secret = o.decrypt ? await readStoreKey({ key: o.key, keyFile: o.keyFile === undefined ? undefined : toolPath(ctx, o.keyFile, 'keyfileAccess') }) : undefined
    const seal = toolSealKey(ctx, false)
    store = await openStore(storeRoot, { secret, sealKey: seal?.key })
    const expected = catalogKindOf(storeKindFromSwitches(o))
    if (store.kind !== expected) {
      throw UsmtFailure.of('storeNotRecognized', { detail: `${storeRoot} holds a ${store.kind} store; ${store.kind === 'hardlink' ? 'pass /hardlink /nocompress' : store.kind === 'mirror' ? 'pass /nocompress' : 'do not pass /nocompress or /hardlink'}` })
    }
    log.info(`Store: ${store.kind}${store.encrypted ? ' (encrypted)' : ''}, ${store.catalog.files.length} files, captured ${store.catalog.meta.created} on ${store.catalog.meta.computer}`)
    result.catalogSeal = reportCatalogSeal(store, seal?.file, log, ctx.warn)

    // Hard-link and mirror stores: every file is checked before the first one is written. A compressed store is
    // read once: the restore authenticates and checks every frame and file against the catalog as it decodes
    // them; a damaged file stops it with USM0212 (42), and that file is not left behind.
    const bad = store.kind === 'compressed' ? [] : (await store.verify()).filter((r) => !r.ok)
    if (bad.length > 0) {
      for (const b of bad.slice(0, 50)) log.error(`Corrupted: ${b.entry.path}${b.reason ? ` (${b.reason})` : ''}`)
      throw UsmtFailure.of('corruptedStore', { detail: `${bad.length} corrupted file(s), e.g. ${bad[0].entry.path}` })
    }

    const scripts = o.include.map((f) => toolPath(ctx, f, 'scriptMissing'))
    const configFile = o.config === undefined ? undefined : toolPath(ctx, o.config, 'configFile')
    const catalogUsers = store.catalog.meta.users as CatalogUser[]
    const ruleSet = scripts.length || configFile
      ? await loadRuleSet({ ruleFiles: scripts, configFile, profiles: catalogUsers.map((u) => ({ account: u.account, profile: u.profile, sid: u.sid })) }) as LoadedRuleSet
      : null
    const disabled = new Set((ruleSet?.components ?? []).filter((c) => !c.migrate).map((c) => c.name))
    const errorPolicy = readConfigPolicy(configFile)
    for (const r of errorPolicy.fileErrors) log.info(`ErrorControl: ${r.kind} errorCode=${r.errorCode} ${r.pattern}`)

    // Accounts.
    const sourceComputer = store.catalog.meta.computer
    const existing = destinationAccounts(ctx.volumes, ctx.usersFile)
    const plans = new Map<string, AccountPlan>()
    const restoreNow = now()
    progress.phase('Scanning')
    for (const u of catalogUsers) {
      const target = mapAccount(u.account, o)
      const { domain, user } = splitAccount(target)
      const local = splitAccount(u.account).domain.toLowerCase() === sourceComputer.toLowerCase()
      const targetProfile = user.toLowerCase() === splitAccount(u.account).user.toLowerCase() ? u.profile : winJoin(dirname(u.profile), user)
      const plan: AccountPlan = { source: u.account, target, sourceProfile: u.profile, targetProfile, local, migrated: true, reason: 'selected' }
      const pick = selectAtRestore(u, o, sourceComputer, restoreNow)
      if (!pick.migrated) {
        plan.migrated = false
        plan.reason = pick.reason
        log.info(`User ${u.account} is not restored: ${pick.reason}`)
      } else if (local) {
        const exists = existing.has(target.toLowerCase()) || existing.has(`*\\${user.toLowerCase()}`) || existing.has(`${computer}\\${user}`.toLowerCase())
        if (exists) plan.localAccount = 'exists'
        else if (o.lac) {
          plan.localAccount = o.lae ? 'create-enabled' : 'create-disabled'
          plan.reason = `local account ${computer}\\${user} would be created${o.lae ? ' and enabled' : ' (disabled; /lae enables it)'}${o.lac.password !== undefined ? ' with the /lac password' : ' with an empty password'} — accounts are not created from this OS`
          result.notes.push(plan.reason)
          log.info(plan.reason)
        } else {
          plan.localAccount = 'skipped-no-lac'
          plan.migrated = false
          plan.reason = `local account ${u.account} does not exist on the destination and /lac was not given`
          log.warning(plan.reason)
        }
      }
      if (target !== u.account) log.info(`Account ${u.account} → ${target} (${domain ? 'mapped' : 'renamed'}), profile ${u.profile} → ${targetProfile}`)
      plans.set(u.account.toLowerCase(), plan)
      progress.detectedUser(u.account, plan.migrated)
    }
    result.accounts = [...plans.values()]

    // Destinations: where each including component puts each file (locationModify), for every migrated user.
    progress.phase('Applying')
    const migratedSources = [...plans.values()].filter((pl) => pl.migrated).map((pl) => ({ account: pl.source, profile: pl.sourceProfile }))
    const restorePlan: RestorePlan | null = ruleSet ? ruleSet.restorePlan(migratedSources) : null
    // <destinationCleanup>: after the destinations are known, before anything is applied (usmt.md §7.1).
    if (ruleSet) {
      const targets = [...plans.values()].filter((pl) => pl.migrated).map((pl) => ({ account: pl.target, profile: pl.targetProfile }))
      for (const rule of ruleSet.restorePlan(targets).cleanupRules()) {
        const filter = rule.filter ? captureFilter(rule.filter) : null
        if (filter?.kind === 'notEvaluated') {
          log.warning(`${rule.rule}: filter ${filterName(rule.filter as NonNullable<CleanupRule['filter']>)} is not evaluated; nothing is deleted by this rule (${filter.why})`)
          continue
        }
        for (const m of cleanupMatches(ctx.volumes, rule)) {
          if (filter?.kind === 'const' && !filter.value) continue
          if (filter?.kind === 'stat') {
            const st = statSync(m.local, { throwIfNoEntry: false })
            if (!st || !filter.test(st)) continue
          }
          rmSync(m.local, { force: true })
          result.cleaned.push(m.win)
          log.info(`destinationCleanup deleted ${m.win} (${rule.rule})`)
        }
      }
    }
    const resolver = new CaseInsensitiveTree(ctx.volumes)
    const claimed = new Set<string>()
    const items: Array<RestoreItem<CatalogEntry>> = []
    /** Per local destination: the restored-file record (its Windows path, for errors and the result). */
    const byLocal = new Map<string, RestoredFile>()
    const entries = store.catalog.files.filter((e) => {
      if (disabled.has(e.component)) return false
      if (e.user === null) return true
      return plans.get(e.user.toLowerCase())?.migrated ?? selectAtRestore({ account: e.user }, o, sourceComputer, restoreNow).migrated
    })
    const mergeWarned = new Set<string>()
    /** NewestVersion collisions: the source is written beside the destination, then the newer copy stays. */
    const newest: Array<{ temp: string; destLocal: string; dest: string; record: RestoredFile; tag: 'FileVersion' | 'ProductVersion' }> = []
    for (const e of entries) {
      const decision = restorePlan ? restorePlan.targets(e.path, e.user, e.component) : { targets: [{ path: e.path, user: e.user }], skipped: undefined }
      if (decision.targets.length === 0) {
        result.files.push({ source: e.path, destination: '', action: 'not-restored', rule: decision.skipped })
        continue
      }
      const merge = ruleSet?.mergeDecision(e.path, e.user) ?? { kind: 'default' as const }
      if (merge.notEvaluated && !mergeWarned.has(merge.notEvaluated)) {
        mergeWarned.add(merge.notEvaluated)
        log.warning(`Not evaluated: ${merge.notEvaluated}`)
        result.notes.push(`not evaluated: ${merge.notEvaluated}`)
      }
      for (const t of decision.targets) {
        let win = t.path
        const rule = t.rule ? 'locationModify' : undefined
        const owner = t.user ?? e.user
        const plan = owner ? plans.get(owner.toLowerCase()) : undefined
        if (plan && plan.targetProfile !== plan.sourceProfile) {
          const rel = relativeTo(win, plan.sourceProfile)
          if (rel !== null) win = winJoin(plan.targetProfile, rel)
        }
        const drive = parseWinPath(win).root
        if (!ctx.volumes.get(drive)) {
          const moved = `C:${win.slice(drive.length)}`
          log.info(`Drive ${drive} is not present on the destination: ${win} → ${moved}`)
          win = moved
        }
        const policy = merge.kind
        let action: RestoredFile['action'] = 'restored'
        let dest = win
        const taken = (p: string): boolean => claimed.has(p.toLowerCase()) || resolver.exists(p)
        if (taken(dest)) {
          if (policy === 'DestinationPriority' && !claimed.has(dest.toLowerCase())) {
            result.files.push({ source: e.path, destination: dest, action: 'kept-destination', rule: 'merge DestinationPriority' })
            continue
          }
          if (policy === 'NewestVersion' && merge.tag && !claimed.has(dest.toLowerCase())) {
            claimed.add(dest.toLowerCase())
            const destLocal = resolver.local(dest)
            const temp = tempBeside(destLocal)
            items.push({ entry: e, dest: temp })
            const record: RestoredFile = { source: e.path, destination: dest, action: 'overwritten', rule: `merge NewestVersion("${merge.tag}")` }
            result.files.push(record)
            byLocal.set(temp, record)
            newest.push({ temp, destLocal, dest, record, tag: merge.tag })
            continue
          }
          if (policy === 'SourcePriority' && !claimed.has(dest.toLowerCase())) {
            action = 'overwritten'
          } else {
            const name = (n: number): string => (policy === 'FindFilePlaceByPattern' && merge.pattern ? placeByPattern(win, merge.pattern, n) : collisionName(win, n))
            let n = 1
            while (taken(name(n))) n++
            dest = name(n)
            action = 'renamed'
          }
        }
        claimed.add(dest.toLowerCase())
        const local = resolver.local(dest)
        items.push({ entry: e, dest: local })
        const ruleText = [rule, policy !== 'default' ? `merge ${policy}${merge.pattern ? `("${merge.pattern}")` : ''}` : undefined].filter(Boolean).join(', ')
        const record: RestoredFile = { source: e.path, destination: dest, action, ...(ruleText ? { rule: ruleText } : {}) }
        result.files.push(record)
        byLocal.set(local, record)
      }
    }
    const total = items.reduce((n, i) => n + i.entry.size, 0)
    progress.totalSize(total)
    progress.percent(0)
    let done = 0
    const noteSet = new Set<string>()
    await store.restore(items, (r, e) => {
      resolver.added(r.dest)
      for (const n of r.notes) noteSet.add(n)
      done += e.size
      const pct = total ? (done / total) * 100 : 100
      progress.percent(Math.min(99, pct))
      ctx.onPercent?.(pct, e.path)
      if ((o.verbosity ?? 0) & 1) log.info(`Applied ${e.path} → ${r.dest} (${r.how})`)
    }, (err, e, local) => {
      // A destination file that cannot be written: /c or a <nonFatal> rule skips it (return code 3);
      // otherwise the restore stops (61), as ScanState does for a file it cannot read.
      const record = byLocal.get(local)
      const win = record?.destination ?? e.path
      const code = win32Code(err)
      const decision = decideFileError(errorPolicy, win, code, o.continueOnError)
      progress.error('UnableToApply', win, decision.ignore ? 'Ignore' : 'Abort', code)
      const line = `Apply error ${code} (${err.code ?? 'unknown'}) for ${win}${decision.rule ? ` (ErrorControl ${decision.rule.kind} ${decision.rule.pattern})` : ''}`
      log.error(line)
      tally.add(code, `Apply error ${code} for ${win}`, !decision.ignore)
      if (!decision.ignore) {
        log.error('USMT is shutting down due to errors. If the error is non-fatal, you can use /c to ignore these errors and continue migration.')
        stopLine = line
        return 'abort'
      }
      if (record) {
        record.action = 'skipped-error'
        record.error = code
      }
      done += e.size
      return 'ignore'
    }).catch((err: unknown) => {
      if (stopLine !== null) throw UsmtFailure.of('ioStopped', { detail: stopLine, cause: err })
      throw err
    })
    // NewestVersion: the copy with the higher version stays; without a version on both sides, the default rename.
    for (const nv of newest) {
      if (nv.record.action === 'skipped-error') continue
      byLocal.delete(nv.temp)
      const version = (local: string): string | undefined => readVersionInfo(local)?.[nv.tag]
      const src = version(nv.temp)
      const dst = version(nv.destLocal)
      if (src !== undefined && dst !== undefined) {
        if (compareVersions(src, dst) > 0) {
          renameSync(nv.temp, nv.destLocal)
          byLocal.set(nv.destLocal, nv.record)
          nv.record.rule = `${nv.record.rule}: source ${src} > destination ${dst}`
        } else {
          rmSync(nv.temp, { force: true })
          nv.record.action = 'kept-destination'
          nv.record.rule = `${nv.record.rule}: destination ${dst} >= source ${src}`
        }
        continue
      }
      let n = 1
      while (claimed.has(collisionName(nv.dest, n).toLowerCase()) || resolver.exists(collisionName(nv.dest, n))) n++
      const renamed = collisionName(nv.dest, n)
      claimed.add(renamed.toLowerCase())
      renameSync(nv.temp, resolver.local(renamed))
      byLocal.set(resolver.local(renamed), nv.record)
      nv.record.action = 'renamed'
      nv.record.destination = renamed
      nv.record.rule = `${nv.record.rule}: no ${nv.tag} on ${src === undefined ? 'the source copy' : 'the destination file'}, default rename`
    }
    for (const f of result.files) {
      if (f.action === 'not-restored') log.info(`${f.source}: ${f.rule ?? 'not restored'}`)
      else if (f.action !== 'restored') log.info(`${f.source} → ${f.destination}: ${f.action}${f.rule ? ` (${f.rule})` : ''}`)
    }
    // Registry values: one hivex read and one merge per destination hive; the source overwrites (usmt.md §7.1).
    const settings = decodeRegistry(store.catalog.meta.registry, storeRoot).filter((v) => !disabled.has(v.component)
      && (v.user === null || (plans.get(v.user.toLowerCase())?.migrated ?? false)))
    const hiveTools = settings.length ? hiveToolsMissing() : null
    if (hiveTools !== null) {
      // Not applied, and said so (return code 3, each value in the log): never a silent loss, never a failed restore of the files.
      for (const v of settings) log.warning(`Registry ${v.key} [${v.name}]${v.user ? ` (${v.user})` : ''}: not applied: ${hiveTools}`)
      const n = `${settings.length} registry values in the store were not applied: ${hiveTools}`
      result.notes.push(n)
      result.registryNotApplied = settings.length
      result.returnCode = 3
      result.message = n
    } else if (settings.length) {
      const applied = applyRegistry(ctx.volumes, settings, (user) => (user ? plans.get(user.toLowerCase())?.targetProfile ?? null : null), (n) => {
        result.notes.push(n)
        log.info(n)
      }, ruleSet ?? undefined)
      result.settings = applied
      for (const s of applied) if ((o.verbosity ?? 0) & 1) log.info(`Registry ${s.source} → ${s.hive}: ${s.action}`)
      log.info(`${applied.length} registry values written into ${new Set(applied.map((a) => a.hive)).size} hives`)
    }
    if (ctx.appliedFile !== undefined) {
      const localOf = new Map([...byLocal].map(([local, rec]) => [rec, local] as const))
      const lines = result.files.map((f) => JSON.stringify([f.source, f.destination, f.action, localOf.get(f) ?? null, ...(f.error !== undefined ? [f.error] : [])]))
      await writeFile(nodePath.resolve(ctx.cwd, ctx.appliedFile), lines.length ? `${lines.join('\n')}\n` : '')
    }
    for (const n of noteSet) {
      result.notes.push(n)
      log.info(`Note: ${n}`)
    }
    result.ignoredErrors = tally.count
    if (tally.count > 0) {
      result.returnCode = 3
      result.message = USMT_MESSAGES.wouldHaveFailed
    }
    progress.percent(100)
    progress.final(result.returnCode, tally.count, result.returnCode === 0 ? USMT_MESSAGES.success : result.message)
    log.success(tally.summary(), tally.count)
    const restored = result.files.filter((f) => f.action !== 'kept-destination' && f.action !== 'skipped-error' && f.action !== 'not-restored').length
    ctx.out(`${restored} files${result.settings.length ? ` and ${result.settings.length} registry values` : ''} restored from ${storeRoot}${result.registryNotApplied ? `; ${result.registryNotApplied} registry values NOT applied (return code 3)` : ''}${tally.count ? `, ${tally.count} errors ignored` : ''}${result.notes.length ? `; ${result.notes.length} notes in the log` : ''}`)
    return result
  } catch (err) {
    const f = toUsmtFailure(err, 'apply')
    progress.final(f.returnCode, tally.count, f.message)
    logFailure(log, program, ctx.argv, f, 'run', tally.summary())
    ctx.out(`${f.message}${f.detail ? ` (${f.detail})` : ''}`)
    return { ...result, returnCode: f.returnCode, message: f.message, ignoredErrors: tally.count }
  } finally {
    await store?.close()
    progress.close()
    log.close()
  }
}
