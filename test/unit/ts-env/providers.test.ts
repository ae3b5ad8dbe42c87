import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { openTsEnvironment } from '../../../src/ts-env/index.js'
import { JsonTsEnvironment } from '../../../src/ts-env/json-env.js'
import { MdtTsEnvironment, withVariablesLock } from '../../../src/ts-env/mdt-env.js'
import { ProcessTsEnvironment } from '../../../src/ts-env/process-env.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'
import { tempDir } from '../../helpers/fixtures.js'

const code = (fn: () => unknown): string => {
  try {
    fn()
  } catch (e) {
    return (e as UsmtStepsError).code
  }
  return 'no error'
}

describe('ts-env providers', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  describe('json', () => {
    it('reads case-insensitively and writes atomically, keeping other writers\' variables', async () => {
      const f = path.join(t.dir, 'env.json')
      writeFileSync(f, JSON.stringify({ OSDStateStorePath: 'C:\\StateStore' }))
      const env = new JsonTsEnvironment(f)
      expect(env.get('osdstatestorepath')).to.equal('C:\\StateStore')
      env.set('USMTLocal', 'True')
      env.set('osdStateStorePath', 'D:\\S')
      writeFileSync(f, JSON.stringify({ OSDStateStorePath: 'C:\\StateStore', Other: 'kept' })) // another step wrote meanwhile
      await env.commit()
      expect(JSON.parse(readFileSync(f, 'utf8'))).to.deep.equal({ OSDStateStorePath: 'D:\\S', Other: 'kept', USMTLocal: 'True' })
      expect(readdirSync(t.dir)).to.deep.equal(['env.json'])
    })

    it('refuses read-only names, long values and bad names before writing anything', async () => {
      const f = path.join(t.dir, 'env.json')
      writeFileSync(f, '{"A":"1"}')
      const env = new JsonTsEnvironment(f)
      expect(code(() => env.set('_SMSTSLogPath', 'x'))).to.equal('USM0012')
      expect(code(() => env.set('Big', 'x'.repeat(4001)))).to.equal('USM0013')
      expect(code(() => env.set('9bad', 'x'))).to.equal('USM0014')
      env.set('Fine', 'x'.repeat(4000))
      expect(readFileSync(f, 'utf8')).to.equal('{"A":"1"}')
    })

    it('refuses a malformed file and leaves it untouched', () => {
      const f = path.join(t.dir, 'env.json')
      for (const bad of ['{"A":', '[1,2]', '{"A":1}']) {
        writeFileSync(f, bad)
        expect(code(() => new JsonTsEnvironment(f)), bad).to.equal('USM0015')
        expect(readFileSync(f, 'utf8')).to.equal(bad)
      }
    })
  })

  describe('mdt', () => {
    const DAT = '<?xml version="1.0" ?><MediaVarList Version="4.00.5345.0000"><var name="DEPLOYMENTTYPE"><![CDATA[REFRESH]]></var><var name="USERDATALOCATION"><![CDATA[AUTO]]></var></MediaVarList>'

    it('round-trips VARIABLES.DAT and holds the lock only while reading and writing', async () => {
      const f = path.join(t.dir, 'VARIABLES.DAT')
      writeFileSync(f, DAT)
      const env = new MdtTsEnvironment(f)
      expect(existsSync(`${f}.LOCK`)).to.equal(false)
      expect(env.get('DeploymentType')).to.equal('REFRESH')
      await env.commit()
      expect(readFileSync(f, 'utf8')).to.equal(DAT)
      env.set('UserDataLocation', 'NETWORK')
      await env.commit()
      expect(readFileSync(f, 'utf8')).to.equal(DAT.replace('[AUTO]', '[NETWORK]'))
      expect(existsSync(`${f}.LOCK`)).to.equal(false)
    })

    it('waits for a held lock and fails with USM0016 when it is never released, leaving the file as it was', async () => {
      const f = path.join(t.dir, 'VARIABLES.DAT')
      writeFileSync(f, DAT)
      writeFileSync(`${f}.LOCK`, '')
      expect(code(() => new MdtTsEnvironment(f, { timeoutMs: 100 }))).to.equal('USM0016')
      expect(readFileSync(f, 'utf8')).to.equal(DAT)
      expect(existsSync(`${f}.LOCK`)).to.equal(true) // someone else's lock is not ours to delete
    })

    it('releases the lock when the work inside throws', () => {
      const f = path.join(t.dir, 'VARIABLES.DAT')
      expect(() => withVariablesLock(f, () => { throw new Error('inner') })).to.throw('inner')
      expect(existsSync(`${f}.LOCK`)).to.equal(false)
    })

    it('refuses a malformed VARIABLES.DAT and leaves it untouched', () => {
      const f = path.join(t.dir, 'VARIABLES.DAT')
      writeFileSync(f, '<MediaVarList><var name="A">')
      expect(code(() => new MdtTsEnvironment(f))).to.equal('USM0015')
      expect(readFileSync(f, 'utf8')).to.equal('<MediaVarList><var name="A">')
    })
  })

  describe('env and selection', () => {
    it('reads the process environment and refuses writes', () => {
      const env = new ProcessTsEnvironment({ _SMSTSLogPath: 'C:\\Logs', Path: 'x' })
      expect(env.get('_smstslogpath')).to.equal('C:\\Logs')
      expect(env.writable).to.equal(false)
      expect(code(() => env.set('A', 'b'))).to.equal('USM0017')
    })

    it('selects providers from the spec and auto-detects env off Windows', async () => {
      const f = path.join(t.dir, 'e.json')
      expect((await openTsEnvironment(`json:${f}`, { createJson: true })).kind).to.equal('json')
      let missing: unknown
      try { await openTsEnvironment(`json:${f}`) } catch (e) { missing = e }
      expect((missing as UsmtStepsError).code).to.equal('USM0021')
      expect((await openTsEnvironment('env', { env: {} })).kind).to.equal('env')
      expect((await openTsEnvironment(undefined, { env: {}, platform: 'linux' })).kind).to.equal('env')
      let err: unknown
      try { await openTsEnvironment('bogus') } catch (e) { err = e }
      expect((err as UsmtStepsError).code).to.equal('USM0010')
      err = undefined
      try { await openTsEnvironment('configmgr', { env: {}, platform: 'linux' }) } catch (e) { err = e }
      expect((err as UsmtStepsError).code).to.equal('USM0011')
    })
  })
})
