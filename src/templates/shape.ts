import type { Condition } from './condition.js'
import { attr, walkSteps, type TsNode, type TsSequence } from './sequence.js'

/**
 * The structure of a task sequence — which attributes, default variables (with property names and the
 * hidden flag) and action programs each step type carries, which attributes groups carry, and which
 * condition elements appear — so generated XML can be checked against real console exports.
 */
export interface StepShape {
  count: number
  attrs: Set<string>
  /** Attributes present on every step of this type. */
  requiredAttrs: Set<string>
  vars: Map<string, { property: string; hidden: boolean }>
  /** Variables present on every step of this type. */
  requiredVars: Set<string>
  programs: Set<string>
}

export interface SequenceShape {
  sequenceAttrs: Set<string>
  groupAttrs: Set<string>
  steps: Map<string, StepShape>
  /** Attributes present on every step, whatever its type. */
  stepAttrsEverywhere: Set<string>
  expressionTypes: Set<string>
  expressionVariables: Set<string>
  operatorTypes: Set<string>
}

function program(action: string): string {
  return action.trim().split(/\s+/)[0].toLowerCase()
}

function conditionParts(c: Condition | undefined, shape: SequenceShape, top = true): void {
  if (!c) return
  if ('and' in c || 'or' in c || 'not' in c) {
    const [type, parts] = 'and' in c ? ['and', c.and] : 'or' in c ? ['or', c.or] : ['not', c.not]
    // A top-level AND is the console's implicit "all of" (sibling expressions), not an operator element.
    if (!(top && type === 'and')) shape.operatorTypes.add(type)
    for (const p of parts) conditionParts(p, shape, false)
    return
  }
  if ('expression' in c) {
    shape.expressionTypes.add(c.expression)
    for (const v of c.variables) shape.expressionVariables.add(v.name)
    return
  }
  shape.expressionTypes.add('SMS_TaskSequence_VariableConditionExpression')
  shape.expressionVariables.add('Variable').add('Operator')
  if (c.value !== undefined) shape.expressionVariables.add('Value')
}

function groups(nodes: readonly TsNode[], shape: SequenceShape): void {
  for (const n of nodes) {
    if (n.kind !== 'group') continue
    for (const [k] of n.attrs) shape.groupAttrs.add(k)
    conditionParts(n.condition, shape)
    groups(n.children, shape)
  }
}

export function collectShape(seq: TsSequence): SequenceShape {
  const shape: SequenceShape = {
    sequenceAttrs: new Set(seq.attrs.map(([k]) => k)), groupAttrs: new Set(), steps: new Map(), stepAttrsEverywhere: new Set(),
    expressionTypes: new Set(), expressionVariables: new Set(), operatorTypes: new Set(),
  }
  groups(seq.children, shape)
  let first = true
  for (const { step } of walkSteps(seq.children)) {
    const type = attr(step, 'type') ?? '(none)'
    const names = new Set(step.attrs.map(([k]) => k))
    if (first) for (const k of names) shape.stepAttrsEverywhere.add(k)
    else for (const k of [...shape.stepAttrsEverywhere]) if (!names.has(k)) shape.stepAttrsEverywhere.delete(k)
    first = false
    let s = shape.steps.get(type)
    const varNames = new Set((step.variables ?? []).map((v) => v.name))
    if (!s) {
      s = { count: 0, attrs: new Set(), requiredAttrs: new Set(names), vars: new Map(), requiredVars: new Set(varNames), programs: new Set() }
      shape.steps.set(type, s)
    }
    s.count++
    for (const k of names) s.attrs.add(k)
    for (const k of [...s.requiredAttrs]) if (!names.has(k)) s.requiredAttrs.delete(k)
    for (const k of [...s.requiredVars]) if (!varNames.has(k)) s.requiredVars.delete(k)
    for (const v of step.variables ?? []) if (!s.vars.has(v.name)) s.vars.set(v.name, { property: v.property, hidden: v.hidden ?? false })
    s.programs.add(program(step.action))
    conditionParts(step.condition, shape)
  }
  return shape
}

export interface CompareOptions {
  /** Group attributes accepted beyond those seen in the reference (e.g. continueOnError, from other exports). */
  extraGroupAttrs?: string[]
  /** A second reference whose condition grammar is used (exports without conditions). */
  conditionReference?: SequenceShape
  /** Compare action programs (off for MDT, whose Run Command Line steps run any program directly). */
  checkPrograms?: boolean
  /** Step types accepted although the reference does not show them (checked elsewhere). */
  allowStepTypes?: string[]
  /** Hidden variables that may be absent (PackageID: only with a package). */
  optionalVars?: string[]
}

/** Problems where `ours` uses structure that the reference (a real export) never shows, or lacks what it always has. */
export function compareShape(ours: SequenceShape, ref: SequenceShape, opts: CompareOptions = {}): string[] {
  const p: string[] = []
  for (const k of ours.sequenceAttrs) if (!ref.sequenceAttrs.has(k)) p.push(`<sequence> attribute ${k} does not appear in the reference`)
  const groupOk = new Set([...ref.groupAttrs, ...(opts.extraGroupAttrs ?? [])])
  for (const k of ours.groupAttrs) if (!groupOk.has(k)) p.push(`<group> attribute ${k} does not appear in the reference`)
  for (const [type, s] of ours.steps) {
    const r = ref.steps.get(type)
    if (!r) {
      if (!(opts.allowStepTypes ?? []).includes(type)) p.push(`step type ${type} does not appear in the reference`)
      continue
    }
    const allStepAttrs = new Set([...ref.steps.values()].flatMap((x) => [...x.attrs]))
    for (const k of s.attrs) if (!r.attrs.has(k) && !allStepAttrs.has(k)) p.push(`${type}: attribute ${k} does not appear on any reference step`)
    // Required: what every step of the reference carries (one sample of a type says little about optional attributes).
    for (const k of ref.stepAttrsEverywhere) if (!s.requiredAttrs.has(k)) p.push(`${type}: attribute ${k} is on every reference step but missing on some of ours`)
    for (const [name, v] of s.vars) {
      const rv = r.vars.get(name)
      if (!rv) p.push(`${type}: default variable ${name} does not appear in the reference`)
      else {
        if (rv.property !== v.property) p.push(`${type}: variable ${name} maps to property ${v.property}, the reference says ${rv.property}`)
        if (rv.hidden !== v.hidden) p.push(`${type}: variable ${name} hidden=${v.hidden}, the reference says ${rv.hidden}`)
      }
    }
    const optional = opts.optionalVars ?? ['PackageID']
    for (const name of r.requiredVars) if (r.vars.get(name)?.hidden && !optional.includes(name) && !s.requiredVars.has(name)) p.push(`${type}: default variable ${name} is on every reference step but missing on some of ours`)
    if (opts.checkPrograms !== false) for (const prog of s.programs) if (!r.programs.has(prog)) p.push(`${type}: action program ${prog} differs from the reference (${[...r.programs].join(', ')})`)
  }
  const c = opts.conditionReference ?? ref
  for (const t of ours.expressionTypes) if (!c.expressionTypes.has(t)) p.push(`condition expression type ${t} does not appear in the reference`)
  for (const v of ours.expressionVariables) if (!c.expressionVariables.has(v)) p.push(`condition variable ${v} does not appear in the reference`)
  for (const o of ours.operatorTypes) if (!c.operatorTypes.has(o)) p.push(`condition operator ${o} does not appear in the reference`)
  return p
}
