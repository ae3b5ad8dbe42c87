import { expect } from 'chai'
import { XMLParser } from 'fast-xml-parser'
import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { loadRuleSet } from '../../../src/engine/index.js'
import type { LoadedRuleSet } from '../../../src/engine/ruleset.js'
import { configSections, sectionOfType } from '../../../src/portable/genconfig.js'
import { formatConfigXml } from '../../../src/usmt/config-xml.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'

type Ordered = Array<Record<string, unknown>>

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, commentPropName: '#comment' })

/** Element names of the children of <Configuration>, in order (comments and text left out). */
function elementNames(nodes: Ordered): string[] {
  return nodes.map((n) => Object.keys(n).find((k) => k !== ':@') as string).filter((k) => !k.startsWith('#') && k !== '?xml')
}

function children(nodes: Ordered, name: string): Ordered {
  const hit = nodes.find((n) => name in n)
  expect(hit, `<${name}>`).to.not.equal(undefined)
  return (hit as Record<string, Ordered>)[name]
}

interface Comp { section: string; displayname: string; migrate: string; ID: string; depth: number }

/** Every <component> with its section, attributes and nesting depth. */
function components(config: Ordered): Comp[] {
  const out: Comp[] = []
  const walk = (nodes: Ordered, section: string, depth: number): void => {
    for (const n of nodes) {
      if (!('component' in n)) continue
      const a = (n[':@'] ?? {}) as Record<string, string>
      out.push({ section, displayname: a['@_displayname'], migrate: a['@_migrate'], ID: a['@_ID'], depth })
      walk(n.component as Ordered, section, depth + 1)
    }
  }
  for (const s of ['Applications', 'Documents', 'WindowsComponents']) walk(children(config, s), s, 0)
  return out
}

describe('portable/genconfig: Config.xml sections like ScanState /genconfig', function () {
  before(function () {
    requireSharedFixtures(this, 'usmt-xml', 'Config.Win10.xml')
  })

  const fixtureConfig = (name: string): Ordered => children(parser.parse(readFileSync(sharedFixture('usmt-xml', name), 'utf8')) as Ordered, 'Configuration')

  it('places components by type: Documents, Application, everything else in WindowsComponents', () => {
    expect(sectionOfType('Documents')).to.equal('documents')
    expect(sectionOfType('application')).to.equal('applications')
    expect(sectionOfType('System')).to.equal('windowsComponents')
    expect(sectionOfType('Device')).to.equal('windowsComponents')
  })

  it('writes the same document structure as the real /genconfig samples', async () => {
    const rs = await loadRuleSet({ ruleFiles: ['MigDocs.xml', 'MigApp.xml', 'custom-exclusions.xml', 'custom-outlook.xml'].map((f) => sharedFixture('usmt-xml', f)) })
    const ours = children(parser.parse(formatConfigXml(configSections((rs as LoadedRuleSet).model).sections)) as Ordered, 'Configuration')
    for (const sample of ['Config.Win10.xml', 'Config.offline.xml']) {
      const theirs = fixtureConfig(sample)
      expect(elementNames(ours), sample).to.deep.equal(elementNames(theirs))
      expect(elementNames(children(ours, 'Policies')), sample).to.deep.equal(elementNames(children(theirs, 'Policies')))
    }
    // The commented examples are there, as in Microsoft's output.
    const text = formatConfigXml(configSections((rs as LoadedRuleSet).model).sections)
    expect(text).to.include('<nonFatal errorCode="33">* [*]</nonFatal>')
    expect(text).to.include('<createHardLink>c:\\Users\\* [*]</createHardLink>')
    expect(text).to.include('<changeGroup from="Administrators" to="Users" appliesTo="MigratedUsers">')
  })

  it('gives the components the section, display name and ID of the real Config.Win10.xml', async () => {
    const rs = await loadRuleSet({ ruleFiles: ['MigDocs.xml', 'custom-exclusions.xml', 'custom-outlook.xml'].map((f) => sharedFixture('usmt-xml', f)) })
    const ours = components(children(parser.parse(formatConfigXml(configSections((rs as LoadedRuleSet).model).sections)) as Ordered, 'Configuration'))
    const theirs = components(fixtureConfig('Config.Win10.xml'))
    expect(ours.map((c) => c.displayname).sort()).to.deep.equal(['MP3 Files', 'MigDocSystem', 'MigDocUser', 'Migrate outlook: Signature, personal dictionary, autocorrect, templates'])
    for (const c of ours) {
      const real = theirs.find((t) => t.displayname === c.displayname)
      expect(real, c.displayname).to.not.equal(undefined)
      expect(c).to.deep.equal({ ...real, migrate: 'yes' })
    }
  })

  it('nests child components in their parent and keeps a parent when only a child is present', async () => {
    const rs = await loadRuleSet({ ruleFiles: [sharedFixture('usmt-xml', 'MigApp.xml')] })
    const model = (rs as LoadedRuleSet).model
    const all = components(children(parser.parse(formatConfigXml(configSections(model).sections)) as Ordered, 'Configuration'))
    expect(all.every((c) => c.section === 'Applications')).to.equal(true)
    const live = all.find((c) => c.displayname === 'Windows Live')
    expect(live).to.include({ depth: 0 })
    expect(all.find((c) => c.displayname === 'Windows Live Mail')).to.include({ depth: 1 })
    expect(all.length).to.equal(model.components.length)
    // Only "Windows Live Mail" detected: its parent stays (as a container), everything else is left out.
    const only = configSections(model, (c) => c.displayName === 'Windows Live Mail')
    expect(only.listed).to.equal(2)
    expect(only.sections.applications.map((c) => [c.displayName, c.children.map((k) => k.displayName)])).to.deep.equal([['Windows Live', ['Windows Live Mail']]])
    expect(only.notDetected).to.include('Lotus Notes')
  })

  it('the generated file is read back by the engine: migrate="no" switches the component off', async () => {
    const files = ['MigDocs.xml', 'custom-exclusions.xml'].map((f) => sharedFixture('usmt-xml', f))
    const rs = await loadRuleSet({ ruleFiles: files })
    const text = formatConfigXml(configSections((rs as LoadedRuleSet).model).sections).replace(/(displayname="MP3 Files" migrate=")yes/, '$1no')
    expect(text).to.include('displayname="MP3 Files" migrate="no"')
    const tmp = tempDir('genconfig-')
    try {
      writeFileSync(path.join(tmp.dir, 'Config.xml'), text)
      const back = await loadRuleSet({ ruleFiles: files, configFile: path.join(tmp.dir, 'Config.xml') })
      expect(back.components.find((c) => c.name === 'MP3 Files')?.migrate).to.equal(false)
      expect(back.components.find((c) => c.name === 'MigDocUser')?.migrate).to.equal(true)
    } finally {
      tmp.cleanup()
    }
  })
})
