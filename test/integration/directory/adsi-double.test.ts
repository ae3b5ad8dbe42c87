import { expect } from 'chai'
import { execa } from 'execa'
import * as path from 'node:path'
import { ADSI_SEARCH_SCRIPT, adsiArgv, adsiRequest, encodeAdsiRequest } from '../../../src/directory/adsi.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'

/** The powershell.exe double for ADSI is as strict as the boundary it stands for (test/doubles/README.md). */
describe('test double: powershell.exe running the ADSI search script', function () {
  this.timeout(60000)
  it('the powershell.exe double refuses a script that is not the ADSI script, and a request that carries more than a search', async () => {
    const double = path.join(PROJECT_ROOT, 'test', 'doubles', 'adsi-powershell.double.ts')
    const argv = adsiArgv()
    const tampered = [...argv.slice(0, 5), Buffer.from(`${ADSI_SEARCH_SCRIPT}\n# changed`, 'utf16le').toString('base64')]
    const bad = await execa(double, tampered, { reject: false, input: '' })
    expect(bad.exitCode).to.equal(1)
    expect(bad.stderr).to.include('not the ADSI search script')
    const withPassword = `${encodeAdsiRequest(adsiRequest(1, '', '', { scope: 'base', filter: '(objectClass=*)', attributes: [] }, 1)).slice(0, -1)},"password":"x"}\n`
    const extra = await execa(double, argv, { reject: false, input: withPassword })
    expect(extra.exitCode).to.equal(1)
    expect(extra.stderr).to.include('request keys')
    const notJoined = await execa(double, argv, { reject: false, input: `${encodeAdsiRequest(adsiRequest(1, '', '', { scope: 'base', filter: '(objectClass=*)', attributes: ['defaultNamingContext'] }, 1))}\n`, env: { USMT_STEPS_DOUBLE_MACHINE: undefined } })
    expect(notJoined.exitCode).to.equal(0)
    expect(JSON.parse(notJoined.stdout)).to.deep.include({ id: 1, ok: false, hresult: '0x8007054b' })
  })})
