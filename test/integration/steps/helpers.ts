/** Shared setup of the capture/restore integration tests: a JSON task-sequence environment, a USMT package of the Microsoft double, the sample machine. */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import { requireSharedFixtures, sharedFixture, tempDir } from '../../helpers/fixtures.js'
import { peHeader, type UsmtArch } from '../../../src/steps/pe.js'

export const USMT_DOUBLE = path.join(PROJECT_ROOT, 'test', 'doubles', 'microsoft-usmt.double.ts')
export const SAMPLE_MACHINE = path.join(PROJECT_ROOT, 'samples', 'machine')

/** A USMT package folder as the ADK ships it (amd64\scanstate.exe …), with PE stubs of the given architecture and the XML files. */
export function makeUsmtPackage(dir: string, arch: UsmtArch = 'amd64', folder: string = arch): string {
  const d = path.join(dir, folder)
  mkdirSync(d, { recursive: true })
  for (const exe of ['scanstate.exe', 'loadstate.exe', 'usmtutils.exe']) writeFileSync(path.join(d, exe), peHeader(arch))
  for (const xml of ['MigApp.xml', 'MigDocs.xml', 'MigUser.xml']) writeFileSync(path.join(d, xml), '<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/test"/>\n')
  return dir
}

export function writeEnv(file: string, vars: Record<string, string>): string {
  writeFileSync(file, JSON.stringify(vars, null, 2))
  return file
}

export function readEnv(file: string): Record<string, string> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
}

export function doubleEnv(dir: string, scenario: Record<string, unknown> = {}): Record<string, string> {
  const scen = path.join(dir, `scenario-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(scen, JSON.stringify(scenario))
  return { USMT_STEPS_EXE_HOST: USMT_DOUBLE, USMT_DOUBLE_SCENARIO: scen, USMT_DOUBLE_LOG: path.join(dir, 'double.log'), USMT_DOUBLE_DRIVES_ROOT: path.join(dir, 'drives') }
}

export function doubleCalls(dir: string): Array<{ tool: string; argv: string[]; env: Record<string, string | undefined>; keyFile?: { mode?: string }; lac?: boolean }> {
  const f = path.join(dir, 'double.log')
  if (!existsSync(f)) return []
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReturnType<typeof doubleCalls>[number])
}

/** A private copy of the bundled sample machine (tests never write into samples/). */
export function copySampleMachine(dest: string): string {
  cpSync(SAMPLE_MACHINE, dest, { recursive: true })
  return dest
}

/** Every file below `dir` (relative paths), for before/after comparisons. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n)
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base))
    else out.push(path.relative(base, p))
  }
  return out.sort()
}

/**
 * The hooks every sample-machine step suite needs: the stock USMT XML folder from the shared fixtures (the suite
 * skips loudly without it) and a fresh temp folder per test. Read `dir` and `xml` inside tests.
 */
export function stepSuite(prefix: string): { readonly dir: string; readonly xml: string } {
  let t: ReturnType<typeof tempDir> | undefined
  let xml = ''
  before(function () {
    requireSharedFixtures(this, 'usmt-xml', 'MigDocs.xml')
    xml = sharedFixture('usmt-xml')
  })
  beforeEach(() => { t = tempDir(prefix) })
  afterEach(() => t?.cleanup())
  return {
    get dir(): string {
      if (!t) throw new Error('stepSuite: dir is only there inside a test')
      return t.dir
    },
    get xml(): string { return xml },
  }
}
