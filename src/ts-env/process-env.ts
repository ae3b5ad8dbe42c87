import { UsmtStepsError } from '../runtime/errors.js'
import { VariableMap } from './rules.js'
import { SnapshotTsEnvironment } from './snapshot-env.js'

/** `env` — the process environment, read-only (a child cannot change its task sequence's variables). */
export class ProcessTsEnvironment extends SnapshotTsEnvironment {
  readonly kind = 'env' as const
  override readonly writable = false
  readonly description = 'env'

  constructor(env: Record<string, string | undefined> = process.env) {
    super(new VariableMap(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)))
  }

  override set(name: string, _value?: string): void {
    throw new UsmtStepsError('USM0017', `cannot set ${name}: the process environment is read-only`)
  }

  override pending(): string[] {
    return []
  }

  async commit(): Promise<void> {
    /* nothing to write */
  }
}
