#!/usr/bin/env -S node --import tsx
/**
 * TEST DOUBLE for Microsoft's scanstate.exe, loadstate.exe and usmtutils.exe, which cannot run on Linux. The
 * steps start it as the "exe host" (USMT_STEPS_EXE_HOST), so it receives [path\to\tool.exe, ...USMT argv] exactly
 * as Wine would. It is strict like the real tools:
 *  - the first argument must be a file named scanstate.exe / loadstate.exe / usmtutils.exe with a PE header;
 *  - the argv is read with USMT's grammar and every documented invalid combination ends with its return code
 *    and documented message (src/usmt parse…/validate…), before anything else happens;
 *  - /keyfile must name a readable, non-empty file (33 otherwise); an existing store without /o is 27;
 *    loadstate refuses a missing or incomplete store (27) and an encrypted store without /decrypt (37);
 *  - return code 3 is only possible with /c: a scenario error without /c ends with 61, as USMT does;
 *  - it writes the main log (/l) and the progress log (/progress) in USMT's formats.
 * What the run does is scripted by USMT_DOUBLE_SCENARIO (a JSON file):
 *   { "returnCode": 29, "message": "A minimum of 250 MB …", "users": [{"user":"CONTOSO\\ann","included":true}],
 *     "ignored": [{"objectName":"C:\\Users\\ann\\x.pst","errorCode":32}], "verifyCode": 0, "rdCode": 0, "delayMs": 50 }
 * Every invocation is appended to USMT_DOUBLE_LOG as JSON: tool, argv, the offline environment, and the key
 * file's permission bits (never its content).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { readPeMachine } from '../../src/steps/pe.js'
import {
  classifyReturnCode, failOnViolation, markErrorArg, parseLoadStateArgs, parseScanStateArgs, parseUsmtUtilsArgs, ProgressLogWriter,
  UsmtFailure, UsmtMainLog, validateLoadState, validateScanState, validateUsmtUtils, USMT_MESSAGES,
} from '../../src/usmt/index.js'

interface Scenario {
  returnCode?: number
  message?: string
  users?: Array<{ user: string; included: boolean }>
  ignored?: Array<{ objectName: string; errorCode: number; type?: string }>
  verifyCode?: number
  rdCode?: number
  delayMs?: number
  /** Files scanstate captures (Windows paths, read from USMT_DOUBLE_DRIVES_ROOT): listed in /listfiles, kept in the store, written back by loadstate. */
  files?: string[]
  /** Files loadstate silently fails to write back (a fault the restore's proof must catch). */
  dropOnRestore?: string[]
}

const [exe, ...argv] = process.argv.slice(2)
const scenario: Scenario = process.env.USMT_DOUBLE_SCENARIO ? JSON.parse(readFileSync(process.env.USMT_DOUBLE_SCENARIO, 'utf8')) as Scenario : {}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const VERSION = '10.0.26100.1'

function die(message: string): never {
  process.stderr.write(`microsoft-usmt double: ${message}\n`)
  process.exit(1)
}

if (!exe) die('no executable given')
const tool = nodePath.basename(exe.replace(/\\/g, '/')).toLowerCase()
if (!['scanstate.exe', 'loadstate.exe', 'usmtutils.exe'].includes(tool)) die(`${exe} is not a USMT executable`)
if (!existsSync(exe) || readPeMachine(exe) === null) die(`${exe} is not a Windows executable`)

function keyFileOf(o: { keyFile?: string }): { mode?: string } {
  if (o.keyFile === undefined) return {}
  return { mode: existsSync(o.keyFile) ? (statSync(o.keyFile).mode & 0o777).toString(8) : 'missing' }
}

function record(extra: Record<string, unknown>): void {
  const log = process.env.USMT_DOUBLE_LOG
  if (log) {
    appendFileSync(log, `${JSON.stringify({
      tool, argv, env: { USMT_WORKING_DIR: process.env.USMT_WORKING_DIR, MIG_OFFLINE_PLATFORM_ARCH: process.env.MIG_OFFLINE_PLATFORM_ARCH }, ...extra,
    })}\n`)
  }
}

function checkKeyFile(o: { keyFile?: string }): void {
  if (o.keyFile === undefined) return
  if (!existsSync(o.keyFile)) throw UsmtFailure.of('keyfileAccess')
  if (readFileSync(o.keyFile, 'utf8').length === 0) throw UsmtFailure.of('keyEmpty')
}

function storeState(store: string): { data: boolean; mig?: string; catalog?: string; encrypted: boolean } {
  const usmt = nodePath.join(store, 'USMT')
  if (!existsSync(usmt)) return { data: existsSync(store) && readdirSync(store).length > 0, encrypted: false }
  const mig = nodePath.join(usmt, 'USMT.MIG')
  const catalog = nodePath.join(usmt, 'catalog.mig')
  return {
    data: true, mig: existsSync(mig) ? mig : undefined, catalog: existsSync(catalog) ? catalog : undefined,
    encrypted: existsSync(mig) && readFileSync(mig, 'utf8').startsWith('DOUBLE-ENCRYPTED'),
  }
}

async function migrate(kind: 'scanstate' | 'loadstate', o: { log?: string; progress?: string; continueOnError: boolean }, prepare: () => void, write: () => void): Promise<number> {
  const upper = kind === 'scanstate' ? 'SCANSTATE' : 'LOADSTATE'
  const log = new UsmtMainLog(o.log ?? null)
  const started = new Date()
  log.header(upper, VERSION, markErrorArg(exe, argv), started)
  const progress = new ProgressLogWriter(o.progress ?? null)
  const finish = (code: number, message: string, ignored = 0): number => {
    progress.final(code, ignored, message)
    if (code === 0 || code === 3) log.success([], ignored)
    else log.failed([message])
    progress.close()
    log.close()
    return code
  }
  try {
    prepare()
  } catch (err) {
    if (err instanceof UsmtFailure) return finish(err.returnCode, err.message)
    throw err
  }
  progress.program(kind === 'scanstate' ? 'ScanState.exe' : 'LoadState.exe', VERSION, 'PC-DOUBLE', markErrorArg(exe, argv))
  progress.phase('Initializing')
  const delay = scenario.delayMs ?? 20
  await sleep(delay)
  if (scenario.returnCode !== undefined && ![0, 3].includes(scenario.returnCode)) {
    const msg = scenario.message ?? classifyReturnCode(scenario.returnCode).message
    log.error(msg)
    return finish(scenario.returnCode, msg)
  }
  progress.phase(kind === 'scanstate' ? 'Scanning' : 'Applying')
  for (const u of scenario.users ?? [{ user: 'CONTOSO\\ann', included: true }]) progress.detectedUser(u.user, u.included)
  progress.totalSize(12 * 1048576)
  for (let p = 0; p <= 100; p += 25) {
    progress.percent(p)
    await sleep(delay)
  }
  const ignored = scenario.ignored ?? []
  if (ignored.length > 0 && !o.continueOnError) {
    const e = ignored[0]
    progress.error('UnableToOpen', e.objectName, 'Abort', e.errorCode)
    log.error(`Unable to process object ${e.objectName} -> ${e.errorCode}, aborting...`)
    return finish(61, USMT_MESSAGES.ioStopped)
  }
  for (const e of ignored) progress.error((e.type ?? 'UnableToOpen') as 'UnableToOpen', e.objectName, 'Ignore', e.errorCode)
  write()
  return finish(ignored.length > 0 ? 3 : 0, ignored.length > 0 ? USMT_MESSAGES.wouldHaveFailed : USMT_MESSAGES.success, ignored.length)
}

/**
 * Windows drive paths (C:\…) given to the double off Windows live under USMT_DOUBLE_DRIVES_ROOT/<letter>/…, so a
 * test never writes a folder literally named "C:\…" into its working directory. Without the variable such a
 * path is refused, as strictly as a missing drive would be.
 */
function localPath(p: string): string {
  const m = /^([A-Za-z]):[\\/](.*)$/.exec(p)
  if (!m || process.platform === 'win32') return p
  const root = process.env.USMT_DOUBLE_DRIVES_ROOT
  if (!root) throw new Error(`the double was given the Windows path ${p}, but USMT_DOUBLE_DRIVES_ROOT is not set`)
  return nodePath.join(root, m[1].toUpperCase(), ...m[2].split(/[\\/]+/).filter(Boolean))
}

async function main(): Promise<number> {
  try {
    if (tool === 'scanstate.exe') {
      const o = parseScanStateArgs(argv)
      failOnViolation(validateScanState(o))
      record({ keyFile: keyFileOf(o) })
      const store = localPath(o.storePath as string)
      return await migrate('scanstate', o, () => {
        checkKeyFile(o)
        if (storeState(store).data && !o.overwrite) throw UsmtFailure.of('storeExists')
      }, () => {
        const usmt = nodePath.join(store, 'USMT')
        rmSync(usmt, { recursive: true, force: true })
        mkdirSync(usmt, { recursive: true })
        if (o.noCompress) {
          mkdirSync(nodePath.join(usmt, 'File'), { recursive: true })
          writeFileSync(nodePath.join(usmt, 'catalog.mig'), 'DOUBLE-CATALOG')
          if (o.hardlink) writeFileSync(nodePath.join(usmt, 'hardlink.main'), '')
        } else {
          writeFileSync(nodePath.join(usmt, 'USMT.MIG'), o.encrypt ? `DOUBLE-ENCRYPTED ${o.encrypt.algorithm ?? '3DES'}` : 'DOUBLE-MIG')
        }
        // The captured files: their content and times go into the store (opaque to usmt-steps, as Microsoft's format
        // is), and /listfiles names each one, one Windows path per line (CRLF), as scanstate writes it.
        const payload = (scenario.files ?? []).map((f) => {
          const st = statSync(localPath(f))
          return { path: f, data: readFileSync(localPath(f)).toString('base64'), mtimeMs: st.mtimeMs }
        })
        writeFileSync(nodePath.join(usmt, 'double-payload.json'), JSON.stringify(payload))
        if (o.listFiles) writeFileSync(localPath(o.listFiles), payload.map((f) => `${f.path}\r\n`).join(''))
      })
    }
    if (tool === 'loadstate.exe') {
      const o = parseLoadStateArgs(argv)
      failOnViolation(validateLoadState(o))
      record({ keyFile: keyFileOf(o), lac: o.lac !== undefined })
      const store = localPath(o.storePath as string)
      return await migrate('loadstate', o, () => {
        checkKeyFile(o)
        const st = storeState(store)
        if (!st.mig && !st.catalog) throw UsmtFailure.of('storeMissing')
        if (st.encrypted && !o.decrypt) throw UsmtFailure.of('wrongKey')
      }, () => {
        // Write the captured files back with their times; /mu moves a profile folder; an existing file is kept and
        // the incoming one renamed name(1).ext (USMT's default file collision rule).
        const payloadFile = nodePath.join(store, 'USMT', 'double-payload.json')
        const payload = existsSync(payloadFile) ? JSON.parse(readFileSync(payloadFile, 'utf8')) as Array<{ path: string; data: string; mtimeMs: number }> : []
        const drop = new Set((scenario.dropOnRestore ?? []).map((p) => p.toLowerCase()))
        for (const f of payload) {
          if (drop.has(f.path.toLowerCase())) continue
          let win = f.path
          for (const m of o.mu) {
            const from = m.from.split('\\').pop() as string
            const to = m.to.split('\\').pop() as string
            const re = new RegExp(`^([A-Za-z]:\\\\Users\\\\)${from}(?=\\\\)`, 'i')
            win = win.replace(re, `$1${to}`)
          }
          let dest = localPath(win)
          for (let n = 1; existsSync(dest); n++) {
            const ext = nodePath.extname(localPath(win))
            dest = `${localPath(win).slice(0, localPath(win).length - ext.length)}(${n})${ext}`
          }
          mkdirSync(nodePath.dirname(dest), { recursive: true })
          writeFileSync(dest, Buffer.from(f.data, 'base64'))
          utimesSync(dest, new Date(f.mtimeMs), new Date(f.mtimeMs))
        }
      })
    }
    const o = parseUsmtUtilsArgs(argv)
    failOnViolation(validateUsmtUtils(o))
    record({ keyFile: 'keyFile' in o ? keyFileOf(o) : {} })
    const log = 'log' in o && o.log ? new UsmtMainLog(o.log) : null
    log?.header('USMTUTILS', VERSION, markErrorArg(exe, argv), new Date())
    let code = 0
    if (o.command === 'verify') {
      if ('keyFile' in o) checkKeyFile(o)
      code = !existsSync(localPath(o.file)) ? 27 : scenario.verifyCode ?? 0
    } else if (o.command === 'rd') {
      code = scenario.rdCode ?? 0
      if (code === 0) rmSync(localPath(o.storeDir), { recursive: true, force: true })
    }
    log?.returnCode(code)
    log?.close()
    return code
  } catch (err) {
    if (err instanceof UsmtFailure) {
      process.stderr.write(`${err.message}\n`)
      return err.returnCode
    }
    throw err
  }
}

process.exitCode = await main()
