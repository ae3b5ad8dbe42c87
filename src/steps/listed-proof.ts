/**
 * The proof for stores made by Microsoft's scanstate, whose format usmt-steps cannot read. The capture asks
 * scanstate for `/listfiles` (every file it stored) and, right after scanstate succeeded and before anything is
 * wiped, records each listed file's size and modification time from the source into the store
 * (`Logs/usmt-steps-listed.jsonl`, digest-checked). After loadstate, every listed file is looked for where USMT
 * puts it: its captured path; under the new profile folder when `/mu` moved the user; on the system drive when
 * the destination lacks the source's drive; or renamed on a collision (`name(1).ext`, `name (1).ext` …, USMT's
 * default file merge). Found with the captured size: verified (method `size`); found only with another size:
 * changed; not found: missing. The content is not compared (the store cannot be read); a custom rule that moves
 * files elsewhere (locationModify) makes them "missing": USMTStepsProofPolicy=warn accepts that.
 */
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { UsmtStepsError } from '../runtime/errors.js'
import { writeAllSync } from '../runtime/write-all.js'
import * as nodePath from 'node:path'
import { parseListFiles } from '../report/inventory.js'
import { basename as winBasename, dirname as winDirname, driveOf, isUnder, join as winJoin, relativeTo } from '../windows/path.js'
import type { ProofBad, RestoreProof } from './proof.js'

export const LISTED_FILE = 'usmt-steps-listed.jsonl'
export const LISTED_METHOD = 'size: every file scanstate listed (/listfiles) is where USMT restores it, with its captured size (Microsoft\'s store cannot be read, so content is not compared)'

export interface ListedEntry {
  path: string
  size: number
  mtimeMs: number
}

/**
 * Record size and time of every listed file as the source has it now. Files that cannot be read are left out
 * of the record and returned (they are reported, never proven).
 */
export async function recordListedFiles(listFile: string, toLocal: (win: string) => string | null, out: string): Promise<{ files: number; unreadable: string[] }> {
  const paths = parseListFiles(readFileSync(listFile, 'utf8'))
  const unreadable: string[] = []
  mkdirSync(nodePath.dirname(out), { recursive: true })
  const tmp = `${out}.tmp`
  const fd = openSync(tmp, 'w')
  const hash = createHash('sha256')
  const put = (text: string): void => {
    const b = Buffer.from(text, 'utf8')
    hash.update(b)
    writeAllSync(fd, b)
  }
  let files = 0
  try {
    put(JSON.stringify({ format: 'usmt-steps-listed', version: 1 }))
    const BATCH = 64
    for (let i = 0; i < paths.length; i += BATCH) {
      const batch = paths.slice(i, i + BATCH)
      const stats = await Promise.all(batch.map(async (p) => {
        const local = toLocal(p)
        if (!local) return null
        try {
          const st = await stat(local)
          return st.isFile() ? st : null
        } catch {
          return null
        }
      }))
      let text = ''
      batch.forEach((p, j) => {
        const st = stats[j]
        if (!st) {
          unreadable.push(p)
          return
        }
        files++
        text += `\n${JSON.stringify([p, st.size, Math.round(st.mtimeMs)])}`
      })
      if (text) put(text)
    }
    put(`\n${JSON.stringify({ end: true, count: files })}`)
    writeAllSync(fd, `\nsha256:${hash.digest('hex')}\n`)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, out)
  return { files, unreadable }
}

const damaged = (file: string, why: string): UsmtStepsError =>
  new UsmtStepsError('USM0320', `the capture's file list ${file} is damaged (${why}); the restore cannot be proven`, { data: { file } })

/** Read a recorded list; a changed, cut or added line is USM0320 (the digest covers every line). */
export function readListedFiles(file: string): ListedEntry[] {
  const text = readFileSync(file, 'utf8')
  const m = /\nsha256:([0-9a-f]{64})\n?$/.exec(text)
  if (!m) throw damaged(file, 'no digest line')
  const body = text.slice(0, m.index)
  if (createHash('sha256').update(body, 'utf8').digest('hex') !== m[1]) throw damaged(file, 'the digest does not match')
  const lines = body.split('\n')
  const head = JSON.parse(lines[0]) as { format?: string; version?: number }
  if (head.format !== 'usmt-steps-listed' || head.version !== 1) throw damaged(file, 'unknown format')
  const end = JSON.parse(lines[lines.length - 1]) as { end?: boolean; count?: number }
  const rows = lines.slice(1, -1)
  if (end.end !== true || end.count !== rows.length) throw damaged(file, 'the count does not match')
  return rows.map((l) => {
    const [path, size, mtimeMs] = JSON.parse(l) as [unknown, unknown, unknown]
    if (typeof path !== 'string' || typeof size !== 'number' || typeof mtimeMs !== 'number') throw damaged(file, 'a malformed line')
    return { path, size, mtimeMs }
  })
}

export interface ListedPlacement {
  /** The restore's `/mu` mappings (`OLD\user` → `NEW\user`). */
  userMap: ReadonlyArray<{ from: string; to: string }>
  /** The destination's system drive (`C:`): USMT restores a drive the destination lacks there. */
  systemDrive: string
  /** Whether the destination has this drive (`D:`). */
  hasDrive(drive: string): boolean
  toLocal(win: string): string | null
}

/** Profile folder renames from /mu: `\Users\old\` → `\Users\new\` (and `new.DOMAIN`, Windows' name when `new` is taken). */
function profileMoves(userMap: ReadonlyArray<{ from: string; to: string }>): Array<{ from: string; to: string[] }> {
  const out: Array<{ from: string; to: string[] }> = []
  for (const m of userMap) {
    const from = m.from.split('\\').pop() ?? ''
    const parts = m.to.split('\\')
    const to = parts.pop() ?? ''
    const domain = parts.pop() ?? ''
    if (!from || !to || from.toLowerCase() === to.toLowerCase()) continue
    out.push({ from, to: [to, ...(domain ? [`${to}.${domain}`] : [])] })
  }
  return out
}

/** Where USMT may have put a captured file, most likely first. */
export function listedCandidates(win: string, p: ListedPlacement): string[] {
  const bases: string[] = [win]
  const drive = driveOf(win)?.toUpperCase()
  if (drive && drive !== p.systemDrive.toUpperCase() && !p.hasDrive(drive)) bases.push(`${p.systemDrive}${win.slice(2)}`)
  for (const b of [...bases]) {
    const d = driveOf(b)
    if (!d) continue
    for (const move of profileMoves(p.userMap)) {
      const root = winJoin(`${d}\\`, 'Users', move.from)
      if (!isUnder(b, root)) continue
      const rest = relativeTo(b, root) ?? ''
      for (const to of move.to) bases.push(rest ? winJoin(`${d}\\`, 'Users', to, rest) : winJoin(`${d}\\`, 'Users', to))
    }
  }
  const out: string[] = []
  for (const b of bases) {
    out.push(b)
    const dir = winDirname(b)
    const name = winBasename(b)
    const dot = name.lastIndexOf('.')
    const stem = dot > 0 ? name.slice(0, dot) : name
    const ext = dot > 0 ? name.slice(dot) : ''
    for (let n = 1; n <= 9; n++) out.push(winJoin(dir, `${stem}(${n})${ext}`), winJoin(dir, `${stem} (${n})${ext}`))
  }
  return [...new Set(out)]
}

function sizeAt(local: string | null): number | null {
  if (!local) return null
  try {
    const st = statSync(local)
    return st.isFile() ? st.size : null
  } catch {
    return null
  }
}

/** Look for every listed file on the destination. */
export async function proveListed(entries: readonly ListedEntry[], p: ListedPlacement): Promise<RestoreProof> {
  const started = Date.now()
  const proof: RestoreProof = {
    checked: true, verified: 0, missing: [], changed: [], notRestored: 0, methods: { content: 0, 'same-file': 0, 'size-time': 0, size: 0 },
    method: LISTED_METHOD, durationMs: 0, bytesRead: 0,
  }
  // stat calls file after file (no promise per file); the event loop gets a turn every ~50 ms.
  let slice = Date.now()
  for (const e of entries) {
    let other: { path: string; size: number } | undefined
    let found = false
    for (const c of listedCandidates(e.path, p)) {
      const size = sizeAt(p.toLocal(c))
      if (size === null) continue
      if (size === e.size) {
        found = true
        break
      }
      other ??= { path: c, size }
    }
    if (found) {
      proof.verified++
      proof.methods.size++
    } else if (other) {
      proof.changed.push({ path: other.path, source: e.path, why: `size ${other.size} bytes, captured ${e.size}` } satisfies ProofBad)
    } else {
      proof.missing.push({ path: e.path, source: e.path, why: 'not on the destination (nor where USMT relocates or renames files)' })
    }
    if (Date.now() - slice > 50) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      slice = Date.now()
    }
  }
  proof.missing.sort((a, b) => a.path.localeCompare(b.path))
  proof.changed.sort((a, b) => a.path.localeCompare(b.path))
  proof.durationMs = Date.now() - started
  return proof
}

/** The recorded list in a store's Logs folder, if the capture made one. */
export function listedFileIn(logsDir: string): string | undefined {
  const f = nodePath.join(logsDir, LISTED_FILE)
  return existsSync(f) ? f : undefined
}
