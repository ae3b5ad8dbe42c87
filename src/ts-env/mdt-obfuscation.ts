/**
 * MDT's credential obfuscation (ZTIUtility.vbs `ObfuscateEncode`/`ObfuscateDecode` and `oStrings.Base64Encode`/
 * `Base64Decode`, configmgr-mdt.md §5.7). MDT keeps these variables Base64-encoded both in VARIABLES.DAT and in the
 * running task-sequence environment:
 * - the encoded bytes are the ANSI code-page bytes of the value (VBScript `Asc`), not UTF-8; a character the code
 *   page cannot represent becomes `?`, as `Asc` makes it;
 * - the encoder inserts a line break (vbNewLine, CR LF) before every group that starts at a multiple of 57 input
 *   bytes (so lines of 76 characters);
 * - the decoder drops every character outside the Base64 alphabet (line breaks included); when what is left is not
 *   a multiple of 4 characters MDT keeps the value as stored ("not Base64 Format").
 */

import { isSecretName, redactor } from '../runtime/redact.js'

/** The names ZTIUtility's `ObfuscateEncode`/`ObfuscateDecode` encode (upper case, as MDT compares them). */
export const MDT_OBFUSCATED_NAMES: ReadonlySet<string> = new Set(['USERID', 'USERPASSWORD', 'USERDOMAIN', 'DOMAINADMIN',
  'DOMAINADMINPASSWORD', 'DOMAINADMINDOMAIN', 'ADMINPASSWORD', 'BDEPIN', 'TPMOWNERPASSWORD', 'ADDSUSERNAME', 'ADDSPASSWORD',
  'SAFEMODEADMINPASSWORD', 'USERNAME', 'PRODUCTKEY', 'OSDJOINACCOUNT', 'OSDJOINPASSWORD'])

/**
 * Names that ConfigMgr itself sets in clear text (Apply Network Settings, collection variables): in a ConfigMgr
 * task sequence with MDT integration (`DeploymentMethod=SCCM`) they are read as they are; only Lite Touch
 * (`DeploymentMethod` set to anything else) encodes them too.
 */
export const CONFIGMGR_NATIVE_NAMES: ReadonlySet<string> = new Set(['OSDJOINACCOUNT', 'OSDJOINPASSWORD'])

/** The default ANSI code page of a Western-European/US Windows (what `Asc` uses there). */
export const DEFAULT_MDT_CODE_PAGE = 1252

export function isMdtObfuscated(name: string): boolean {
  return MDT_OBFUSCATED_NAMES.has(name.toUpperCase())
}

/** Windows-1252 bytes 0x80–0x9F (the rest of the code page is ISO-8859-1; 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned). */
const CP1252_HIGH = '\u20AC\uFFFD\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\uFFFD\u017D\uFFFD' +
  '\uFFFD\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\uFFFD\u017E\u0178'

interface CodePage { chars: string[]; encode: Map<string, number> }
const codePages = new Map<number, CodePage>()

/** The 256 characters of a single-byte code page: 1252 built in; others from the runtime's ICU data. */
function codePage(cp: number): CodePage {
  let c = codePages.get(cp)
  if (c) return c
  let chars: string[]
  if (cp === 1252) {
    chars = Array.from({ length: 256 }, (_, b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b)))
  } else {
    let decoder: TextDecoder
    try {
      decoder = new TextDecoder(`windows-${cp}`)
    } catch {
      throw new RangeError(`code page ${cp} is not a single-byte Windows code page this runtime knows`)
    }
    chars = Array.from({ length: 256 }, (_, b) => decoder.decode(Uint8Array.of(b)))
  }
  const encode = new Map<string, number>()
  chars.forEach((ch, b) => { if (ch !== '\uFFFD' && !encode.has(ch)) encode.set(ch, b) })
  c = { chars, encode }
  codePages.set(cp, c)
  return c
}

/** The ANSI bytes VBScript's `Asc` gives for `value` (unrepresentable characters become `?`). */
export function ansiBytes(value: string, cp = DEFAULT_MDT_CODE_PAGE): Buffer {
  const table = codePage(cp).encode
  return Buffer.from([...value].map((ch) => table.get(ch) ?? 0x3f))
}

/** VBScript's `Chr` over ANSI bytes (an unassigned byte becomes U+FFFD). */
export function fromAnsiBytes(bytes: Uint8Array, cp = DEFAULT_MDT_CODE_PAGE): string {
  const { chars } = codePage(cp)
  return Array.from(bytes, (b) => chars[b]).join('')
}

/** `oStrings.Base64Encode`: ANSI bytes, CR LF before every group starting at a multiple of 57 bytes. */
export function mdtBase64Encode(value: string, cp = DEFAULT_MDT_CODE_PAGE): string {
  const bytes = ansiBytes(value, cp)
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 57) lines.push(bytes.subarray(i, i + 57).toString('base64'))
  return lines.join('\r\n')
}

/** `oStrings.Base64Decode`; undefined where MDT logs "not Base64 Format" (and keeps the stored value). */
export function mdtBase64Decode(stored: string, cp = DEFAULT_MDT_CODE_PAGE): string | undefined {
  const text = stored.replace(/[^=A-Za-z0-9+/]/g, '')
  if (text.length % 4 !== 0) return undefined
  return fromAnsiBytes(Buffer.from(text, 'base64'), cp)
}

/** `ObfuscateDecode`: the clear value of `name` as MDT reads it. */
export function obfuscateDecode(name: string, stored: string, cp = DEFAULT_MDT_CODE_PAGE): string {
  if (!isMdtObfuscated(name) || stored === '') return stored
  const clear = mdtBase64Decode(stored, cp)
  return clear === undefined || clear === '' ? stored : clear
}

/** `ObfuscateEncode`: the value as MDT stores it. */
export function obfuscateEncode(name: string, value: string, cp = DEFAULT_MDT_CODE_PAGE): string {
  return isMdtObfuscated(name) && value !== '' ? mdtBase64Encode(value, cp) : value
}

/**
 * Register the clear and the stored (encoded) form of every obfuscated secret-looking variable with the redactor:
 * MDT's encoding is reversible, so the stored form is as secret as the password.
 */
export function registerEncodedSecrets(stored: Iterable<[string, string]>, cp = DEFAULT_MDT_CODE_PAGE): void {
  for (const [name, value] of stored) {
    if (!isMdtObfuscated(name) || !isSecretName(name) || value === '') continue
    redactor.add(value)
    for (const line of value.split(/\r?\n/)) redactor.add(line)
    redactor.add(obfuscateDecode(name, value, cp))
  }
}

/**
 * Which names a task-sequence environment holds encoded, from its `DeploymentMethod` (set by MDT's Gather):
 * absent → none (plain ConfigMgr); `SCCM` → MDT's names except what ConfigMgr sets natively; otherwise (Lite Touch)
 * every name in ZTIUtility's list.
 */
export function obfuscatedIn(deploymentMethod: string | undefined): (name: string) => boolean {
  const method = (deploymentMethod ?? '').trim().toUpperCase()
  if (method === '') return () => false
  if (method === 'SCCM') return (name) => isMdtObfuscated(name) && !CONFIGMGR_NATIVE_NAMES.has(name.toUpperCase())
  return isMdtObfuscated
}
