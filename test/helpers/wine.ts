import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/**
 * Wine 8 (Debian's `wine` + `wine64`, installed by scripts/ci/install-deps.sh) as the Windows runtime of the test
 * lane in test/integration/wine. One private prefix per test run, created on first use and shared by the lane's
 * suites: WINEPREFIX in a temp folder, WINEDEBUG=-all, Windows 10 reported to programs (Node refuses Wine's default
 * Windows 7), Wine's do-nothing powershell.exe removed (PowerShell is absent, as in WinPE without WinPE-PowerShell),
 * wineserver kept up for the run (`-p`) and killed at the end (`-k`). Programs under Wine cannot write to a Unix
 * pipe (node.exe dies with EBADF), so every run writes stdout and stderr to files that are read afterwards.
 *
 * When Wine is missing or cannot start a program the lane FAILS (it never skips): CI installs Wine, so a missing
 * Wine is a broken machine, not an optional feature.
 */
export interface WineRun {
  exitCode: number
  stdout: string
  stderr: string
}

export interface WinePrefix {
  /** Temp folder holding the prefix and the run outputs. */
  base: string
  prefix: string
  env: Record<string, string>
  /** Map a drive letter (`M`) to a Unix folder through the prefix's dosdevices; returns `M:`. */
  mapDrive(letter: string, unixDir: string): string
  /** Windows path of a Unix path through Wine's Z: drive (`/tmp/a b` → `Z:\tmp\a b`). */
  z(unixPath: string): string
  /** Unix path of C:\… in the prefix. */
  cDrive(...parts: string[]): string
  /** `wine PROGRAM ARGS…` with output to files. */
  wine(args: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<WineRun>
  /**
   * `wine cmd /c LINE`, LINE being a Windows command line written as an admin types it (quoted by cmd's rules).
   * It travels in an environment variable that cmd expands before parsing, so it reaches cmd exactly, non-ASCII
   * included, without Wine re-quoting the Unix argument.
   */
  cmd(line: string, opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<WineRun>
  dispose(): void
}

/** Quote one argument for cmd.exe + the MSVCRT argv parser Node uses (spaces, quotes, cmd metacharacters). */
export function cmdQuote(arg: string): string {
  if (arg !== '' && !/[\s"&|<>^()%!,;=]/.test(arg)) return arg
  if (arg.includes('"')) throw new Error(`cmdQuote: ${arg} contains a double quote`)
  if (arg.includes('%')) throw new Error(`cmdQuote: ${arg} contains % (cmd would expand it)`)
  return `"${arg.replace(/(\\+)$/, '$1$1')}"`
}

export function wineAvailable(): string | null {
  for (const bin of ['wine', 'wineserver', 'wineboot']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' })
    if (r.status !== 0) return `${bin} is not on the PATH`
  }
  return null
}

function baseEnv(prefix: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'DISPLAY' && k !== 'WAYLAND_DISPLAY') env[k] = v
  return { ...env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', LANG: 'C.UTF-8', USMT_STEPS_QUIET: '1' }
}

let counter = 0

function runTo(base: string, file: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<WineRun> {
  const n = ++counter
  const outFile = path.join(base, 'runs', `${n}.out`)
  const errFile = path.join(base, 'runs', `${n}.err`)
  mkdirSync(path.dirname(outFile), { recursive: true })
  const out = openSync(outFile, 'w')
  const err = openSync(errFile, 'w')
  return new Promise<WineRun>((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', out, err] })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => { clearTimeout(timer); closeSync(out); closeSync(err); reject(e) })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      closeSync(out)
      closeSync(err)
      const stdout = readFileSync(outFile, 'utf8')
      const stderr = readFileSync(errFile, 'utf8')
      // Name the command line the run carried (usmt() passes it in USMT_STEPS_WINE_LINE), so a hang says what hung.
      const line = env.USMT_STEPS_WINE_LINE ? ` [${env.USMT_STEPS_WINE_LINE}]` : ''
      if (signal) reject(new Error(`${file} ${args.join(' ')}${line} ended by ${signal} (timeout ${timeoutMs} ms?)\n${stdout}\n${stderr}`))
      else resolve({ exitCode: code ?? -1, stdout, stderr })
    })
  })
}

let shared: Promise<WinePrefix> | undefined
let sharedPrefix: WinePrefix | undefined

/** The run's Wine prefix (created on first call). Throws, with what to do, when Wine cannot run programs. */
export function wine(): Promise<WinePrefix> {
  shared ??= createPrefix().then((p) => {
    sharedPrefix = p
    process.once('exit', () => p.dispose())
    return p
  })
  return shared
}

/** Kill wineserver and remove the prefix (mocha's global teardown; also on process exit). */
export function disposeWine(): void {
  sharedPrefix?.dispose()
}

async function createPrefix(): Promise<WinePrefix> {
  const missing = wineAvailable()
  if (missing) throw new Error(`the Wine lane needs Wine (${missing}): run bash scripts/ci/install-deps.sh (apt-get install --no-install-recommends wine wine64)`)
  const base = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-wine-'))
  const prefix = path.join(base, 'prefix')
  const env = baseEnv(prefix)
  let disposed = false
  const p: WinePrefix = {
    base,
    prefix,
    env,
    mapDrive(letter, unixDir) {
      const l = letter.replace(/:$/, '').toLowerCase()
      const link = path.join(prefix, 'dosdevices', `${l}:`)
      if (existsSync(link) || isLink(link)) unlinkSync(link)
      symlinkSync(unixDir, link)
      return `${l.toUpperCase()}:`
    },
    z: (unixPath) => `Z:${path.resolve(unixPath).split('/').join('\\')}`,
    cDrive: (...parts) => path.join(prefix, 'drive_c', ...parts),
    wine: (args, opts = {}) => runTo(base, 'wine', args, merge(env, opts.env), opts.timeoutMs ?? 300000),
    cmd: (line, opts = {}) => runTo(base, 'wine', ['cmd', '/c', '%USMT_STEPS_WINE_LINE%'], merge(env, { ...opts.env, USMT_STEPS_WINE_LINE: line }), opts.timeoutMs ?? 300000),
    dispose() {
      if (disposed) return
      disposed = true
      spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 30000 })
      rmSync(base, { recursive: true, force: true })
    },
  }
  try {
    const boot = await runTo(base, 'wineboot', ['-i'], env, 180000)
    if (boot.exitCode !== 0) throw new Error(`wineboot -i failed (${boot.exitCode}): ${boot.stderr.slice(0, 500)}`)
    spawnSync('wineserver', ['-p'], { env, stdio: 'ignore' })
    const reg = await p.wine(['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/t', 'REG_SZ', '/d', 'win10', '/f'])
    if (reg.exitCode !== 0) throw new Error(`setting the Windows version to win10 failed (${reg.exitCode}): ${reg.stderr}`)
    // Wine's powershell.exe answers nothing and exits 0; the product would take it for PowerShell. Absent, as in
    // WinPE without WinPE-PowerShell, the bridge uses cscript.
    rmSync(p.cDrive('windows', 'system32', 'WindowsPowerShell', 'v1.0', 'powershell.exe'), { force: true })
    rmSync(p.cDrive('windows', 'syswow64', 'WindowsPowerShell', 'v1.0', 'powershell.exe'), { force: true })
  } catch (err) {
    p.dispose()
    throw new Error(`Wine could not start a prefix: ${(err as Error).message}`, { cause: err })
  }
  return p
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink()
  } catch {
    return false
  }
}

function merge(env: Record<string, string>, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const out = { ...env }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k]
    else out[k] = v
  }
  return out
}
