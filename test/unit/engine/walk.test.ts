import { expect } from 'chai'
import { symlinkSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { collect, exc, inc, makeMachine, migration } from './helpers.js'

describe('engine/walk: the volume walk and the file data it reads', () => {
  it('symlink loops are warnings when links are followed; unreadable (broken) links are warnings', async () => {
    const m = makeMachine({ C: ['Data\\a.doc'] })
    try {
      symlinkSync('..', path.join(m.root, 'C', 'Data', 'loop'))
      symlinkSync('nowhere.doc', path.join(m.root, 'C', 'Data', 'broken.doc'))
      const xml = m.xml('r.xml', migration('w', [{ name: 'All', rules: inc('C:\\* [*]') }]))
      const followed = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [], followSymlinks: true })
      expect(followed.included).to.deep.equal(['C:\\Data\\a.doc'])
      const warnings = followed.events.filter((e) => e.kind === 'warning').map((e) => (e as { warning: { code: string; path?: string; message: string } }).warning)
      const loop = warnings.find((w) => w.code === 'symlink-loop')
      expect(loop?.path).to.equal('C:\\Data\\loop')
      expect(loop?.message).to.match(/leads back to a folder already walked/)
      expect(warnings.find((w) => w.code === 'unreadable')?.path).to.equal('C:\\Data\\broken.doc')
      const plain = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(plain.included).to.deep.equal(['C:\\Data\\a.doc'])
    } finally {
      m.cleanup()
    }
  })
  it('attribute maps match paths case-insensitively, as written by the caller (the portable scanstate passes them unchanged)', async () => {
    const m = makeMachine({ C: ['Users\\ann\\NTUSER.DAT', 'Users\\ann\\Documents\\desktop.ini', 'Users\\ann\\Documents\\Budget.xlsx', 'Users\\ann\\Documents\\notes.txt'] })
    try {
      const xml = m.xml('docs.xml', `<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/docs"><component type="Documents" context="User"><displayName>MigDocUser</displayName><role role="Data"><rules>
        ${inc('<script>MigXmlHelper.GenerateDocPatterns ("FALSE","TRUE","FALSE")</script>')}${exc('<script>MigXmlHelper.GenerateDocPatterns ("FALSE","FALSE","FALSE")</script>')}</rules></role></component></migration>`)
      const attributes = new Map([['C:\\Users\\ann\\Documents\\DESKTOP.INI', 'hs'], ['c:/users/ann/documents/budget.xlsx', 'R']])
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, attributes })
      expect(r.included).to.deep.equal(['C:\\Users\\ann\\Documents\\Budget.xlsx', 'C:\\Users\\ann\\Documents\\notes.txt'])
      expect(r.excluded.get('C:\\Users\\ann\\Documents\\desktop.ini')).to.match(/^hidden and system attributes/)
      expect(r.byPath.get('C:\\Users\\ann\\Documents\\Budget.xlsx')?.attributes).to.deep.equal({ readOnly: true, hidden: false, system: false })
      expect(r.byPath.get('C:\\Users\\ann\\Documents\\notes.txt')?.attributes.readOnly).to.equal(false)
    } finally {
      m.cleanup()
    }
  })
  it('a symlink to a file is captured with its target\'s size and times; regular files with their own', async () => {
    const m = makeMachine({ C: ['Data\\a.doc', 'Other\\big.doc'] })
    try {
      writeFileSync(path.join(m.root, 'C', 'Other', 'big.doc'), 'x'.repeat(5000))
      symlinkSync(path.join(m.root, 'C', 'Other', 'big.doc'), path.join(m.root, 'C', 'Data', 'alias.doc'))
      const xml = m.xml('r.xml', migration('l', [{ name: 'Data', rules: inc('C:\\Data\\* [*]') }]))
      const r = await collect({ ruleFiles: [xml], volumes: m.volumes, users: [] })
      expect(r.included).to.deep.equal(['C:\\Data\\a.doc', 'C:\\Data\\alias.doc'])
      expect(r.byPath.get('C:\\Data\\alias.doc')?.bytes).to.equal(5000)
      expect(r.byPath.get('C:\\Data\\a.doc')?.bytes).to.equal('content of Data\\a.doc'.length)
    } finally {
      m.cleanup()
    }
  })
})
