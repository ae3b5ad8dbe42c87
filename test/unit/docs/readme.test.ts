import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { buildReadme } from '../../../scripts/gen-readme.js'
import { EXIT_CODES } from '../../../src/runtime/exit-codes.js'
import { ALL_SETTINGS } from '../../../src/runtime/settings/index.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'

describe('README', () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8')

  it('is generated from docs/readme and the code (run `npm run readme` after editing)', () => {
    expect(readme === buildReadme(), 'README.md is stale: run npm run readme').to.equal(true)
  })

  it('opens with the two commands a newcomer runs', () => {
    const head = readme.slice(0, 3000)
    expect(head).to.include('npm install && npm run demo')
    expect(head).to.include('npm test')
  })

  it('documents every exit code and every setting', () => {
    for (const { code } of Object.values(EXIT_CODES)) expect(readme).to.match(new RegExp(`\\| ${code} \\|`))
    for (const s of ALL_SETTINGS) expect(readme).to.include(`\`${s.key}\``)
  })
})
