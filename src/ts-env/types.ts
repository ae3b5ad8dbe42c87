/**
 * A task-sequence environment: the variables of a running ConfigMgr task sequence (COM), an MDT
 * VARIABLES.DAT, a JSON file, or the process environment. Providers load a snapshot once; reads are
 * synchronous and case-insensitive; writes are validated at once and buffered until `commit()`, so a
 * step never half-writes its variables.
 */
export type TsEnvKind = 'configmgr' | 'mdt' | 'json' | 'env'

export interface TsEnvironment {
  readonly kind: TsEnvKind
  /** Human description, e.g. `json:/tmp/env.json` or `mdt:C:\MININT\SMSOSD\OSDLOGS\VARIABLES.DAT`. */
  readonly description: string
  readonly writable: boolean
  /** Value of a variable (case-insensitive), or undefined when unset or empty. */
  get(name: string): string | undefined
  /** All variables (names in their stored case). */
  list(): Record<string, string>
  /** Validate and buffer a write; '' deletes. Throws USM0012/13/14/17. */
  set(name: string, value: string): void
  /** Names written since load and not yet committed. */
  pending(): string[]
  /** Persist buffered writes (atomically where the medium allows). */
  commit(): Promise<void>
}
