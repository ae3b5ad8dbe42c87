import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { hexDecode, hexEncode } from '../../../src/windows/com-bridge.js'
import { PROJECT_ROOT } from '../../helpers/cli.js'
import type { WineRun } from '../../helpers/wine.js'
import type { Lane } from './lane.js'

/**
 * The ConfigMgr side of the Wine lane: the two COM stand-ins (test/doubles/*.double.wsc, Windows Script Components)
 * registered in the prefix with regsvr32/scrobj.dll, their state files, and a JScript test client that reads task
 * sequence variables through COM the way another step would (not through the state file).
 */
export const STAND_INS = ['tsenvironment.double.wsc', 'tsprogressui.double.wsc']

let registered: Promise<void> | undefined

export function registerStandIns(l: Lane): Promise<void> {
  registered ??= (async () => {
    for (const f of STAND_INS) {
      const r = await l.w.wine(['regsvr32', '/s', '/n', `/i:${l.w.z(path.join(PROJECT_ROOT, 'test', 'doubles', f))}`, 'scrobj.dll'])
      if (r.exitCode !== 0) throw new Error(`regsvr32 of ${f} failed with ${r.exitCode}: ${r.stderr}`)
    }
  })()
  return registered
}

/** A running task sequence as the stand-ins see it: its variables file and its progress-call record. */
export interface TaskSequence {
  stateFile: string
  progressFile: string
  /** Environment for a program of the task sequence (the stand-ins find their state through it). */
  env: Record<string, string>
  variables(): Record<string, string>
  progressCalls(): Array<{ method: string; args: Array<string | number> }>
}

export function startTaskSequence(l: Lane, name: string, vars: Record<string, string>): TaskSequence {
  const stateFile = path.join(l.work, `${name}.tsenv`)
  const progressFile = path.join(l.work, `${name}.progress`)
  writeFileSync(stateFile, Object.entries(vars).map(([k, v]) => `${hexEncode(k)};${hexEncode(v)}\r\n`).join(''))
  return {
    stateFile,
    progressFile,
    env: { USMT_STEPS_TSENV_DOUBLE: l.w.z(stateFile), USMT_STEPS_TSPROGRESS_DOUBLE: l.w.z(progressFile) },
    variables: () => Object.fromEntries(readFileSync(stateFile, 'utf8').split(/\r?\n/).filter(Boolean).map((line) => line.split(';').map(hexDecode) as [string, string])),
    progressCalls: () => existsSync(progressFile)
      ? readFileSync(progressFile, 'utf8').split(/\r?\n/).filter(Boolean).map((line) => {
        const [method, ...args] = line.split(';')
        return { method, args: args.map((a) => (a.startsWith('n:') ? Number(hexDecode(a.slice(2))) : hexDecode(a.slice(2)))) }
      })
      : [],
  }
}

/**
 * The test client (JScript for cscript, written at run time so no linter takes it for Node code). Operations come
 * in USMT_STEPS_TS_CLIENT: `read;<hex name>…` prints `OK;<hex value>…` read through Value() (or `ERR;<HRESULT>`); `strict` tries what
 * the real objects refuse and prints `<case>=<HRESULT or ok>` per line.
 */
const CLIENT = `function dec(h) { var s = ''; for (var i = 0; i < h.length; i += 4) s += String.fromCharCode(parseInt(h.substr(i, 4), 16)); return s; }
function enc(s) { s = String(s); var o = ''; for (var i = 0; i < s.length; i++) { var x = s.charCodeAt(i).toString(16); while (x.length < 4) x = '0' + x; o += x; } return o; }
function hr(e) { var x = (e.number >>> 0).toString(16); while (x.length < 8) x = '0' + x; return '0x' + x; }
function attempt(name, f) { try { f(); WScript.Echo(name + '=ok'); } catch (e) { WScript.Echo(name + '=' + hr(e)); } }
var parts = String(WScript.CreateObject('WScript.Shell').Environment('PROCESS')('USMT_STEPS_TS_CLIENT')).split(';');
if (parts[0] === 'read') {
  try {
    var ts = new ActiveXObject('Microsoft.SMS.TSEnvironment'), out = ['OK'];
    for (var i = 1; i < parts.length; i++) out.push(enc(ts.Value(dec(parts[i]))));
    WScript.Echo(out.join(';'));
  } catch (e) { WScript.Echo('ERR;' + hr(e)); }
} else if (parts[0] === 'strict') {
  var t = new ActiveXObject('Microsoft.SMS.TSEnvironment'), ui = new ActiveXObject('Microsoft.SMS.TSProgressUI'), long = '';
  while (long.length < 4001) long += 'x';
  attempt('set-readonly', function () { t.Value('_SMSTSLogPath') = 'C:\\\\x'; });
  attempt('set-bad-name', function () { t.Value('9Lives') = 'x'; });
  attempt('set-too-long', function () { t.Value('LongValue') = long; });
  attempt('set-4000', function () { t.Value('LongValue') = long.substr(1); });
  attempt('undefined-is-empty', function () { if (t.Value('NoSuchVariable') !== '') throw new Error(1, 'not empty'); });
  attempt('progress-8-args', function () { ui.ShowActionProgress('o', 't', '', 'a', 1, 2, 'x', 1); });
  attempt('progress-string-step', function () { ui.ShowActionProgress('o', 't', '', 'a', '1', 2, 'x', 1, 100); });
  attempt('progress-over-max', function () { ui.ShowActionProgress('o', 't', '', 'a', 1, 2, 'x', 101, 100); });
  attempt('progress-9-args', function () { ui.ShowActionProgress('o', 't', '', 'a', 1, 2, 'x', 50, 100); });
  attempt('close', function () { ui.CloseProgressDialog(); });
} else {
  WScript.Echo('ERR;unknown operation');
}
`

/** Run the client under cscript (the .js association: Wine's cscript has no //E). */
export async function tsClient(l: Lane, ts: Pick<TaskSequence, 'env'> | undefined, op: string): Promise<WineRun> {
  const file = path.join(l.work, 'ts-client.js')
  if (!existsSync(file)) writeFileSync(file, CLIENT)
  return l.w.wine(['cscript', '//NoLogo', l.w.z(file)], { env: { ...(ts?.env ?? {}), USMT_STEPS_TS_CLIENT: op } })
}

/** Read variables through COM with the client. */
export async function readThroughCom(l: Lane, ts: TaskSequence, names: string[]): Promise<Record<string, string>> {
  const r = await tsClient(l, ts, ['read', ...names.map(hexEncode)].join(';'))
  const line = r.stdout.split(/\r?\n/).find((x) => x.startsWith('OK'))
  if (r.exitCode !== 0 || !line) throw new Error(`the COM client failed (${r.exitCode}): ${r.stdout} ${r.stderr}`)
  const values = line.split(';').slice(1).map(hexDecode)
  return Object.fromEntries(names.map((n, i) => [n, values[i]]))
}
