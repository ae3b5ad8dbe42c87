import { expect } from 'chai'
import { discoverDcs, dnsSrvLookup, endpointUrl, orderSrv, parseDcList, parseDcSpec, srvName } from '../../../src/directory/discovery.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { startSrvDnsServer } from '../../helpers/ldap.js'

describe('directory/discovery', () => {
  it('parses --dc forms and picks the transport', () => {
    expect(parseDcSpec('dc1.corp.example.com', 'auto')).to.deep.include({ host: 'dc1.corp.example.com', port: 389, transport: 'starttls' })
    expect(parseDcSpec('ldaps://dc1.corp.example.com', 'auto')).to.deep.include({ port: 636, transport: 'ldaps' })
    expect(parseDcSpec('ldap://dc1:3268', 'auto')).to.deep.include({ host: 'dc1', port: 3268, transport: 'starttls' })
    expect(parseDcSpec('dc1', 'ldaps')).to.deep.include({ port: 636, transport: 'ldaps' })
    expect(parseDcSpec('[::1]:389', 'none')).to.deep.include({ host: '::1', port: 389, transport: 'none' })
    expect(endpointUrl(parseDcSpec('[::1]:389', 'none'))).to.equal('ldap://[::1]:389')
    expect(parseDcList('dc1; ldaps://dc2', 'auto').map(endpointUrl)).to.deep.equal(['ldap://dc1:389', 'ldaps://dc2:636'])
  })

  it('rejects malformed or contradictory --dc values with USM0500', () => {
    for (const [spec, tls] of [['http://dc1', 'auto'], ['dc1:99999', 'auto'], ['dc1/x', 'auto'], ['ldaps://dc1', 'starttls'], ['ldaps://dc1', 'none'], ['', 'auto']] as const) {
      expect(() => parseDcSpec(spec, tls), spec).to.throw(UsmtStepsError).with.property('code', 'USM0500')
    }
  })

  it('orders SRV records by priority, then weight', () => {
    const r = orderSrv([
      { name: 'c', port: 389, priority: 10, weight: 0 }, { name: 'b', port: 389, priority: 0, weight: 10 },
      { name: 'a', port: 389, priority: 0, weight: 50 },
    ])
    expect(r.map((x) => x.name)).to.deep.equal(['a', 'b', 'c'])
    expect(srvName('corp.example.com.')).to.equal('_ldap._tcp.dc._msdcs.corp.example.com')
  })

  describe('over real DNS (a local SRV server)', () => {
    let dns: Awaited<ReturnType<typeof startSrvDnsServer>>
    before(async () => {
      dns = await startSrvDnsServer({
        '_ldap._tcp.dc._msdcs.corp.example.com': [
          { priority: 5, weight: 0, port: 389, target: 'dc2.corp.example.com' },
          { priority: 0, weight: 100, port: 389, target: 'dc1.corp.example.com' },
        ],
      })
    })
    after(async () => { await dns?.close() })

    it('returns the domain controllers in order, with LDAPS on 636 when asked', async () => {
      const found = await discoverDcs('corp.example.com', 'auto', dnsSrvLookup([dns.address]))
      expect(found.map(endpointUrl)).to.deep.equal(['ldap://dc1.corp.example.com:389', 'ldap://dc2.corp.example.com:389'])
      expect(found[0].source).to.equal('srv _ldap._tcp.dc._msdcs.corp.example.com')
      const ldaps = await discoverDcs('corp.example.com', 'ldaps', dnsSrvLookup([dns.address]))
      expect(ldaps.map(endpointUrl)).to.deep.equal(['ldaps://dc1.corp.example.com:636', 'ldaps://dc2.corp.example.com:636'])
      expect(dns.queries).to.include('_ldap._tcp.dc._msdcs.corp.example.com')
    })

    it('a domain without records is USM0506 (exit 30); a bad domain name is USM0500', async () => {
      const err = await discoverDcs('nowhere.example.com', 'auto', dnsSrvLookup([dns.address])).then(() => undefined, (e: unknown) => e as UsmtStepsError)
      if (!(err instanceof UsmtStepsError)) throw new Error('expected USM0506')
      expect(err.code).to.equal('USM0506')
      expect(err.exitCode).to.equal(30)
      expect(err.message).to.include('_ldap._tcp.dc._msdcs.nowhere.example.com')
      const bad = await discoverDcs('corp example;com', 'auto', dnsSrvLookup([dns.address])).then(() => undefined, (e: unknown) => e as UsmtStepsError)
      expect(bad?.code).to.equal('USM0500')
    })
  })
})
