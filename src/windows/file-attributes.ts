/**
 * Windows file attributes (the FILE_ATTRIBUTE_* bit set GetFileAttributes returns, which NTFS stores in the
 * file's standard information): parsing the forms usmt-steps reads them in, and the cloud-file rules.
 *
 * Forms accepted for one file (an attributes file value, `attrib` output, PowerShell's `.Attributes`):
 *  - letters as `attrib` prints them: R H S A, O (offline), P (pinned), U (unpinned);
 *  - names as PowerShell's [IO.FileAttributes] prints them, comma-separated: `Archive, Offline, RecallOnDataAccess`;
 *  - a number, decimal or 0x-hex (`0x00400020`), alone or among the names (.NET Framework prints
 *    RecallOnDataAccess, which its enum lacks, as 4194304).
 *
 * A file is cloud-only (a OneDrive/Files On-Demand placeholder whose content is not on the disk) when it has
 * RECALL_ON_DATA_ACCESS, RECALL_ON_OPEN or OFFLINE: reading it would make the cloud provider download it, which
 * fails under SYSTEM (the task sequence's account) or offline in Windows PE. PINNED and UNPINNED only say what
 * the user asked for ("always keep on this device" / "free up space"); they are reported, not decisive.
 */
import { readFileSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'

export const FILE_ATTRIBUTE = {
  READONLY: 0x1,
  HIDDEN: 0x2,
  SYSTEM: 0x4,
  DIRECTORY: 0x10,
  ARCHIVE: 0x20,
  NORMAL: 0x80,
  TEMPORARY: 0x100,
  SPARSE_FILE: 0x200,
  REPARSE_POINT: 0x400,
  COMPRESSED: 0x800,
  OFFLINE: 0x1000,
  NOT_CONTENT_INDEXED: 0x2000,
  ENCRYPTED: 0x4000,
  RECALL_ON_OPEN: 0x40000,
  PINNED: 0x80000,
  UNPINNED: 0x100000,
  RECALL_ON_DATA_ACCESS: 0x400000,
} as const

/** attrib.exe letters. */
const LETTERS: Record<string, number> = {
  R: FILE_ATTRIBUTE.READONLY, H: FILE_ATTRIBUTE.HIDDEN, S: FILE_ATTRIBUTE.SYSTEM, A: FILE_ATTRIBUTE.ARCHIVE,
  O: FILE_ATTRIBUTE.OFFLINE, P: FILE_ATTRIBUTE.PINNED, U: FILE_ATTRIBUTE.UNPINNED,
}

/** [IO.FileAttributes] names (lower-case) and the two cloud names .NET Framework lacks. */
const NAMES: Record<string, number> = {
  readonly: FILE_ATTRIBUTE.READONLY, hidden: FILE_ATTRIBUTE.HIDDEN, system: FILE_ATTRIBUTE.SYSTEM, directory: FILE_ATTRIBUTE.DIRECTORY,
  archive: FILE_ATTRIBUTE.ARCHIVE, normal: FILE_ATTRIBUTE.NORMAL, temporary: FILE_ATTRIBUTE.TEMPORARY, sparsefile: FILE_ATTRIBUTE.SPARSE_FILE,
  reparsepoint: FILE_ATTRIBUTE.REPARSE_POINT, compressed: FILE_ATTRIBUTE.COMPRESSED, offline: FILE_ATTRIBUTE.OFFLINE,
  notcontentindexed: FILE_ATTRIBUTE.NOT_CONTENT_INDEXED, encrypted: FILE_ATTRIBUTE.ENCRYPTED, recallonopen: FILE_ATTRIBUTE.RECALL_ON_OPEN,
  pinned: FILE_ATTRIBUTE.PINNED, unpinned: FILE_ATTRIBUTE.UNPINNED, recallondataaccess: FILE_ATTRIBUTE.RECALL_ON_DATA_ACCESS,
}

/** The bit set of one value, or null when it is none of the accepted forms. */
export function parseFileAttributes(value: string | number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : null
  const v = value.trim()
  if (v === '') return 0
  if (/^[RHSAOPU]+$/i.test(v)) {
    let bits = 0
    for (const c of v.toUpperCase()) bits |= LETTERS[c]
    return bits
  }
  let bits = 0
  for (const part of v.split(/\s*[,|]\s*|\s+/).filter(Boolean)) {
    if (/^0x[0-9a-f]{1,8}$/i.test(part)) bits |= parseInt(part.slice(2), 16)
    else if (/^\d{1,10}$/.test(part) && Number(part) <= 0xffffffff) bits |= Number(part)
    else if (NAMES[part.toLowerCase()] !== undefined) bits |= NAMES[part.toLowerCase()]
    else return null
  }
  return bits >>> 0
}

/** The R H S A letters of a bit set (what the rule engine reads). */
export function classicLetters(bits: number): string {
  return `${bits & FILE_ATTRIBUTE.READONLY ? 'R' : ''}${bits & FILE_ATTRIBUTE.HIDDEN ? 'H' : ''}${bits & FILE_ATTRIBUTE.SYSTEM ? 'S' : ''}${bits & FILE_ATTRIBUTE.ARCHIVE ? 'A' : ''}`
}

const CLOUD_ONLY = FILE_ATTRIBUTE.RECALL_ON_DATA_ACCESS | FILE_ATTRIBUTE.RECALL_ON_OPEN | FILE_ATTRIBUTE.OFFLINE

/** A file whose content is not on the disk (reading it would recall it from the cloud). */
export function isCloudOnly(bits: number): boolean {
  return (bits & FILE_ATTRIBUTE.DIRECTORY) === 0 && (bits & CLOUD_ONLY) !== 0
}

/** The cloud-related names of a bit set, for logs and reports (e.g. "RecallOnDataAccess, Unpinned"). */
export function cloudAttributeNames(bits: number): string[] {
  const out: string[] = []
  if (bits & FILE_ATTRIBUTE.RECALL_ON_DATA_ACCESS) out.push('RecallOnDataAccess')
  if (bits & FILE_ATTRIBUTE.RECALL_ON_OPEN) out.push('RecallOnOpen')
  if (bits & FILE_ATTRIBUTE.OFFLINE) out.push('Offline')
  if (bits & FILE_ATTRIBUTE.PINNED) out.push('Pinned')
  if (bits & FILE_ATTRIBUTE.UNPINNED) out.push('Unpinned')
  return out
}

/** An attributes file read as bit sets: Windows path (lower-case) → {the path as written, the bits}. */
export type AttributeBits = Map<string, { path: string; bits: number }>

/**
 * Read an attributes file (the stand-in for a volume that cannot hold Windows attributes): a JSON object of
 * Windows path → attrib letters, [IO.FileAttributes] names, or a number. Throws USM0114 naming the entry.
 */
export function readAttributeBits(file: string): AttributeBits {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new UsmtStepsError('USM0114', `cannot read the attributes file ${file}: ${(err as Error).message}`, { data: { path: file }, cause: err })
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new UsmtStepsError('USM0114', `${file} must hold a JSON object of Windows path → attributes`, { data: { path: file } })
  const out: AttributeBits = new Map()
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const bits = typeof v === 'string' || typeof v === 'number' ? parseFileAttributes(v) : null
    if (bits === null) {
      throw new UsmtStepsError('USM0114', `${file}: attributes of ${k} must be attrib letters (R H S A O P U), [IO.FileAttributes] names (Archive, Offline, RecallOnDataAccess …) or a number; got ${JSON.stringify(v)}`, { data: { path: file, key: k } })
    }
    const path = k.replace(/\//g, '\\')
    out.set(path.toLowerCase(), { path, bits })
  }
  return out
}
