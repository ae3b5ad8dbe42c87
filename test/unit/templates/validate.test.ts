import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { requireSharedFixtures, sharedFixture } from '../../helpers/fixtures.js'
import { buildSequence, SCENARIOS } from '../../../src/templates/scenarios.js'
import { attr, parseSequence, serializeSequence, walkSteps, type TsSequence, type TsStep } from '../../../src/templates/sequence.js'
import { loadTaskSteps } from '../../../src/templates/task-steps.js'
import { validateSequence } from '../../../src/templates/validate.js'

describe('templates/validate', () => {
  const defs = loadTaskSteps()
  const build = (scenario: typeof SCENARIOS[number]): TsSequence => parseSequence(serializeSequence(buildSequence(defs, { scenario, flavour: 'configmgr', packageId: 'ABC00012', usmtPackageId: 'ABC00013', options: {} })))
  const find = (seq: TsSequence, name: RegExp): TsStep => {
    const s = walkSteps(seq.children).find((x) => name.test(attr(x.step, 'name') ?? ''))
    if (!s) throw new Error(`no step ${name}`)
    return s.step
  }
  const messages = (seq: TsSequence): string => validateSequence(seq, defs).problems.map((p) => `${p.level}: ${p.message}`).join('\n')

  for (const scenario of SCENARIOS) {
    it(`${scenario}: the generated ConfigMgr and MDT templates validate without problems`, () => {
      const r = validateSequence(build(scenario), defs)
      expect(r.problems).to.deep.equal([])
      expect(r.ok).to.equal(true)
      expect(r.steps.length).to.be.greaterThan(3)
      const mdt = validateSequence(parseSequence(serializeSequence(buildSequence(defs, { scenario, flavour: 'mdt', options: {} }))), defs)
      expect(mdt.problems).to.deep.equal([])
    })
  }

  it('a usmt-steps step without a package, or with a package outside the referenceList, is USM0608 and says what to add', () => {
    const seq = build('replace-source')
    const plan = find(seq, /^Plan the user state store/)
    plan.action = plan.action.replace('/run:ABC00012 ', '/run: ')
    plan.variables = plan.variables?.filter((v) => v.name !== 'PackageID')
    const r = validateSequence(seq, defs)
    const p = r.problems.find((x) => x.code === 'USM0608')
    expect(p?.message).to.match(/runs usmt-steps from no package.*add --package-id/)
    seq.references = []
    expect(validateSequence(seq, defs).problems.filter((x) => x.code === 'USM0608').map((x) => x.message).join('\n')).to.match(/package ABC00012 is not in the sequence's referenceList: .*add <reference package="ABC00012"\/>/)
  })

  it('capture and restore without a USMT source the sequence brings are USM0609; --usmt-in-package and a downloaded USMT package pass', () => {
    const none = parseSequence(serializeSequence(buildSequence(defs, { scenario: 'refresh', flavour: 'configmgr', packageId: 'ABC00012', options: {} })))
    const problems = validateSequence(none, defs).problems.filter((x) => x.code === 'USM0609')
    expect(problems.map((x) => x.message.split(':')[0])).to.deep.equal(['capture has no USMT source', 'restore has no USMT source'])
    expect(problems[0].message).to.include('--usmt-package-id').and.to.include('--usmt-in-package')
    const inPkg = parseSequence(serializeSequence(buildSequence(defs, { scenario: 'refresh', flavour: 'configmgr', packageId: 'ABC00012', usmtInPackage: true, options: {} })))
    expect(validateSequence(inPkg, defs).problems).to.deep.equal([])
    expect(find(inPkg, /^Capture user state \(/).variables?.find((v) => v.name === 'CommandLine')?.value).to.equal('usmt-steps.cmd capture --usmt-dir USMT')
    // The download must come before the step that reads its variable.
    const seq = build('replace-destination')
    const dl = walkSteps(seq.children).find((x) => attr(x.step, 'type') === 'SMS_TaskSequence_DownloadPackageContentAction')!
    expect(find(seq, /^Restore user state \(/).variables?.find((v) => v.name === 'CommandLine')?.value).to.equal('usmt-steps.cmd restore --usmt-dir "%USMTStepsUsmtPackage01%"')
    dl.step.attrs.push(['disable', 'true'])
    expect(validateSequence(seq, defs).problems.find((x) => x.code === 'USM0609')?.message).to.match(/no Download Package Content step with the destination variable USMTStepsUsmtPackage comes before restore/)
  })

  it('checks the policy file each step names against that step (users: for users, stores: for plan and the store steps)', () => {
    const seq = parseSequence(serializeSequence(buildSequence(defs, { scenario: 'replace-source', flavour: 'configmgr', packageId: 'ABC00012', usmtInPackage: true, options: { policy: 'policy.yaml' } })))
    const files: Record<string, { code: 'USM0510' | 'USM0400'; message: string } | undefined> = {}
    const checked: string[] = []
    const r = validateSequence(seq, defs, { checkPolicy: (file, section) => { checked.push(section); return { problem: section === 'users' ? files.users : undefined } } })
    expect(r.problems).to.deep.equal([])
    expect(checked).to.deep.equal(['users', 'stores', 'stores', 'stores'])
    files.users = { code: 'USM0510', message: 'unknown key "preferredStore" in the "users:" section' }
    const bad = validateSequence(seq, defs, { checkPolicy: (_f, section) => ({ problem: section === 'users' ? files.users : undefined }) })
    expect(bad.problems.map((p) => [p.code, p.message])).to.deep.equal([['USM0510', 'policy policy.yaml fails for users: unknown key "preferredStore" in the "users:" section']])
    expect(validateSequence(seq, defs, { checkPolicy: () => undefined }).problems[0]).to.include({ level: 'warning' })
  })

  it('finds a capture that continues on error into Apply Operating System', () => {
    const seq = build('refresh')
    const stop = find(seq, /^Stop: /)
    stop.attrs.push(['disable', 'true'])
    const apply: TsStep = { kind: 'step', attrs: [['type', 'SMS_TaskSequence_ApplyOperatingSystemAction'], ['name', 'Apply Operating System'], ['description', ''], ['runIn', 'WinPE'], ['successCodeList', '0'], ['retryCount', '0'], ['runFromNet', 'false']], action: 'osdapplyos.exe', variables: [] }
    seq.children.splice(1, 0, apply)
    expect(messages(seq)).to.match(/error: a failed capture continues \(continue on error\) into "Apply Operating System", which wipes the user data/)
  })

  it('finds a store request without release, a bad parameter, and an action that disagrees with its CommandLine variable', () => {
    const seq = build('replace-source')
    const release = find(seq, /^Release the share state store/)
    release.attrs.push(['disable', 'true'])
    const other = build('replace-source')
    const request = find(other, /^Request a share state store/)
    const cl = request.variables?.find((v) => v.name === 'CommandLine')
    if (cl) cl.value = cl.value.replace('--type capture', '--type sideways')
    const plan = find(seq, /^Plan the user state store/)
    plan.action = plan.action.replace('plan', 'plan --verbose')
    const text = `${messages(seq)}\n${messages(other)}`
    expect(text).to.include('error: the store requested for capture is never released')
    expect(text).to.include('error: --type must be one of capture, restore (found "sideways")')
    expect(text).to.match(/error: <action> runs ".*plan --verbose.*" but the CommandLine variable says/)
  })

  it('finds a restore with nothing before it, and a native Request State Store without Release', () => {
    const seq = build('replace-destination')
    find(seq, /^Plan the user state store/).attrs.push(['disable', 'true'])
    find(seq, /^Release State Store$/).attrs.push(['disable', 'true'])
    const text = messages(seq)
    expect(text).to.include('error: restore has neither a plan nor a capture step before it')
    expect(text).to.include('error: every Request State Store step needs a Release State Store step after it')
  })

  it('reads the real MDT ts.xml (no usmt-steps steps) without errors', function () {
    requireSharedFixtures(this, 'mdt', 'ts.xml')
    const r = validateSequence(parseSequence(readFileSync(sharedFixture('mdt', 'ts.xml'), 'utf8')), defs)
    expect(r.steps).to.deep.equal([])
    expect(r.ok).to.equal(true)
  })
})
