/**
 * Issue #20 item 9: the Windows path checks are one table (WINDOWS_PATH_RULES in src/windows/path.ts) used by
 * capture, by every catalog read and by restore. Before, `C:\` in a catalog was restored as a file named `(1)`,
 * `…\Desktop\` as a file named `Desktop`, `COM¹` was accepted, and a trailing space was trimmed while a trailing
 * dot was refused.
 */
import { expect } from 'chai'
import { unsafeWindowsPath } from '../../../src/store/catalog.js'
import { invalidComponentReason, invalidFilePathReason, isReservedName, WINDOWS_PATH_RULES } from '../../../src/windows/path.js'

describe('windows/path: the one table of Windows path rules (issue #20 item 9)', () => {
  it('refuses what the issue found, and what the table lists', () => {
    const refused: Array<[string, RegExp]> = [
      ['C:\\', /drive root/],
      ['C:\\Users\\ann\\Desktop\\', /ends with a backslash/],
      ['C:\\Data\\COM\u00b9', /reserved/],
      ['C:\\Data\\LPT\u00b3.txt', /reserved/],
      ['C:\\Data\\COM0', /reserved/],
      ['C:\\Data\\notes ', /dot or a space/],
      ['C:\\Data\\notes.', /dot or a space/],
      ['C:\\Data \\x.txt', /dot or a space/],
      ['C:\\Data\\a:b', /forbids/],
      ['C:\\Data\\q?', /forbids/],
      ['C:\\Data\\new\nline', /forbids.*\\x0a/],
      ['C:\\Data\\\\x', /empty name/],
      ['C:\\Data\\..\\x', /not a name/],
      ['C:\\Data\\nul.txt', /reserved/],
      ['\\\\srv\\share\\x', /drive-absolute/],
      ['C:x', /drive-absolute/],
      [' C:\\x', /drive-absolute/],
      [`C:\\${'a'.repeat(256)}`, /longer than 255/],
      [`C:\\${Array.from({ length: 200 }, () => 'a'.repeat(200)).join('\\')}`, /longer than 32767/],
    ]
    for (const [p, why] of refused) {
      expect(invalidFilePathReason(p), JSON.stringify(p)).to.match(why)
      expect(unsafeWindowsPath(p), JSON.stringify(p)).to.match(why)
    }
    for (const ok of ['C:\\Users\\ann\\a.txt', 'D:\\x', 'C:\\Data\\ leading space.txt', 'C:\\Data\\COM10', 'C:\\Data\\CONSOLE.txt', `C:\\${Array.from({ length: 29 }, () => 'a'.repeat(200)).join('\\')}`]) {
      expect(invalidFilePathReason(ok), ok).to.equal(null)
    }
    expect(isReservedName('com\u00b2')).to.equal(true)
    expect(invalidComponentReason('back\\slash')).to.match(/forbids/)
  })

  it('isReservedName agrees with the plain definition for every first character (its fast path skips most names)', () => {
    const stems = ['CON', 'PRN', 'AUX', 'NUL', 'CONIN$', 'CONOUT$', ...['COM', 'LPT'].flatMap((d) => [...'0123456789\u00b9\u00b2\u00b3'].map((n) => `${d}${n}`))]
    const plain = (name: string): boolean => stems.includes(name.split('.')[0].trim().toUpperCase())
    const names: string[] = []
    for (let c = 0; c < 0x250; c++) {
      const first = String.fromCharCode(c)
      for (const rest of ['', 'ON', 'on.txt', 'ul', 'ux .log', 'pt1', 'OM\u00b9.x', 'onin$', 'ONOUT$', 'ile0.txt']) names.push(first + rest)
    }
    for (const stem of stems) names.push(stem, stem.toLowerCase(), ` ${stem}.txt`, `\t${stem} .log`, `\u00a0${stem}`, `${stem}1`, `x${stem}`)
    let reserved = 0
    for (const n of names) {
      expect(isReservedName(n), JSON.stringify(n)).to.equal(plain(n))
      if (plain(n)) reserved++
    }
    expect(reserved).to.be.greaterThan(150)
  })

  it('every rule of the documented table has an example the checks refuse', () => {
    expect(WINDOWS_PATH_RULES.map((r) => r.rule)).to.include.members(['trailing-dot-or-space', 'reserved-device-name', 'no-file-name', 'trailing-separator', 'path-too-long'])
    for (const r of WINDOWS_PATH_RULES) expect(r.refused.length, r.rule).to.be.greaterThan(10)
  })
})
