/**
 * DPAPI-NG (CNG DPAPI) through powershell.exe: NCryptProtectSecret / NCryptUnprotectSecret from ncrypt.dll,
 * P/Invoked by a fixed script (-EncodedCommand). The request — accounts, the secret, a blob — goes through the
 * child's stdin as one hex-encoded line, never argv, never the environment, never script text; the answer comes
 * back on stdout. The accounts are translated to SIDs inside the script ([NTAccount]::Translate), and the
 * descriptor is `SID=<sid> OR SID=<sid>`: a domain-joined computer whose token holds one of those SIDs (the
 * computer account, as SYSTEM in a task sequence reaches the domain) unprotects the secret through the domain's
 * key distribution service, with no shared key. Only powershell.exe can run it (not the WSH fallback of WinPE
 * without PowerShell): there the escrow key is the way (store-key.ts).
 *
 * Tested against test/doubles/dpapi-ng.double.ts (strict stand-in: exact argv and script, descriptor syntax,
 * account translation, caller's token, tampered blobs); it has not run on a domain here.
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { findBridgeHost, hexDecode, hexEncode, type BridgeEnvironment } from './com-bridge.js'

/** The DPAPI-NG boundary (this adapter on Windows; a strict double in tests): src/store/store-key.ts wraps keys with it. */
export interface DpapiNg {
  /** NCryptProtectSecret for the accounts (resolved to SIDs inside). */
  protect(secret: Buffer, accounts: readonly string[]): Promise<{ descriptor: string; blob: Buffer }>
  /** NCryptUnprotectSecret as the calling process (the computer, in a task sequence). */
  unprotect(blob: Buffer): Promise<Buffer>
}

export const DPAPI_NG_SCRIPT = `$ErrorActionPreference = 'Stop'
Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
public static class UsmtStepsDpapiNg {
  [DllImport("ncrypt.dll", CharSet = CharSet.Unicode)] public static extern int NCryptCreateProtectionDescriptor(string descriptor, int flags, out IntPtr handle);
  [DllImport("ncrypt.dll")] public static extern int NCryptCloseProtectionDescriptor(IntPtr handle);
  [DllImport("ncrypt.dll")] public static extern int NCryptProtectSecret(IntPtr descriptor, int flags, byte[] data, int size, IntPtr memPara, IntPtr hwnd, out IntPtr blob, out int blobSize);
  [DllImport("ncrypt.dll")] public static extern int NCryptUnprotectSecret(IntPtr descriptorOut, int flags, byte[] blob, int size, IntPtr memPara, IntPtr hwnd, out IntPtr data, out int dataSize);
  [DllImport("kernel32.dll")] public static extern IntPtr LocalFree(IntPtr mem);
}
'@
function ToHex([byte[]]$b) { ($b | ForEach-Object { $_.ToString('x2') }) -join '' }
function FromHex([string]$h) { $b = New-Object byte[] ($h.Length / 2); for ($i = 0; $i -lt $b.Length; $i++) { $b[$i] = [Convert]::ToByte($h.Substring(2 * $i, 2), 16) }; ,$b }
function Text([string]$h) { $s = ''; for ($i = 0; $i -lt $h.Length; $i += 4) { $s += [char][Convert]::ToInt32($h.Substring($i, 4), 16) }; $s }
function Hex16([string]$s) { ($s.ToCharArray() | ForEach-Object { ([int]$_).ToString('x4') }) -join '' }
function Take([IntPtr]$p, [int]$n) { $b = New-Object byte[] $n; [Runtime.InteropServices.Marshal]::Copy($p, $b, 0, $n); [void][UsmtStepsDpapiNg]::LocalFree($p); ,$b }
try {
  $f = [Console]::In.ReadLine().Split(';')
  if ($f[0] -ne 'v1') { throw 'bad request' }
  if ($f[1] -eq 'protect') {
    $sids = (Text $f[2]).Split([char]10) | Where-Object { $_ } | ForEach-Object { 'SID=' + ([Security.Principal.NTAccount]::new($_)).Translate([Security.Principal.SecurityIdentifier]).Value }
    $descriptor = $sids -join ' OR '
    $h = [IntPtr]::Zero
    $r = [UsmtStepsDpapiNg]::NCryptCreateProtectionDescriptor($descriptor, 0, [ref]$h); if ($r -ne 0) { throw ('NCryptCreateProtectionDescriptor 0x{0:x8}' -f $r) }
    $data = FromHex $f[3]; $p = [IntPtr]::Zero; $n = 0
    $r = [UsmtStepsDpapiNg]::NCryptProtectSecret($h, 0x40, $data, $data.Length, [IntPtr]::Zero, [IntPtr]::Zero, [ref]$p, [ref]$n)
    [void][UsmtStepsDpapiNg]::NCryptCloseProtectionDescriptor($h); [Array]::Clear($data, 0, $data.Length)
    if ($r -ne 0) { throw ('NCryptProtectSecret 0x{0:x8}' -f $r) }
    [Console]::Out.WriteLine('OK;' + (Hex16 $descriptor) + ';' + (ToHex (Take $p $n)))
  } elseif ($f[1] -eq 'unprotect') {
    $blob = FromHex $f[2]; $p = [IntPtr]::Zero; $n = 0
    $r = [UsmtStepsDpapiNg]::NCryptUnprotectSecret([IntPtr]::Zero, 0x40, $blob, $blob.Length, [IntPtr]::Zero, [IntPtr]::Zero, [ref]$p, [ref]$n)
    if ($r -ne 0) { throw ('NCryptUnprotectSecret 0x{0:x8}' -f $r) }
    [Console]::Out.WriteLine('OK;' + (ToHex (Take $p $n)))
  } else { throw 'unknown operation' }
} catch {
  [Console]::Out.WriteLine('ERR;' + (Hex16 ([string]$_.Exception.HResult)) + ';' + (Hex16 $_.Exception.Message))
}
`

export const DPAPI_NG_ARGV_PREFIX = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'] as const

export function dpapiNgArgv(): string[] {
  return [...DPAPI_NG_ARGV_PREFIX, Buffer.from(DPAPI_NG_SCRIPT, 'utf16le').toString('base64')]
}

function answer(stdout: string): string[] {
  const line = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^(OK|ERR)(;|$)/.test(l)).pop()
  if (!line) throw new Error('no answer from the DPAPI-NG helper')
  const parts = line.split(';')
  if (parts[0] === 'ERR') throw new Error(`${hexDecode(parts[2] ?? '')} (HRESULT ${hexDecode(parts[1] ?? '')})`)
  return parts.slice(1)
}

/** The DPAPI-NG boundary where powershell.exe runs (Windows, or USMT_STEPS_POWERSHELL); null elsewhere. */
export function dpapiNgBridge(be: BridgeEnvironment = { platform: process.platform, env: process.env }): DpapiNg | null {
  const host = findBridgeHost(be)
  if (!host || host.kind !== 'powershell') return null
  const call = async (line: string): Promise<string[]> => {
    const { execa } = await import('execa')
    let r
    try {
      r = await execa(host.executable, dpapiNgArgv(), { input: `${line}\n`, reject: false, timeout: 60000, windowsHide: true, extendEnv: true })
    } catch (err) {
      throw new UsmtStepsError('USM0019', `cannot run ${host.executable}: ${(err as Error).message}`, { cause: err })
    }
    return answer(String(r.stdout ?? ''))
  }
  return {
    async protect(secret, accounts) {
      const [descriptor, blob] = await call(`v1;protect;${hexEncode(accounts.join('\n'))};${secret.toString('hex')}`)
      return { descriptor: hexDecode(descriptor), blob: Buffer.from(blob, 'hex') }
    },
    async unprotect(blob) {
      const [secret] = await call(`v1;unprotect;${blob.toString('hex')}`)
      return Buffer.from(secret, 'hex')
    },
  }
}
