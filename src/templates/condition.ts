/**
 * Task-sequence step conditions: the model shared by the step definitions (task-steps/*.json), the
 * sequence XML (`<condition>` with `expression`/`operator` elements), the ConfigMgr cmdlets and the
 * portable executor. Semantics follow ConfigMgr: several top-level conditions must all hold; `and` =
 * "all", `or` = "any", `not` = "none of"; variable comparisons are case-insensitive and a variable that
 * is not set compares as the empty string.
 */
import { compileWildcard } from '../engine/pattern.js'

export const VARIABLE_OPERATORS = ['exists', 'notExists', 'equals', 'notEquals', 'less', 'lessEqual', 'greater', 'greaterEqual', 'like', 'notLike'] as const
export type VariableOperator = typeof VARIABLE_OPERATORS[number]

export interface VariableCondition {
  variable: string
  operator: VariableOperator
  value?: string
}
export interface AndCondition { and: Condition[] }
export interface OrCondition { or: Condition[] }
export interface NotCondition { not: Condition[] }
/** Any other expression type (WMI, file, folder, registry, software): kept verbatim, not evaluable off Windows. */
export interface OtherCondition {
  expression: string
  variables: Array<{ name: string; value: string }>
}
export type Condition = VariableCondition | AndCondition | OrCondition | NotCondition | OtherCondition

export const VARIABLE_EXPRESSION = 'SMS_TaskSequence_VariableConditionExpression'

export function isVariableCondition(c: Condition): c is VariableCondition {
  return 'variable' in c
}

/** Normalise an operator name as written in XML (MDT writes `Equals`) to the documented lower-camel form. */
export function normalizeOperator(op: string): VariableOperator | undefined {
  return VARIABLE_OPERATORS.find((o) => o.toLowerCase() === op.trim().toLowerCase())
}

/** Combine conditions with AND, dropping empty parts and flattening nested ANDs. */
export function allOf(...parts: Array<Condition | undefined>): Condition | undefined {
  const flat: Condition[] = []
  for (const p of parts) {
    if (!p) continue
    if ('and' in p) flat.push(...p.and)
    else flat.push(p)
  }
  if (flat.length === 0) return undefined
  return flat.length === 1 ? flat[0] : { and: flat }
}

export class ConditionError extends Error {}

/** `*`/`%` any run, `?`/`_` one character, case-insensitive; linear (never a backtracking regex). */
function wildcard(pattern: string): { test(value: string): boolean } {
  const m = compileWildcard(pattern.replace(/%/g, '*').replace(/_/g, '?'), { question: true, caseInsensitive: true })
  return { test: m }
}

function compare(a: string, b: string): number {
  const na = Number(a)
  const nb = Number(b)
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  return la < lb ? -1 : la > lb ? 1 : 0
}

/** Evaluate a condition against a case-insensitive variable lookup (undefined = not set). */
export function evaluateCondition(c: Condition, lookup: (name: string) => string | undefined): boolean {
  if ('and' in c) return c.and.every((x) => evaluateCondition(x, lookup))
  if ('or' in c) return c.or.some((x) => evaluateCondition(x, lookup))
  if ('not' in c) return !c.not.some((x) => evaluateCondition(x, lookup))
  if ('expression' in c) {
    throw new ConditionError(`${c.expression} cannot be evaluated here (only task-sequence variable conditions can)`)
  }
  const raw = lookup(c.variable)
  const actual = raw ?? ''
  const expected = c.value ?? ''
  switch (c.operator) {
    case 'exists': return raw !== undefined && raw !== ''
    case 'notExists': return raw === undefined || raw === ''
    case 'equals': return compare(actual, expected) === 0
    case 'notEquals': return compare(actual, expected) !== 0
    case 'less': return compare(actual, expected) < 0
    case 'lessEqual': return compare(actual, expected) <= 0
    case 'greater': return compare(actual, expected) > 0
    case 'greaterEqual': return compare(actual, expected) >= 0
    case 'like': return wildcard(expected).test(actual)
    case 'notLike': return !wildcard(expected).test(actual)
  }
}

/** Human text, e.g. `USMTStepsStoreType notEquals none and _SMSTSInWinPE equals false`. */
export function describeCondition(c: Condition): string {
  if ('and' in c) return c.and.map((x) => wrap(x)).join(' and ')
  if ('or' in c) return c.or.map((x) => wrap(x)).join(' or ')
  if ('not' in c) return `not (${c.not.map(describeCondition).join(' or ')})`
  if ('expression' in c) return `${c.expression}(${c.variables.map((v) => `${v.name}=${v.value}`).join(', ')})`
  return c.operator === 'exists' || c.operator === 'notExists' ? `${c.variable} ${c.operator}` : `${c.variable} ${c.operator} ${c.value ?? ''}`
}

function wrap(c: Condition): string {
  return 'and' in c || 'or' in c ? `(${describeCondition(c)})` : describeCondition(c)
}

/** Every variable a condition reads (for validation and docs). */
export function conditionVariables(c: Condition | undefined): string[] {
  if (!c) return []
  if ('and' in c) return c.and.flatMap(conditionVariables)
  if ('or' in c) return c.or.flatMap(conditionVariables)
  if ('not' in c) return c.not.flatMap(conditionVariables)
  if ('expression' in c) return []
  return [c.variable]
}

/** Check the shape of a condition read from JSON; returns problems (empty when valid). */
export function checkCondition(value: unknown, where: string): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${where}: a condition must be an object`]
  const o = value as Record<string, unknown>
  const keys = Object.keys(o)
  for (const op of ['and', 'or', 'not'] as const) {
    if (op in o) {
      if (keys.length !== 1) return [`${where}: "${op}" must be the only key`]
      const list = o[op]
      if (!Array.isArray(list) || list.length === 0) return [`${where}.${op}: expected a non-empty array`]
      return list.flatMap((x, i) => checkCondition(x, `${where}.${op}[${i}]`))
    }
  }
  const problems: string[] = []
  const extra = keys.filter((k) => !['variable', 'operator', 'value'].includes(k))
  if (extra.length) problems.push(`${where}: unknown keys ${extra.join(', ')}`)
  if (typeof o.variable !== 'string' || !/^[A-Za-z_][\w-]*$/.test(o.variable)) problems.push(`${where}.variable: expected a variable name`)
  const op = typeof o.operator === 'string' ? normalizeOperator(o.operator) : undefined
  if (!op || op !== o.operator) problems.push(`${where}.operator: expected one of ${VARIABLE_OPERATORS.join(', ')}`)
  if (op && op !== 'exists' && op !== 'notExists' && typeof o.value !== 'string') problems.push(`${where}.value: expected a string`)
  return problems
}
