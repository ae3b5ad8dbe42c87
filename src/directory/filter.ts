import { AndFilter, EqualityFilter, type Filter, FilterParser, OrFilter } from 'ldapts'

/**
 * LDAP filters. Values from outside (a profile's account name, a group name from a policy, a SID) are never
 * spliced into filter text: they become the value of an equality filter object that is BER-encoded as an
 * octet string, so `*)(objectClass=*` can only ever be compared as a literal name. (Building the text and
 * letting a parser read it back would also be wrong for binary values: ldapts' parser turns `\bd` into the
 * character U+00BD and sends it as two UTF-8 bytes, so an objectSid filter written as text never matches.)
 * `escapeValue` renders values for logs and for places that need RFC 4515 text.
 */

/** Escape an assertion value as RFC 4515 §3 text: `*` `(` `)` `\` NUL, control characters, and every byte of a binary value. */
export function escapeValue(value: string | Buffer): string {
  if (Buffer.isBuffer(value)) {
    let out = ''
    for (const byte of value) out += `\\${byte.toString(16).padStart(2, '0')}`
    return out
  }
  let out = ''
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '*' || ch === '(' || ch === ')' || ch === '\\' || code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return out
}

/** Attribute descriptions are never user input, but check them anyway (RFC 4512 descr or numeric OID, options). */
function checkAttribute(attr: string): string {
  if (!/^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*$/.test(attr)) throw new Error(`invalid attribute description ${JSON.stringify(attr)}`)
  return attr
}

/** `(attr=value)`: the value is literal (no wildcards, no syntax). */
export function eq(attr: string, value: string | Buffer): Filter {
  return new EqualityFilter({ attribute: checkAttribute(attr), value })
}

/** A fixed filter written in this source file (never with outside values). */
export function fixed(text: string): Filter {
  return FilterParser.parseString(text)
}

export function and(...parts: readonly Filter[]): Filter {
  return parts.length === 1 ? parts[0] : new AndFilter({ filters: [...parts] })
}

export function or(...parts: readonly Filter[]): Filter {
  if (parts.length === 0) throw new Error('an OR filter needs at least one part')
  return parts.length === 1 ? parts[0] : new OrFilter({ filters: [...parts] })
}

/** RFC 4515 text of a filter, for logs and messages. */
export function filterText(f: Filter): string {
  return f.toString()
}

/** Person accounts: AD users (objectCategory=person excludes computer accounts). */
export const USER_FILTER = '(&(objectCategory=person)(objectClass=user))'
