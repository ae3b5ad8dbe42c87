/**
 * Gathering (the I/O side of the report): the run records in the log folder (and those a capture left in the
 * store, for the destination machine of a replace), the USMT logs their commands wrote, the files USMT listed
 * with /listfiles and their sizes, and the state of the store on disk.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { readRunRecords, type RunRecord } from '../runtime/run-record.js'
import { MIG_FILE, USMT_DIR } from '../store/layout.js'
import { parseProgressLine } from '../usmt/progress-log.js'
import { parseWinPath } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'
import { parseUsmtCommandLine, type UsmtTool } from './command-line.js'
import { parseListFiles, type InventoryItem } from './inventory.js'

export interface GatherOptions {
  /** Local folder of usmt-steps.log and the run records. */
  logDir: string
  /** The store as the task sequence names it, or a local folder (overrides what the records say). */
  storePath?: string
  /** Task-sequence variables (OSDStateStorePath, _SMSTSMachineName …). */
  variables?: Record<string, string>
  /** Where Windows drives are on this machine (non-Windows hosts). */
  volumes?: VolumeMap
  platform?: NodeJS.Platform
  /** Largest log read whole; bigger logs are read as head and tail. */
  maxLogBytes?: number
}

export type LogKind = 'main' | 'progress' | 'listfiles' | 'other'

export interface GatheredLog {
  step: string
  /** File name (logs are linked by name: they sit beside the report). */
  name: string
  /** Where the report found it, or null when it was not found. */
  localPath: string | null
  kind: LogKind
  tool?: UsmtTool
  text?: string
  /** The path the run record named. */
  recorded: string
}

export interface StoreProbe {
  path: string | null
  localPath: string | null
  exists: boolean | null
  layout: 'compressed' | 'uncompressed' | 'unknown' | null
  encrypted: boolean | null
  sizeBytes: number | null
  /** From the USMT command lines. */
  hardlink: boolean
}

export interface GatheredRun {
  logDir: string
  records: RunRecord[]
  logs: GatheredLog[]
  inventory: InventoryItem[]
  store: StoreProbe
  computer: string
  sources: string[]
}

/** Steps whose records describe the report itself, not the migration. */
export function isReportStep(step: string): boolean {
  return /^report(\s|$)/i.test(step)
}

/** A local path for a path written on a Windows machine (or already local), or null when not reachable. */
export function localPathOf(p: string | undefined | null, opts: Pick<GatherOptions, 'volumes' | 'platform'>): string | null {
  if (!p) return null
  const platform = opts.platform ?? process.platform
  if (platform === 'win32') return p
  if (p.startsWith('/')) return p
  const kind = parseWinPath(p).kind
  if (kind === 'drive') return opts.volumes?.toLocal(p) ?? null
  return null
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p)
  } catch {
    return null
  }
}

/** Text of a log: UTF-8 (with or without BOM) or UTF-16 LE with BOM; very large logs as head + tail. */
export function readLogText(file: string, maxBytes = 64 * 1024 * 1024): string {
  const size = statSync(file).size
  const fd = openSync(file, 'r')
  try {
    const read = (pos: number, len: number): Buffer => {
      const buf = Buffer.alloc(len)
      const n = readSync(fd, buf, 0, len, pos)
      return buf.subarray(0, n)
    }
    let buf: Buffer
    if (size <= maxBytes) buf = read(0, size)
    else {
      const half = Math.floor(maxBytes / 2)
      buf = Buffer.concat([read(0, half), Buffer.from('\n'), read(size - half, half)])
    }
    if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le')
    return buf.toString('utf8').replace(/^\uFEFF/, '')
  } finally {
    closeSync(fd)
  }
}

const MAIN_HEAD = /^\uFEFF?\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}, (Info|Status|Warning|Error)\s+\[0x[0-9a-fA-F]{6}\]/

/** What kind of log a text is, by its content. */
export function sniffLogKind(text: string): LogKind {
  const first = text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? ''
  if (MAIN_HEAD.test(first)) return 'main'
  if (parseProgressLine(first)) return 'progress'
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0)
  if (lines.length > 0 && parseListFiles(text).length === lines.length) return 'listfiles'
  return 'other'
}

function storeRecords(storeLocal: string | null): RunRecord[] {
  if (!storeLocal) return []
  const dirs = [storeLocal, nodePath.join(storeLocal, 'Logs'), nodePath.join(storeLocal, 'logs'), nodePath.join(storeLocal, 'usmt-steps')]
  return dirs.flatMap((d) => readRunRecords(d))
}

function findFile(recorded: string, searchDirs: readonly string[], opts: GatherOptions): string | null {
  const direct = localPathOf(recorded, opts)
  if (direct && statOrNull(direct)?.isFile()) return direct
  const leaf = recorded.split(/[\\/]/).pop() ?? ''
  if (!leaf) return null
  for (const d of searchDirs) {
    const p = nodePath.join(d, leaf)
    if (statOrNull(p)?.isFile()) return p
  }
  return null
}

/** Bytes under a folder, hard-linked files counted once. */
export function folderBytes(dir: string, limit = 2_000_000): number {
  const seen = new Set<string>()
  let total = 0
  let visited = 0
  const walk = (d: string): void => {
    let entries: string[]
    try {
      entries = readdirSync(d)
    } catch {
      return
    }
    for (const e of entries) {
      if (++visited > limit) return
      const p = nodePath.join(d, e)
      const st = statOrNull(p)
      if (!st) continue
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) {
        const id = `${st.dev}:${st.ino}`
        if (st.ino !== 0 && seen.has(id)) continue
        seen.add(id)
        total += st.size
      }
    }
  }
  walk(dir)
  return total
}

function probeStore(path: string | null, opts: GatherOptions, hardlink: boolean, encrypted: boolean | null): StoreProbe {
  const localPath = localPathOf(path, opts)
  if (!path || !localPath) return { path, localPath: null, exists: null, layout: null, encrypted, sizeBytes: null, hardlink }
  const st = statOrNull(localPath)
  if (!st?.isDirectory()) return { path, localPath, exists: false, layout: null, encrypted, sizeBytes: null, hardlink }
  const usmt = nodePath.join(localPath, USMT_DIR)
  let layout: StoreProbe['layout'] = 'unknown'
  if (statOrNull(nodePath.join(usmt, MIG_FILE))?.isFile()) layout = 'compressed'
  else if (statOrNull(usmt)?.isDirectory()) layout = 'uncompressed'
  return { path, localPath, exists: true, layout, encrypted, sizeBytes: folderBytes(localPath), hardlink }
}

export function gatherRun(opts: GatherOptions): GatheredRun {
  const sources: string[] = []
  const vars = opts.variables ?? {}
  const local = readRunRecords(opts.logDir).filter((r) => !isReportStep(r.step))
  for (const r of local) sources.push(nodePath.join(opts.logDir, `usmt-steps-${r.step.replace(/\s+/g, '-')}.json`))

  // The store: a flag, else what the USMT commands used, else the plan's decision, else OSDStateStorePath.
  const usmtCommands = local.flatMap((r) => r.commands.map((c) => ({ step: r.step, c, info: parseUsmtCommandLine(c.commandLine) })))
  const planned = local.find((r) => r.step === 'plan')?.result as { storePath?: string | null } | undefined
  const fromCommands = usmtCommands.find((x) => x.info && x.info.tool !== 'usmtutils' && x.info.store)?.info?.store
  const storePath = opts.storePath ?? fromCommands ?? planned?.storePath ?? vars.OSDStateStorePath ?? null
  const storeLocal = localPathOf(storePath, opts)

  // Records the capture left in the store (a replace restores on another machine).
  const records = [...local]
  for (const r of storeRecords(storeLocal && statOrNull(storeLocal)?.isDirectory() ? storeLocal : null)) {
    if (isReportStep(r.step) || records.some((x) => x.step === r.step && x.startedAt === r.startedAt)) continue
    records.push(r)
    sources.push(`${storeLocal} (run record of ${r.step} on ${r.computer})`)
  }
  records.sort((a, b) => a.startedAt.localeCompare(b.startedAt))

  const searchDirs = [opts.logDir, ...(storeLocal ? [storeLocal, nodePath.join(storeLocal, 'Logs'), nodePath.join(storeLocal, 'logs'), nodePath.join(storeLocal, 'usmt-steps')] : [])]
  const logs: GatheredLog[] = []
  const seen = new Set<string>()
  const add = (step: string, recorded: string, kindHint: LogKind | undefined, tool: UsmtTool | undefined): void => {
    const key = `${step}|${recorded.toLowerCase()}`
    if (seen.has(key)) return
    seen.add(key)
    const found = findFile(recorded, searchDirs, opts)
    const name = recorded.split(/[\\/]/).pop() ?? recorded
    if (!found) {
      logs.push({ step, name, localPath: null, kind: kindHint ?? 'other', tool, recorded })
      return
    }
    const text = readLogText(found, opts.maxLogBytes)
    sources.push(found)
    logs.push({ step, name, localPath: found, kind: kindHint ?? sniffLogKind(text), tool, text, recorded })
  }
  let hardlink = false
  let encrypted: boolean | null = null
  for (const r of records) {
    for (const c of r.commands) {
      const info = parseUsmtCommandLine(c.commandLine)
      if (info) {
        if (info.tool === 'scanstate') {
          hardlink ||= info.hardlink
          encrypted = info.encrypted
        }
        if (info.mainLog) add(r.step, info.mainLog, 'main', info.tool)
        if (info.progressLog) add(r.step, info.progressLog, 'progress', info.tool)
        if (info.listFiles) add(r.step, info.listFiles, 'listfiles', info.tool)
      }
      for (const a of c.artifacts ?? []) add(r.step, a, undefined, info?.tool)
    }
  }

  // Migrated files: /listfiles output of the capture, sizes from the disk where the files are reachable.
  const inventory: InventoryItem[] = []
  const seenPaths = new Set<string>()
  for (const l of logs) {
    if (l.kind !== 'listfiles' || !l.text) continue
    for (const p of parseListFiles(l.text)) {
      const key = p.toLowerCase()
      if (seenPaths.has(key)) continue
      seenPaths.add(key)
      const lp = localPathOf(p, opts)
      const st = lp ? statOrNull(lp) : null
      inventory.push({ path: p, bytes: st?.isFile() ? st.size : null })
    }
  }

  // Filed under the computer running this step: the store also carries the other computer's run records (a
  // replace source that reports after the destination restored would otherwise be filed under the destination).
  const computer = vars._SMSTSMachineName ?? vars.OSDComputerName ?? [...records].reverse().find((r) => r.computer)?.computer ?? os.hostname()
  if (storeLocal && existsSync(storeLocal)) sources.push(storeLocal)
  return { logDir: opts.logDir, records, logs, inventory, store: probeStore(storePath, opts, hardlink, encrypted), computer, sources }
}
