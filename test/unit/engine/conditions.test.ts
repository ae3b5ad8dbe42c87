import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { buildVersionedExe, parseVersionInfo } from '../../../src/engine/pe.js'
import { collect, inc, makeMachine } from './helpers.js'

describe('engine/conditions: MigXmlHelper conditions evaluated against the volumes', () => {
  it('reads file versions for DoesFileVersionMatch from the PE bytes', async () => {
    expect(parseVersionInfo(buildVersionedExe('8.2.0.1', '8.2.0.1', { CompanyName: 'Contoso' }))).to.deep.equal({ FileVersion: '8.2.0.1', ProductVersion: '8.2.0.1', CompanyName: 'Contoso' })
    const m = makeMachine({ C: ['Data\\a.doc'] })
    try {
      mkdirSync(path.join(m.root, 'C', 'App'))
      writeFileSync(path.join(m.root, 'C', 'App', 'app.exe'), buildVersionedExe('8.2.0.1', '8.2.0.1'))
      const comp = (ver: string): string => `<migration urlid="http://x/v${ver}"><component type="Application" context="System"><displayName>V${ver}</displayName><role role="Settings">
        <detects><detect><condition>MigXmlHelper.DoesFileVersionMatch("%SYSTEMDRIVE%\\App\\app.exe","FileVersion","${ver}")</condition></detect></detects>
        <rules>${inc('C:\\Data\\* [*]')}</rules></role></component></migration>`
      expect((await collect({ ruleFiles: [m.xml('a.xml', comp('8.*'))], volumes: m.volumes, users: [] })).included).to.deep.equal(['C:\\Data\\a.doc'])
      expect((await collect({ ruleFiles: [m.xml('b.xml', comp('9.*'))], volumes: m.volumes, users: [] })).included).to.deep.equal([])
    } finally {
      m.cleanup()
    }
  })
})
