import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { classicLetters, cloudAttributeNames, FILE_ATTRIBUTE, isCloudOnly, parseFileAttributes, readAttributeBits } from '../../../src/windows/file-attributes.js'

describe('windows/file-attributes: FILE_ATTRIBUTE_* bit sets', () => {
  it('reads attrib letters, PowerShell [IO.FileAttributes] names and numbers', () => {
    expect(parseFileAttributes('RHS')).to.equal(0x7)
    expect(parseFileAttributes('aoU')).to.equal(0x20 | 0x1000 | 0x100000)
    expect(parseFileAttributes('Archive, Offline, RecallOnDataAccess')).to.equal(0x20 | 0x1000 | 0x400000)
    // .NET Framework prints RecallOnDataAccess, which its enum lacks, as a number among the names
    expect(parseFileAttributes('ReadOnly, Archive, SparseFile, ReparsePoint, 4194304')).to.equal(0x1 | 0x20 | 0x200 | 0x400 | 0x400000)
    expect(parseFileAttributes('0x00400020')).to.equal(0x400020)
    expect(parseFileAttributes(0x40000)).to.equal(0x40000)
    expect(parseFileAttributes('')).to.equal(0)
    expect(parseFileAttributes('Archive, Cloudy')).to.equal(null)
    expect(parseFileAttributes(-1)).to.equal(null)
  })

  it('calls a file cloud-only for RecallOnDataAccess, RecallOnOpen or Offline — not for Pinned/Unpinned alone, never a folder', () => {
    expect(isCloudOnly(FILE_ATTRIBUTE.RECALL_ON_DATA_ACCESS | FILE_ATTRIBUTE.UNPINNED)).to.equal(true)
    expect(isCloudOnly(FILE_ATTRIBUTE.RECALL_ON_OPEN)).to.equal(true)
    expect(isCloudOnly(FILE_ATTRIBUTE.OFFLINE)).to.equal(true)
    expect(isCloudOnly(FILE_ATTRIBUTE.PINNED | FILE_ATTRIBUTE.ARCHIVE)).to.equal(false)
    expect(isCloudOnly(FILE_ATTRIBUTE.UNPINNED | FILE_ATTRIBUTE.ARCHIVE)).to.equal(false)
    expect(isCloudOnly(FILE_ATTRIBUTE.DIRECTORY | FILE_ATTRIBUTE.RECALL_ON_DATA_ACCESS)).to.equal(false)
    expect(cloudAttributeNames(0x400000 | 0x100000)).to.deep.equal(['RecallOnDataAccess', 'Unpinned'])
    expect(classicLetters(0x400027)).to.equal('RHSA')
  })

  it('reads an attributes file and names the bad entry (USM0114)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h18-attr-'))
    try {
      const f = path.join(dir, 'a.json')
      writeFileSync(f, JSON.stringify({ 'C:/Users/ann/OneDrive/a.docx': 'Archive, RecallOnDataAccess', 'C:\\bootmgr': 'RHS' }))
      const m = readAttributeBits(f)
      expect(m.get('c:\\users\\ann\\onedrive\\a.docx')).to.deep.equal({ path: 'C:\\Users\\ann\\OneDrive\\a.docx', bits: 0x400020 })
      writeFileSync(f, JSON.stringify({ 'C:\\x': 'Cloudy' }))
      try {
        readAttributeBits(f)
        expect.fail('accepted')
      } catch (e) {
        expect((e as UsmtStepsError).code).to.equal('USM0114')
        expect((e as Error).message).to.contain('C:\\x').and.contain('"Cloudy"')
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
