import { expect } from 'chai'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { prepareStaging } from '../../../src/share-store/staging.js'

describe('local staging folder of a share store', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'usmt-staging-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('creates a missing folder and clears what an earlier attempt left (USMT, Logs, usmt-steps-store.json)', async () => {
    expect(await prepareStaging(path.join(dir, 'new', 'stage'))).to.deep.equal({ removed: [] })
    expect(existsSync(path.join(dir, 'new', 'stage'))).to.equal(true)
    const stage = path.join(dir, 'old')
    mkdirSync(path.join(stage, 'USMT', 'File'), { recursive: true })
    writeFileSync(path.join(stage, 'USMT', 'File', 'stale.bin'), 'stale')
    mkdirSync(path.join(stage, 'Logs'))
    writeFileSync(path.join(stage, 'Logs', 'loadstate.log'), 'x')
    writeFileSync(path.join(stage, 'usmt-steps-store.json'), '{}')
    const r = await prepareStaging(stage)
    expect(r.removed).to.have.members(['USMT', 'Logs', 'usmt-steps-store.json'])
    expect(readdirSync(stage)).to.deep.equal([])
  })

  it('refuses a folder holding anything else, and removes nothing from it', async () => {
    mkdirSync(path.join(dir, 'USMT'))
    writeFileSync(path.join(dir, 'USMT', 'USMT.MIG'), 'old store')
    writeFileSync(path.join(dir, 'thesis.docx'), 'not a store')
    try {
      await prepareStaging(dir)
      expect.fail('expected USM0416')
    } catch (err) {
      expect((err as UsmtStepsError).code).to.equal('USM0416')
      expect((err as Error).message).to.contain('thesis.docx')
    }
    expect(readdirSync(dir).sort()).to.deep.equal(['USMT', 'thesis.docx'])
    writeFileSync(path.join(dir, 'file'), 'x')
    try {
      await prepareStaging(path.join(dir, 'file'))
      expect.fail('expected USM0416')
    } catch (err) {
      expect((err as Error).message).to.match(/is a file/)
    }
  })
})
