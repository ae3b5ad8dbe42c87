/**
 * An empty registry hive file (regf format: a 4 KiB base block and one 4 KiB hive bin holding the root key
 * and its security cell). hivex edits hives but cannot create one; every hive the project makes (a fresh
 * destination's NTUSER.DAT, the sample machine's hives, test hives) starts from these bytes and is filled
 * with `hivexregedit --merge`. The layout follows the published regf format (base block with its XOR
 * checksum, `hbin` header, `nk` root cell flagged as hive entry, `sk` cell referenced by the root).
 */

const BLOCK = 0x1000
/** Windows FILETIME for 2025-01-01T00:00:00Z (fixed, so the bytes are reproducible). */
const FILETIME = 133800480000000000n

function checksum(base: Buffer): number {
  let x = 0
  for (let i = 0; i < 0x1fc; i += 4) x = (x ^ base.readUInt32LE(i)) >>> 0
  if (x === 0xffffffff) return 0xfffffffe
  if (x === 0) return 1
  return x
}

/** The bytes of an empty hive whose root key is named `rootName` (Windows names it e.g. `ROOT` or `CMI-CreateHive{…}`). */
export function blankHive(rootName = 'ROOT'): Buffer {
  const buf = Buffer.alloc(BLOCK * 2)
  const name = Buffer.from(rootName, 'latin1')
  // Cells inside the hive bin (offsets relative to the first bin, which starts at 0x1000).
  const nkOff = 0x20
  const nkLen = align8(4 + 0x4c + name.length)
  const skOff = nkOff + nkLen
  const sd = securityDescriptor()
  const skLen = align8(4 + 0x14 + sd.length)
  const freeOff = skOff + skLen
  // Base block.
  buf.write('regf', 0, 'latin1')
  buf.writeUInt32LE(1, 4) // primary sequence
  buf.writeUInt32LE(1, 8) // secondary sequence
  buf.writeBigUInt64LE(FILETIME, 0x0c)
  buf.writeUInt32LE(1, 0x14) // major version
  buf.writeUInt32LE(5, 0x18) // minor version
  buf.writeUInt32LE(0, 0x1c) // primary file
  buf.writeUInt32LE(1, 0x20) // direct memory load
  buf.writeUInt32LE(nkOff, 0x24) // root cell
  buf.writeUInt32LE(BLOCK, 0x28) // hive bins data size
  buf.writeUInt32LE(1, 0x2c) // clustering factor
  buf.write(rootName.slice(0, 31), 0x30, 'utf16le')
  buf.writeUInt32LE(checksum(buf), 0x1fc)
  // Hive bin header.
  const bin = BLOCK
  buf.write('hbin', bin, 'latin1')
  buf.writeUInt32LE(0, bin + 4) // offset of this bin
  buf.writeUInt32LE(BLOCK, bin + 8) // size of this bin
  buf.writeBigUInt64LE(FILETIME, bin + 0x14)
  // Root key (nk).
  const nk = bin + nkOff
  buf.writeInt32LE(-nkLen, nk)
  buf.write('nk', nk + 4, 'latin1')
  buf.writeUInt16LE(0x2c, nk + 6) // KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
  buf.writeBigUInt64LE(FILETIME, nk + 8)
  buf.writeUInt32LE(0, nk + 0x10) // access bits
  buf.writeUInt32LE(0xffffffff, nk + 0x14) // parent (none)
  buf.writeUInt32LE(0, nk + 0x18) // subkeys
  buf.writeUInt32LE(0, nk + 0x1c) // volatile subkeys
  buf.writeUInt32LE(0xffffffff, nk + 0x20) // subkey list
  buf.writeUInt32LE(0xffffffff, nk + 0x24) // volatile subkey list
  buf.writeUInt32LE(0, nk + 0x28) // values
  buf.writeUInt32LE(0xffffffff, nk + 0x2c) // value list
  buf.writeUInt32LE(skOff, nk + 0x30) // security
  buf.writeUInt32LE(0xffffffff, nk + 0x34) // class name
  buf.writeUInt16LE(name.length, nk + 0x4c)
  buf.writeUInt16LE(0, nk + 0x4e)
  name.copy(buf, nk + 0x50)
  // Security (sk), a list of one referring to itself.
  const sk = bin + skOff
  buf.writeInt32LE(-skLen, sk)
  buf.write('sk', sk + 4, 'latin1')
  buf.writeUInt32LE(skOff, sk + 8) // flink
  buf.writeUInt32LE(skOff, sk + 0x0c) // blink
  buf.writeUInt32LE(1, sk + 0x10) // reference count
  buf.writeUInt32LE(sd.length, sk + 0x14)
  sd.copy(buf, sk + 0x18)
  // The rest of the bin is one free cell.
  buf.writeInt32LE(BLOCK - freeOff, bin + freeOff)
  return buf
}

function align8(n: number): number {
  return (n + 7) & ~7
}

/** A self-relative security descriptor: owner and group BUILTIN\Administrators, no DACL (as hives made by reg.exe carry one). */
function securityDescriptor(): Buffer {
  const admins = Buffer.from([1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0])
  const sd = Buffer.alloc(20 + admins.length * 2)
  sd.writeUInt8(1, 0) // revision
  sd.writeUInt16LE(0x8000, 2) // SE_SELF_RELATIVE
  sd.writeUInt32LE(20, 4) // owner
  sd.writeUInt32LE(20 + admins.length, 8) // group
  admins.copy(sd, 20)
  admins.copy(sd, 20 + admins.length)
  return sd
}
