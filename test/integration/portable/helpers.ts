import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT, parseJsonOutput, runCli } from '../../helpers/cli.js'

export const SAMPLE = path.join(PROJECT_ROOT, 'samples', 'machine')

export const RULES = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/roundtrip">
  <component type="Documents" context="System">
    <displayName>Shared Data</displayName>
    <role role="Data">
      <rules>
        <include>
          <objectSet>
            <pattern type="File">C:\\Data\\* [*]</pattern>
            <pattern type="File">C:\\EngineeringDrafts\\* [*]</pattern>
          </objectSet>
        </include>
      </rules>
    </role>
  </component>
  <component type="Documents" context="User">
    <displayName>Profile Files</displayName>
    <role role="Data">
      <rules>
        <include>
          <objectSet>
            <pattern type="File">%USERPROFILE%\\* [*]</pattern>
          </objectSet>
        </include>
        <exclude>
          <objectSet>
            <pattern type="File">%USERPROFILE%\\* [NTUSER.DAT*]</pattern>
            <pattern type="File">%USERPROFILE%\\* [ntuser.*]</pattern>
          </objectSet>
        </exclude>
      </rules>
    </role>
  </component>
</migration>
`

/** A private copy of the sample machine (or a generated tree when the sample is absent) plus rules. */
export function prepareMachine(dir: string): { c: string; rules: string; users?: string; attributes?: string } {
  const c = path.join(dir, 'src', 'C')
  if (existsSync(path.join(SAMPLE, 'C'))) {
    cpSync(path.join(SAMPLE, 'C'), c, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })
  } else {
    for (const [rel, text] of [['Data/readme.txt', 'hello'], ['Users/ann/Documents/a.docx', 'doc'], ['Users/ann/NTUSER.DAT', 'hive']]) {
      mkdirSync(path.dirname(path.join(c, rel)), { recursive: true })
      writeFileSync(path.join(c, rel), text)
    }
  }
  const rules = path.join(dir, 'rules.xml')
  writeFileSync(rules, RULES)
  const users = existsSync(path.join(SAMPLE, 'users.json')) ? path.join(SAMPLE, 'users.json') : undefined
  const attributes = existsSync(path.join(SAMPLE, 'attributes.json')) ? path.join(SAMPLE, 'attributes.json') : undefined
  return { c, rules, users, attributes }
}

export function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

export interface ToolRun<R> {
  exitCode: number
  result: R
  stdout: string
}

export async function tool<R = Record<string, unknown>>(argv: string[], cwd?: string): Promise<ToolRun<R>> {
  const r = await runCli([...argv, '--json', '--progress', 'none'], { cwd })
  const doc = parseJsonOutput<{ status: string; result: R; error?: { message: string } }>(r.stdout)
  // A USMT failure code is status "error" with the result (return code, message); a thrown error has no result.
  if (doc.error !== undefined) throw new Error(`${argv[0]} failed: ${doc.error.message}\n${r.stderr}`)
  expect(doc.status, 'status follows the return code').to.be.oneOf(r.exitCode === 0 || r.exitCode === 1 ? ['success', 'warning'] : r.exitCode === 3 ? ['warning'] : ['error'])
  return { exitCode: r.exitCode, result: doc.result, stdout: r.stdout }
}
