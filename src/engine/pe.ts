/**
 * Version information of Windows executables, read from the file bytes (for DoesFileVersionMatch,
 * IsFileVersionAbove/Below). FileVersion and ProductVersion come from VS_FIXEDFILEINFO; the other tags
 * (CompanyName, ProductName …) from the UTF-16 StringFileInfo table. Only the first 16 MiB are read.
 */
import { closeSync, openSync, readSync } from 'node:fs'

const MAX_READ = 16 * 1024 * 1024

export function readVersionInfo(localPath: string): Record<string, string> | null {
  let fd: number
  try {
    fd = openSync(localPath, 'r')
  } catch {
    return null
  }
  try {
    const buf = Buffer.alloc(MAX_READ)
    const n = readSync(fd, buf, 0, MAX_READ, 0)
    return parseVersionInfo(buf.subarray(0, n))
  } catch {
    return null
  } finally {
    closeSync(fd)
  }
}

export function parseVersionInfo(buf: Buffer): Record<string, string> | null {
  if (buf.length < 64 || buf[0] !== 0x4d || buf[1] !== 0x5a) return null
  const out: Record<string, string> = {}
  const sig = Buffer.from([0xbd, 0x04, 0xef, 0xfe])
  const at = buf.indexOf(sig)
  if (at >= 0 && at + 24 <= buf.length) {
    const ver = (ms: number, ls: number): string => `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`
    out.FileVersion = ver(buf.readUInt32LE(at + 8), buf.readUInt32LE(at + 12))
    out.ProductVersion = ver(buf.readUInt32LE(at + 16), buf.readUInt32LE(at + 20))
  }
  for (const key of ['CompanyName', 'FileDescription', 'InternalName', 'LegalCopyright', 'OriginalFilename', 'ProductName']) {
    const k = Buffer.from(`${key}\0`, 'utf16le')
    let i = buf.indexOf(k)
    if (i < 0) continue
    i += k.length
    while (i + 1 < buf.length && buf[i] === 0 && buf[i + 1] === 0) i += 2
    let end = i
    while (end + 1 < buf.length && !(buf[end] === 0 && buf[end + 1] === 0)) end += 2
    out[key] = buf.subarray(i, end).toString('utf16le')
  }
  return Object.keys(out).length ? out : null
}

/** Compare dotted versions numerically: >0 when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.,\s]+/).map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split(/[.,\s]+/).map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** Build a minimal PE image with version info (used by tests and the sample machine generator). */
export function buildVersionedExe(fileVersion: string, productVersion: string, strings: Record<string, string> = {}): Buffer {
  const parts = (v: string): number[] => {
    const p = v.split('.').map((x) => Number(x) || 0)
    while (p.length < 4) p.push(0)
    return p
  }
  const fv = parts(fileVersion)
  const pv = parts(productVersion)
  const fixed = Buffer.alloc(52)
  fixed.writeUInt32LE(0xfeef04bd, 0)
  fixed.writeUInt32LE(0x00010000, 4)
  fixed.writeUInt32LE(((fv[0] << 16) | fv[1]) >>> 0, 8)
  fixed.writeUInt32LE(((fv[2] << 16) | fv[3]) >>> 0, 12)
  fixed.writeUInt32LE(((pv[0] << 16) | pv[1]) >>> 0, 16)
  fixed.writeUInt32LE(((pv[2] << 16) | pv[3]) >>> 0, 20)
  const header = Buffer.alloc(64)
  header.write('MZ', 0, 'latin1')
  const table = Buffer.concat(Object.entries(strings).map(([k, v]) => Buffer.concat([Buffer.from(`${k}\0`, 'utf16le'), Buffer.alloc(2), Buffer.from(`${v}\0`, 'utf16le')])))
  return Buffer.concat([header, Buffer.from('VS_VERSION_INFO\0', 'utf16le'), fixed, table])
}
