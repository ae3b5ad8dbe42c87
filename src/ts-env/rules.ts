import { UsmtStepsError } from '../runtime/errors.js'

/** Documented limits of task-sequence variables (configmgr-mdt.md §3.1). */
export const MAX_VALUE_LENGTH = 4000
export const MAX_NAME_LENGTH = 256

export function isReadOnlyName(name: string): boolean {
  return name.startsWith('_')
}

/** Validate a write; '' is a delete and is always allowed for writable names. */
export function validateWrite(name: string, value: string): void {
  if (isReadOnlyName(name)) {
    throw new UsmtStepsError('USM0012', `variable ${name} is read-only (names starting with "_" belong to the task-sequence engine)`, { data: { name } })
  }
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new UsmtStepsError('USM0014', `"${name}" is not a valid task-sequence variable name`, { data: { name } })
  }
  if (value.length > MAX_VALUE_LENGTH) {
    throw new UsmtStepsError('USM0013', `value for ${name} has ${value.length} characters; the limit is ${MAX_VALUE_LENGTH}`, {
      data: { name, length: value.length },
    })
  }
}

/**
 * A case-insensitive variable map that remembers the stored case of each name, its original order,
 * and which names changed since load.
 */
export class VariableMap {
  private readonly values = new Map<string, { name: string; value: string }>()
  private readonly changed = new Map<string, { name: string; value: string }>()

  constructor(initial: Record<string, string> | Array<[string, string]> = {}) {
    const entries = Array.isArray(initial) ? initial : Object.entries(initial)
    for (const [name, value] of entries) this.values.set(name.toLowerCase(), { name, value })
  }

  get(name: string): string | undefined {
    const v = this.values.get(name.toLowerCase())?.value
    return v === undefined || v === '' ? undefined : v
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase())
  }

  storedName(name: string): string | undefined {
    return this.values.get(name.toLowerCase())?.name
  }

  list(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const { name, value } of this.values.values()) out[name] = value
    return out
  }

  set(name: string, value: string): void {
    validateWrite(name, value)
    const key = name.toLowerCase()
    const stored = this.values.get(key)?.name ?? name
    if (value === '') this.values.delete(key)
    else this.values.set(key, { name: stored, value })
    this.changed.set(key, { name: stored, value })
  }

  pending(): string[] {
    return [...this.changed.values()].map((c) => c.name)
  }

  /** Changes since load: value '' means deleted. */
  changes(): Array<{ name: string; value: string }> {
    return [...this.changed.values()]
  }

  markCommitted(): void {
    this.changed.clear()
  }
}
