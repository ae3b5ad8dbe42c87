/**
 * RFC 4515 LDAP filter building. Every value that comes from outside (a profile's account name, a group
 * name from a policy, a SID) goes through `escapeValue`, so it can only ever be an assertion value and never
 * filter syntax: `*)(objectClass=*` becomes `\2a\29\28objectClass=\2a`, which matches nothing.
 */

/** Escape an assertion value (RFC 4515 §3): `*` `(` `)` `\` NUL and, for binary values, every byte. */
export function escapeValue(value: string | Buffer): string {
  if (Buffer.isBuffer(value)) {
    let out = ''
    for (const byte of value) out += `\\${byte.toString(16).padStart(2, '0')}`
    return out
  }
  let out = ''
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '*' || ch === '(' || ch === ')' || ch === '\\' || code === 0) {
      out += `\\${code.toString(16).padStart(2, '0')}`
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\${code.toString(16).padStart(2, '0')}`
    } else {
      out += ch
    }
  }
  return out
}

/** Attribute descriptions are never user input, but check them anyway (RFC 4512 descr / numericoid, options, rules). */
function checkAttribute(attr: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*(:[0-9.]+:)?$|^[0-9]+(\.[0-9]+)+$/.test(attr)) throw new Error(`invalid attribute description ${JSON.stringify(attr)}`)
  return attr
}

/** `(attr=value)` with the value escaped. */
export function eq(attr: string, value: string | Buffer): string {
  return `(${checkAttribute(attr)}=${escapeValue(value)})`
}

export function and(...parts: readonly string[]): string {
  return parts.length === 1 ? parts[0] : `(&${parts.join('')})`
}

export function or(...parts: readonly string[]): string {
  if (parts.length === 0) throw new Error('an OR filter needs at least one part')
  return parts.length === 1 ? parts[0] : `(|${parts.join('')})`
}

/** LDAP_MATCHING_RULE_IN_CHAIN (transitive membership) and the bitwise-AND rule. */
export const IN_CHAIN = '1.2.840.113556.1.4.1941'
export const BIT_AND = '1.2.840.113556.1.4.803'

/** Person accounts: AD users (objectCategory=person excludes computers and inetOrgPerson-less contacts). */
export const USER_FILTER = '(&(objectCategory=person)(objectClass=user))'
