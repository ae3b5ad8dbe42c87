import { expect } from 'chai'
import { ADSI_SEARCH_SCRIPT, adsiArgv, adsiEntries, adsiError, adsiRequest, encodeAdsiRequest } from '../../../src/directory/adsi.js'
import { and, eq, fixed } from '../../../src/directory/filter.js'
import { sidFromString } from '../../../src/directory/sid.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

describe('directory/adsi', () => {
  it('passes the fixed script as -EncodedCommand (UTF-16LE Base64); the script reads its data from stdin only', () => {
    const argv = adsiArgv()
    expect(argv.slice(0, 5)).to.deep.equal(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'])
    expect(Buffer.from(argv[5], 'base64').toString('utf16le')).to.equal(ADSI_SEARCH_SCRIPT)
    expect(ADSI_SEARCH_SCRIPT).to.include('[Console]::In.ReadLine()').and.include("'Secure, Signing, Sealing'")
    expect(ADSI_SEARCH_SCRIPT).to.not.match(/GetEnvironmentVariable|\$env:|Password|-Credential/i)
  })

  it('writes a request as one line of printable ASCII, whatever the names hold', () => {
    const req = adsiRequest(7, '', 'OU=Zürich,DC=corp', { scope: 'sub', filter: and(fixed('(objectClass=group)'), eq('sAMAccountName', 'Ärzte)(x=*')), attributes: ['objectSid'] }, 250)
    const line = encodeAdsiRequest(req)
    expect(line).to.match(/^[\x20-\x7e]+$/)
    expect(JSON.parse(line)).to.deep.equal(req)
    expect(req).to.include({ scope: 'subtree', tombstone: false, pageSize: 250, base: 'OU=Zürich,DC=corp' })
    expect(req.filter).to.equal('(&(objectClass=group)(sAMAccountName=Ärzte\\29\\28x=\\2a))')
  })

  it('sends a SID as escaped bytes, asks for tombstones as ADSI does, and maps the scopes', () => {
    const sid = 'S-1-5-21-1-2-3-1105'
    const req = adsiRequest(1, 'dc1:3268', 'DC=corp', { scope: 'one', filter: eq('objectSid', sidFromString(sid)), attributes: ['1.1'], showDeleted: true }, 500)
    expect(req.filter).to.equal(`(objectSid=${[...sidFromString(sid)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')})`)
    expect(req).to.include({ scope: 'onelevel', tombstone: true, server: 'dc1:3268' })
    expect(adsiRequest(2, '', '', { scope: 'base', filter: '(objectClass=*)', attributes: [] }, 1).scope).to.equal('base')
  })

  it('reads answers in the directory client\'s shape: names as asked, byte arrays as Buffers where asked, one value as a scalar', () => {
    const sid = sidFromString('S-1-5-21-1-2-3-1105')
    const entries = adsiEntries([{
      dn: 'CN=ann,OU=Lab,DC=corp',
      attributes: {
        objectsid: [{ b64: sid.toString('base64') }], samaccountname: ['ann'], tokengroups: [{ b64: 'AQI=' }, { b64: 'AwQ=' }],
        useraccountcontrol: ['512'], isdeleted: ['FALSE'], notasked: ['x'],
      },
    }], { scope: 'sub', filter: '(x=1)', attributes: ['objectSid', 'sAMAccountName', 'tokenGroups', 'userAccountControl', 'isDeleted'], explicitBufferAttributes: ['objectSid', 'tokenGroups'] })
    expect(entries).to.have.length(1)
    const e = entries[0]
    expect(e.dn).to.equal('CN=ann,OU=Lab,DC=corp')
    expect(Buffer.isBuffer(e.objectSid) && e.objectSid.equals(sid)).to.equal(true)
    expect(e.sAMAccountName).to.equal('ann')
    expect(e.userAccountControl).to.equal('512')
    expect(e.isDeleted).to.equal('FALSE')
    expect((e.tokenGroups as Buffer[]).map((b) => b.toString('hex'))).to.deep.equal(['0102', '0304'])
    expect(e).to.not.have.property('notasked')
  })

  it('turns ADSI HRESULTs into the step\'s codes: unreachable, refused, missing base, other', () => {
    const code = (hr: string): unknown => {
      const e = adsiError(hr, 'message', '')
      return e instanceof UsmtStepsError ? e.code : (e as { code?: number }).code
    }
    expect(code('0x8007203A')).to.equal('USM0501') // the server is not operational
    expect(code('0x8007054b')).to.equal('USM0501') // not domain-joined / no DC for the domain
    expect(code('0x800706fd')).to.equal('USM0502') // broken secure channel
    expect(code('0x8007052e')).to.equal('USM0502')
    expect(code('0x80072030')).to.equal(32) // no such object: an empty result, as with ldapts
    expect(code('0x80005000')).to.equal('USM0507')
    expect((adsiError('0x8007203a', 'The server is not operational.', 'dc1') as Error).message).to.include('dc1').and.include('0x8007203a')
  })

})
