import { createRequire } from 'node:module'
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter'

/**
 * PowerShell checks with a real parser: tree-sitter's PowerShell grammar (npm tree-sitter-powershell,
 * its prebuilt WebAssembly build) run by web-tree-sitter, so no native build and no PowerShell are needed.
 */
let parserPromise: Promise<Parser> | undefined

export function powershellParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init()
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')
    const lang = await Language.load(wasm)
    const p = new Parser()
    p.setLanguage(lang)
    return p
  })()
  return parserPromise
}

export async function parsePowerShell(source: string): Promise<Tree> {
  const tree = (await powershellParser()).parse(source)
  if (!tree) throw new Error('the PowerShell parser returned no tree')
  return tree
}

export function descendants(node: Node, type?: string): Node[] {
  const out: Node[] = []
  const walk = (n: Node): void => {
    for (const c of n.namedChildren) {
      if (!c) continue
      if (!type || c.type === type) out.push(c)
      walk(c)
    }
  }
  walk(node)
  return out
}

/** Syntax errors as "line:column: text" (ERROR and MISSING nodes). */
export function syntaxErrors(tree: Tree): string[] {
  const out: string[] = []
  const walk = (n: Node): void => {
    if (n.type === 'ERROR' || n.isMissing) {
      out.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${n.isMissing ? `missing ${n.type}` : `unexpected ${JSON.stringify(n.text.slice(0, 40))}`}`)
      return
    }
    for (const c of n.children) if (c) walk(c)
  }
  walk(tree.rootNode)
  return out
}

/** The text value of a string literal node ('…' or "…" without expansions), or undefined for anything else. */
export function stringValue(n: Node): string | undefined {
  let x: Node = n
  while (x.namedChildCount === 1 && x.type !== 'string_literal' && x.namedChildren[0]?.text === x.text) x = x.namedChildren[0] as Node
  if (x.type !== 'string_literal') return undefined
  const t = x.text
  if (t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/''/g, "'")
  if (t.startsWith('"') && t.endsWith('"') && !/[$`]/.test(t)) return t.slice(1, -1)
  return undefined
}

export interface FunctionInfo {
  name: string
  help?: string
  parameters: string[]
  node: Node
}

export function functions(tree: Tree): FunctionInfo[] {
  return descendants(tree.rootNode, 'function_statement').map((f) => {
    const name = f.namedChildren.find((c) => c?.type === 'function_name')?.text ?? ''
    const inside = f.namedChildren.filter((c): c is Node => c?.type === 'comment').map((c) => c.text)
    const before = f.previousNamedSibling?.type === 'comment' ? [f.previousNamedSibling.text] : []
    const help = [...inside, ...before].find((t) => t.startsWith('<#') && /\.SYNOPSIS/i.test(t))
    const params = descendants(f, 'param_block')[0]
    const parameters = params ? descendants(params, 'script_parameter').map((p) => p.namedChildren.find((c) => c?.type === 'variable')?.text.replace(/^\$/, '') ?? '') : []
    return help === undefined ? { name, parameters, node: f } : { name, help, parameters, node: f }
  })
}

/** The literal strings of the array a variable is first assigned (`$x = @('a', 'b', $y)` → ['a', 'b', undefined]). */
function assignedArray(scope: Node, variable: string): Array<string | undefined> | undefined {
  for (const a of descendants(scope, 'assignment_expression')) {
    const left = a.namedChildren[0]
    if (!left || left.text.toLowerCase() !== variable.toLowerCase() || a.namedChildren[1]?.text !== '=') continue
    const arr = descendants(a, 'array_expression')[0]
    if (!arr) return undefined
    const lit = descendants(arr, 'array_literal_expression')[0]
    return lit ? lit.namedChildren.filter((c): c is Node => c !== null).map(stringValue) : []
  }
  return undefined
}

export interface CliCall {
  function: string
  /** Leading literal words of the argument array (the CLI command), e.g. ['store', 'list']. */
  command: string[]
  /** True when the arguments are built at run time (from task-steps definitions). */
  dynamic: boolean
}

/** Calls of `callee` (Invoke-UsmtStepsCli) with their -ArgumentList resolved to literal command words. */
export function cliCalls(tree: Tree, callee: string): CliCall[] {
  const out: CliCall[] = []
  for (const f of functions(tree)) {
    for (const cmd of descendants(f.node, 'command')) {
      const name = cmd.namedChildren.find((c) => c?.type === 'command_name')?.text
      if (name?.toLowerCase() !== callee.toLowerCase()) continue
      const elements = cmd.namedChildren.find((c) => c?.type === 'command_elements')?.namedChildren.filter((c): c is Node => c !== null && c.type !== 'command_argument_sep') ?? []
      const at = elements.findIndex((e) => e.type === 'command_parameter' && e.text.toLowerCase() === '-argumentlist')
      const arg = at >= 0 ? elements[at + 1] : undefined
      let values: Array<string | undefined> | undefined
      const variable = arg && descendants(arg, 'variable')[0]
      if (arg && variable && variable.text === arg.text) values = assignedArray(f.node, variable.text)
      else if (arg) {
        const lit = descendants(arg, 'array_literal_expression').find((x) => x.namedChildCount > 1) ?? arg
        values = lit.namedChildren.filter((c): c is Node => c !== null).map(stringValue)
      }
      if (!values) {
        out.push({ function: f.name, command: [], dynamic: true })
        continue
      }
      const command: string[] = []
      for (const v of values) {
        if (v === undefined || v.startsWith('-')) break
        command.push(v)
      }
      out.push({ function: f.name, command, dynamic: command.length === 0 })
    }
  }
  return out
}

/** FunctionsToExport of a module manifest. */
export function manifestExports(tree: Tree): string[] | undefined {
  for (const entry of descendants(tree.rootNode, 'hash_entry')) {
    const key = entry.namedChildren[0]?.text
    if (key?.toLowerCase() !== 'functionstoexport') continue
    return descendants(entry, 'string_literal').map((s) => stringValue(s)).filter((s): s is string => s !== undefined)
  }
  return undefined
}

/** PowerShell's approved verbs (Get-Verb, Windows PowerShell 5.1 and PowerShell 7). */
export const APPROVED_VERBS = new Set([
  'Add', 'Clear', 'Close', 'Copy', 'Enter', 'Exit', 'Find', 'Format', 'Get', 'Hide', 'Join', 'Lock', 'Move', 'New', 'Open', 'Optimize', 'Pop', 'Push',
  'Redo', 'Remove', 'Rename', 'Reset', 'Resize', 'Search', 'Select', 'Set', 'Show', 'Skip', 'Split', 'Step', 'Switch', 'Undo', 'Unlock', 'Watch',
  'Connect', 'Disconnect', 'Read', 'Receive', 'Send', 'Write', 'Backup', 'Checkpoint', 'Compare', 'Compress', 'Convert', 'ConvertFrom', 'ConvertTo',
  'Dismount', 'Edit', 'Expand', 'Export', 'Group', 'Import', 'Initialize', 'Limit', 'Merge', 'Mount', 'Out', 'Publish', 'Restore', 'Save', 'Sync',
  'Unpublish', 'Update', 'Approve', 'Assert', 'Build', 'Complete', 'Confirm', 'Deny', 'Deploy', 'Disable', 'Enable', 'Install', 'Invoke', 'Register',
  'Request', 'Restart', 'Resume', 'Start', 'Stop', 'Submit', 'Suspend', 'Uninstall', 'Unregister', 'Wait', 'Debug', 'Measure', 'Ping', 'Repair',
  'Resolve', 'Test', 'Trace', 'Block', 'Grant', 'Protect', 'Revoke', 'Unblock', 'Unprotect', 'Use',
])
