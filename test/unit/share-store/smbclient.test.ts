import { expect } from 'chai'
import { classifyStatus, parseLs, parseRecursiveLs, parseSpace } from '../../../src/share-store/smbclient.js'

/** Output of smbclient 4.17 (`recurse on` + `ls "S 1\*"`), captured from the test Samba. */
const RECURSIVE = [
  'Try "help" to get a list of possible commands.',
  '  .                                   D        0  Sat Nov 21 00:40:26 2026',
  '  ..                                  D        0  Sat Nov 21 00:40:26 2026',
  '  top.txt                             A        3  Sat Nov 21 00:40:26 2026',
  '  U x                                 D        0  Sat Nov 21 00:40:26 2026',
  '',
  '\\S 1\\U x',
  '  .                                   D        0  Sat Nov 21 00:40:26 2026',
  '  ..                                  D        0  Sat Nov 21 00:40:26 2026',
  '  a b.txt                             A        3  Sat Nov 21 00:40:26 2026',
  '  deep                                D        0  Sat Nov 21 00:40:26 2026',
  '',
  '\\S 1\\U x\\deep',
  '  .                                   D        0  Sat Nov 21 00:40:26 2026',
  '  ..                                  D        0  Sat Nov 21 00:40:26 2026',
  '  c;d.txt                             A  1073741824  Sat Nov 21 00:40:26 2026',
  '',
  '\t\t264212084 blocks of size 1024. 77636408 blocks available',
].join('\n')

describe('smbclient output parsing', () => {
  it('recursive ls: files of every level, relative to the listed folder, folders left out', () => {
    expect(parseRecursiveLs(RECURSIVE, 'S 1')).to.deep.equal([
      { path: 'top.txt', size: 3 },
      { path: 'U x/a b.txt', size: 3 },
      { path: 'U x/deep/c;d.txt', size: 1073741824 },
    ])
    // the folder named in other case (SMB names are case-insensitive) and the share root itself
    expect(parseRecursiveLs(RECURSIVE, 's 1').map((f) => f.path)).to.include('U x/deep/c;d.txt')
    expect(parseRecursiveLs(RECURSIVE.replace(/\\S 1\\/g, '\\'), '').map((f) => f.path)).to.deep.equal(['top.txt', 'U x/a b.txt', 'U x/deep/c;d.txt'])
  })

  it('ls, free space and NT_STATUS classes', () => {
    expect(parseLs(RECURSIVE.split('\n\\S 1')[0])).to.deep.equal([
      { name: 'top.txt', isDirectory: false, size: 3, mtimeMs: Date.parse('Sat Nov 21 00:40:26 2026') },
      { name: 'U x', isDirectory: true, size: 0, mtimeMs: Date.parse('Sat Nov 21 00:40:26 2026') },
    ])
    expect(parseSpace(RECURSIVE)).to.deep.equal({ totalBytes: 264212084 * 1024, freeBytes: 77636408 * 1024 })
    expect(classifyStatus('NT_STATUS_LOGON_FAILURE', 'op')).to.equal('auth')
    expect(classifyStatus('NT_STATUS_ACCESS_DENIED', 'connect')).to.equal('auth')
    expect(classifyStatus('NT_STATUS_ACCESS_DENIED', 'op')).to.equal('denied')
    expect(classifyStatus('NT_STATUS_CONNECTION_DISCONNECTED', 'transfer')).to.equal('transfer')
    expect(classifyStatus('NT_STATUS_CONNECTION_REFUSED', 'op')).to.equal('unreachable')
    expect(classifyStatus('NT_STATUS_OBJECT_NAME_COLLISION', 'op')).to.equal('exists')
    expect(classifyStatus('NT_STATUS_OBJECT_PATH_NOT_FOUND', 'op')).to.equal('notFound')
  })
})
