import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cloudExclusionXml, CLOUD_SCAN_SCRIPT, describeCloudUsers, parseCloudScanOutput, parseGetfattr, scanCloudFiles } from '../../../src/steps/cloud-files.js'
import { parsePattern } from '../../../src/engine/pattern.js'
import { readAttributeBits } from '../../../src/windows/file-attributes.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

describe('steps/cloud-files: cloud-only files found from their attributes', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'h18-cloud-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('counts them per user from an attributes file (count, bytes, folders); pinned-only and other users\' files are not counted', async () => {
    const c = path.join(dir, 'C')
    for (const [rel, size] of [['Users/ann/OneDrive/a.docx', 10], ['Users/ann/OneDrive/Sub/b.xlsx', 5], ['Users/ann/OneDrive/kept.txt', 3], ['Users/jdoe/Documents/x.txt', 1]] as const) {
      mkdirSync(path.dirname(path.join(c, rel)), { recursive: true })
      writeFileSync(path.join(c, rel), 'x'.repeat(size))
    }
    const attrs = path.join(dir, 'attributes.json')
    writeFileSync(attrs, JSON.stringify({
      'C:\\Users\\ann\\OneDrive\\a.docx': 'Archive, RecallOnDataAccess, Unpinned',
      'C:\\Users\\ann\\OneDrive\\Sub\\b.xlsx': 'O',
      'C:\\Users\\ann\\OneDrive\\kept.txt': 'Archive, Pinned',
      'C:\\Users\\jdoe\\Documents\\x.txt': 'A',
    }))
    const scan = await scanCloudFiles({
      profiles: [{ user: 'PC\\ann', profile: 'C:\\Users\\ann' }, { user: 'CONTOSO\\jdoe', profile: 'C:\\Users\\jdoe' }],
      volumes: VolumeMap.parse([`C=${c}`], [], dir), attributes: readAttributeBits(attrs),
    })
    expect(scan.source).to.equal('attributes-file')
    expect(scan.checked).to.equal(true)
    expect(scan.users).to.deep.equal([{ user: 'PC\\ann', profile: 'C:\\Users\\ann', files: 2, bytes: 15, folders: ['C:\\Users\\ann\\OneDrive', 'C:\\Users\\ann\\OneDrive\\Sub'] }])
    expect(scan.files.map((f) => f.path).sort()).to.deep.equal(['C:\\Users\\ann\\OneDrive\\Sub\\b.xlsx', 'C:\\Users\\ann\\OneDrive\\a.docx'])
    expect(describeCloudUsers(scan)[0]).to.equal('PC\\ann: 2 cloud-only file(s), 15 bytes in C:\\Users\\ann\\OneDrive, C:\\Users\\ann\\OneDrive\\Sub')
  })

  it('says "not checked" when the mapped volume has no attribute source (never "none found")', async () => {
    const c = path.join(dir, 'C')
    mkdirSync(path.join(c, 'Users', 'ann'), { recursive: true })
    const scan = await scanCloudFiles({ profiles: [{ user: 'PC\\ann', profile: 'C:\\Users\\ann' }], volumes: VolumeMap.parse([`C=${c}`], [], dir) })
    expect(scan.source).to.equal('ntfs-xattr')
    expect(scan.checked).to.equal(false)
    expect(scan.notes.join('\n')).to.contain('C:\\Users\\ann').and.contain('not an ntfs-3g mount')
    const none = await scanCloudFiles({ profiles: [{ user: 'PC\\ann', profile: 'C:\\Users\\ann' }] })
    expect(none.checked).to.equal(false)
  })

  it('parses getfattr output, unescaping names', () => {
    const out = '# file: /mnt/c/Users/ann\nsystem.ntfs_attrib_be=0x00000010\n\n# file: /mnt/c/Users/ann/One\\040Drive\\\\x\\303\\251.docx\nsystem.ntfs_attrib_be=0x00401020\n\n'
    const m = parseGetfattr(out)
    expect(m.get('/mnt/c/Users/ann')).to.equal(0x10)
    expect(m.get('/mnt/c/Users/ann/One Drive\\xé.docx')).to.equal(0x401020)
  })

  it('parses the Windows scan script output; the script reads folders from the environment, never from its text', () => {
    const r = parseCloudScanOutput('4195360\t1234\tC:\\Users\\ann\\OneDrive\\a.docx\r\n!\tC:\\Users\\ann\\Locked\tAccess is denied.\r\n')
    expect(r.found).to.deep.equal([{ bits: 4195360, bytes: 1234, path: 'C:\\Users\\ann\\OneDrive\\a.docx' }])
    expect(r.unreadable).to.deep.equal(['C:\\Users\\ann\\Locked: Access is denied.'])
    expect(CLOUD_SCAN_SCRIPT).to.contain('$env:USMT_STEPS_CLOUD_SCAN').and.contain('EnumerateFileSystemInfos').and.contain('LinkType')
  })

  it('writes an unconditionalExclude XML whose patterns name exactly the files (brackets escaped)', () => {
    const xml = cloudExclusionXml([
      { path: 'C:\\Users\\ann\\OneDrive\\draft [v2].docx', user: 'PC\\ann', bytes: 1, attributes: 0x400000 },
      { path: 'C:\\Users\\ann\\OneDrive\\R&D\\a.txt', user: 'PC\\ann', bytes: 1, attributes: 0x400000 },
    ])
    expect(xml).to.contain('<unconditionalExclude>')
    const patterns = [...xml.matchAll(/<pattern type="File">(.*)<\/pattern>/g)].map((m) => m[1].replace(/&amp;/g, '&'))
    expect(patterns.map((p) => parsePattern(p))).to.deep.include.members([
      { type: 'File', raw: 'C:\\Users\\ann\\OneDrive [draft ^[v2^].docx]', node: 'C:\\Users\\ann\\OneDrive', leaf: 'draft [v2].docx' },
      { type: 'File', raw: 'C:\\Users\\ann\\OneDrive\\R&D [a.txt]', node: 'C:\\Users\\ann\\OneDrive\\R&D', leaf: 'a.txt' },
    ])
  })
})
