/**
 * Portable LoadState: restores a usmt-steps store onto mapped volumes with USMT's restore semantics:
 * every file is verified before the first one is written; `locationModify` (RuleSet.relocate) re-routes;
 * /mu and /md remap profiles; a destination drive that is not mapped falls back to C:; collisions follow
 * `<merge>` (SourcePriority / DestinationPriority) or the default rename `name(1).ext`; /lac and /lae are
 * reported (accounts cannot be created from here); timestamps and the read-only attribute are restored.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { loadRuleSet } from '../engine/index.js'
import type { RuleSet } from '../engine/contract.js'
import { wildcardMatches } from '../engine/pattern.js'
import { redactor } from '../runtime/redact.js'
import type { CatalogEntry, CatalogUser } from '../store/catalog.js'
import { readStoreKey } from '../store/crypto.js'
import { openStore, type OpenedStore } from '../store/store.js'
import type { RestoreItem } from '../store/types.js'
import { parseLoadStateArgs } from '../usmt/grammar.js'
import type { LoadStateOptions } from '../usmt/options.js'
import { USMT_MESSAGES, UsmtFailure } from '../usmt/return-codes.js'
import { failOnViolation, validateLoadState } from '../usmt/validate.js'
import { basename, dirname, extname, join as winJoin, joinCommandLine, parseWinPath, relativeTo } from '../windows/path.js'
import { CaseInsensitiveTree, type VolumeMap } from '../windows/volume-map.js'
import { parseUel, userPatternMatches } from '../engine/users.js'
import { ErrorTally, lenientLogPath, logFailure, openMainLog, openProgressLog, toolPath, toUsmtFailure, type PortableContext, type PortableResult } from './common.js'
import { decideFileError, readConfigPolicy, win32Code } from './policy.js'
import { catalogKindOf, storeKindFromSwitches } from '../store/kind.js'

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
  /** skipped-error: the file could not be written and /c or a <nonFatal> rule skipped it. */
  action: 'restored' | 'renamed' | 'overwritten' | 'kept-destination' | 'skipped-error'
  rule?: string
  /** Win32 error code of a skipped file. */
  error?: number
}

export interface LoadStateResult extends PortableResult {
  storePath?: string
  files: RestoredFile[]
  /** Errors skipped because of /c or a <nonFatal> rule (return code 3). */
  ignoredErrors: number
  accounts: AccountPlan[]
  notes: string[]
}

export const LOADSTATE_HELP = `usmt-steps loadstate — portable LoadState (USMT syntax; options start with / or -, case-insensitive)

  usmt-steps loadstate [--volume C=DIR…] [--users FILE] [--computer NAME] StorePath [/i:FILE…] [/config:FILE] [/c]
    [/hardlink /nocompress | /nocompress] [/decrypt[:AES_256] /key:KeyString | /keyfile:FILE]
    [/lac[:password] [/lae]] [/md:OldDomain:NewDomain…] [/mu:Old\\user:New\\user…] [/all | /ui:… /ue:… /uel:N|yyyy/mm/dd]
    [/l:FILE] [/v:N] [/progress:FILE]`


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
  const ext = extname(win)
  const base = basename(win)
  const stem = ext ? base.slice(0, -ext.length) : base
  return winJoin(dirname(win), `${stem}(${n})${ext}`)
}

export async function runLoadState(ctx: PortableContext): Promise<LoadStateResult> {
  const now = ctx.now ?? (() => new Date())
  const started = now()
  const program = 'loadstate'
  const commandLine = redactor.redact(joinCommandLine([program, ...ctx.argv]))
  const result: LoadStateResult = { returnCode: 0, message: USMT_MESSAGES.success, files: [], accounts: [], notes: [], ignoredErrors: 0 }
  let log = openMainLog(undefined, ctx, now)
  try {
    log = openMainLog(lenientLogPath(ctx.argv), ctx, now)
  } catch (err) {
    const f = toUsmtFailure(err, 'apply')
    return { ...result, returnCode: f.returnCode, message: f.message }
  }
  log.header('LOADSTATE', ctx.version, commandLine, started)
  log.status("Activity: 'MIGACTIVITY_COMMAND_LINE_PROCESSING'")
  let o: LoadStateOptions
  try {
    o = parseLoadStateArgs(ctx.argv)
    if (o.key !== undefined) redactor.add(o.key)
    if (o.lac?.password !== undefined) redactor.add(o.lac.password)
    if (o.help) {
      ctx.out(LOADSTATE_HELP)
      log.info(USMT_MESSAGES.help)
      log.close()
      return { ...result, returnCode: 1, message: USMT_MESSAGES.help }
    }
    failOnViolation(validateLoadState(o, { cwd: ctx.cwd }))
    if (o.decrypt?.algorithm !== undefined && !['AES', 'AES_256'].includes(o.decrypt.algorithm.toUpperCase())) {
      throw UsmtFailure.of('algorithm', { detail: 'the portable store decrypts AES-256-GCM only' })
    }
  } catch (err) {
    const f = toUsmtFailure(err, 'apply')
    logFailure(log, program, ctx.argv, f, 'command line')
    log.close()
    ctx.out(f.message)
    return { ...result, returnCode: f.returnCode, message: f.message }
  }
  let progress
  try {
    progress = openProgressLog(o.progress, ctx, now, started)
  } catch (err) {
    const f = toUsmtFailure(err, 'apply')
    logFailure(log, program, ctx.argv, f, 'run')
    log.close()
    return { ...result, returnCode: f.returnCode, message: f.message }
  }
  const computer = ctx.computer ?? 'PC'
  progress.program('LoadState.exe', ctx.version, computer, commandLine)
  progress.phase('Initializing')
  let store: OpenedStore | null = null
  const tally = new ErrorTally()
  let stopLine: string | null = null
  try {
    const storeRoot = toolPath(ctx, o.storePath as string, 'storePathInvalid')
    result.storePath = storeRoot
    if (!ctx.volumes.get('C:')) throw UsmtFailure.of('applyError', { detail: 'the destination system drive C: is not mapped (--volume C=DIR)' })
    const secret = o.decrypt ? await readStoreKey({ key: o.key, keyFile: o.keyFile === undefined ? undefined : toolPath(ctx, o.keyFile, 'keyfileAccess') }) : undefined
    store = await openStore(storeRoot, { secret })
    const expected = catalogKindOf(storeKindFromSwitches(o))
    if (store.kind !== expected) {
      throw UsmtFailure.of('storeNotRecognized', { detail: `${storeRoot} holds a ${store.kind} store; ${store.kind === 'hardlink' ? 'pass /hardlink /nocompress' : store.kind === 'mirror' ? 'pass /nocompress' : 'do not pass /nocompress or /hardlink'}` })
    }
    log.info(`Store: ${store.kind}${store.encrypted ? ' (encrypted)' : ''}, ${store.catalog.files.length} files, captured ${store.catalog.meta.created} on ${store.catalog.meta.computer}`)

    // Every file is checked before the first one is written.
    const bad = (await store.verify()).filter((r) => !r.ok)
    if (bad.length > 0) {
      for (const b of bad.slice(0, 50)) log.error(`Corrupted: ${b.entry.path}${b.reason ? ` (${b.reason})` : ''}`)
      throw UsmtFailure.of('corruptedStore', { detail: `${bad.length} corrupted file(s), e.g. ${bad[0].entry.path}` })
    }

    const scripts = o.include.map((f) => toolPath(ctx, f, 'scriptMissing'))
    const configFile = o.config === undefined ? undefined : toolPath(ctx, o.config, 'configFile')
    const ruleSet: RuleSet | null = scripts.length || configFile ? await loadRuleSet({ ruleFiles: scripts, configFile }) : null
    const disabled = new Set((ruleSet?.components ?? []).filter((c) => !c.migrate).map((c) => c.name))
    const errorPolicy = readConfigPolicy(configFile)
    for (const r of errorPolicy.fileErrors) log.info(`ErrorControl: ${r.kind} errorCode=${r.errorCode} ${r.pattern}`)

    // Accounts.
    const sourceComputer = store.catalog.meta.computer
    const existing = destinationAccounts(ctx.volumes, ctx.usersFile)
    const plans = new Map<string, AccountPlan>()
    const restoreNow = now()
    progress.phase('Scanning')
    for (const u of store.catalog.meta.users as CatalogUser[]) {
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

    // Destinations.
    progress.phase('Applying')
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
    for (const e of entries) {
      let win = ruleSet?.relocate(e.path, e.user) ?? e.path
      const rule = win !== e.path ? 'locationModify' : undefined
      const plan = e.user ? plans.get(e.user.toLowerCase()) : undefined
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
      const policy = ruleSet?.mergePolicy(e.path, e.user) ?? 'default'
      let action: RestoredFile['action'] = 'restored'
      let dest = win
      const taken = (p: string): boolean => claimed.has(p.toLowerCase()) || resolver.exists(p)
      if (taken(dest)) {
        if (policy === 'DestinationPriority' && !claimed.has(dest.toLowerCase())) {
          result.files.push({ source: e.path, destination: dest, action: 'kept-destination', rule: 'merge DestinationPriority' })
          continue
        }
        if (policy === 'SourcePriority' && !claimed.has(dest.toLowerCase())) {
          action = 'overwritten'
        } else {
          let n = 1
          while (taken(collisionName(win, n))) n++
          dest = collisionName(win, n)
          action = 'renamed'
        }
      }
      claimed.add(dest.toLowerCase())
      const local = resolver.local(dest)
      items.push({ entry: e, dest: local })
      const record: RestoredFile = { source: e.path, destination: dest, action, ...(rule || policy !== 'default' ? { rule: [rule, policy !== 'default' ? `merge ${policy}` : undefined].filter(Boolean).join(', ') } : {}) }
      result.files.push(record)
      byLocal.set(local, record)
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
    for (const f of result.files) if (f.action !== 'restored') log.info(`${f.source} → ${f.destination}: ${f.action}${f.rule ? ` (${f.rule})` : ''}`)
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
    const restored = result.files.filter((f) => f.action !== 'kept-destination' && f.action !== 'skipped-error').length
    ctx.out(`${restored} files restored from ${storeRoot}${tally.count ? `, ${tally.count} errors ignored` : ''}${result.notes.length ? `; ${result.notes.length} notes in the log` : ''}`)
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
