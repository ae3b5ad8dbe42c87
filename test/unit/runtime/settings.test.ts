import { expect } from 'chai'
import { resolveSetting, settingsMarkdown, type SettingDef } from '../../../src/runtime/settings.js'
import { ALL_SETTINGS } from '../../../src/runtime/settings/index.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

describe('runtime/settings', () => {
  const def: SettingDef = { key: 'retries', area: 't', type: 'integer', flag: 'retries', tsVariables: ['OSDStateSMPRetryCount', 'Alt'], envVar: 'X_RETRIES', default: '3', min: 0, max: 600, description: 'd' }

  it('resolves flag > TS variable > environment > default', () => {
    const variable = (n: string): string | undefined => ({ osdstatesmpretrycount: '7' } as Record<string, string>)[n.toLowerCase()]
    expect(resolveSetting(def, { flags: { retries: '9' }, variable, env: { X_RETRIES: '5' } })).to.deep.equal({ key: 'retries', value: 9, source: 'flag --retries' })
    expect(resolveSetting(def, { flags: {}, variable, env: { X_RETRIES: '5' } })).to.deep.include({ value: 7, source: 'variable OSDStateSMPRetryCount' })
    expect(resolveSetting(def, { env: { X_RETRIES: '5' } })).to.deep.include({ value: 5, source: 'environment X_RETRIES' })
    expect(resolveSetting(def, {})).to.deep.include({ value: 3, source: 'default' })
  })

  it('validates values with the source named in the error', () => {
    expect(() => resolveSetting(def, { env: { X_RETRIES: '601' } })).to.throw(UsmtStepsError, /environment X_RETRIES.*maximum 600/)
    const b: SettingDef = { key: 'b', area: 't', type: 'boolean', envVar: 'B', description: 'd' }
    expect(resolveSetting(b, { env: { B: 'TRUE' } }).value).to.equal(true)
    expect(() => resolveSetting(b, { env: { B: 'maybe' } })).to.throw(/expected true or false/)
    const e: SettingDef = { key: 'e', area: 't', type: 'enum', envVar: 'E', choices: ['Simple', 'Advanced'], description: 'd' }
    expect(resolveSetting(e, { env: { E: 'advanced' } }).value).to.equal('Advanced')
  })

  it('never echoes a secret value in a validation error', () => {
    const s: SettingDef = { key: 's', area: 't', type: 'integer', envVar: 'S', secret: true, description: 'd' }
    expect(() => resolveSetting(s, { env: { S: 'topsecret' } })).to.throw(UsmtStepsError).that.satisfies((e: Error) => !e.message.includes('topsecret'))
  })

  it('declares every setting once and renders them all as a table', () => {
    const md = settingsMarkdown(ALL_SETTINGS)
    for (const s of ALL_SETTINGS) expect(md).to.include(`\`${s.key}\``)
    expect(new Set(ALL_SETTINGS.map((s) => s.key)).size).to.equal(ALL_SETTINGS.length)
  })
})
