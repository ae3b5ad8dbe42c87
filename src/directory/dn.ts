/**
 * Distinguished names (RFC 4514) as far as the selection policy needs them: parse into RDNs, compare
 * case-insensitively (AD compares DNs without regard to case), test "is under this OU", take the parent.
 */
export interface Rdn {
  /** Attribute type, upper-cased (CN, OU, DC, …). Multi-valued RDNs keep their parts joined by '+'. */
  type: string
  value: string
}

function unescapeValue(raw: string): string {
  const bytes: number[] = []
  const out: string[] = []
  const flush = (): void => {
    if (bytes.length) out.push(Buffer.from(bytes).toString('utf8'))
    bytes.length = 0
  }
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]
    if (ch === '\\' && i + 1 < raw.length) {
      const hex = raw.slice(i + 1, i + 3)
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16))
        i += 2
        continue
      }
      flush()
      out.push(raw[i + 1])
      i += 1
      continue
    }
    flush()
    out.push(ch)
  }
  flush()
  return out.join('')
}

/** Split a DN into RDNs, honouring backslash escapes and quoted values. Throws on an empty RDN. */
export function parseDn(dn: string): Rdn[] {
  const text = dn.trim()
  if (text === '') return []
  const parts: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[i + 1]
      i += 1
    } else if (ch === '"') {
      quoted = !quoted
      cur += ch
    } else if ((ch === ',' || ch === ';') && !quoted) {
      parts.push(cur)
      cur = ''
    } else {
      cur += ch
    }
  }
  parts.push(cur)
  return parts.map((p) => {
    const eqAt = p.indexOf('=')
    if (eqAt <= 0) throw new Error(`invalid DN ${JSON.stringify(dn)}: "${p.trim()}" is not type=value`)
    // Leading spaces and unescaped trailing spaces are not part of the value (RFC 4514 §3)
    let value = p.slice(eqAt + 1).replace(/^\s+/, '')
    while (/\s$/.test(value) && (/(\\*)\s$/.exec(value)?.[1].length ?? 0) % 2 === 0) value = value.slice(0, -1)
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    return { type: p.slice(0, eqAt).trim().toUpperCase(), value: unescapeValue(value) }
  })
}

export function isDn(text: string): boolean {
  try {
    return parseDn(text).length > 0
  } catch {
    return false
  }
}

/** Canonical comparison key: types upper-case, values lower-case, no extra spaces. */
export function dnKey(dn: string | readonly Rdn[]): string {
  const rdns = typeof dn === 'string' ? parseDn(dn) : dn
  return rdns.map((r) => `${r.type}=${r.value.toLowerCase()}`).join(',')
}

export function sameDn(a: string, b: string): boolean {
  return dnKey(a) === dnKey(b)
}

/** True when `dn` is `ancestor` or below it. */
export function isUnderDn(dn: string, ancestor: string): boolean {
  const d = parseDn(dn)
  const a = parseDn(ancestor)
  if (a.length === 0 || a.length > d.length) return false
  return dnKey(d.slice(d.length - a.length)) === dnKey(a)
}

/** The DN of the container an entry lives in ('' for a one-RDN DN). */
export function parentDn(dn: string): string {
  const text = dn.trim()
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\\') i += 1
    else if (ch === '"') quoted = !quoted
    else if ((ch === ',' || ch === ';') && !quoted) return text.slice(i + 1).trim()
  }
  return ''
}

/** An OU given relative to the base ("OU=Sales,OU=Lab") becomes absolute; an absolute DN is kept. */
export function absoluteDn(dn: string, baseDn: string): string {
  if (!baseDn || isUnderDn(dn, baseDn)) return dn.trim()
  return `${dn.trim()},${baseDn}`
}

/** Escape one RDN value (RFC 4514 §2.4), for building DNs from names. */
export function escapeDnValue(value: string): string {
  let out = ''
  for (const c of value) out += c === '\u0000' ? '\\00' : '\\,+"<>;='.includes(c) ? `\\${c}` : c
  if (/^[ #]/.test(out)) out = `\\${out}`
  if (/ $/.test(out)) out = `${out.slice(0, -1)}\\ `
  return out
}
