import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { BRIDGE_ENV_VAR, JSCRIPT_BRIDGE_SCRIPT, POWERSHELL_BRIDGE_SCRIPT } from './bridge-scripts.js'

/**
 * Reaches Windows COM objects (Microsoft.SMS.TSEnvironment, Microsoft.SMS.TSProgressUI) from Node by running
 * a fixed script in powershell.exe (-EncodedCommand) or, where PowerShell is absent (WinPE without
 * WinPE-PowerShell), in cscript.exe with a JScript helper (wshArgv says how the engine is named). Values never
 * enter script text (see bridge-scripts.ts). node-powershell was evaluated and not used for this: its template interpolation is
 * unescaped (test/unit/windows/node-powershell-unfit.test.ts proves it).
 */
export type BridgeOp = 'ping' | 'read' | 'write' | 'progress' | 'closeprogress'

export interface BridgeHost {
  kind: 'powershell' | 'wsh'
  executable: string
}

export class BridgeError extends Error {
  constructor(message: string, readonly hresult: string) {
    super(message)
  }
}

export function hexEncode(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(4, '0')
  return out
}

export function hexDecode(h: string): string {
  if (h.length % 4 !== 0 || /[^0-9a-f]/i.test(h)) throw new Error('malformed bridge field')
  let out = ''
  for (let i = 0; i < h.length; i += 4) out += String.fromCharCode(parseInt(h.slice(i, i + 4), 16))
  return out
}

export function encodeRequest(op: BridgeOp, fields: readonly string[] = []): string {
  return ['v1', op, ...fields.map(hexEncode)].join(';')
}

export function decodeResponse(stdout: string): string[] {
  const line = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^(OK|ERR)(;|$)/.test(l)).pop()
  if (!line) throw new BridgeError(`no answer from the COM bridge (output: ${stdout.slice(0, 200)})`, '')
  const parts = line.split(';')
  if (parts[0] === 'ERR') throw new BridgeError(hexDecode(parts[2] ?? ''), hexDecode(parts[1] ?? ''))
  return parts.slice(1).map(hexDecode)
}

/** Environment variables that the whole product reads to override host discovery (tests, odd images). */
export interface BridgeEnvironment {
  platform: NodeJS.Platform
  env: Record<string, string | undefined>
}

const systemRoot = (env: Record<string, string | undefined>): string => env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? 'C:\\Windows'

/** Which host will run bridge scripts here, or null where none can (not Windows, no override). */
export function findBridgeHost(be: BridgeEnvironment = { platform: process.platform, env: process.env }): BridgeHost | null {
  const { env } = be
  if (env.USMT_STEPS_POWERSHELL) return { kind: 'powershell', executable: env.USMT_STEPS_POWERSHELL }
  if (env.USMT_STEPS_CSCRIPT) return { kind: 'wsh', executable: env.USMT_STEPS_CSCRIPT }
  if (be.platform !== 'win32') return null
  const ps = nodePath.win32.join(systemRoot(env), 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe')
  if (existsSync(ps)) return { kind: 'powershell', executable: ps }
  const cs = nodePath.win32.join(systemRoot(env), 'System32', 'cscript.exe')
  if (existsSync(cs)) return { kind: 'wsh', executable: cs }
  return null
}

function jscriptFile(): string {
  // node:crypto is loaded here, not at start-up: only the WSH host (WinPE without PowerShell) needs it.
  const { createHash } = process.getBuiltinModule('node:crypto')
  const hash = createHash('sha256').update(JSCRIPT_BRIDGE_SCRIPT).digest('hex').slice(0, 12)
  const file = nodePath.join(os.tmpdir(), `usmt-steps-bridge-${hash}.js`)
  if (!existsSync(file) || readFileSync(file, 'utf8') !== JSCRIPT_BRIDGE_SCRIPT) writeFileSync(file, JSCRIPT_BRIDGE_SCRIPT, { mode: 0o600 })
  return file
}

/**
 * cscript is told the engine with //E:JScript, so a changed .js file association (an image that opens .js in
 * Notepad, or maps it to another engine) cannot turn our helper into something else. Windows Script Hosts that
 * do not implement //E (Wine 8's cscript refuses the switch and exits 1 before running anything) are answered
 * by running the same file through its .js association instead; the refusal is remembered for the process. The
 * retry happens only when the host produced no answer at all, so on Windows, where //E always works, the
 * association is never consulted.
 */
let wshEngineSwitchRefused = false

export function wshArgv(file: string, engineSwitch = !wshEngineSwitchRefused): string[] {
  return engineSwitch ? ['//NoLogo', '//E:JScript', file] : ['//NoLogo', file]
}

/** Whether a WSH run ended before the script could answer (the host refused its command line). */
export function wshRefusedArgv(r: { exitCode?: number; stdout: unknown; timedOut?: boolean }): boolean {
  return !r.timedOut && r.exitCode !== 0 && String(r.stdout).trim() === ''
}

/** Record that this process's WSH refuses //E:JScript (after the association form answered). */
export function rememberWshWithoutEngineSwitch(): void {
  wshEngineSwitchRefused = true
}

/** For tests: forget what was learnt about the WSH host. */
export function resetWshHostKnowledge(): void {
  wshEngineSwitchRefused = false
}

export function hostArgv(host: BridgeHost, engineSwitch?: boolean): string[] {
  if (host.kind === 'powershell') {
    return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(POWERSHELL_BRIDGE_SCRIPT, 'utf16le').toString('base64')]
  }
  return wshArgv(jscriptFile(), engineSwitch)
}

/** Largest request we put in one environment variable (Windows caps a variable at 32767 characters). */
export const MAX_REQUEST_CHARS = 30000

/** Run one bridge request. Rejects with BridgeError (the COM error) or UsmtStepsError USM0019 (the host failed). */
export async function callBridge(host: BridgeHost, op: BridgeOp, fields: readonly string[] = [], timeoutMs = 60000): Promise<string[]> {
  const request = encodeRequest(op, fields)
  if (request.length > MAX_REQUEST_CHARS) throw new UsmtStepsError('USM0019', `bridge request too large (${request.length} characters)`)
  const { execa } = await import('execa') // lazy: most commands never start a bridge
  const run = async (argv: string[]) => {
    try {
      return await execa(host.executable, argv, {
        env: { [BRIDGE_ENV_VAR]: request },
        timeout: timeoutMs,
        reject: false,
        stdin: 'ignore',
        windowsHide: true,
      })
    } catch (err) {
      throw new UsmtStepsError('USM0019', `cannot run ${host.executable}: ${(err as Error).message}`, { cause: err })
    }
  }
  const argv = hostArgv(host)
  let result = await run(argv)
  if (host.kind === 'wsh' && argv.includes('//E:JScript') && wshRefusedArgv(result)) {
    const retry = await run(hostArgv(host, false))
    if (!wshRefusedArgv(retry)) rememberWshWithoutEngineSwitch()
    result = retry
  }
  if (result.timedOut) throw new UsmtStepsError('USM0019', `${host.kind} bridge did not answer within ${timeoutMs} ms`)
  if (result.failed && !String(result.stdout).includes('ERR;') && !String(result.stdout).includes('OK')) {
    throw new UsmtStepsError('USM0019', `${host.executable} failed: ${String(result.stderr || result.shortMessage).slice(0, 300)}`)
  }
  return decodeResponse(String(result.stdout))
}

/** Split name/value pairs into requests that each fit in one environment variable. */
export function chunkPairs(pairs: ReadonlyArray<[string, string]>): Array<string[]> {
  const chunks: Array<string[]> = []
  let cur: string[] = []
  let size = 20
  for (const [n, v] of pairs) {
    const add = (n.length + v.length) * 4 + 2
    if (cur.length > 0 && size + add > MAX_REQUEST_CHARS) {
      chunks.push(cur)
      cur = []
      size = 20
    }
    cur.push(n, v)
    size += add
  }
  if (cur.length) chunks.push(cur)
  return chunks
}
