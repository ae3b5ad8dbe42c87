import { VariableMap } from './rules.js'
import type { TsEnvironment, TsEnvKind } from './types.js'

/**
 * What every provider shares: a snapshot of the variables read once, case-insensitive reads, validated and
 * buffered writes. A provider supplies how it loads (the constructor's map) and how it commits.
 */
export abstract class SnapshotTsEnvironment implements TsEnvironment {
  abstract readonly kind: TsEnvKind
  abstract readonly description: string
  readonly writable: boolean = true

  protected constructor(protected readonly vars: VariableMap) {}

  get(name: string): string | undefined {
    return this.vars.get(name)
  }

  list(): Record<string, string> {
    return this.vars.list()
  }

  set(name: string, value: string): void {
    this.vars.set(name, value)
  }

  pending(): string[] {
    return this.vars.pending()
  }

  abstract commit(): Promise<void>
}
