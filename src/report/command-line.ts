/**
 * Reading a recorded USMT command line (as the run record keeps it, redacted): which tool ran, the store
 * argument and the log files it was told to write. Works for Microsoft's tools (`C:\USMT\amd64\scanstate.exe
 * \\srv\mig\PC1 /l:…`) and for the portable tools (`usmt-steps scanstate --volume C=/mnt/c /tmp/store /l:…`).
 */
import { splitToolArgv } from '../portable/common.js'
import { tokenize } from '../usmt/grammar.js'
import { splitCommandLine } from '../windows/path.js'

export type UsmtTool = 'scanstate' | 'loadstate' | 'usmtutils'

export interface UsmtCommandInfo {
  tool: UsmtTool
  /** The store argument (first positional argument of scanstate/loadstate, the path of usmtutils /rd). */
  store?: string
  mainLog?: string
  progressLog?: string
  listFiles?: string
  hardlink: boolean
  nocompress: boolean
  encrypted: boolean
}

export function parseUsmtCommandLine(commandLine: string): UsmtCommandInfo | null {
  const argv = splitCommandLine(commandLine)
  const at = argv.findIndex((a) => /(^|[\\/])(scanstate|loadstate|usmtutils)(\.exe)?$/i.test(a))
  if (at < 0) return null
  const tool = /(scanstate|loadstate|usmtutils)(\.exe)?$/i.exec(argv[at])?.[1].toLowerCase() as UsmtTool
  const tokens = tokenize(splitToolArgv(argv.slice(at + 1)))
  const opt = (name: string): string | undefined => {
    const i = tokens.findIndex((t) => t.name === name)
    if (i < 0) return undefined
    const t = tokens[i]
    if (t.hasColon) return t.value
    const next = tokens[i + 1]
    return next && next.name === undefined ? next.raw : undefined
  }
  const has = (name: string): boolean => tokens.some((t) => t.name === name)
  const valueIndexes = new Set<number>()
  for (const name of ['l', 'progress', 'listfiles', 'i', 'config', 'v', 'ui', 'ue', 'uel', 'md', 'mu', 'keyfile', 'key']) {
    tokens.forEach((t, i) => { if (t.name === name && !t.hasColon && tokens[i + 1]?.name === undefined) valueIndexes.add(i + 1) })
  }
  const positional = tokens.filter((t, i) => t.name === undefined && !valueIndexes.has(i))
  const store = tool === 'usmtutils' ? opt('rd') ?? positional[0]?.raw : positional[0]?.raw
  return {
    tool, store, mainLog: opt('l'), progressLog: opt('progress'), listFiles: tool === 'scanstate' ? opt('listfiles') : undefined,
    hardlink: has('hardlink'), nocompress: has('nocompress'), encrypted: has('encrypt') || has('decrypt'),
  }
}
