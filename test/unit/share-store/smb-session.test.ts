import { expect } from 'chai'
import { GroupFramer } from '../../../src/share-store/smb-session.js'

describe('smbclient session framing (GroupFramer)', () => {
  it('a group ends at the `pwd` answer, whatever directory it names; text split anywhere across chunks', async () => {
    const f = new GroupFramer()
    const first = f.next()
    f.push('Try "help" to get a list of possible commands.\nNT_STATUS_OBJECT_NAME_COLLISION making remote directory \\x\nCurrent dir')
    f.push('ectory is \\\\127.0.0.1\\migstore\\\r\n  a.txt   A   6  Sun Dec  6 14:11:46 2026\n')
    expect(await first).to.deep.equal({ text: 'Try "help" to get a list of possible commands.\nNT_STATUS_OBJECT_NAME_COLLISION making remote directory \\x', ended: null })
    f.push('Current directory is \\\\127.0.0.1\\migstore\\d1\\\n')
    expect(await f.next(), 'a group that completed before anyone asked is kept').to.deep.equal({ text: '  a.txt   A   6  Sun Dec  6 14:11:46 2026', ended: null })
  })

  it('only a line that starts with the answer ends a group (an indented listing line or a transfer line does not)', async () => {
    const f = new GroupFramer()
    f.push('  Current directory is x   A   6  Sun Dec  6 14:11:46 2026\nputting file /tmp/Current directory is as \\y (1 kb/s)\nCurrent directory is \\\\s\\m\\\n')
    expect((await f.next()).text).to.equal('  Current directory is x   A   6  Sun Dec  6 14:11:46 2026\nputting file /tmp/Current directory is as \\y (1 kb/s)')
  })

  it('the output ends mid-group: that group gets the text so far and the exit code, every later one the end', async () => {
    const f = new GroupFramer()
    const inFlight = f.next()
    const queued = f.next()
    f.push('putting file /a as \\a (9 kb/s)\nsession setup failed: NT_STATUS_LOGON_FAILURE')
    f.end(1)
    expect(await inFlight).to.deep.equal({ text: 'putting file /a as \\a (9 kb/s)\nsession setup failed: NT_STATUS_LOGON_FAILURE', ended: { exitCode: 1 } })
    expect(await queued).to.deep.equal({ text: '', ended: { exitCode: 1 } })
    expect(await f.next()).to.deep.equal({ text: '', ended: { exitCode: 1 } })
    f.end(0) // a second end changes nothing
    expect(await f.next()).to.deep.equal({ text: '', ended: { exitCode: 1 } })
  })
})
