#!/usr/bin/env -S node --import tsx
/**
 * TEST DOUBLE for powershell.exe running the DPAPI-NG helper (src/windows/dpapi-ng.ts): NCryptProtectSecret and
 * NCryptUnprotectSecret cannot exist on Linux, nor can a domain's key distribution service. Strict:
 *  - exactly the helper's argv (-NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <base64
 *    UTF-16LE>) and exactly its script, byte for byte, so nothing was ever interpolated into script text;
 *  - the request only on stdin (one line), never argv or environment; hex fields as the helper writes them;
 *  - protect: every account must translate to a SID ([NTAccount]::Translate fails with
 *    IdentityNotMappedException, HRESULT -2146233087, otherwise) from USMT_STEPS_DOUBLE_ACCOUNTS (JSON
 *    { "DOMAIN\\name": "S-1-…" }, names not case-sensitive); the descriptor must be `SID=<sid>( OR SID=<sid>)*`
 *    (NCryptCreateProtectionDescriptor returns NTE_INVALID_PARAMETER 0x80090027 otherwise); an empty secret is
 *    refused;
 *  - the blob is bound to its descriptor and authenticated (AES-256-GCM under a key derived from the "domain root
 *    key" USMT_STEPS_DOUBLE_ROOT_KEY and the descriptor): any changed byte is NTE_BAD_DATA 0x80090005;
 *  - unprotect succeeds only when the caller's token (USMT_STEPS_DOUBLE_TOKEN: JSON list of SIDs, the computer
 *    account's among them when the task sequence runs as SYSTEM) holds a SID of the descriptor; otherwise
 *    E_ACCESSDENIED 0x80070005, as the real API answers a principal outside the descriptor.
 * Every call is appended to USMT_STEPS_DOUBLE_LOG (argv, operation, stdin length — never its content).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { appendFileSync, readFileSync } from 'node:fs'
import { DPAPI_NG_SCRIPT, DPAPI_NG_ARGV_PREFIX } from '../../src/windows/dpapi-ng.js'
import { hexDecode, hexEncode } from '../../src/windows/com-bridge.js'

const argv = process.argv.slice(2)
const input = readFileSync(0, 'utf8')
const log = process.env.USMT_STEPS_DOUBLE_LOG

function reply(line: string): never {
  process.stdout.write(`${line}\r\n`)
  process.exit(0)
}
function err(hresult: number, message: string): never {
  reply(`ERR;${hexEncode(String(hresult | 0))};${hexEncode(message)}`)
}
function fatal(message: string): never {
  process.stderr.write(`dpapi-ng double: ${message}\n`)
  process.exit(1)
}

if (argv.length !== 6 || DPAPI_NG_ARGV_PREFIX.some((a, i) => argv[i] !== a)) fatal(`unexpected argv ${JSON.stringify(argv)}`)
if (Buffer.from(argv[5], 'base64').toString('utf16le') !== DPAPI_NG_SCRIPT) fatal('the encoded command is not the DPAPI-NG helper script')
const lines = input.split(/\r?\n/).filter((l) => l.length > 0)
if (lines.length !== 1) fatal(`expected one request line on stdin, got ${lines.length}`)
const f = lines[0].split(';')
if (log) appendFileSync(log, `${JSON.stringify({ argv: argv.slice(0, 5), op: f[1], stdinBytes: input.length })}\n`)
if (f[0] !== 'v1') err(-2146233088, 'bad request')

const rootKey = Buffer.from(process.env.USMT_STEPS_DOUBLE_ROOT_KEY ?? 'usmt-steps double domain root key', 'utf8')
const keyFor = (descriptor: string): Buffer => createHash('sha256').update(rootKey).update('\0').update(descriptor, 'utf8').digest()
const isHex = (s: string | undefined): s is string => typeof s === 'string' && s.length % 2 === 0 && /^[0-9a-f]*$/.test(s)
const MAGIC = Buffer.from('DNG1')

if (f[1] === 'protect') {
  if (f.length !== 4 || !isHex(f[3])) err(-2146233088, 'malformed protect request')
  const accounts = JSON.parse(process.env.USMT_STEPS_DOUBLE_ACCOUNTS ?? '{}') as Record<string, string>
  const names = hexDecode(f[2]).split('\n').filter(Boolean)
  const sids = names.map((n) => {
    const hit = Object.entries(accounts).find(([k]) => k.toLowerCase() === n.toLowerCase())
    if (!hit) err(-2146233087, `Some or all identity references could not be translated. (${n})`)
    return hit[1]
  })
  const descriptor = sids.map((s) => `SID=${s}`).join(' OR ')
  if (!/^SID=S-1-\d+(-\d+)+( OR SID=S-1-\d+(-\d+)+)*$/.test(descriptor)) err(0x80090027 | 0, 'NCryptCreateProtectionDescriptor 0x80090027')
  const secret = Buffer.from(f[3], 'hex')
  if (secret.length === 0) err(0x80090027 | 0, 'NCryptProtectSecret 0x80090027')
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', keyFor(descriptor), iv)
  const d = Buffer.from(descriptor, 'utf8')
  c.setAAD(d)
  const ct = Buffer.concat([c.update(secret), c.final()])
  const len = Buffer.alloc(2)
  len.writeUInt16BE(d.length)
  reply(`OK;${hexEncode(descriptor)};${Buffer.concat([MAGIC, len, d, iv, c.getAuthTag(), ct]).toString('hex')}`)
}
if (f[1] === 'unprotect') {
  if (f.length !== 3 || !isHex(f[2])) err(-2146233088, 'malformed unprotect request')
  const blob = Buffer.from(f[2], 'hex')
  const bad = (): never => err(0x80090005 | 0, 'NCryptUnprotectSecret 0x80090005')
  if (blob.length < 6 + 28 || !blob.subarray(0, 4).equals(MAGIC)) bad()
  const dl = blob.readUInt16BE(4)
  if (blob.length < 6 + dl + 28) bad()
  const descriptor = blob.subarray(6, 6 + dl).toString('utf8')
  const sids = [...descriptor.matchAll(/SID=(S-1-[\d-]+)/g)].map((m) => m[1].toUpperCase())
  const token = (JSON.parse(process.env.USMT_STEPS_DOUBLE_TOKEN ?? '[]') as string[]).map((s) => s.toUpperCase())
  let secret: Buffer = Buffer.alloc(0)
  try {
    const dc = createDecipheriv('aes-256-gcm', keyFor(descriptor), blob.subarray(6 + dl, 18 + dl))
    dc.setAAD(blob.subarray(6, 6 + dl))
    dc.setAuthTag(blob.subarray(18 + dl, 34 + dl))
    secret = Buffer.concat([dc.update(blob.subarray(34 + dl)), dc.final()])
  } catch {
    bad()
  }
  if (!sids.some((s) => token.includes(s))) err(0x80070005 | 0, 'NCryptUnprotectSecret 0x80070005')
  reply(`OK;${secret.toString('hex')}`)
}
err(-2146233088, 'unknown operation')
