/**
 * The ntfs-3g attribute source against a real NTFS volume: an image made with mkntfs, mounted with ntfs-3g
 * (FUSE), files marked with setfattr on system.ntfs_attrib_be as Windows would have left them. ntfs-3g lets
 * only the settable attributes be written (OFFLINE among them; RECALL_ON_DATA_ACCESS is written by the cloud
 * filter on Windows, so the test marks placeholders OFFLINE — the same rule reads both).
 */
import { expect } from 'chai'
import { execa } from 'execa'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { scanCloudFiles } from '../../../src/steps/cloud-files.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

describe('steps/cloud-files on an ntfs-3g mount (real NTFS, system.ntfs_attrib_be)', function () {
  this.timeout(60000)
  let dir: string
  let mnt: string
  let mounted = false

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'h18-ntfs-'))
    const img = path.join(dir, 'c.img')
    mnt = path.join(dir, 'C')
    mkdirSync(mnt)
    await execa('truncate', ['-s', '16M', img])
    await execa('mkntfs', ['-F', '-f', '-q', img])
    await execa('ntfs-3g', [img, mnt])
    mounted = true
    const files: Record<string, string> = {
      'Users/ann/OneDrive/plan.docx': 'placeholder of a 1 MB file',
      'Users/ann/OneDrive/Photos/beach.jpg': 'placeholder',
      'Users/ann/OneDrive/local.txt': 'on this disk',
      'Users/ann/Documents/notes.txt': 'notes',
    }
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(mnt, rel)), { recursive: true })
      writeFileSync(path.join(mnt, rel), text)
    }
    for (const rel of ['Users/ann/OneDrive/plan.docx', 'Users/ann/OneDrive/Photos/beach.jpg']) {
      await execa('setfattr', ['-n', 'system.ntfs_attrib_be', '-v', '0x00001020', path.join(mnt, rel)])
    }
  })

  after(async () => {
    if (mounted) await execa('umount', [mnt], { reject: false })
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads the attributes through getfattr and reports the placeholders per user', async () => {
    const scan = await scanCloudFiles({ profiles: [{ user: 'PC\\ann', profile: 'C:\\Users\\ann' }], volumes: VolumeMap.parse([`C=${mnt}`], [], dir) })
    expect(scan.source).to.equal('ntfs-xattr')
    expect(scan.checked, scan.notes.join('; ')).to.equal(true)
    expect(scan.files.map((f) => f.path).sort()).to.deep.equal(['C:\\Users\\ann\\OneDrive\\Photos\\beach.jpg', 'C:\\Users\\ann\\OneDrive\\plan.docx'])
    expect(scan.users[0]).to.include({ user: 'PC\\ann', files: 2, bytes: 'placeholder of a 1 MB file'.length + 'placeholder'.length })
    expect(scan.users[0].folders).to.deep.equal(['C:\\Users\\ann\\OneDrive', 'C:\\Users\\ann\\OneDrive\\Photos'])
  })
})
