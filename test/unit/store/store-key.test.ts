import { expect } from 'chai'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { newStoreKey, openStoreKey, parseStoreKeyDoc, unwrapEscrow, type DpapiNg } from '../../../src/store/store-key.js'
import { dpapiNgBridge } from '../../../src/windows/dpapi-ng.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'

const DOUBLE = path.join(PROJECT_ROOT, 'test', 'doubles', 'dpapi-ng.double.ts')
const ESCROW = 'escrow-Key!of the admins 7'
const SIDS = { 'CONTOSO\\PCA$': 'S-1-5-21-1111-2222-3333-1105', 'CONTOSO\\PCB$': 'S-1-5-21-1111-2222-3333-1106', 'CONTOSO\\PCC$': 'S-1-5-21-1111-2222-3333-1107' }

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return err instanceof UsmtStepsError ? err.code : `not coded: ${(err as Error).message}`
  }
  return 'no error'
}

describe('a key per store (src/store/store-key.ts)', function () {
  this.timeout(60000)

  it('each store gets its own random data key; next to it only the wrap, which the escrow key opens for that store only', async () => {
    const a = await newStoreKey({ storeId: 'PCA-1', escrowKey: ESCROW, now: new Date() })
    const b = await newStoreKey({ storeId: 'PCB-1', escrowKey: ESCROW, now: new Date() })
    expect(a.dataKey).to.have.length(43)
    expect(a.dataKey).to.not.equal(b.dataKey)
    expect(a.dataKey).to.not.equal(ESCROW)
    const text = JSON.stringify(a.doc)
    expect(text).to.not.include(a.dataKey)
    expect(text).to.not.include(ESCROW)
    const doc = parseStoreKeyDoc(text, 'store-key.json')
    expect(await unwrapEscrow(doc, ESCROW, 'PCA-1')).to.equal(a.dataKey)
    // the wrapped key of store A copied next to store B opens nothing (the store id is authenticated)
    expect(await code(unwrapEscrow({ ...doc, storeId: 'PCB-1' }, ESCROW, 'PCB-1'))).to.equal('USM0425')
    expect(await code(unwrapEscrow(doc, ESCROW, 'PCB-1'))).to.equal('USM0425')
    // another escrow key, or a changed byte, is refused with the reason
    const wrong = unwrapEscrow(doc, 'another escrow key', 'PCA-1')
    expect(await code(wrong)).to.equal('USM0425')
    await unwrapEscrow(doc, 'another escrow key', 'PCA-1').catch((err: Error) => expect(err.message).to.match(/another escrow key \(id [0-9a-f]{16}/))
    const data = Buffer.from(doc.escrow.data, 'base64')
    data[0] ^= 1
    expect(await code(unwrapEscrow({ ...doc, escrow: { ...doc.escrow, data: data.toString('base64') } }, ESCROW, 'PCA-1'))).to.equal('USM0425')
    expect(await code(openStoreKey(doc, { storeId: 'PCA-1' }))).to.equal('USM0425')
  })

  describe('DPAPI-NG for the source and destination computers, against the strict stand-in (test/doubles/dpapi-ng.double.ts)', () => {
    let dir: string
    let log: string
    // The double as powershell.exe; the caller's token and the domain's accounts reach it through this process's environment.
    const bridge = (): DpapiNg => dpapiNgBridge({ platform: 'linux', env: { USMT_STEPS_POWERSHELL: DOUBLE } }) as DpapiNg
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-dpapi-'))
      log = path.join(dir, 'calls.jsonl')
      writeFileSync(log, '')
    })
    after(() => rmSync(dir, { recursive: true, force: true }))

    it('protects for "SID=<source> OR SID=<destination>"; each of the two opens it as itself, a third computer cannot, a changed blob fails', async () => {
      const saved = { ...process.env }
      Object.assign(process.env, { USMT_STEPS_DOUBLE_ACCOUNTS: JSON.stringify(SIDS), USMT_STEPS_DOUBLE_LOG: log })
      try {
        process.env.USMT_STEPS_DOUBLE_TOKEN = JSON.stringify(['S-1-5-18'])
        const { dataKey, doc } = await newStoreKey({
          storeId: 'PCA-2', escrowKey: ESCROW, now: new Date(), dpapi: { bridge: bridge(), computers: ['PCA', 'PCB'], accounts: ['CONTOSO\\PCA$', 'contoso\\pcb$'] },
        })
        expect(doc.dpapiNg?.descriptor).to.equal('SID=S-1-5-21-1111-2222-3333-1105 OR SID=S-1-5-21-1111-2222-3333-1106')
        expect(doc.dpapiNg?.computers).to.deep.equal(['PCA', 'PCB'])
        for (const sid of [SIDS['CONTOSO\\PCA$'], SIDS['CONTOSO\\PCB$']]) {
          process.env.USMT_STEPS_DOUBLE_TOKEN = JSON.stringify(['S-1-5-18', sid])
          const opened = await openStoreKey(doc, { storeId: 'PCA-2', dpapi: bridge() })
          expect(opened).to.deep.equal({ dataKey, how: 'DPAPI-NG (PCA, PCB)' })
        }
        process.env.USMT_STEPS_DOUBLE_TOKEN = JSON.stringify(['S-1-5-18', SIDS['CONTOSO\\PCC$']])
        expect(await code(openStoreKey(doc, { storeId: 'PCA-2', dpapi: bridge() }))).to.equal('USM0425')
        await openStoreKey(doc, { storeId: 'PCA-2', dpapi: bridge() }).catch((err: Error) => expect(err.message).to.match(/0x80070005/))
        // the third computer with the escrow key (an admin's recovery) still opens it
        expect((await openStoreKey(doc, { storeId: 'PCA-2', dpapi: bridge(), escrowKey: ESCROW })).how).to.equal('the escrow key')
        process.env.USMT_STEPS_DOUBLE_TOKEN = JSON.stringify([SIDS['CONTOSO\\PCB$']])
        const blob = Buffer.from(doc.dpapiNg?.blob ?? '', 'base64')
        blob[blob.length - 1] ^= 1
        await openStoreKey({ ...doc, dpapiNg: { ...doc.dpapiNg!, blob: blob.toString('base64') } }, { storeId: 'PCA-2', dpapi: bridge() })
          .then(() => expect.fail('tampered blob opened'), (err: Error) => expect(err.message).to.match(/0x80090005/))
        // an account the domain does not know is refused at protect time
        expect(await bridge().protect(Buffer.from('x'), ['CONTOSO\\NOPE$']).then(() => 'no error', (err: Error) => err.message)).to.match(/could not be translated/)
        // the key crossed the boundary only on stdin: never in the argv or the environment of the child
        const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; op: string })
        expect(calls.map((c) => c.op)).to.include.members(['protect', 'unprotect'])
        expect(readFileSync(log, 'utf8')).to.not.include(Buffer.from(dataKey).toString('hex'))
        expect(readFileSync(log, 'utf8')).to.not.include(dataKey)
      } finally {
        for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
        Object.assign(process.env, saved)
      }
    })

    it('the double is strict: another script or argv is refused before anything runs', async () => {
      const { execa } = await import('execa')
      const r = await execa(DOUBLE, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from('Write-Output 1', 'utf16le').toString('base64')], { input: 'v1;unprotect;00\n', reject: false })
      expect(r.exitCode).to.equal(1)
      expect(r.stderr).to.match(/not the DPAPI-NG helper script/)
    })
  })
})
