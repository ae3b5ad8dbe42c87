import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { UsmtStepsError, type ErrorCode } from './errors.js'

/**
 * The one policy file of usmt-steps (`--policy FILE`, YAML or JSON) has a section per step family:
 *
 *   users:            # read by `usmt-steps users` (selection policy)
 *     skipDisabled: true
 *   stores:           # read by `plan` and the `store` commands (store policy)
 *     preferredStore: share
 *
 * Each step reads only its own section and validates it strictly (unknown keys are errors that name the
 * section); the other section is ignored by that step. A flat file of the old shape (keys at the top) is an
 * error that says which keys go under which section.
 */
export type PolicySection = 'users' | 'stores'
export const POLICY_SECTIONS: readonly PolicySection[] = ['users', 'stores']

/** The keys each section accepts (the section's parser checks values; these lists drive the hints). */
export const POLICY_SECTION_KEYS: Readonly<Record<PolicySection, readonly string[]>> = {
  users: ['includeGroups', 'excludeGroups', 'includeOus', 'excludeOus', 'skipDisabled', 'skipDeleted', 'inactiveDays', 'keepLocal', 'orphans', 'orphanPolicy', 'orphanMap'],
  stores: ['preferredStore', 'allowedStores', 'fallbackToNetwork', 'shares', 'encryptNetworkStores', 'hardLink', 'unresolvableProfiles', 'retention', 'access'],
}

/** Which step reads which section (messages). */
export const SECTION_READERS: Readonly<Record<PolicySection, string>> = {
  users: 'usmt-steps users',
  stores: 'usmt-steps plan and the store commands',
}

/** The error code each section's reader reports (the area that owns the section). */
const SECTION_CODE: Readonly<Record<PolicySection, ErrorCode>> = { users: 'USM0510', stores: 'USM0400' }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function sectionOfKey(key: string): PolicySection | undefined {
  return POLICY_SECTIONS.find((s) => POLICY_SECTION_KEYS[s].some((k) => k.toLowerCase() === key.toLowerCase()))
}

/** Parse policy text: JSON when it starts with `{`, YAML otherwise. */
export function parsePolicyText(text: string, file: string, section: PolicySection): unknown {
  const t = text.replace(/^\uFEFF/, '')
  try {
    return /^\s*\{/.test(t) ? JSON.parse(t) : parseYaml(t, { prettyErrors: true })
  } catch (err) {
    throw new UsmtStepsError(SECTION_CODE[section], `${file}: cannot parse: ${(err as Error).message.split('\n')[0]}`, { data: { file } })
  }
}

/**
 * The `section` of a parsed policy document: undefined when the section is absent (the step uses its
 * defaults), or the section's object for the step's own strict parser.
 */
export function policySection(doc: unknown, file: string, section: PolicySection): Record<string, unknown> | undefined {
  const code = SECTION_CODE[section]
  if (doc === null || doc === undefined) return undefined
  if (!isRecord(doc)) throw new UsmtStepsError(code, `${file}: the policy must be a mapping with the sections ${POLICY_SECTIONS.map((s) => `"${s}:"`).join(' and ')}`, { data: { file } })
  const top = Object.keys(doc)
  const unknown = top.filter((k) => !(POLICY_SECTIONS as readonly string[]).includes(k))
  if (unknown.length > 0) {
    const moves = POLICY_SECTIONS.map((s) => [s, unknown.filter((k) => sectionOfKey(k) === s)] as const).filter(([, keys]) => keys.length > 0)
    const strangers = unknown.filter((k) => sectionOfKey(k) === undefined)
    if (moves.length > 0) {
      const how = moves.map(([s, keys]) => `put ${keys.join(', ')} under "${s}:"`).join('; ')
      throw new UsmtStepsError(code, `${file} is a flat policy file (keys at the top level); a policy file has one section per step: ${how}${strangers.length ? `; "${strangers.join('", "')}" is not a policy key` : ''}`, {
        data: { file, flatKeys: unknown },
        extraActions: [`Convert the file: ${how} (users: is read by ${SECTION_READERS.users}; stores: by ${SECTION_READERS.stores}). See the README section "Policy file".`],
      })
    }
    throw new UsmtStepsError(code, `${file}: unknown section "${strangers.join('", "')}" (a policy file has the sections ${POLICY_SECTIONS.map((s) => `"${s}:"`).join(' and ')})`, { data: { file } })
  }
  const value = doc[section]
  if (value === null || value === undefined) return undefined
  if (!isRecord(value)) throw new UsmtStepsError(code, `${file}: the "${section}:" section must be a mapping of keys (allowed: ${POLICY_SECTION_KEYS[section].join(', ')})`, { data: { file } })
  return value
}

/** Read `file` and return its `section` (see policySection). */
export function readPolicySection(file: string, section: PolicySection): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsmtStepsError(SECTION_CODE[section], `cannot read the policy file ${file}: ${(err as Error).message}`, { cause: err, data: { file } })
  }
  return policySection(parsePolicyText(text, file, section), file, section)
}
