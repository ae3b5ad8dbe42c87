/**
 * The capture's checks before scanstate runs: the machine's profiles (for Entra ID accounts) and the
 * cloud-only files in them, with the policy (USMTStepsCloudOnlyPolicy: fail | warn | exclude) applied.
 * Whatever the policy, files found are never handed to scanstate: a generated migration XML excludes them
 * explicitly (unconditionalExclude), so scanstate neither fails on them nor lists them as errors.
 */
import { writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { StepContext } from '../cli/step-command.js'
import { listVolumeProfiles, listWindowsProfiles, type ProfileEntry } from '../directory/profiles.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { stepVariables } from '../runtime/variables.js'
import { findBridgeHost } from '../windows/com-bridge.js'
import { readAttributeBits } from '../windows/file-attributes.js'
import { basename } from '../windows/path.js'
import { VolumeMap } from '../windows/volume-map.js'
import { cloudExclusionXml, describeCloudFile, describeCloudUsers, scanCloudFiles, type AttributeSourceKind, type CloudPolicy, type CloudUserSummary } from './cloud-files.js'

export interface CloudOnlyResult {
  policy: CloudPolicy
  source: AttributeSourceKind
  /** False when some profile could not be checked (see notes): then "0 files" means "not known". */
  checked: boolean
  /** What the step did: excluded (policy exclude), warned (policy warn: excluded too, with a warning), none found, or not checked. */
  action: 'excluded' | 'warned' | 'failed' | 'none' | 'not-checked'
  files: number
  bytes: number
  users: CloudUserSummary[]
  /** The generated exclusion XML passed to scanstate with /i:. */
  exclusionXml?: string
  notes: string[]
}

export interface PreCapture {
  profiles: ProfileEntry[]
  cloud: CloudOnlyResult
}

/** The profiles of the machine being captured. Failures to list are reported, never fatal here (scanstate lists users too). */
async function listProfiles(ctx: StepContext, volumes: VolumeMap, usersFile: string | undefined, offlineWinDir: string | undefined): Promise<{ profiles: ProfileEntry[]; note?: string }> {
  try {
    if (volumes.volumes.length > 0) return { profiles: listVolumeProfiles(volumes, usersFile, offlineWinDir ? offlineWinDir.slice(0, 2).toUpperCase() : 'C:').profiles }
    if (process.platform === 'win32') {
      if (offlineWinDir) {
        const drive = offlineWinDir.slice(0, 2).toUpperCase()
        return { profiles: listVolumeProfiles(VolumeMap.parse([`${drive[0]}=${drive}\\`], [], ctx.cwd), usersFile, drive).profiles }
      }
      const host = findBridgeHost({ platform: process.platform, env: ctx.env })
      if (host?.kind === 'powershell') return { profiles: (await listWindowsProfiles(host.executable)).profiles }
      return { profiles: [], note: 'powershell.exe was not found: the profiles could not be listed' }
    }
    return { profiles: [], note: 'no volume is mapped (--volume): the profiles could not be listed' }
  } catch (err) {
    return { profiles: [], note: `the profiles could not be listed: ${(err as Error).message}` }
  }
}

export async function preCapture(ctx: StepContext, o: {
  volumes: VolumeMap
  usersFile?: string
  offlineWinDir?: string
  attributesFile?: string
  policy: CloudPolicy
  logDir: string
}): Promise<PreCapture> {
  const listed = await listProfiles(ctx, o.volumes, o.usersFile, o.offlineWinDir)
  if (listed.note) ctx.logger.info(listed.note)
  const profiles = listed.profiles.filter((p) => !/^(systemprofile|LocalService|NetworkService)$/i.test(basename(p.profile)))
  const host = process.platform === 'win32' && !o.offlineWinDir && o.volumes.volumes.length === 0 ? findBridgeHost({ platform: process.platform, env: ctx.env }) : null
  const scan = await scanCloudFiles({
    profiles: profiles.map((p) => ({ user: p.account ?? basename(p.profile), profile: p.profile })),
    volumes: o.volumes.volumes.length > 0 ? o.volumes : undefined,
    attributes: o.attributesFile ? readAttributeBits(nodePath.resolve(ctx.cwd, o.attributesFile)) : undefined,
    windows: host?.kind === 'powershell' ? { powershell: host.executable } : undefined,
  })
  if (listed.note) scan.notes.unshift(listed.note)
  const bytes = scan.files.reduce((n, f) => n + f.bytes, 0)
  const cloud: CloudOnlyResult = {
    policy: o.policy, source: scan.source, checked: scan.checked && !listed.note, action: 'none', files: scan.files.length, bytes,
    users: scan.users, notes: scan.notes,
  }
  for (const n of scan.notes) ctx.logger.info(`cloud-only files: ${n}`)
  if (scan.files.length === 0) {
    if (!cloud.checked) {
      cloud.action = 'not-checked'
      ctx.logger.info(`cloud-only files: not checked for every profile (attribute source ${scan.source}); ${scan.notes.join('; ')}`)
    } else {
      ctx.logger.info(`cloud-only files: none in ${profiles.length} profile(s) (attribute source ${scan.source})`)
    }
    return { profiles, cloud }
  }
  const perUser = describeCloudUsers(scan)
  for (const line of perUser) ctx.logger.info(`cloud-only files: ${line}`)
  for (const f of scan.files.slice(0, 200)) ctx.logger.verbose(`cloud-only file: ${describeCloudFile(f)}`)
  const text = `${scan.files.length} cloud-only file(s) (${bytes} bytes) whose content is not on this disk: ${perUser.join('; ')}`
  if (o.policy === 'fail') {
    throw new UsmtStepsError('USM0317', `${text}. USMTStepsCloudOnlyPolicy=fail stops the capture before anything is written`, {
      data: { cloudOnly: { ...cloud, action: 'failed' } }, variables: cloudVariables({ ...cloud, action: 'failed' }),
    })
  }
  const xmlFile = nodePath.join(o.logDir, 'usmt-steps-cloud-only.xml')
  writeFileSync(xmlFile, cloudExclusionXml(scan.files))
  cloud.exclusionXml = xmlFile
  if (o.policy === 'warn') {
    cloud.action = 'warned'
    ctx.warn(`${text}; they are left out of the capture (USMTStepsCloudOnlyPolicy=warn) and stay only in the cloud`)
  } else {
    cloud.action = 'excluded'
    ctx.logger.notice(`${text}; left out of the capture on purpose (USMTStepsCloudOnlyPolicy=exclude): their content is in the cloud`)
  }
  ctx.logger.info(`cloud-only files excluded from scanstate by ${xmlFile}`)
  return { profiles, cloud }
}

/** TS variables of the cloud-only check. */
export function cloudVariables(c: CloudOnlyResult | undefined): Record<string, string> {
  if (!c) return {}
  return stepVariables('capture', { USMTStepsCloudOnlyFiles: String(c.files), USMTStepsCloudOnlyBytes: String(c.bytes), USMTStepsCloudOnlyAction: c.action })
}
