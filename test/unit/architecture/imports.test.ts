import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The one-way import rule of AGENTS.md, checked on every module of src/:
 *   commands → steps → areas → formats/runtime
 * A module imports only from its own layer or a lower one (areas may import other areas: they form no cycle,
 * which the folder-cycle check below keeps). `src/cli` is the oclif shell the commands stand on; below it only
 * its context types may be named (`import type`: the StepContext the shell hands to a service). `@oclif/core`
 * is imported only in src/cli and src/commands.
 */
const LAYER: Record<string, number> = {
  commands: 4,
  cli: 4,
  steps: 3,
  engine: 2, usmt: 2, store: 2, portable: 2, plan: 2, 'share-store': 2, directory: 2, templates: 2, report: 2,
  runtime: 1, windows: 1, log: 1, progress: 1, 'ts-env': 1, registry: 1,
}
const OCLIF_FOLDERS = new Set(['cli', 'commands'])
/** Area modules that may still build oclif flags themselves: none since the flags are generated in src/cli (h12b). */
const OCLIF_ALLOWED = new Set<string>([])

export interface ImportEdge {
  from: string
  /** The imported module: `src/<folder>/…` for a relative import, else the package name. */
  to: string
  typeOnly: boolean
}

const SPEC = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

/** The imports of one module (static, re-exports and literal dynamic imports). */
export function importsOf(file: string, text: string): ImportEdge[] {
  const out: ImportEdge[] = []
  for (const m of text.matchAll(SPEC)) {
    const spec = m[3] ?? m[4]
    const typeOnly = Boolean(m[2])
    const to = spec.startsWith('.') ? nodePath.posix.normalize(nodePath.posix.join(nodePath.posix.dirname(file), spec)) : spec
    out.push({ from: file, to, typeOnly })
  }
  return out
}

const folderOf = (p: string): string | undefined => (p.startsWith('src/') ? p.split('/')[1] : undefined)

/** Every break of the rule in a set of modules (path relative to the project root → source text). */
export function ruleViolations(modules: Record<string, string>): string[] {
  const problems: string[] = []
  const folderEdges = new Map<string, Set<string>>()
  for (const [file, text] of Object.entries(modules)) {
    const from = folderOf(file)
    if (!from) continue
    const fromLayer = LAYER[from]
    if (fromLayer === undefined) {
      problems.push(`${file}: the folder src/${from} has no layer in the import rule (add it to LAYER and to AGENTS.md)`)
      continue
    }
    for (const edge of importsOf(file, text)) {
      if (edge.to === '@oclif/core' || edge.to.startsWith('@oclif/core/')) {
        if (!OCLIF_FOLDERS.has(from) && !OCLIF_ALLOWED.has(file)) problems.push(`${file} imports @oclif/core: only src/cli and src/commands may`)
        continue
      }
      const to = folderOf(edge.to)
      if (!to || to === from) continue
      if (!edge.typeOnly || to !== 'cli') {
        if (!folderEdges.has(from)) folderEdges.set(from, new Set())
        folderEdges.get(from)?.add(to)
      }
      const toLayer = LAYER[to]
      if (toLayer === undefined) problems.push(`${file} imports ${edge.to}: src/${to} has no layer in the import rule`)
      else if (to === 'cli' && edge.typeOnly) continue
      else if (toLayer > fromLayer) problems.push(`${file} imports ${edge.to}: src/${from} (layer ${fromLayer}) may not import src/${to} (layer ${toLayer})`)
    }
  }
  problems.push(...folderCycles(folderEdges))
  return problems
}

function folderCycles(edges: Map<string, Set<string>>): string[] {
  const out: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 'done') return
    if (state.get(n) === 'open') {
      out.push(`folder import cycle: ${[...path.slice(path.indexOf(n)), n].map((f) => `src/${f}`).join(' → ')}`)
      return
    }
    state.set(n, 'open')
    for (const m of [...(edges.get(n) ?? [])].sort()) visit(m, [...path, n])
    state.set(n, 'done')
  }
  for (const n of [...edges.keys()].sort()) visit(n, [])
  return out
}

function sources(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = nodePath.join(dir, e.name)
      if (e.isDirectory()) walk(abs)
      else if (e.name.endsWith('.ts')) out[nodePath.relative(root, abs).split(nodePath.sep).join('/')] = readFileSync(abs, 'utf8')
    }
  }
  walk(nodePath.join(root, 'src'))
  return out
}

const ROOT = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

describe('architecture: imports run one way (commands → steps → areas → formats/runtime)', () => {
  it('holds for every module of src/', () => {
    const modules = sources(ROOT)
    expect(Object.keys(modules).length).to.be.greaterThan(100)
    expect(ruleViolations(modules)).to.deep.equal([])
  })

  it('every allow-listed oclif importer still exists and still imports oclif (the list only shrinks)', () => {
    const modules = sources(ROOT)
    for (const f of OCLIF_ALLOWED) expect(modules[f] ?? '', f).to.match(/@oclif\/core/)
  })

  it('fails when an area module imports @oclif/core', () => {
    expect(ruleViolations({ 'src/engine/x.ts': "import { Flags } from '@oclif/core'\n" }))
      .to.deep.equal(['src/engine/x.ts imports @oclif/core: only src/cli and src/commands may'])
    expect(ruleViolations({ 'src/commands/x.ts': "import { Flags } from '@oclif/core'\n", 'src/cli/y.ts': "import { Command } from '@oclif/core'\n" })).to.deep.equal([])
  })

  it('fails when a share-store module imports from the step layer (static, type-only, re-export or dynamic)', () => {
    for (const text of [
      "import { STORE_LOGS_DIR } from '../steps/store-layout.js'\n",
      "import type { StepKind } from '../steps/inputs.js'\n",
      "export { inspectStore } from '../steps/store-layout.js'\n",
      "const m = await import('../steps/capture.js')\n",
    ]) {
      const v = ruleViolations({ 'src/share-store/x.ts': text })
      expect(v, text).to.have.length(1)
      expect(v[0]).to.match(/^src\/share-store\/x\.ts imports src\/steps\/.*: src\/share-store \(layer 2\) may not import src\/steps \(layer 3\)$/)
    }
  })

  it('fails on a runtime import of the CLI shell below it, and on an import cycle between folders; allows the shell\'s types', () => {
    expect(ruleViolations({ 'src/engine/x.ts': "import { StepCommand } from '../cli/step-command.js'\n" })).to.have.length(1)
    expect(ruleViolations({ 'src/steps/x.ts': "import type { StepContext } from '../cli/step-command.js'\n" })).to.deep.equal([])
    expect(ruleViolations({ 'src/engine/x.ts': "import { a } from '../store/y.js'\n", 'src/store/y.ts': "import { b } from '../engine/x.js'\n" }))
      .to.deep.equal(['folder import cycle: src/engine → src/store → src/engine'])
    expect(ruleViolations({ 'src/newarea/x.ts': '' })).to.have.length(1)
  })
})
