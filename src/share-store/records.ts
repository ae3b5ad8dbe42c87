import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as os from 'node:os'

/** On-share formats (README "Store layout on the share"). Version every document; readers refuse newer majors. */
export const STORE_SCHEMA = 1
export const META_DIR = '.usmt-steps'
export const SLOTS_DIR = `${META_DIR}/slots`
export const ASSOCIATIONS_DIR = `${META_DIR}/associations`
export const RECORD_FILE = 'store.json'
export const MANIFEST_FILE = 'manifest.json'

export type StoreState = 'requested' | 'captured' | 'restored'

export interface ComputerIdentity {
  computerName: string
  smbiosGuid: string | null
  macAddresses: string[]
}

export interface StoreEvent {
  at: string
  event: 'requested' | 'captured' | 'restore-requested' | 'restored' | 'capture-failed' | 'access'
  computer: string
  detail?: string
}

export interface StoreRecord {
  schema: number
  id: string
  /** UNC of the share root and of the store folder (OSDStateStorePath). */
  share: string
  path: string
  /** Client slot held on the share (maxClients), released when the store is restored. */
  slot: number | null
  state: StoreState
  source: ComputerIdentity
  /** Intended destination from a computer association (null in a refresh: the source itself). */
  destination: string | null
  association: string | null
  users: string[]
  encrypted: boolean
  createdAt: string
  capturedAt: string | null
  restoredAt: string | null
  /** After this time `store prune` deletes the store (set when restored). */
  retainUntil: string | null
  manifest: { files: number; bytes: number } | null
  history: StoreEvent[]
  /** Per-store access (policy `access:`): who may do what now; every change is an 'access' event in the history. */
  access?: StoreAccess
}

export interface AccessGrant {
  role: 'admins' | 'capturing computer' | 'restoring computer'
  computer?: string
  /** The account or group as the policy names it. */
  principal: string
  rights: 'full control' | 'write' | 'read'
}

export interface StoreAccess {
  phase: 'requested' | 'captured' | 'restored'
  since: string
  grants: AccessGrant[]
}

export interface ManifestEntry {
  path: string
  size: number
  sha256: string
}

export interface Manifest {
  schema: number
  storeId: string
  createdAt: string
  files: ManifestEntry[]
}

/** SMS_StateMigration.MigrationBehavior, by name. */
export type MigrationBehavior = 'CaptureAndRestoreAll' | 'CaptureAllRestoreSpecified' | 'CaptureAndRestoreSpecified'
export const MIGRATION_BEHAVIORS: readonly MigrationBehavior[] = ['CaptureAndRestoreAll', 'CaptureAllRestoreSpecified', 'CaptureAndRestoreSpecified']

export interface Association {
  schema: number
  id: string
  source: string
  destination: string
  behavior: MigrationBehavior
  users: string[]
  createdAt: string
}

export function normalizeComputer(name: string): string {
  return name.trim().toUpperCase()
}

export function validComputerName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name.trim())
}

export function associationId(source: string, destination: string): string {
  return `${normalizeComputer(source)}__${normalizeComputer(destination)}`
}

/** `PC1-20261120T235501Z-9f3a1c0b`: sortable by time, unique by the random part and by exclusive mkdir. */
/** The computer's part of its store ids: upper case, [A-Z0-9-] only, at most 32 characters. */
export function storeIdName(computer: string): string {
  return normalizeComputer(computer).replace(/[^A-Z0-9-]/g, '-').slice(0, 32) || 'PC'
}

export function newStoreId(computer: string, now: Date): string {
  const name = storeIdName(computer)
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${name}-${stamp}-${randomBytes(4).toString('hex')}`
}

export function isStoreId(name: string): boolean {
  return /^[A-Z0-9-]+-\d{8}T\d{6}Z-[0-9a-f]{8}$/.test(name)
}

export function slotName(n: number): string {
  return String(n).padStart(5, '0')
}

/** This machine's identity for store records. SMBIOS GUID: Linux DMI when readable; MACs: non-internal interfaces. */
export function localIdentity(computerName: string, smbiosGuid?: string): ComputerIdentity {
  let guid = smbiosGuid ?? null
  if (!guid && process.platform === 'linux') {
    try {
      guid = readFileSync('/sys/class/dmi/id/product_uuid', 'utf8').trim().toUpperCase() || null
    } catch {
      guid = null
    }
  }
  const macs = new Set<string>()
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (!i.internal && i.mac && i.mac !== '00:00:00:00:00:00') macs.add(i.mac.toUpperCase())
  }
  return { computerName: normalizeComputer(computerName), smbiosGuid: guid, macAddresses: [...macs].sort() }
}

export function parseJsonDoc<T extends { schema: number }>(text: string, what: string): T {
  const doc = JSON.parse(text) as T
  if (typeof doc !== 'object' || doc === null || typeof doc.schema !== 'number') throw new Error(`${what} has no schema version`)
  if (doc.schema > STORE_SCHEMA) throw new Error(`${what} has schema ${doc.schema}; this usmt-steps reads up to ${STORE_SCHEMA}`)
  return doc
}
