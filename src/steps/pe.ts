/**
 * The machine type of a Windows executable (PE/COFF header), so a wrong-architecture USMT binary is
 * reported clearly instead of Windows' "The subsystem needed to support the image type is not present".
 */
import { closeSync, openSync, readSync } from 'node:fs'

export type UsmtArch = 'amd64' | 'x86' | 'arm64'

const MACHINES: Record<number, UsmtArch> = { 0x8664: 'amd64', 0x014c: 'x86', 0xaa64: 'arm64' }

/** The architecture of a PE image from its first bytes, 'unknown' for another machine, null when not a PE file. */
export function peMachineOf(buf: Buffer): UsmtArch | 'unknown' | null {
  if (buf.length < 0x40 || buf[0] !== 0x4d || buf[1] !== 0x5a) return null
  const peOffset = buf.readUInt32LE(0x3c)
  if (peOffset + 6 > buf.length) return null
  if (buf.toString('latin1', peOffset, peOffset + 4) !== 'PE\0\0') return null
  return MACHINES[buf.readUInt16LE(peOffset + 4)] ?? 'unknown'
}

export function readPeMachine(file: string): UsmtArch | 'unknown' | null {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(4096)
    const n = readSync(fd, buf, 0, buf.length, 0)
    return peMachineOf(buf.subarray(0, n))
  } finally {
    closeSync(fd)
  }
}

/** A minimal PE header for `arch` (tests and the double's package layout use it). */
export function peHeader(arch: UsmtArch): Buffer {
  const buf = Buffer.alloc(0x100)
  buf.write('MZ', 0, 'latin1')
  buf.writeUInt32LE(0x80, 0x3c)
  buf.write('PE\0\0', 0x80, 'latin1')
  const machine = Number(Object.entries(MACHINES).find(([, a]) => a === arch)?.[0])
  buf.writeUInt16LE(machine, 0x84)
  return buf
}

/**
 * The architecture of the running OS (or Windows PE). On Windows a 32-bit process on a 64-bit OS sees
 * PROCESSOR_ARCHITEW6432; elsewhere Node's own architecture is used.
 */
export function runningArch(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform, arch: string = process.arch): UsmtArch {
  if (platform === 'win32') {
    const a = (env.PROCESSOR_ARCHITEW6432 ?? env.PROCESSOR_ARCHITECTURE ?? '').toUpperCase()
    if (a === 'AMD64' || a === 'X64') return 'amd64'
    if (a === 'ARM64') return 'arm64'
    if (a === 'X86') return 'x86'
  }
  if (arch === 'arm64') return 'arm64'
  if (arch === 'ia32') return 'x86'
  return 'amd64'
}
