import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { listVolumeProfiles, parseProfileList, parseUsersFile, PROFILE_LIST_SCRIPT } from '../../../src/directory/profiles.js'
import { nameFromFolder } from '../../../src/directory/resolve.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

describe('directory/profiles', () => {
  let tmp: string
  beforeEach(() => { tmp = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-profiles-')) })
  afterEach(() => rmSync(tmp, { recursive: true, force: true }))

  it('lists the folders under C:\\Users (not Public/Default/links) and merges the users file', () => {
    const users = path.join(tmp, 'C', 'users') // case differs from "Users" on purpose
    for (const n of ['ann', 'bob', 'Public', 'Default', 'ann.CORP']) mkdirSync(path.join(users, n), { recursive: true })
    symlinkSync(path.join(users, 'Default'), path.join(users, 'Default User'))
    symlinkSync(path.join(users, 'bob'), path.join(users, 'link-to-bob'))
    writeFileSync(path.join(users, 'desktop.ini'), '')
    writeFileSync(path.join(users, 'bob', 'NTUSER.DAT'), 'x')
    utimesSync(path.join(users, 'bob', 'NTUSER.DAT'), new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'))
    const file = path.join(tmp, 'users.json')
    writeFileSync(file, JSON.stringify([{ account: 'CORP\\ann', profile: 'C:\\USERS\\ANN', sid: 's-1-5-21-1-2-3-1001' }, { account: 'CORP\\dan', profile: 'D:\\Users\\dan' }]))
    const r = listVolumeProfiles(VolumeMap.parse([`C=${path.join(tmp, 'C')}`]), file)
    expect(r.profiles.map((p) => [p.profile, p.account, p.sid, p.source])).to.deep.equal([
      ['C:\\USERS\\ANN', 'CORP\\ann', 'S-1-5-21-1-2-3-1001', 'users-file'],
      ['D:\\Users\\dan', 'CORP\\dan', undefined, 'users-file'],
      ['C:\\Users\\ann.CORP', undefined, undefined, 'folder'],
      ['C:\\Users\\bob', undefined, undefined, 'folder'],
    ])
    expect(r.profiles[3].lastUse).to.equal('2026-01-02T03:04:05.000Z')
    expect(r.warnings.join()).to.include('D:\\Users\\dan (CORP\\dan) from the users file is not on the mapped volume')
    expect(nameFromFolder('C:\\Users\\ann.CORP')).to.equal('ann')
    expect(nameFromFolder('C:\\Users\\ann.000')).to.equal('ann')
  })

  it('needs a volume or a users file, and a Users folder', () => {
    expect(() => listVolumeProfiles(VolumeMap.parse([]))).to.throw(UsmtStepsError).with.property('code', 'USM0511')
    mkdirSync(path.join(tmp, 'C'))
    expect(() => listVolumeProfiles(VolumeMap.parse([`C=${path.join(tmp, 'C')}`]))).to.throw(/Users was not found/)
  })

  it('validates the users file', () => {
    const bad = (text: string): string => {
      try {
        parseUsersFile(text, 'u.json')
      } catch (e) {
        expect((e as UsmtStepsError).code).to.equal('USM0511')
        return (e as Error).message
      }
      throw new Error('accepted')
    }
    expect(bad('{')).to.include('not JSON')
    expect(bad('{"a":1}')).to.include('must be a JSON list')
    expect(bad('[{"profile":"C:\\\\Users\\\\a"}]')).to.include('no "account"')
    expect(bad('[{"account":"CORP\\\\a","profile":"Users/a"}]')).to.include('Windows "profile" path')
    expect(bad('[{"account":"CORP\\\\a","profile":"C:\\\\Users\\\\a","sid":"S-1-x"}]')).to.include('invalid "sid"')
    expect(bad('[{"account":"CORP\\\\a","profile":"C:\\\\Users\\\\a","lastUse":"yesterday"}]')).to.include('invalid "lastUse"')
    expect(parseUsersFile('{"users":[{"account":"CORP\\\\a","profile":"C:\\\\Users\\\\a","lastUse":"2026-01-01T00:00:00Z"}]}', 'u.json')).to.have.length(1)
  })

  it('parses the ProfileList script output; set-aside .bak keys are reported', () => {
    const out = `noise\r\n${JSON.stringify({
      computer: 'PC01', machineSid: 's-1-5-21-7-8-9',
      profiles: [
        { sid: 'S-1-5-18', profile: 'C:\\Windows\\system32\\config\\systemprofile', account: 'NT AUTHORITY\\SYSTEM', lastUse: null },
        { sid: 'S-1-5-21-1-2-3-1001', profile: 'C:\\Users\\ann', account: 'CORP\\ann', lastUse: '2026-11-01T10:00:00.0000000Z' },
        { sid: 'S-1-5-21-1-2-3-1002', profile: 'C:\\Users\\gone', account: null, lastUse: null },
        { sid: 'S-1-5-21-1-2-3-1003.bak', profile: 'C:\\Users\\dup', account: null },
      ],
    })}\r\n`
    const r = parseProfileList(out)
    expect(r.computerName).to.equal('PC01')
    expect(r.machineSid).to.equal('S-1-5-21-7-8-9')
    expect(r.profiles.map((p) => [p.sid, p.account])).to.deep.equal([['S-1-5-18', 'NT AUTHORITY\\SYSTEM'], ['S-1-5-21-1-2-3-1001', 'CORP\\ann'], ['S-1-5-21-1-2-3-1002', undefined]])
    expect(r.warnings[0]).to.include('S-1-5-21-1-2-3-1003.bak').and.include('return code 26')
    expect(() => parseProfileList('no json here')).to.throw(UsmtStepsError)
  })

  it('the ProfileList script carries no data and reads only the registry', () => {
    expect(PROFILE_LIST_SCRIPT).to.include("HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList")
    expect(PROFILE_LIST_SCRIPT).to.not.match(/Set-Item|Remove-Item|New-Item|Invoke-Expression|iex /i)
  })
})
