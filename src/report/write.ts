/**
 * Where a report goes: `_SMSTSLogPath` (beside the logs it links), the store, and optionally a central share
 * folder. Outside the log folder a report is a folder named by computer and time (`PC1_20250301T140211Z`)
 * holding report.html, summary.json and the logs it links, published with one rename so that a reader (and
 * `report index`) never sees half a report, and many machines can write into the same folder at once.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { redactor } from '../runtime/redact.js'
import { writeFileAtomic } from '../runtime/atomic-file.js'
import type { GatheredLog } from './gather.js'

export const LOGDIR_HTML = 'usmt-steps-report.html'
export const LOGDIR_JSON = 'usmt-steps-summary.json'
export const FOLDER_HTML = 'report.html'
export const FOLDER_JSON = 'summary.json'
/** Sub-folder of the store that holds reports. */
export const STORE_REPORTS = 'usmt-steps-reports'

/** The HTML file that belongs to a summary JSON file. */
export function htmlFor(jsonFile: string): string {
  const dir = nodePath.dirname(jsonFile)
  const base = nodePath.basename(jsonFile)
  return nodePath.join(dir, base === LOGDIR_JSON ? LOGDIR_HTML : base === FOLDER_JSON ? FOLDER_HTML : base.replace(/\.json$/i, '.html'))
}

/** `PC1_20250301T140211Z`: file-name safe on Windows and Samba, sorts by time within a computer. */
export function reportFolderName(computer: string, at: Date): string {
  const safe = computer.trim().replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 63) || 'UNKNOWN'
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
  return `${safe}_${stamp}`
}

export interface ReportFiles {
  html: string
  json: string
}

/** Write the report into the log folder (the logs it links are already there). */
export function writeToLogDir(dir: string, html: string, json: string): ReportFiles {
  const files = { html: nodePath.join(dir, LOGDIR_HTML), json: nodePath.join(dir, LOGDIR_JSON) }
  writeFileAtomic(files.json, json)
  writeFileAtomic(files.html, html)
  return files
}

/**
 * Publish a report folder under `parent`: write everything into a hidden temporary folder, then rename it
 * to its final name (a name taken by another report of the same second gets `-2`, `-3`, …).
 */
export function publishReportFolder(parent: string, name: string, html: string, json: string, logs: readonly GatheredLog[], extraFiles: readonly string[] = []): ReportFiles {
  mkdirSync(parent, { recursive: true })
  const tmp = nodePath.join(parent, `.${name}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(tmp)
  try {
    const copied = new Set<string>()
    const copy = (src: string, leaf: string): void => {
      const key = leaf.toLowerCase()
      if (copied.has(key) || [FOLDER_HTML, FOLDER_JSON].includes(key)) return
      copied.add(key)
      copyFileSync(src, nodePath.join(tmp, leaf))
    }
    for (const l of logs) {
      if (!l.localPath) continue
      // Logs leave the machine here: USMT writes its command line (with any /key:) into them, so copies are redacted.
      if (l.text !== undefined) {
        const key = l.name.toLowerCase()
        if (copied.has(key) || [FOLDER_HTML, FOLDER_JSON].includes(key)) continue
        copied.add(key)
        writeFileSync(nodePath.join(tmp, l.name), redactor.redact(l.text))
      } else copy(l.localPath, l.name)
    }
    for (const f of extraFiles) if (existsSync(f) && statSync(f).isFile()) copy(f, nodePath.basename(f))
    writeFileSync(nodePath.join(tmp, FOLDER_JSON), json)
    writeFileSync(nodePath.join(tmp, FOLDER_HTML), html)
    for (let i = 1; ; i++) {
      const final = nodePath.join(parent, i === 1 ? name : `${name}-${i}`)
      if (existsSync(final)) continue
      try {
        renameSync(tmp, final)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if ((code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EPERM') && existsSync(final) && i < 1000) continue
        throw e
      }
      return { html: nodePath.join(final, FOLDER_HTML), json: nodePath.join(final, FOLDER_JSON) }
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true })
    throw e
  }
}
