import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { writeFileAtomic } from '../runtime/atomic-file.js'
import { obfuscateEncode, registerEncodedSecrets } from './mdt-obfuscation.js'
import { VariableMap } from './rules.js'
import { SnapshotTsEnvironment } from './snapshot-env.js'
import { EMPTY_VARIABLES_DAT, parseVariablesDat, serializeVariablesDat, variablesOf } from './variables-dat.js'

/** Windows locations MDT uses for VARIABLES.DAT (full OS first, then the WinPE RAM drive). */
export { MDT_VARIABLES_DAT_LOCATIONS } from './mdt-locations.js'

export interface LockOptions {
  /** How long to wait for another holder (ms). MDT retries every 10 ms without limit; we give up and say so. */
  timeoutMs?: number
  retryMs?: number
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Hold `VARIABLES.DAT.LOCK` (created exclusively, as ZTIUtility does) around `fn`. The lock file is
 * removed afterwards even when `fn` throws.
 */
export function withVariablesLock<T>(datFile: string, fn: () => T, opts: LockOptions = {}): T {
  const lock = `${datFile}.LOCK`
  const deadline = Date.now() + (opts.timeoutMs ?? 5000)
  let fd: number | undefined
  for (;;) {
    try {
      fd = openSync(lock, 'wx')
      break
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw new UsmtStepsError('USM0018', `cannot create ${lock}: ${(err as Error).message}`, { cause: err })
      if (Date.now() >= deadline) {
        let age = ''
        try { age = ` (lock is ${Math.round((Date.now() - statSync(lock).mtimeMs) / 1000)} s old)` } catch { /* vanished */ }
        throw new UsmtStepsError('USM0016', `${lock} is held by another process${age}`, { data: { lock } })
      }
      sleepSync(opts.retryMs ?? 10)
    }
  }
  try {
    return fn()
  } finally {
    closeSync(fd)
    try { unlinkSync(lock) } catch { /* already gone */ }
  }
}

/** `mdt:FILE` — MDT's VARIABLES.DAT with ZTIUtility's lock semantics. */
function readVariablesDoc(file: string): ReturnType<typeof parseVariablesDat> {
  if (!existsSync(file)) return parseVariablesDat(Buffer.from(EMPTY_VARIABLES_DAT), file)
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (err) {
    throw new UsmtStepsError('USM0018', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseVariablesDat(buf, file)
}

export class MdtTsEnvironment extends SnapshotTsEnvironment {
  readonly kind = 'mdt' as const
  readonly description: string

  constructor(readonly file: string, private readonly lockOptions: LockOptions = {}) {
    super(new VariableMap(withVariablesLock(file, () => variablesOf(readVariablesDoc(file)), lockOptions)))
    this.description = `mdt:${file}`
    // Values are decoded by the parser; the stored (encoded) forms of secrets are masked as well.
    registerEncodedSecrets(Object.entries(this.vars.list()).map(([n, v]) => [n, obfuscateEncode(n, v)]))
  }

  async commit(): Promise<void> {
    const changes = this.vars.changes()
    if (changes.length === 0) return
    withVariablesLock(this.file, () => {
      const doc = readVariablesDoc(this.file) // re-read under the lock: keep what other steps wrote meanwhile
      const out = serializeVariablesDat(doc, changes)
      try {
        writeFileAtomic(this.file, out)
      } catch (err) {
        throw new UsmtStepsError('USM0018', `cannot write ${this.file}: ${(err as Error).message}`, { cause: err })
      }
    }, this.lockOptions)
    this.vars.markCommitted()
  }
}
