#!/usr/bin/env -S node --import tsx
/**
 * TEST DOUBLE for the two Windows hosts the COM bridge runs (powershell.exe and cscript.exe). They cannot
 * exist on Linux, and neither can Microsoft.SMS.TSEnvironment / TSProgressUI. The double is strict:
 *  - it accepts exactly the argv the bridge must pass (PowerShell: -NoProfile -NonInteractive -ExecutionPolicy
 *    Bypass -EncodedCommand <base64 UTF-16LE>; cscript: //NoLogo //E:JScript <file>) and exactly our fixed
 *    scripts (byte-for-byte), so data can never have been interpolated into script text;
 *  - mode `wsh-no-engine-switch` is a Windows Script Host without //E (as Wine 8's cscript): any //E switch ends
 *    the run with exit code 1 and no output, before the script runs; the script must then come as
 *    `//NoLogo <file>.js` (the engine chosen by the file's .js association);
 *  - it reads the request only from USMT_STEPS_BRIDGE_REQUEST and rejects one over 32767 characters, as Windows does;
 *  - it emulates the COM objects over a JSON state file (USMT_STEPS_DOUBLE_STATE):
 *      { "inTaskSequence": true, "variables": {...}, "progressUI": true, "progressCalls": [...] }
 *    CreateObject fails (HRESULT 0x80040154, class not registered) when no task sequence is running; names are
 *    case-insensitive; reading an undefined variable gives ''; setting '' deletes; a value over 4000 characters
 *    fails as the engine does; names starting with '_' cannot be set.
 * Every invocation is appended to USMT_STEPS_DOUBLE_LOG (argv + environment names) so tests can assert what
 * crossed the process boundary.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { BRIDGE_ENV_VAR, JSCRIPT_BRIDGE_SCRIPT, POWERSHELL_BRIDGE_SCRIPT } from '../../src/windows/bridge-scripts.js'
import { hexDecode, hexEncode } from '../../src/windows/com-bridge.js'

const mode = process.env.USMT_STEPS_DOUBLE_MODE ?? 'powershell'
const argv = process.argv.slice(2)
const stateFile = process.env.USMT_STEPS_DOUBLE_STATE ?? ''
const log = process.env.USMT_STEPS_DOUBLE_LOG

function fatal(message: string): never {
  process.stderr.write(`${mode} double: ${message}\n`)
  process.exit(1)
}

if (log) appendFileSync(log, `${JSON.stringify({ mode, argv, env: Object.keys(process.env).filter((k) => k.startsWith('USMT_STEPS_BRIDGE')) })}\n`)

if (mode === 'powershell') {
  const expected = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']
  if (argv.length !== 6 || expected.some((a, i) => argv[i] !== a)) fatal(`unexpected argv ${JSON.stringify(argv)}`)
  const script = Buffer.from(argv[5], 'base64').toString('utf16le')
  if (script !== POWERSHELL_BRIDGE_SCRIPT) fatal('the encoded command is not the bridge script')
} else if (mode === 'wsh') {
  if (argv.length !== 3 || argv[0] !== '//NoLogo' || argv[1] !== '//E:JScript') fatal(`unexpected argv ${JSON.stringify(argv)}`)
  if (readFileSync(argv[2], 'utf8') !== JSCRIPT_BRIDGE_SCRIPT) fatal('the helper file is not the bridge script')
} else if (mode === 'wsh-no-engine-switch') {
  if (argv.some((a) => /^\/\/E:/i.test(a))) process.exit(1)
  if (argv.length !== 2 || argv[0] !== '//NoLogo' || !argv[1].toLowerCase().endsWith('.js')) fatal(`unexpected argv ${JSON.stringify(argv)}`)
  if (readFileSync(argv[1], 'utf8') !== JSCRIPT_BRIDGE_SCRIPT) fatal('the helper file is not the bridge script')
} else {
  fatal(`unknown mode ${mode}`)
}

interface State { inTaskSequence: boolean; variables: Record<string, string>; progressUI?: boolean; progressCalls?: string[][]; closeCalls?: number }
const state = JSON.parse(readFileSync(stateFile, 'utf8')) as State
const request = process.env[BRIDGE_ENV_VAR]
if (request === undefined) fatal(`${BRIDGE_ENV_VAR} is not set`)
if (request.length > 32767) fatal('environment variable longer than 32767 characters')
const parts = request.split(';')
const answer = (fields: string[]): void => { process.stdout.write(`${['OK', ...fields.map(hexEncode)].join(';')}\r\n`) }
const comError = (hr: string, message: string): void => { process.stdout.write(`ERR;${hexEncode(hr)};${hexEncode(message)}\r\n`) }
if (parts[0] !== 'v1') fatal('bad request version')
const op = parts[1]
const fields = parts.slice(2).map(hexDecode)
const find = (name: string): string | undefined => Object.keys(state.variables).find((k) => k.toLowerCase() === name.toLowerCase())

if ((op === 'ping' || op === 'read' || op === 'write') && !state.inTaskSequence) {
  comError('0x80040154', 'Retrieving the COM class factory for component with CLSID {...} failed: Class not registered')
} else if ((op === 'progress' || op === 'closeprogress') && !state.progressUI) {
  comError('0x80040154', 'Class not registered (Microsoft.SMS.TSProgressUI)')
} else {
  switch (op) {
    case 'ping':
      answer(['5.1.22621.2506'])
      break
    case 'read':
      answer(Object.entries(state.variables).flat())
      break
    case 'write': {
      if (fields.length % 2 !== 0) fatal('odd number of write fields')
      for (let i = 0; i < fields.length; i += 2) {
        const [name, value] = [fields[i], fields[i + 1]]
        if (name.startsWith('_')) { comError('0x80070005', `Access is denied (${name} is read-only)`); process.exit(0) }
        if (value.length > 4000) { comError('0x80070057', 'The parameter is incorrect (value too long)'); process.exit(0) }
        const existing = find(name)
        if (value === '') { if (existing) delete state.variables[existing] } else state.variables[existing ?? name] = value
      }
      writeFileSync(stateFile, JSON.stringify(state, null, 2))
      answer([])
      break
    }
    case 'progress':
      if (fields.length !== 9 || [4, 5, 7, 8].some((i) => !/^\d+$/.test(fields[i]))) fatal(`bad ShowActionProgress arguments ${JSON.stringify(fields)}`)
      state.progressCalls = [...(state.progressCalls ?? []), fields]
      writeFileSync(stateFile, JSON.stringify(state, null, 2))
      answer([])
      break
    case 'closeprogress':
      state.closeCalls = (state.closeCalls ?? 0) + 1
      writeFileSync(stateFile, JSON.stringify(state, null, 2))
      answer([])
      break
    default:
      comError('0x80004005', `unknown op ${op}`)
  }
}
