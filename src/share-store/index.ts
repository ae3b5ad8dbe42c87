import * as os from 'node:os'
import * as nodePath from 'node:path'
import type { StepContext } from '../cli/step-command.js'
import { loadPolicy } from '../plan/policy.js'
import type { Policy } from '../plan/types.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { redactor } from '../runtime/redact.js'
import { readStoreKey } from '../store/crypto.js'
import { isUnc, normalize } from '../windows/path.js'
import { networkAccessAccount } from '../ts-env/accounts.js'
import { credentialsFrom } from './credentials.js'
import { localIdentity } from './records.js'
import { StoreService, type TransportKind } from './service.js'

export { StoreService } from './service.js'

/**
 * The admins' escrow key for per-store keys: the same key and variables as the encryption of network stores
 * (#13: USMTStepsEncryptionKey / UserDataKey / USMT_STEPS_ENCRYPTION_KEY, or the key file), registered with the
 * redactor. Undefined when none is set (the store then gets no key of its own).
 */
export async function escrowKeyFor(ctx: StepContext): Promise<string | undefined> {
  const value = (await ctx.setting('encryptionKey')) as string | undefined
  if (value !== undefined && value !== '') {
    redactor.add(value)
    return value
  }
  const file = (await ctx.setting('encryptionKeyFile')) as string | undefined
  return file ? readStoreKey({ keyFile: file }) : undefined
}
export type { StoreRecord, Association } from './records.js'

/** Parse --mount values: `DIR` (the only share) or `\\server\share=DIR`. */
export function parseMounts(values: readonly string[], policy: Policy): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values) {
    const m = /^(\\\\[^=]+)=(.+)$/.exec(v)
    if (m) {
      out[normalize(m[1]).toLowerCase()] = nodePath.resolve(m[2])
    } else if (policy.shares.length === 1) {
      out[policy.shares[0].path.toLowerCase()] = nodePath.resolve(v)
    } else {
      throw new UsmtStepsError('USM0421', `--mount ${v}: with ${policy.shares.length} shares, write --mount \\\\server\\share=DIR for each`)
    }
  }
  return out
}

/** The settings every `store` command reads (through storeServiceFor); their flags are generated from these. */
export const STORE_SETTINGS = ['storePolicy', 'storeTransport', 'storeShareMount', 'storeRetryCount', 'storeRetryTime', 'storeComputerName',
  'storeFallbackToNaa'] as const

/** Build the store service from the step's settings and task-sequence variables. */
export async function storeServiceFor(ctx: StepContext, opts: { estimateBytes?: number } = {}): Promise<{ service: StoreService; policy: Policy; transport: TransportKind; computer: string }> {
  const tsEnv = await ctx.tsEnv()
  const get = (n: string): string | undefined => tsEnv.get(n)
  const policy = loadPolicy(await ctx.setting('storePolicy'))
  const udShare = get('UDShare')
  if (policy.shares.length === 0 && udShare && isUnc(udShare)) {
    policy.shares.push({ path: normalize(udShare), maxClients: 99999, minFreeBytes: 0 })
    ctx.logger.info(`no shares in the policy: using UDShare ${udShare}`)
  }
  const setting = await ctx.setting('storeTransport')
  const transport: TransportKind = setting === 'auto' ? (process.platform === 'win32' ? 'fs' : 'smbclient') : setting
  const computer = (await ctx.setting('storeComputerName')) ?? os.hostname()
  const credentials = credentialsFrom(get, { fallbackToNaa: await ctx.setting('storeFallbackToNaa'), env: ctx.env })
  if (credentials) ctx.logger.info(`share credentials: ${credentials.source}`)
  else if (networkAccessAccount(get)) ctx.logger.info('share credentials: none (the network access account is set but OSDStateFallbackToNAA is not true); smbclient uses Kerberos')
  else ctx.logger.info('share credentials: none (no UserID/UserPassword, network access account or USMT_STEPS_SMB_USER); smbclient uses Kerberos')
  const mounts = parseMounts((await ctx.setting('storeShareMount'))?.split(';').filter(Boolean) ?? [], policy)
  const service = new StoreService({
    policy, transport, credentials, mounts,
    computer: localIdentity(computer, get('USMTStepsSmbiosGuid')),
    retryCount: await ctx.setting('storeRetryCount'),
    retrySeconds: await ctx.setting('storeRetryTime'),
    estimateBytes: opts.estimateBytes,
    log: (line) => ctx.logger.info(line),
    env: ctx.env,
  })
  ctx.logger.info(`stores: transport ${transport}, computer ${computer}, ${policy.shares.length} share(s) from ${policy.source}`)
  return { service, policy, transport, computer }
}

/** Where the store is staged locally for transports that cannot open the share as a path. */
export function defaultLocalPath(id: string): string {
  return nodePath.join(os.tmpdir(), 'usmt-steps-stores', id)
}
