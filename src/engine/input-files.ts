/** Files the rule engine reads besides migration XML: the Windows attributes of paths on a Linux volume. */
import { UsmtStepsError } from '../runtime/errors.js'
import { readTextFile } from './loader.js'

export function readAttributesFile(path: string): Map<string, string> {
  let data: unknown
  try {
    data = JSON.parse(readTextFile(path, 'attributes file', 64 * 1024 * 1024))
  } catch (err) {
    if (err instanceof UsmtStepsError) throw err
    throw new UsmtStepsError('USM0114', `${path} is not valid JSON: ${(err as Error).message}`, { data: { path } })
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UsmtStepsError('USM0114', `${path} must hold a JSON object of path → letters`, { data: { path } })
  const map = new Map<string, string>()
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v !== 'string' || !/^[RHSAahrs]*$/.test(v)) throw new UsmtStepsError('USM0114', `${path}: attributes of ${k} must be letters R, H, S or A`, { data: { path, key: k } })
    map.set(k.replace(/\//g, '\\').toLowerCase(), v.toUpperCase())
  }
  return map
}
