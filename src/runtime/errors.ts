import { DEPLOY_CODES } from './codes/deploy.js'
import { DIRECTORY_CODES } from './codes/directory.js'
import { ENGINE_CODES } from './codes/engine.js'
import { FOUNDATION_CODES } from './codes/foundation.js'
import { PORTABLE_CODES } from './codes/portable.js'
import { REPORT_CODES } from './codes/report.js'
import { STEPS_CODES } from './codes/steps.js'
import { STORES_CODES } from './codes/stores.js'
import type { CodeTable, ErrorSpec } from './codes/types.js'
import { exitCodeOf, type ExitName } from './exit-codes.js'

function merge(...tables: CodeTable[]): Readonly<Record<string, ErrorSpec>> {
  const all: Record<string, ErrorSpec> = {}
  for (const table of tables) {
    for (const [code, spec] of Object.entries(table)) {
      if (all[code]) throw new Error(`duplicate error code ${code}`)
      all[code] = spec
    }
  }
  return all
}

/** Every catalogued error code, by code. Codes are stable: never renumber, never reuse. */
export const ERROR_CATALOG = merge(
  FOUNDATION_CODES, ENGINE_CODES, PORTABLE_CODES, STEPS_CODES, STORES_CODES, DIRECTORY_CODES, DEPLOY_CODES, REPORT_CODES,
)

export type ErrorCode = keyof typeof FOUNDATION_CODES | keyof typeof ENGINE_CODES | keyof typeof PORTABLE_CODES
  | keyof typeof STEPS_CODES | keyof typeof STORES_CODES | keyof typeof DIRECTORY_CODES | keyof typeof DEPLOY_CODES
  | keyof typeof REPORT_CODES

export interface ErrorOptions {
  /** Replace the catalogue's actions (or add to them with `extraActions`). */
  actions?: readonly string[]
  extraActions?: readonly string[]
  /** Machine-readable context, printed in --json and the log. Never put secrets here. */
  data?: Record<string, unknown>
  cause?: unknown
  /** Override the exit class of the catalogue entry (rare: e.g. the same code used before and after a store exists). */
  exit?: ExitName
  /**
   * Task-sequence variables the failed step still sets (e.g. USMT's return code), written with the result
   * variables by the command base. Build them with `stepVariables` (src/runtime/variables.ts).
   */
  variables?: Record<string, string>
}

/**
 * The one error type of usmt-steps. `code` is stable (USMnnnn) and searchable; `exitCode` comes from the
 * exit-code table through the catalogue; `actions` tell the admin what to do next.
 */
export class UsmtStepsError extends Error {
  readonly code: ErrorCode
  readonly exitName: ExitName
  readonly exitCode: number
  readonly actions: readonly string[]
  readonly data: Record<string, unknown>
  readonly variables: Record<string, string>

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const spec = ERROR_CATALOG[code]
    if (!spec) throw new Error(`uncatalogued error code ${code}`)
    this.name = 'UsmtStepsError'
    this.code = code
    this.exitName = options.exit ?? spec.exit
    this.exitCode = exitCodeOf(this.exitName)
    this.actions = [...(options.actions ?? spec.actions), ...(options.extraActions ?? [])]
    this.data = options.data ?? {}
    this.variables = options.variables ?? {}
  }

  /** `Error (USM0012): message` — the one-line form used on stderr and in the log. */
  get headline(): string {
    return `Error (${this.code}): ${this.message}`
  }

  toJSON(): { code: string; name: string; message: string; exitCode: number; actions: readonly string[]; data: Record<string, unknown> } {
    return { code: this.code, name: this.exitName, message: this.message, exitCode: this.exitCode, actions: this.actions, data: this.data }
  }
}

/** Wrap anything thrown into a UsmtStepsError (unknown errors become USM0001, an internal failure). */
export function toUsmtStepsError(err: unknown): UsmtStepsError {
  if (err instanceof UsmtStepsError) return err
  const e = err as { message?: string; oclif?: { exit?: number }; code?: string } | undefined
  // oclif's own parse errors (unknown flag, missing arg) are usage errors.
  if (e && typeof e === 'object' && e.oclif && (e.oclif.exit === 2 || /flag|argument|Unexpected/i.test(e.message ?? ''))) {
    return new UsmtStepsError('USM0002', String(e.message ?? err), { cause: err })
  }
  const message = e && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(err)
  return new UsmtStepsError('USM0001', message, { cause: err })
}

/** Assertion helper for exhaustive switches. */
export function assertNever(value: never, what: string): never {
  throw new UsmtStepsError('USM0001', `unexpected ${what}: ${String(value)}`)
}
