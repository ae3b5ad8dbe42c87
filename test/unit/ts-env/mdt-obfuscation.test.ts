import { expect } from 'chai'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { MdtTsEnvironment } from '../../../src/ts-env/mdt-env.js'
import {
  ansiBytes, mdtBase64Decode, mdtBase64Encode, obfuscateDecode, obfuscateEncode, obfuscatedIn,
} from '../../../src/ts-env/mdt-obfuscation.js'
import { parseVariablesDat, serializeVariablesDat, variablesOf } from '../../../src/ts-env/variables-dat.js'
import { redactor } from '../../../src/runtime/redact.js'
import { tempDir } from '../../helpers/fixtures.js'

/**
 * A line-by-line port of ZTIUtility.vbs `base64Encode`/`base64Decode` (class Strings, lines 4249–4336 of the
 * fixture) operating on the ANSI bytes VBScript's Asc/Chr give, used as the oracle for what MDT writes and reads.
 */
const TABLE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function ztiBase64Encode(plain: Uint8Array): string {
  const safeAsc = (pos: number): number => (pos + 1 <= plain.length ? plain[pos] : 0)
  const safeEnc = (n: number, x: number): string => TABLE[Math.floor(n / 2 ** x) & 63]
  let out = ''
  for (let i = 0; i <= plain.length - 1; i += 3) {
    if (i > 0 && i % 57 === 0) out += '\r\n'
    const n = safeAsc(i) * 0x10000 + safeAsc(i + 1) * 0x100 + safeAsc(i + 2)
    out += safeEnc(n, 18) + safeEnc(n, 12) + safeEnc(n, 6) + safeEnc(n, 0)
  }
  const n = (3 - (plain.length % 3)) % 3
  return out.slice(0, out.length - n) + '='.repeat(n)
}
function ztiBase64Decode(encoded: string): Uint8Array | '' {
  let s = encoded.replace(/[^=A-Za-z0-9+/]/g, '')
  if (s.length % 4 !== 0) return ''
  const p = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  s = s.slice(0, s.length - p) + 'A'.repeat(p)
  const bytes: number[] = []
  for (let i = 0; i < s.length; i += 4) {
    const n = TABLE.indexOf(s[i + 3]) + TABLE.indexOf(s[i + 2]) * 64 + TABLE.indexOf(s[i + 1]) * 4096 + TABLE.indexOf(s[i]) * 262144
    bytes.push((n >> 16) & 255, (n >> 8) & 255, n & 255)
  }
  return Uint8Array.from(bytes.slice(0, bytes.length - p))
}
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1')

describe('ts-env/mdt-obfuscation (ZTIUtility ObfuscateEncode/Decode)', () => {
  const samples = ['P@ssw0rd!', 'Zoë-Ünïcødé€', 'x', 'ab', 'abc', 'A'.repeat(57), 'B'.repeat(58), `Long-é-${'p4ss'.repeat(40)}`, 'CONTOSO\\svc_mdt']

  it('encodes exactly as ZTIUtility does: ANSI (cp1252) bytes and CR LF before every 57-byte group', () => {
    for (const s of samples) expect(mdtBase64Encode(s), s).to.equal(ztiBase64Encode(ansiBytes(s)))
    expect(mdtBase64Encode('é')).to.equal('6Q==') // 0xE9 in cp1252; UTF-8 would give w6k=
    expect(mdtBase64Encode('€')).to.equal('gA==') // 0x80 in cp1252
    const long = mdtBase64Encode('B'.repeat(58))
    expect(long.split('\r\n').map((l) => l.length)).to.deep.equal([76, 4])
    expect(mdtBase64Encode('A'.repeat(57))).to.not.include('\n')
  })

  it('decodes what ZTIUtility writes (wrapped lines included) and what it would decode itself', () => {
    for (const s of samples) {
      const stored = ztiBase64Encode(ansiBytes(s))
      expect(mdtBase64Decode(stored), s).to.equal(s)
      expect(latin1(ztiBase64Decode(mdtBase64Encode(s)) as Uint8Array), s).to.equal(latin1(ansiBytes(s)))
    }
    // Characters outside the code page become "?" as VBScript's Asc makes them.
    expect(mdtBase64Decode(mdtBase64Encode('日本'))).to.equal('??')
  })

  it('keeps the stored value where MDT says "not Base64 Format", and leaves other names alone', () => {
    expect(obfuscateDecode('UserPassword', 'abc')).to.equal('abc')
    expect(obfuscateDecode('UDShare', 'UEBzc3cwcmQh')).to.equal('UEBzc3cwcmQh')
    expect(obfuscateDecode('ADDSPassword', 'UEBzc3cwcmQh')).to.equal('P@ssw0rd!')
    expect(obfuscateDecode('ADDSUserName', mdtBase64Encode('svc-adds'))).to.equal('svc-adds')
    expect(obfuscateEncode('UDShare', 'x')).to.equal('x')
  })

  it('knows which names are encoded from DeploymentMethod', () => {
    expect(obfuscatedIn(undefined)('OSDJoinPassword')).to.equal(false)
    expect(obfuscatedIn('UNC')('OSDJoinPassword')).to.equal(true)
    expect(obfuscatedIn('MEDIA')('UserPassword')).to.equal(true)
    expect(obfuscatedIn('SCCM')('UserPassword')).to.equal(true)
    expect(obfuscatedIn('SCCM')('OSDJoinPassword')).to.equal(false)
    expect(obfuscatedIn('UNC')('OSDStateStorePath')).to.equal(false)
  })

  describe('VARIABLES.DAT built the way ZTIUtility writes it', () => {
    const password = `Pässwörd-€-${'x'.repeat(70)}` // > 57 ANSI bytes: the stored form wraps
    const build = (): string => '<?xml version="1.0" ?><MediaVarList Version="4.00.5345.0000">' +
      `<var name="USERID"><![CDATA[${ztiBase64Encode(ansiBytes('mdt-svc'))}]]></var>` +
      `<var name="USERDOMAIN"><![CDATA[${ztiBase64Encode(ansiBytes('CONTOSO'))}]]></var>` +
      `<var name="USERPASSWORD"><![CDATA[${ztiBase64Encode(ansiBytes(password))}]]></var>` +
      `<var name="ADDSPASSWORD"><![CDATA[${ztiBase64Encode(ansiBytes('Dc-Pw1'))}]]></var>` +
      '<var name="UDSHARE"><![CDATA[\\\\srv\\MigData$]]></var></MediaVarList>'

    for (const [label, encode] of [
      ['UTF-8', (t: string) => Buffer.from(t, 'utf8')],
      ['UTF-8 with BOM', (t: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t, 'utf8')])],
      ['UTF-16 with BOM', (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
    ] as const) {
      it(`decodes every credential of a ${label} file`, () => {
        const vars = Object.fromEntries(variablesOf(parseVariablesDat(encode(build()))))
        expect(vars).to.deep.equal({ USERID: 'mdt-svc', USERDOMAIN: 'CONTOSO', USERPASSWORD: password, ADDSPASSWORD: 'Dc-Pw1', UDSHARE: '\\\\srv\\MigData$' })
      })
    }

    it('round trip: a changed credential is stored in bytes ZTIUtility decodes to the same value; the rest is untouched', () => {
      const src = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(build(), 'utf16le')])
      const out = serializeVariablesDat(parseVariablesDat(src), [{ name: 'UserPassword', value: `Neu-ß-${'y'.repeat(60)}` }, { name: 'OSDJoinAccount', value: 'CONTOSO\\join' }])
      const text = out.subarray(2).toString('utf16le')
      const stored = (name: string): string => new RegExp(`<var name="${name}"><!\\[CDATA\\[([\\s\\S]*?)\\]\\]></var>`).exec(text)![1]
      expect(stored('USERPASSWORD')).to.include('\r\n')
      expect(latin1(ztiBase64Decode(stored('USERPASSWORD')) as Uint8Array)).to.equal(latin1(ansiBytes(`Neu-ß-${'y'.repeat(60)}`)))
      expect(stored('OSDJOINACCOUNT')).to.equal(ztiBase64Encode(ansiBytes('CONTOSO\\join')))
      expect(stored('USERID')).to.equal(ztiBase64Encode(ansiBytes('mdt-svc')))
      expect(Object.fromEntries(variablesOf(parseVariablesDat(out))).USERPASSWORD).to.equal(`Neu-ß-${'y'.repeat(60)}`)
    })

    it('the mdt: environment reads clear values and masks the stored form of secrets', () => {
      const t = tempDir()
      try {
        const dir = path.join(t.dir, 'OSDLOGS')
        mkdirSync(dir)
        const file = path.join(dir, 'VARIABLES.DAT')
        writeFileSync(file, build())
        const env = new MdtTsEnvironment(file)
        expect(env.get('UserPassword')).to.equal(password)
        expect(env.get('UserID')).to.equal('mdt-svc')
        const storedLine = ztiBase64Encode(ansiBytes(password)).split('\r\n')[0]
        expect(redactor.redact(`saw ${storedLine}`)).to.not.include(storedLine)
        expect(readFileSync(file, 'utf8')).to.equal(build())
      } finally {
        t.cleanup()
      }
    })
  })
})
