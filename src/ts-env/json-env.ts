import { existsSync, readFileSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { writeFileAtomic } from '../runtime/atomic-file.js'
import { VariableMap } from './rules.js'
import { SnapshotTsEnvironment } from './snapshot-env.js'

/**
 * `json:FILE` — a JSON object of name → string. A missing file is an error (USM0021: a mistyped name must not
 * read as "no variables"), unless the command creates it (`env set`): then it is an empty environment, created on
 * commit, and `created` says so. A malformed file is an error and is never overwritten. Writes are atomic.
 */
export class JsonTsEnvironment extends SnapshotTsEnvironment {
  readonly kind = 'json' as const
  readonly description: string

  /** The file did not exist when the environment was opened (it is written on commit). */
  readonly created: boolean

  constructor(readonly file: string, opts: { create?: boolean } = {}) {
    const missing = !existsSync(file)
    if (missing && !opts.create) {
      throw new UsmtStepsError('USM0021', `the variables file ${file} does not exist`, { data: { file } })
    }
    super(new VariableMap(JsonTsEnvironment.read(file)))
    this.created = missing
    this.description = `json:${file}`
  }

  static read(file: string): Record<string, string> {
    if (!existsSync(file)) return {}
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsmtStepsError('USM0018', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ''))
    } catch (err) {
      throw new UsmtStepsError('USM0015', `${file} is not valid JSON: ${(err as Error).message}`, { cause: err, data: { file } })
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsmtStepsError('USM0015', `${file} must hold a JSON object of variable names to string values`, { data: { file } })
    }
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== 'string') {
        throw new UsmtStepsError('USM0015', `${file}: variable ${k} must be a string, found ${v === null ? 'null' : typeof v}`, { data: { file, name: k } })
      }
      out[k] = v
    }
    return out
  }

  async commit(): Promise<void> {
    if (this.vars.pending().length === 0) return
    // Re-read so that concurrent writers' other variables survive; then apply our changes.
    const current = new VariableMap(JsonTsEnvironment.read(this.file))
    for (const { name, value } of this.vars.changes()) {
      // Bypass validation: already validated in set().
      current.set(name, value)
    }
    try {
      writeFileAtomic(this.file, `${JSON.stringify(current.list(), null, 2)}\n`)
    } catch (err) {
      throw new UsmtStepsError('USM0018', `cannot write ${this.file}: ${(err as Error).message}`, { cause: err })
    }
    this.vars.markCommitted()
  }
}
