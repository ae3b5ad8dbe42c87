import type { ExitName } from '../exit-codes.js'

/** One catalogued error: the stable code (USMnnnn) maps to an exit class, a summary and "try this" actions. */
export interface ErrorSpec {
  exit: ExitName
  summary: string
  actions: readonly string[]
}

export type CodeTable = Readonly<Record<string, ErrorSpec>>

/** Identity helper that keeps literal keys and checks the shape. */
export function defineCodes<T extends Record<string, ErrorSpec>>(table: T): T {
  for (const code of Object.keys(table)) {
    if (!/^USM\d{4}$/.test(code)) throw new Error(`bad error code ${code}`)
  }
  return table
}
