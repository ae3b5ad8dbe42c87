/**
 * LoadState's registry writing (applyRegistry) against a real destination hive: the documented collision
 * rules — no `<merge>`: the source overwrites; DestinationPriority keeps the destination's value; HigherValue /
 * LowerValue compare numbers — and `<locationModify>` ExactMove / RelativeMove for registry values.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { loadRuleSetSync } from '../../../src/engine/ruleset.js'
import { applyRegistry } from '../../../src/portable/loadstate.js'
import type { StoredRegistryValue } from '../../../src/store/registry.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'
import { writeHive } from '../../helpers/hives.js'

const dword = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
const sz = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf16le')
const get = (hive: string, key: string, name: string): string | null => {
  try {
    return execFileSync('hivexget', [hive, key, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

const RULES = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/regrestore">
  <component type="Application" context="User">
    <displayName>T</displayName>
    <role role="Settings">
      <rules>
        <include><objectSet><pattern type="Registry">HKCU\\Software\\T\\* [*]</pattern></objectSet></include>
        <merge script="MigXmlHelper.DestinationPriority()"><objectSet><pattern type="Registry">HKCU\\Software\\T [B]</pattern></objectSet></merge>
        <merge script="MigXmlHelper.HigherValue()"><objectSet><pattern type="Registry">HKCU\\Software\\T [A]</pattern></objectSet></merge>
        <merge script="MigXmlHelper.LowerValue()"><objectSet><pattern type="Registry">HKCU\\Software\\T [C]</pattern></objectSet></merge>
        <merge script="MigXmlHelper.SourcePriority()"><objectSet><pattern type="Registry">HKCU\\Software\\T [E]</pattern></objectSet></merge>
        <locationModify script="MigXmlHelper.ExactMove('HKCU\\Software\\New [Moved]')"><objectSet><pattern type="Registry">HKCU\\Software\\T [M]</pattern></objectSet></locationModify>
        <locationModify script="MigXmlHelper.RelativeMove('HKCU\\Software\\T\\Sub','HKCU\\Software\\T2')"><objectSet><pattern type="Registry">HKCU\\Software\\T\\Sub\\* [*]</pattern></objectSet></locationModify>
      </rules>
    </role>
  </component>
</migration>`

describe('loadstate writes registry values with the documented collision rules', function () {
  this.timeout(60_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-regrestore-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('default overwrite, DestinationPriority, HigherValue, LowerValue, SourcePriority, ExactMove and RelativeMove', () => {
    const c = path.join(dir, 'C')
    const hive = path.join(c, 'Users', 'ann', 'NTUSER.DAT')
    writeHive(hive, { '\\Software\\T': { A: 5, B: 'dest', C: 1, D: 'dest', E: 'dest', Keep: 'mine' } })
    const rules = path.join(dir, 'rules.xml')
    writeFileSync(rules, RULES)
    const rs = loadRuleSetSync({ ruleFiles: [rules] })
    const v = (key: string, name: string, type: number, data: Buffer): StoredRegistryValue => ({ key, name, type, data, user: 'PC\\ann', component: 'T' })
    const values = [
      v('HKCU\\Software\\T', 'A', 4, dword(3)), v('HKCU\\Software\\T', 'B', 1, sz('src')), v('HKCU\\Software\\T', 'C', 4, dword(0)),
      v('HKCU\\Software\\T', 'D', 1, sz('src')), v('HKCU\\Software\\T', 'E', 1, sz('src')), v('HKCU\\Software\\T', 'M', 1, sz('m')),
      v('HKCU\\Software\\T\\Sub\\Deep', 'x', 4, dword(9)), v('HKCU\\Software\\T', 'New', 4, dword(1)),
    ]
    const notes: string[] = []
    const out = applyRegistry(VolumeMap.parse([`C=${c}`]), values, () => 'C:\\Users\\ann', (n) => notes.push(n), rs)
    const action = (name: string): string | undefined => out.find((o) => o.source.endsWith(`[${name}]`))?.action
    expect(get(hive, '\\Software\\T', 'A')).to.equal('5') // HigherValue: the destination's 5 beats 3
    expect(action('A')).to.equal('kept-destination')
    expect(get(hive, '\\Software\\T', 'B')).to.equal('dest') // DestinationPriority
    expect(get(hive, '\\Software\\T', 'C')).to.equal('0') // LowerValue: the source's 0 beats 1
    expect(action('C')).to.equal('overwritten')
    expect(get(hive, '\\Software\\T', 'D')).to.equal('src') // no merge rule: the source overwrites
    expect(get(hive, '\\Software\\T', 'E')).to.equal('src') // SourcePriority
    expect(get(hive, '\\Software\\T', 'New')).to.equal('1')
    expect(action('New')).to.equal('written')
    expect(get(hive, '\\Software\\T', 'Keep')).to.equal('mine') // untouched
    expect(get(hive, '\\Software\\New', 'Moved')).to.equal('m') // ExactMove to a named value
    expect(get(hive, '\\Software\\T', 'M')).to.equal(null)
    expect(get(hive, '\\Software\\T2\\Deep', 'x')).to.equal('9') // RelativeMove keeps the path below the source root
    expect(out.find((o) => o.source === 'HKCU\\Software\\T\\Sub\\Deep [x]')?.destination).to.equal('HKCU\\Software\\T2\\Deep [x]')
    expect(notes).to.deep.equal([])
  })

  it('a profile without NTUSER.DAT gets a copy of the Default profile\'s hive, then the values', () => {
    const c = path.join(dir, 'C2')
    writeHive(path.join(c, 'Users', 'Default', 'NTUSER.DAT'), { '\\Control Panel\\Desktop': { WallPaper: 'default.jpg' } })
    const notes: string[] = []
    applyRegistry(VolumeMap.parse([`C=${c}`]), [{ key: 'HKCU\\Software\\X', name: 'v', type: 4, data: dword(2), user: 'PC\\bob', component: 'X' }], () => 'C:\\Users\\bob', (n) => notes.push(n))
    const hive = path.join(c, 'Users', 'bob', 'NTUSER.DAT')
    expect(get(hive, '\\Software\\X', 'v')).to.equal('2')
    expect(get(hive, '\\Control Panel\\Desktop', 'WallPaper')).to.equal('default.jpg')
    expect(notes[0]).to.match(/bob\\NTUSER\.DAT did not exist: created from the Default profile's NTUSER\.DAT/)
  })
})
