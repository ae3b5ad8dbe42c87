/**
 * The one redaction layer. Every sink (CMTrace log, stderr, stdout, --json, error messages, the command
 * lines we log) passes its text through `redact()`. Secrets are registered from three sources:
 *  - task-sequence variables whose names look secret (`isSecretName`), registered when an environment loads;
 *  - values registered at run time (an encryption key read from a file, a password from a policy);
 *  - well-known command-line forms (`/key:…`, `/lac:…`, `password=…`) masked by pattern even when unknown.
 */
export const MASK = '********'

const SECRET_NAME = /password|passwd|secret|key/i
/** Names that contain "key" but hold no secret (MDT's keyboard settings). */
const NOT_SECRET = /^(keyboardlocale|keyboardlocalepe|keyboardlayout)$/i

export function isSecretName(name: string): boolean {
  if (/^_SMSTSReserved/i.test(name)) return true
  if (NOT_SECRET.test(name)) return false
  return SECRET_NAME.test(name)
}

// Values stop at whitespace, quotes, backslashes and separators, and a quoted value may be JSON-escaped
// (\"…\"), so masking never runs into the quotes of a JSON document it is applied to.
const VALUE = '(\\\\?"[^"]*?\\\\?"|[^\\s"\\\\;,&]+)'
const INLINE_PATTERNS: Array<[RegExp, string]> = [
  // USMT: /key:"…" /key:… (scanstate, loadstate, usmtutils) and /lac:password
  [new RegExp(`([/-](?:key|decryptkey|encryptkey|lac)\\s*:\\s*)${VALUE}`, 'gi'), `$1${MASK}`],
  // key=value forms in command lines and connection strings
  [new RegExp(`((?:password|passwd|pwd|secret)\\s*[=:]\\s*)${VALUE}`, 'gi'), `$1${MASK}`],
  // smbclient -U user%password
  [/(-U\s*[^\s"%]+%)([^\s"\\]+)/g, `$1${MASK}`],
]

/** Values that are never secret however their variable is named (e.g. USMTStepsLacPasswordOnCommandLine=true). */
const NOT_SECRET_VALUE = /^(true|false|yes|no|on|off|none|null|0|1)$/i
/** Below this length a secret is masked only as a whole token, so it cannot shred ordinary text or JSON. */
const SUBSTRING_MIN = 6

/** Cheap pre-check: text without any of these cannot match an inline pattern. */
const INLINE_HINT = /key|lac|pass|pwd|secret|-U/i

/**
 * INLINE_HINT on UTF-8 bytes, without decoding them: `key`, `lac`, `pass`, `pwd`, `secret` in any case, or `-U`/`-u`.
 * The hints are ASCII, UTF-8 keeps ASCII as is (a multi-byte character has no byte below 0x80), and in a regular
 * expression without the u flag no other character case-folds to an ASCII letter, so this answers as the
 * expression does on the text. (`| 0x20` lower-cases an ASCII letter and makes no other byte one.)
 */
export function hintInBytes(b: Buffer): boolean {
  const n = b.length
  const at = (i: number): number => (i < n ? b[i] | 0x20 : 0)
  for (let i = 0; i < n; i++) {
    const c = b[i]
    if (c === 0x2d) {
      if (at(i + 1) === 0x75) return true // -u
      continue
    }
    switch (c | 0x20) {
      case 0x6b: if (at(i + 1) === 0x65 && at(i + 2) === 0x79) return true; break // key
      case 0x6c: if (at(i + 1) === 0x61 && at(i + 2) === 0x63) return true; break // lac
      case 0x70: // pass, pwd
        if (at(i + 1) === 0x61 && at(i + 2) === 0x73 && at(i + 3) === 0x73) return true
        if (at(i + 1) === 0x77 && at(i + 2) === 0x64) return true
        break
      case 0x73: if (at(i + 1) === 0x65 && at(i + 2) === 0x63 && at(i + 3) === 0x72 && at(i + 4) === 0x65 && at(i + 5) === 0x74) return true; break // secret
    }
  }
  return false
}

export class Redactor {
  private readonly secrets = new Set<string>()
  /** Secrets longest first (so a secret containing another is masked whole), rebuilt on add. */
  private ordered: Array<{ value: string; token?: RegExp }> = []

  /** Register a secret value; empty and boolean-like values are ignored. Short values are masked as whole tokens only. */
  add(value: string | undefined | null): void {
    if (value === undefined || value === null) return
    const v = String(value)
    if (v.length === 0 || NOT_SECRET_VALUE.test(v.trim())) return
    this.secrets.add(v)
    // Also mask the forms a value takes when it is quoted or encoded on the way to a log.
    if (v.includes('\\')) this.secrets.add(v.replace(/\\/g, '\\\\'))
    this.secrets.add(Buffer.from(v, 'utf8').toString('base64'))
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length).map((value) => value.length >= SUBSTRING_MIN
      ? { value }
      : { value, token: new RegExp(`(?<![\\w])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'g') })
  }

  /** Register every secret-looking variable of an environment snapshot. */
  addFromVariables(vars: Record<string, string>): void {
    for (const [name, value] of Object.entries(vars)) if (isSecretName(name)) this.add(value)
  }

  get size(): number {
    return this.secrets.size
  }

  /** Forget every registered secret (tests that run several task-sequence steps in one process). */
  reset(): void {
    this.secrets.clear()
    this.ordered = []
  }

  redact(text: string): string {
    if (!text) return text
    let out = text
    for (const { value, token } of this.ordered) {
      if (token) out = out.replace(token, MASK)
      else if (out.includes(value)) out = out.split(value).join(MASK)
    }
    if (INLINE_HINT.test(out)) for (const [re, replacement] of INLINE_PATTERNS) out = out.replace(re, replacement)
    return out
  }

  /**
   * `redact` for UTF-8 text held as bytes (a streamed result's blocks): the same bytes when nothing in them can be
   * masked — no secret is registered and no inline pattern's hint occurs (checked on the bytes: the hints are
   * ASCII, which UTF-8 keeps as is and no other byte case-folds to) — else the bytes of the redacted text.
   */
  redactBytes(bytes: Buffer): Buffer {
    if (bytes.length === 0) return bytes
    if (this.ordered.length === 0 && !hintInBytes(bytes)) return bytes
    const text = bytes.toString('utf8')
    const out = this.redact(text)
    return out === text ? bytes : Buffer.from(out, 'utf8')
  }

  /** Redact every string inside a JSON-able value (used for --json output and log data). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T
    if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        // A property literally named "key"/"keys" is a map key or a setting name, not key material.
        const secretProperty = isSecretName(k) && !/^keys?$/i.test(k)
        out[k] = secretProperty && typeof v === 'string' && v !== '' ? MASK : this.redactDeep(v)
      }
      return out as T
    }
    return value
  }

  /** Redact a variables map for display: secret names are masked whatever their value. */
  maskVariables(vars: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(vars)) out[k] = isSecretName(k) && v !== '' ? MASK : this.redact(v)
    return out
  }
}

/** The process-wide redactor every sink uses. */
export const redactor = new Redactor()

let guarded = false

/** Route one stream's writes through the redactor. */
function guardStream(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (redactor.size > 0 || typeof chunk === 'string') {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk
      if (typeof text === 'string') return original(redactor.redact(text), ...rest)
    }
    return original(chunk, ...rest)
  }) as typeof stream.write
}

/**
 * Last line of defence: route process.stdout/stderr writes through the redactor, so output from any
 * library (oclif's help, a stack trace) cannot leak a registered secret.
 *
 * Node makes each stream on first use (`process.stdout` is a getter), and making one costs a step's start-up
 * several milliseconds where it is a pipe (the net and stream modules: bench/startup). So a stream that was not made
 * yet is guarded when it is: the getter is wrapped and guards the stream it returns the first time. Whoever gets the
 * stream (a command, console.log, a library) gets it guarded.
 */
export function installStreamGuards(): void {
  if (guarded) return
  guarded = true
  for (const name of ['stdout', 'stderr'] as const) {
    const desc = Object.getOwnPropertyDescriptor(process, name)
    const get = desc?.get
    if (desc?.configurable !== true || get === undefined) {
      guardStream(process[name])
      continue
    }
    let stream: NodeJS.WriteStream | null = null
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: desc.enumerable,
      get() {
        if (stream === null) {
          stream = get.call(process) as NodeJS.WriteStream
          guardStream(stream)
        }
        return stream
      },
    })
  }
}
