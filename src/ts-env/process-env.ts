import { UsmtStepsError } from '../runtime/errors.js'
import { VariableMap } from './rules.js'
import type { TsEnvironment } from './types.js'

/** `env` — the process environment, read-only (a child cannot change its task sequence's variables). */
export class ProcessTsEnvironment implements TsEnvironment {
  readonly kind = 'env' as const
  readonly writable = false
  readonly description = 'env'
  private readonly vars: VariableMap

  constructor(env: Record<string, string | undefined> = process.env) {
    const entries: Array<[string, string]> = []
    for (const [k, v] of Object.entries(env)) if (v !== undefined) entries.push([k, v])
    this.vars = new VariableMap(entries)
  }

  get(name: string): string | undefined {
    return this.vars.get(name)
  }

  list(): Record<string, string> {
    return this.vars.list()
  }

  set(name: string, _value?: string): void {
    throw new UsmtStepsError('USM0017', `cannot set ${name}: the process environment is read-only`)
  }

  pending(): string[] {
    return []
  }

  async commit(): Promise<void> {
    /* nothing to write */
  }
}
