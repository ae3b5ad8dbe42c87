import { UsmtStepsError } from '../runtime/errors.js'
import { parsePolicyText, POLICY_SECTION_KEYS, policySection, readPolicySection } from '../runtime/policy-file.js'
import { isUnc, normalize } from '../windows/path.js'
import type { Policy, SharePolicy, StoreType, UnresolvableProfilesPolicy } from './types.js'

const STORE_TYPES = ['hardlink', 'share', 'smp'] as const
const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3, tb: 1024 ** 4, tib: 1024 ** 4 }

export const DEFAULT_POLICY: Omit<Policy, 'source'> = {
  allowedStores: ['hardlink', 'share', 'smp'],
  fallbackToNetwork: true,
  shares: [],
  encryptNetworkStores: true, // issue 5: network stores are encrypted unless the policy turns it off
  hardLink: { minFreeBytes: 400 * 1024 ** 2, overheadRatio: 0.01 },
  unresolvableProfiles: 'fail',
  retention: { restoredDays: 7, abandonedDays: 14 },
}

export function defaultPolicy(): Policy {
  return structuredClone({ ...DEFAULT_POLICY, source: 'defaults' })
}

/** `10GB`, `500 MiB`, `1048576` → bytes (units are binary: 1 GB = 1024³ bytes, as Windows shows them). */
export function parseSize(value: unknown, where: string, file: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value)
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
    const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined
    if (m && unit !== undefined) return Math.floor(Number(m[1]) * unit)
  }
  return invalid(file, `${where} must be a size such as 10GB, 500MB or a number of bytes (got ${JSON.stringify(value)})`)
}

function invalid(file: string, message: string): never {
  throw new UsmtStepsError('USM0400', `${file}: ${message}`, { data: { file } })
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string, file: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) invalid(file, `unknown key "${k}" in ${where} (allowed: ${allowed.join(', ')})`)
  }
}

function bool(v: unknown, where: string, file: string): boolean {
  if (typeof v === 'boolean') return v
  return invalid(file, `${where} must be true or false`)
}

function nonNegInt(v: unknown, where: string, file: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v
  return invalid(file, `${where} must be a whole number ≥ 0`)
}

function share(raw: unknown, i: number, file: string): SharePolicy {
  const where = `shares[${i}]`
  const obj: Record<string, unknown> = typeof raw === 'string' ? { path: raw } : isRecord(raw) ? raw : invalid(file, `${where} must be a UNC path or an object`)
  checkKeys(obj, ['path', 'port', 'maxClients', 'minFree'], where, file)
  if (typeof obj.path !== 'string' || !isUnc(obj.path)) invalid(file, `${where}.path must be a UNC path \\\\server\\share[\\folder]`)
  const out: SharePolicy = { path: normalize(obj.path as string), maxClients: 100, minFreeBytes: 0 }
  if (obj.port !== undefined) {
    if (typeof obj.port !== 'number' || !Number.isInteger(obj.port) || obj.port < 1 || obj.port > 65535) invalid(file, `${where}.port must be 1–65535`)
    out.port = obj.port as number
  }
  if (obj.maxClients !== undefined) {
    out.maxClients = nonNegInt(obj.maxClients, `${where}.maxClients`, file)
    if (out.maxClients < 1 || out.maxClients > 99999) invalid(file, `${where}.maxClients must be 1–99999`)
  }
  if (obj.minFree !== undefined) {
    const pct = typeof obj.minFree === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(obj.minFree) : null
    if (pct) {
      out.minFreePercent = Number(pct[1])
      if (out.minFreePercent > 100) invalid(file, `${where}.minFree must be at most 100%`)
    } else {
      out.minFreeBytes = parseSize(obj.minFree, `${where}.minFree`, file)
    }
  }
  return out
}

/** Validate the `stores:` section of a policy file (already taken out of the document) and fill the defaults. */
export function policyFromObject(doc: unknown, file: string): Policy {
  if (doc === null || doc === undefined) return { ...defaultPolicy(), source: file }
  if (!isRecord(doc)) invalid(file, 'the "stores:" section must be a mapping (a YAML mapping or a JSON object)')
  const d = doc as Record<string, unknown>
  checkKeys(d, POLICY_SECTION_KEYS.stores, 'the "stores:" section', file)
  const p = defaultPolicy()
  p.source = file
  const storeType = (v: unknown, where: string): Exclude<StoreType, 'none'> => {
    if (typeof v === 'string' && (STORE_TYPES as readonly string[]).includes(v.toLowerCase())) return v.toLowerCase() as Exclude<StoreType, 'none'>
    return invalid(file, `${where} must be one of ${STORE_TYPES.join(', ')} (got ${JSON.stringify(v)})`)
  }
  if (d.preferredStore !== undefined) p.preferredStore = storeType(d.preferredStore, 'preferredStore')
  if (d.allowedStores !== undefined) {
    if (!Array.isArray(d.allowedStores)) invalid(file, 'allowedStores must be a list')
    p.allowedStores = [...new Set((d.allowedStores as unknown[]).map((v, i) => storeType(v, `allowedStores[${i}]`)))]
  }
  if (p.preferredStore && !p.allowedStores.includes(p.preferredStore)) invalid(file, `preferredStore ${p.preferredStore} is not in allowedStores`)
  if (d.fallbackToNetwork !== undefined) p.fallbackToNetwork = bool(d.fallbackToNetwork, 'fallbackToNetwork', file)
  if (d.encryptNetworkStores !== undefined) p.encryptNetworkStores = bool(d.encryptNetworkStores, 'encryptNetworkStores', file)
  if (d.shares !== undefined) {
    if (!Array.isArray(d.shares)) invalid(file, 'shares must be a list')
    p.shares = (d.shares as unknown[]).map((s, i) => share(s, i, file))
  }
  if (d.hardLink !== undefined) {
    if (!isRecord(d.hardLink)) invalid(file, 'hardLink must be an object')
    const h = d.hardLink as Record<string, unknown>
    checkKeys(h, ['minFree', 'overheadRatio'], 'hardLink', file)
    if (h.minFree !== undefined) p.hardLink.minFreeBytes = parseSize(h.minFree, 'hardLink.minFree', file)
    if (h.overheadRatio !== undefined) {
      if (typeof h.overheadRatio !== 'number' || h.overheadRatio < 0 || h.overheadRatio > 10) invalid(file, 'hardLink.overheadRatio must be a number between 0 and 10')
      p.hardLink.overheadRatio = h.overheadRatio as number
    }
  }
  if (d.unresolvableProfiles !== undefined) {
    const v = String(d.unresolvableProfiles).toLowerCase()
    if (!['fail', 'warn', 'ignore'].includes(v)) invalid(file, 'unresolvableProfiles must be fail, warn or ignore')
    p.unresolvableProfiles = v as UnresolvableProfilesPolicy
  }
  if (d.retention !== undefined) {
    if (!isRecord(d.retention)) invalid(file, 'retention must be an object')
    const r = d.retention as Record<string, unknown>
    checkKeys(r, ['restoredDays', 'abandonedDays'], 'retention', file)
    if (r.restoredDays !== undefined) p.retention.restoredDays = nonNegInt(r.restoredDays, 'retention.restoredDays', file)
    if (r.abandonedDays !== undefined) p.retention.abandonedDays = nonNegInt(r.abandonedDays, 'retention.abandonedDays', file)
  }
  if (d.access !== undefined) {
    if (!isRecord(d.access)) invalid(file, 'access must be an object')
    const a = d.access as Record<string, unknown>
    checkKeys(a, ['admins', 'computerAccount', 'domain', 'accounts'], 'access', file)
    const text = (v: unknown, where: string): string => {
      if (typeof v !== 'string' || v.trim() === '' || /[,:"\r\n]/.test(v)) return invalid(file, `${where} must be an account or group name (DOMAIN\\name) or a SID, without , : or "`)
      return v.trim()
    }
    if (a.admins === undefined) invalid(file, 'access.admins is required: the group that keeps full control of every store')
    const accounts: Record<string, string> = {}
    if (a.accounts !== undefined) {
      if (!isRecord(a.accounts)) invalid(file, 'access.accounts must map computer names to accounts')
      for (const [k, v] of Object.entries(a.accounts as Record<string, unknown>)) accounts[k.trim().toUpperCase()] = text(v, `access.accounts.${k}`)
    }
    const template = a.computerAccount === undefined ? '{domain}\\{computer}$' : text(a.computerAccount, 'access.computerAccount')
    if (!template.includes('{computer}')) invalid(file, 'access.computerAccount must contain {computer}')
    p.access = { admins: text(a.admins, 'access.admins'), computerAccount: template, domain: a.domain === undefined ? undefined : text(a.domain, 'access.domain'), accounts }
  }
  return p
}

/** Parse a whole policy file's text (JSON or YAML) and validate its `stores:` section; `users:` is not ours. */
export function parsePolicy(text: string, file: string): Policy {
  return policyFromObject(policySection(parsePolicyText(text, file, 'stores'), file, 'stores'), file)
}

export function loadPolicy(file: string | undefined): Policy {
  if (!file) return defaultPolicy()
  return policyFromObject(readPolicySection(file, 'stores'), file)
}
