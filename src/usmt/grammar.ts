/**
 * USMT's command-line grammar, both ways (usmt.md §1): options are case-insensitive, start with `/` or `-`,
 * and take their value after a colon (`/l:x.log`) or, for options whose value is required, as the next
 * argument (`/l x.log`). Options whose value is optional (`/p`, `/encrypt`, `/decrypt`, `/lac`, `/auto`,
 * `/verify`) only take the colon form. Syntax errors end with return code 11 and the documented text.
 *
 * A token such as `/tmp/store` is not an option (an option name has no `/`), so POSIX store paths work
 * on Linux; a one-segment path such as `/store` reads as an (unknown) option: write `./store` or a
 * longer path instead.
 */
import { UsmtStepsError } from '../runtime/errors.js'
import { UsmtFailure, type UsmtMessageKey } from './return-codes.js'
import {
  emptyLoadState, emptyScanState, type LoadStateOptions, type ScanStateOptions, type UsmtUtilsOptions, type VerifyReport,
} from './options.js'

export interface UsmtToken {
  index: number
  raw: string
  /** Lower-cased option name, or undefined for a positional argument. */
  name?: string
  value?: string
  hasColon: boolean
}

const OPTION = /^[/-]([A-Za-z][A-Za-z0-9_]*|\?)(?::([\s\S]*))?$/

export function tokenize(argv: readonly string[]): UsmtToken[] {
  return argv.map((raw, index) => {
    const m = OPTION.exec(raw)
    if (!m) return { index, raw, hasColon: false }
    return { index, raw, name: m[1].toLowerCase(), value: m[2], hasColon: m[2] !== undefined }
  })
}

type ValueKind = 'none' | 'required' | 'optional'

interface OptSpec<T> {
  value: ValueKind
  multiple?: boolean
  /** Message when the value is empty or missing (default: An option argument is missing). */
  missing?: UsmtMessageKey
  apply: (o: T, value: string | undefined, token: UsmtToken) => void
}

function integer(v: string | undefined, key: UsmtMessageKey, token: UsmtToken): number {
  if (v === undefined || !/^\d+$/.test(v.trim())) throw UsmtFailure.of(key, { argIndex: token.index })
  return Number(v.trim())
}

function verbosity(v: string | undefined, token: UsmtToken): number {
  return integer(v, 'verbosity', token)
}

function mapping(raw: string, key: UsmtMessageKey, token: UsmtToken): { from: string; to: string; raw: string } {
  const i = raw.indexOf(':')
  if (i <= 0 || i === raw.length - 1) throw UsmtFailure.of(key, { argIndex: token.index })
  return { from: raw.slice(0, i), to: raw.slice(i + 1), raw }
}

const common = <T extends ScanStateOptions | LoadStateOptions>(): Record<string, OptSpec<T>> => ({
  i: { value: 'required', multiple: true, apply: (o, v) => { o.include.push(v as string) } },
  config: { value: 'required', apply: (o, v) => { o.config = v } },
  v: { value: 'required', apply: (o, v, t) => { o.verbosity = verbosity(v, t) } },
  l: { value: 'required', apply: (o, v) => { o.log = v } },
  progress: { value: 'required', apply: (o, v) => { o.progress = v } },
  r: { value: 'required', missing: 'retryInteger', apply: (o, v, t) => { o.retry = integer(v, 'retryInteger', t) } },
  w: { value: 'required', missing: 'waitInteger', apply: (o, v, t) => { o.wait = integer(v, 'waitInteger', t) } },
  c: { value: 'none', apply: (o) => { o.continueOnError = true } },
  hardlink: { value: 'none', apply: (o) => { o.hardlink = true } },
  nocompress: { value: 'none', apply: (o) => { o.noCompress = true } },
  key: { value: 'required', apply: (o, v) => { o.key = v } },
  keyfile: { value: 'required', apply: (o, v) => { o.keyFile = v } },
  all: { value: 'none', apply: (o) => { o.all = true } },
  ui: { value: 'required', multiple: true, apply: (o, v) => { o.ui.push(v as string) } },
  ue: { value: 'required', multiple: true, missing: 'userExclusion', apply: (o, v) => { o.ue.push(v as string) } },
  uel: { value: 'required', missing: 'userExclusion', apply: (o, v) => { o.uel = v } },
  auto: { value: 'optional', apply: (o, v) => { o.auto = v === undefined ? true : v } },
  '?': { value: 'none', apply: (o) => { o.help = true } },
  help: { value: 'none', apply: (o) => { o.help = true } },
})

const SCANSTATE_SPECS: Record<string, OptSpec<ScanStateOptions>> = {
  ...common<ScanStateOptions>(),
  o: { value: 'none', apply: (o) => { o.overwrite = true } },
  encrypt: { value: 'optional', apply: (o, v) => { o.encrypt = v === undefined ? {} : { algorithm: v } } },
  listfiles: { value: 'required', missing: 'listfilesPath', apply: (o, v) => { o.listFiles = v } },
  p: { value: 'optional', missing: 'estimatePath', apply: (o, v) => { o.estimate = v === undefined ? {} : { path: v } } },
  localonly: { value: 'none', apply: (o) => { o.localOnly = true } },
  efs: { value: 'required', missing: 'efsParam', apply: (o, v) => { o.efs = v } },
  genconfig: { value: 'required', missing: 'genconfigFile', apply: (o, v) => { o.genConfig = v } },
  genmigxml: { value: 'required', missing: 'genmigxmlFile', apply: (o, v) => { o.genMigXml = v } },
  vsc: { value: 'none', apply: (o) => { o.vsc = true } },
  offline: { value: 'required', missing: 'offlinePath', apply: (o, v) => { o.offline = v } },
  offlinewindir: { value: 'required', missing: 'offlineWinDirPath', apply: (o, v) => { o.offlineWinDir = v } },
  offlinewinold: { value: 'required', missing: 'offlineWinOldPath', apply: (o, v) => { o.offlineWinOld = v } },
  apps: { value: 'none', apply: (o) => { o.apps = true } },
  ppkg: { value: 'optional', apply: (o, v) => { o.ppkg = v === undefined ? true : v } },
  targetwindows7: { value: 'none', apply: (o) => { o.targetWindows7 = true } },
  targetwindows8: { value: 'none', apply: (o) => { o.targetWindows8 = true } },
}

const LOADSTATE_SPECS: Record<string, OptSpec<LoadStateOptions>> = {
  ...common<LoadStateOptions>(),
  decrypt: { value: 'optional', apply: (o, v) => { o.decrypt = v === undefined ? {} : { algorithm: v } } },
  md: { value: 'required', multiple: true, missing: 'mdMapping', apply: (o, v, t) => { o.md.push(mapping(v as string, 'mdMapping', t)) } },
  mu: { value: 'required', multiple: true, missing: 'muMapping', apply: (o, v, t) => { o.mu.push(mapping(v as string, 'muMapping', t)) } },
  lac: { value: 'optional', apply: (o, v) => { o.lac = v === undefined || v === '' ? {} : { password: v } } },
  lae: { value: 'none', apply: (o) => { o.lae = true } },
  // Gather-only switches: recognised so that LoadState can answer with return code 36 as USMT does.
  offline: { value: 'required', apply: (o, _v, t) => { o.offlineSwitch ??= `/${t.name}` } },
  offlinewindir: { value: 'required', apply: (o, _v, t) => { o.offlineSwitch ??= `/${t.name}` } },
  offlinewinold: { value: 'required', apply: (o, _v, t) => { o.offlineSwitch ??= `/${t.name}` } },
}

function parseWith<T extends { storePath?: string }>(argv: readonly string[], specs: Record<string, OptSpec<T>>, target: T): T {
  if (argv.length === 0) throw UsmtFailure.of('argsRequired')
  const tokens = tokenize(argv)
  const seen = new Set<string>()
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]
    if (t.name === undefined) {
      if (target.storePath !== undefined) throw UsmtFailure.of('storeInvalid', { argIndex: t.index })
      if (t.raw.trim() === '') throw UsmtFailure.of('storeInvalid', { argIndex: t.index })
      target.storePath = t.raw
      continue
    }
    const spec = specs[t.name]
    if (!spec) throw UsmtFailure.of('optionNotValid', { argIndex: t.index })
    if (!spec.multiple && seen.has(t.name)) throw UsmtFailure.of('ambiguous', { argIndex: t.index })
    seen.add(t.name)
    let value = t.value
    if (spec.value === 'none' && t.hasColon) throw UsmtFailure.of('optionNotValid', { argIndex: t.index })
    if (spec.value === 'required' && !t.hasColon) {
      const next = tokens[k + 1]
      if (next && next.name === undefined) {
        value = next.raw
        k++
      }
    }
    if (spec.value !== 'none' && value !== undefined && value.trim() === '' && !(t.name === 'lac')) {
      throw UsmtFailure.of(spec.missing ?? 'argumentMissing', { argIndex: t.index })
    }
    if (spec.value === 'required' && value === undefined) throw UsmtFailure.of(spec.missing ?? 'argumentMissing', { argIndex: t.index })
    spec.apply(target, value, t)
  }
  return target
}

/** Read a ScanState command line (without the program name). Throws UsmtFailure (return code 11) on syntax errors. */
export function parseScanStateArgs(argv: readonly string[]): ScanStateOptions {
  return parseWith(argv, SCANSTATE_SPECS, emptyScanState())
}

/** Read a LoadState command line (without the program name). Throws UsmtFailure (return code 11) on syntax errors. */
export function parseLoadStateArgs(argv: readonly string[]): LoadStateOptions {
  return parseWith(argv, LOADSTATE_SPECS, emptyLoadState())
}

const REPORTS: readonly VerifyReport[] = ['summary', 'all', 'failureonly', 'catalog']

/** Split a UsmtUtils /i: or /e: pattern list ("comma or semicolon"). */
function patterns(v: string): string[] {
  return v.split(/[;,]/).map((s) => s.trim()).filter((s) => s.length > 0)
}

/** Read a UsmtUtils command line: /ec | /rd DIR [/y] | /verify[:TYPE] FILE … | /extract FILE DEST …. */
export function parseUsmtUtilsArgs(argv: readonly string[]): UsmtUtilsOptions {
  if (argv.length === 0) throw UsmtFailure.of('argsRequired')
  const tokens = tokenize(argv)
  let command: 'ec' | 'rd' | 'verify' | 'extract' | 'help' | undefined
  let report: VerifyReport = 'summary'
  const positional: UsmtToken[] = []
  const seen = new Set<string>()
  const o: {
    log?: string; verbosity?: number; decrypt?: { algorithm?: string }; key?: string; keyFile?: string
    include: string[]; exclude: string[]; overwrite: boolean; yes: boolean
  } = { include: [], exclude: [], overwrite: false, yes: false }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]
    if (t.name === undefined) {
      positional.push(t)
      continue
    }
    const takeValue = (): string => {
      let v = t.value
      if (!t.hasColon) {
        const next = tokens[k + 1]
        if (next && next.name === undefined) {
          v = next.raw
          k++
        }
      }
      if (v === undefined || v.trim() === '') throw UsmtFailure.of('argumentMissing', { argIndex: t.index })
      return v
    }
    const once = (): void => {
      if (seen.has(t.name as string)) throw UsmtFailure.of('ambiguous', { argIndex: t.index })
      seen.add(t.name as string)
    }
    const setCommand = (c: NonNullable<typeof command>): void => {
      if (command !== undefined) throw UsmtFailure.of('commandAlreadySpecified', { argIndex: t.index })
      command = c
    }
    switch (t.name) {
      case '?': case 'help': setCommand('help'); break
      case 'ec': if (t.hasColon) throw UsmtFailure.of('optionNotValid', { argIndex: t.index }); setCommand('ec'); break
      case 'rd': if (t.hasColon) throw UsmtFailure.of('optionNotValid', { argIndex: t.index }); setCommand('rd'); break
      case 'verify': {
        setCommand('verify')
        if (t.hasColon) {
          const r = (t.value ?? '').toLowerCase() as VerifyReport
          if (!REPORTS.includes(r)) throw UsmtFailure.of('optionNotValid', { argIndex: t.index })
          report = r
        }
        break
      }
      case 'extract': if (t.hasColon) throw UsmtFailure.of('optionNotValid', { argIndex: t.index }); setCommand('extract'); break
      case 'y': once(); o.yes = true; break
      case 'o': once(); o.overwrite = true; break
      case 'l': once(); o.log = takeValue(); break
      case 'v': once(); o.verbosity = verbosity(takeValue(), t); break
      case 'decrypt': once(); o.decrypt = t.hasColon ? { algorithm: t.value } : {}; break
      case 'key': once(); o.key = takeValue(); break
      case 'keyfile': once(); o.keyFile = takeValue(); break
      case 'i': o.include.push(...patterns(takeValue())); break
      case 'e': o.exclude.push(...patterns(takeValue())); break
      default: throw UsmtFailure.of('optionNotValid', { argIndex: t.index })
    }
  }
  if (command === undefined) throw UsmtFailure.of('undefinedOption', { argIndex: tokens[0].index })
  const need = (n: number): void => {
    if (positional.length < n) throw UsmtFailure.of('argumentMissing')
    if (positional.length > n) throw UsmtFailure.of('optionNotValid', { argIndex: positional[n].index })
  }
  switch (command) {
    case 'help': return { command }
    case 'ec': need(0); return { command }
    case 'rd': need(1); return { command, storeDir: positional[0].raw, yes: o.yes }
    case 'verify':
      need(1)
      return { command, file: positional[0].raw, report, log: o.log, verbosity: o.verbosity, decrypt: o.decrypt, key: o.key, keyFile: o.keyFile }
    case 'extract':
      need(2)
      return {
        command, file: positional[0].raw, destination: positional[1].raw, include: o.include, exclude: o.exclude, log: o.log,
        verbosity: o.verbosity, decrypt: o.decrypt, key: o.key, keyFile: o.keyFile, overwrite: o.overwrite,
      }
  }
}

export interface BuildOptions {
  /**
   * Allow `/key:` on the command line. Off by default: a key in a child's argv is visible to every
   * process on the machine, so pass a key file (`keyFile`) instead.
   */
  allowInlineKey?: boolean
}

function refuseInlineKey(key: string | undefined, opts: BuildOptions): void {
  if (key !== undefined && !opts.allowInlineKey) {
    throw new UsmtStepsError('USM0200', 'an inline /key would put the encryption key in the USMT command line', {
      actions: ['Write the key to a protected key file and set keyFile (/keyfile:) instead of key.'],
    })
  }
}

function buildCommon(o: ScanStateOptions | LoadStateOptions, out: string[]): void {
  if (o.config !== undefined) out.push(`/config:${o.config}`)
  if (o.auto !== undefined) out.push(o.auto === true ? '/auto' : `/auto:${o.auto}`)
  if (o.all) out.push('/all')
  for (const u of o.ue) out.push(`/ue:${u}`)
  for (const u of o.ui) out.push(`/ui:${u}`)
  if (o.uel !== undefined) out.push(`/uel:${o.uel}`)
}

function buildTail(o: ScanStateOptions | LoadStateOptions, out: string[]): void {
  if (o.log !== undefined) out.push(`/l:${o.log}`)
  if (o.progress !== undefined) out.push(`/progress:${o.progress}`)
  if (o.verbosity !== undefined) out.push(`/v:${o.verbosity}`)
  if (o.continueOnError) out.push('/c')
  if (o.retry !== undefined) out.push(`/r:${o.retry}`)
  if (o.wait !== undefined) out.push(`/w:${o.wait}`)
  if (o.help) out.push('/?')
}

/** Write a ScanState argv (without the program name) for Microsoft's scanstate.exe or the portable tool. */
export function buildScanStateArgs(o: ScanStateOptions, opts: BuildOptions = {}): string[] {
  refuseInlineKey(o.key, opts)
  const out: string[] = []
  if (o.storePath !== undefined) out.push(o.storePath)
  for (const f of o.include) out.push(`/i:${f}`)
  if (o.genConfig !== undefined) out.push(`/genconfig:${o.genConfig}`)
  if (o.genMigXml !== undefined) out.push(`/genmigxml:${o.genMigXml}`)
  buildCommon(o, out)
  if (o.overwrite) out.push('/o')
  if (o.hardlink) out.push('/hardlink')
  if (o.noCompress) out.push('/nocompress')
  if (o.encrypt) out.push(o.encrypt.algorithm === undefined ? '/encrypt' : `/encrypt:${o.encrypt.algorithm}`)
  if (o.key !== undefined) out.push(`/key:${o.key}`)
  if (o.keyFile !== undefined) out.push(`/keyfile:${o.keyFile}`)
  if (o.vsc) out.push('/vsc')
  if (o.localOnly) out.push('/localonly')
  if (o.efs !== undefined) out.push(`/efs:${o.efs}`)
  if (o.offline !== undefined) out.push(`/offline:${o.offline}`)
  if (o.offlineWinDir !== undefined) out.push(`/offlineWinDir:${o.offlineWinDir}`)
  if (o.offlineWinOld !== undefined) out.push(`/offlineWinOld:${o.offlineWinOld}`)
  if (o.apps) out.push('/apps')
  if (o.ppkg !== undefined) out.push(o.ppkg === true ? '/ppkg' : `/ppkg:${o.ppkg}`)
  if (o.targetWindows7) out.push('/targetwindows7')
  if (o.targetWindows8) out.push('/targetwindows8')
  if (o.listFiles !== undefined) out.push(`/listfiles:${o.listFiles}`)
  if (o.estimate) out.push(o.estimate.path === undefined ? '/p' : `/p:${o.estimate.path}`)
  buildTail(o, out)
  return out
}

/** Write a LoadState argv (without the program name). */
export function buildLoadStateArgs(o: LoadStateOptions, opts: BuildOptions = {}): string[] {
  refuseInlineKey(o.key, opts)
  const out: string[] = []
  if (o.storePath !== undefined) out.push(o.storePath)
  for (const f of o.include) out.push(`/i:${f}`)
  buildCommon(o, out)
  if (o.hardlink) out.push('/hardlink')
  if (o.noCompress) out.push('/nocompress')
  if (o.decrypt) out.push(o.decrypt.algorithm === undefined ? '/decrypt' : `/decrypt:${o.decrypt.algorithm}`)
  if (o.key !== undefined) out.push(`/key:${o.key}`)
  if (o.keyFile !== undefined) out.push(`/keyfile:${o.keyFile}`)
  for (const x of o.md) out.push(`/md:${x.from}:${x.to}`)
  for (const x of o.mu) out.push(`/mu:${x.from}:${x.to}`)
  if (o.lac) out.push(o.lac.password === undefined ? '/lac' : `/lac:${o.lac.password}`)
  if (o.lae) out.push('/lae')
  if (o.offlineSwitch !== undefined) throw new UsmtStepsError('USM0201', `${o.offlineSwitch} is a ScanState option; LoadState refuses it (return code 36)`)
  buildTail(o, out)
  return out
}

/** Write a UsmtUtils argv (without the program name). */
export function buildUsmtUtilsArgs(o: UsmtUtilsOptions, opts: BuildOptions = {}): string[] {
  switch (o.command) {
    case 'help': return ['/?']
    case 'ec': return ['/ec']
    case 'rd': return ['/rd', o.storeDir, ...(o.yes ? ['/y'] : [])]
    case 'verify':
    case 'extract': {
      refuseInlineKey(o.key, opts)
      const out = o.command === 'verify'
        ? [o.report === 'summary' ? '/verify' : `/verify:${o.report}`, o.file]
        : ['/extract', o.file, o.destination]
      if (o.command === 'extract') {
        if (o.include.length) out.push(`/i:${o.include.join(';')}`)
        if (o.exclude.length) out.push(`/e:${o.exclude.join(';')}`)
      }
      if (o.log !== undefined) out.push(`/l:${o.log}`)
      if (o.verbosity !== undefined) out.push(`/v:${o.verbosity}`)
      if (o.decrypt) out.push(o.decrypt.algorithm === undefined ? '/decrypt' : `/decrypt:${o.decrypt.algorithm}`)
      if (o.key !== undefined) out.push(`/key:${o.key}`)
      if (o.keyFile !== undefined) out.push(`/keyfile:${o.keyFile}`)
      if (o.command === 'extract' && o.overwrite) out.push('/o')
      return out
    }
  }
}
