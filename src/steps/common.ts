/**
 * What capture and restore share: opening the inputs, locating USMT, turning the store path into the form
 * USMT gets and a local path this process can read, finding migration XML files, the child environment
 * (without secrets), and copying USMT's logs next to usmt-steps.log and into the store.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StepContext } from '../cli/step-command.js'
import { UsmtStepsError } from '../runtime/errors.js'
import type { TsEnvironment } from '../ts-env/index.js'
import { isAbsolute as isWinAbsolute, isUnc, isWindowsPath, join as winJoin, normalize } from '../windows/path.js'
import { VolumeMap, findChildCaseInsensitive } from '../windows/volume-map.js'
import { resolveInputs, type StepInputs, type StepKind } from './inputs.js'
import { locateUsmt, toLocalPath, type UsmtLocation } from './locate.js'
import { runningArch } from './pe.js'
import { STORE_LOGS_DIR } from '../store/layout.js'

export interface StepSetup {
  tsEnv: TsEnvironment
  inputs: StepInputs
  volumes: VolumeMap
  location: UsmtLocation
  /** Folder where USMT's logs are written (the folder of usmt-steps.log, else a private temp folder). */
  logDir: string
}

export async function setupStep(ctx: StepContext, step: StepKind): Promise<StepSetup> {
  const tsEnv = await ctx.tsEnv()
  const inputs = await resolveInputs(step, {
    setting: ctx.setting, variable: (n) => tsEnv.get(n), variables: () => tsEnv.list(), flags: ctx.flags,
  })
  for (const [found, meant] of inputs.nearMisses) {
    ctx.warn(`task-sequence variable ${found} is not read by usmt-steps; did you mean ${meant}?`)
  }
  const volumes = VolumeMap.parse(inputs.volumes, inputs.removable, ctx.cwd)
  const arch = inputs.arch ?? runningArch(ctx.env)
  const location = locateUsmt({
    engine: inputs.engine, arch, usmtDir: inputs.usmtDir, packageId: inputs.packageId, variable: (n) => tsEnv.get(n),
    env: ctx.env, platform: process.platform, volumes, cwd: ctx.cwd,
  })
  ctx.logger.info(`USMT: ${location.engine} engine for ${arch} (${location.source})${location.dir ? ` in ${location.dir}` : ''}`)
  const logDir = ctx.logDir() ?? mkdtempSync(nodePath.join(os.tmpdir(), `usmt-steps-${step}-`))
  mkdirSync(logDir, { recursive: true })
  return { tsEnv, inputs, volumes, location, logDir }
}

export interface StorePaths {
  /** The store as the step was given it, normalised once when it is a Windows path (messages, variables). */
  path: string
  /** The store as USMT gets it. */
  usmt: string
  /** The store as this process reads it. */
  local: string
}

/**
 * The local path of a file input of a step (--rules, a list file): a Windows path goes through the volume map
 * like the store (issue #20 item 12); off Windows an unmapped drive or a UNC path is USM0003, never a file named
 * `C:\rules.xml` looked up in the current directory.
 */
export function localInputPath(p: string, s: Pick<StepSetup, 'volumes'>, cwd: string, what: string): string {
  const local = toLocalPath(p, { platform: process.platform, volumes: s.volumes, cwd })
  if (local) return local
  throw new UsmtStepsError('USM0003', `${what} ${p} cannot be reached from ${process.platform}: ${isUnc(p) ? 'mount the share and give the mounted folder' : `map drive ${p.slice(0, 2)} with --volume`}`, { data: { path: p } })
}

/** The store path for USMT and for this process. Off Windows a Windows path must be on a mapped volume. */
export function storePaths(given: string, s: StepSetup, cwd: string): StorePaths {
  const storePath = isWindowsPath(given) ? normalize(given) : given
  if (process.platform === 'win32') return { path: storePath, usmt: storePath, local: nodePath.resolve(cwd, storePath) }
  const local = toLocalPath(storePath, { platform: process.platform, volumes: s.volumes, cwd })
  if (!local) {
    throw new UsmtStepsError('USM0003', `the store path ${storePath} cannot be reached from ${process.platform}: ${isUnc(storePath) ? 'mount the share and give the mounted folder' : `map drive ${storePath.slice(0, 2)} with --volume`}`, {
      data: { storePath },
    })
  }
  return { path: storePath, usmt: s.location.engine === 'portable' ? local : storePath, local }
}

/** Where bundled migration XML files may live for the portable engine (none are required). */
function bundledXmlDirs(): string[] {
  const here = nodePath.dirname(fileURLToPath(import.meta.url))
  const root = nodePath.resolve(here, '..', '..')
  return [nodePath.join(root, 'templates', 'usmt-xml')]
}


/**
 * Resolve migration XML names: absolute paths stay; names are looked up in the USMT folder (Microsoft), or
 * in --usmt-dir and the bundled XML folder (portable). Returns the paths as USMT gets them.
 */
export function resolveXml(names: readonly string[], s: StepSetup, cwd: string, what: string, optional: boolean): { found: string[]; missing: string[] } {
  const found: string[] = []
  const missing: string[] = []
  const dirs: string[] = []
  if (s.location.dir) dirs.push(s.location.dir)
  if (s.location.engine === 'portable') {
    const u = s.inputs.usmtDir ? toLocalPath(s.inputs.usmtDir, { platform: process.platform, volumes: s.volumes, cwd }) : undefined
    if (u) dirs.push(nodePath.join(u, s.location.arch), u)
    dirs.push(...bundledXmlDirs())
  }
  for (const name of names) {
    if (isWinAbsolute(name) || nodePath.isAbsolute(name)) {
      const local = toLocalPath(name, { platform: process.platform, volumes: s.volumes, cwd })
      if (local && existsSync(local)) found.push(s.location.engine === 'portable' ? local : name)
      else missing.push(name)
      continue
    }
    const hit = dirs.map((d) => findChildCaseInsensitive(d, name)).find((x) => x !== undefined)
    if (hit) found.push(hit)
    else missing.push(name)
  }
  if (missing.length > 0 && !optional) {
    throw new UsmtStepsError('USM0315', `${what}: ${missing.join(', ')} not found in ${dirs.join(', ') || 'any USMT folder'}`, { data: { missing, searched: dirs } })
  }
  return { found, missing }
}

/** The process environment for USMT without secrets (a key given through the environment never reaches the child). */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue
    if (/^USMT_STEPS_(ENCRYPTION_KEY|DIRECTORY_PASSWORD)/i.test(k)) continue
    out[k] = v
  }
  return { ...out, USMT_STEPS_QUIET: '1', ...extra }
}

/** Copy USMT's logs into STORE\Logs (the store carries its own history). Returns the copies. */
export function copyLogsToStore(localStore: string, files: readonly string[]): string[] {
  if (!existsSync(localStore)) return []
  const dir = nodePath.join(localStore, STORE_LOGS_DIR)
  mkdirSync(dir, { recursive: true })
  const out: string[] = []
  for (const f of files) {
    if (!existsSync(f)) continue
    const dest = nodePath.join(dir, nodePath.basename(f))
    copyFileSync(f, dest)
    out.push(dest)
  }
  return out
}

/** The Windows profiles folder of the installation being migrated. */
export function profilesFolder(offlineWinDir: string | undefined, env: Record<string, string | undefined>): string {
  if (offlineWinDir) return winJoin(offlineWinDir.slice(0, 2), 'Users')
  return winJoin(env.SystemDrive ?? env.SYSTEMDRIVE ?? 'C:', 'Users')
}

/** The argv prefix of the portable tools (the same flags as `usmt-steps scanstate`). */
export function portableFlags(s: StepSetup, tool: 'scanstate' | 'loadstate'): string[] {
  if (s.location.engine !== 'portable') return []
  const out: string[] = []
  // Placed after the USMT arguments, in `--flag=value` form: a repeatable flag swallows the arguments that follow it.
  for (const v of s.volumes.volumes) out.push(`--${v.removable ? 'removable' : 'volume'}=${v.letter[0]}=${v.root}`)
  if (tool === 'scanstate' && s.inputs.usersFile) out.push(`--users=${nodePath.resolve(s.inputs.usersFile)}`)
  if (tool === 'scanstate' && s.inputs.attributesFile) out.push(`--attributes=${nodePath.resolve(s.inputs.attributesFile)}`)
  if (s.inputs.computer) out.push(`--computer=${s.inputs.computer}`)
  return out
}
