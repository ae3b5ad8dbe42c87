/**
 * The MigXmlHelper generators that turn into file patterns: GenerateDrivePatterns, GenerateUserPatterns and
 * GenerateDocPatterns (MigDocs' document finder, approximated from the mapped volumes). Other script calls
 * in an object set are reported (warning or not-evaluated object), never silently dropped.
 */
import { readdirSync } from 'node:fs'
import * as nodePath from 'node:path'
import type { VolumeMap } from '../windows/volume-map.js'
import type { ComponentDef, ScriptCall, SourceRef } from './model.js'
import { parsePattern, type ParsedPattern } from './pattern.js'
import { userVariables } from './variables.js'
import type { CompileInput, CompileNotes, EvalContext } from './unit.js'

const DOC_ROOT_SKIP = new Set(['windows', 'program files', 'program files (x86)', 'programdata', 'users', 'documents and settings', '$recycle.bin',
  'system volume information', 'recovery', 'perflogs', 'windows.old', '$windows.~bt', '$windows.~ws', 'msocache', 'boot', 'config.msi', 'intel', 'onedrivetemp'])
const PROFILE_ROOT_SKIP = new Set(['appdata', 'application data', 'local settings', 'nethood', 'printhood', 'recent', 'sendto', 'start menu', 'templates',
  'cookies', 'my documents', 'onedrive - personal'])
const USER_DOC_FOLDERS = ['CSIDL_MYDOCUMENTS', 'CSIDL_MYPICTURES', 'FOLDERID_ORIGINALIMAGES', 'CSIDL_MYMUSIC', 'CSIDL_MYVIDEO', 'CSIDL_FAVORITES',
  'CSIDL_DESKTOP', 'CSIDL_QUICKLAUNCH', 'CSIDL_CONTACTS', 'FOLDERID_LIBRARIES', 'FOLDERID_DOWNLOADS', 'FOLDERID_SAVEDGAMES', 'FOLDERID_RECORDEDTV']
const COMMON_DOC_FOLDERS = ['CSIDL_COMMON_DESKTOPDIRECTORY', 'CSIDL_COMMON_FAVORITES', 'CSIDL_COMMON_DOCUMENTS', 'CSIDL_COMMON_MUSIC',
  'CSIDL_COMMON_PICTURES', 'CSIDL_COMMON_VIDEO', 'FOLDERID_PUBLICDOWNLOADS']

export type GeneratorInput = Pick<CompileInput, 'volumes' | 'layout' | 'profiles' | 'systemVars'>

/** A generated pattern, with the variables of the profile it was generated for (GenerateUserPatterns). */
export interface Generated {
  pattern: ParsedPattern
  vars?: Map<string, string>
}

/** `GenerateDocPatterns("FALSE", "TRUE", "FALSE")`: how a generated rule names its call. */
export function shortCall(call: ScriptCall): string {
  return `${call.name.split('.').pop()}(${call.args.map((x) => (x === null ? 'NULL' : JSON.stringify(x.trim()))).join(', ')})`
}

export function generatePatterns(input: GeneratorInput, notes: CompileNotes, call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef, comp: ComponentDef, kind = 'include'): Generated[] {
  const fn = call.name.split('.').pop()?.toLowerCase() ?? ''
  const a = (i: number): string => call.args[i] ?? ''
  switch (fn) {
    case 'generatedrivepatterns': {
      const type = a(1).trim().toLowerCase()
      const vols = type === 'fixed' ? input.volumes.fixed() : type === 'removable' ? input.volumes.volumes.filter((v) => v.removable) : []
      const seg = a(0).trim().replace(/^\\+/, '')
      return vols.map((v) => ({ pattern: parsePattern(`${v.letter}\\${seg}`, 'File') }))
    }
    case 'generateuserpatterns': {
      if (a(0).toLowerCase() !== 'file') {
        notes.notEvaluatedObject(comp, at, a(0), a(1), kind)
        return []
      }
      const processCurrent = a(2).trim().toUpperCase() !== 'FALSE'
      const out: Generated[] = []
      for (const u of input.profiles) {
        if (!processCurrent && ctx.account !== null && u.account.toLowerCase() === ctx.account.toLowerCase()) continue
        out.push({ pattern: parsePattern(a(1), 'File'), vars: userVariables(input.systemVars, u) })
      }
      return out
    }
    case 'generatedocpatterns': return docPatterns(input, notes, call, ctx, vars, at)
    default:
      if (!/getstringcontent|extract/i.test(fn)) {
        notes.warnOnce(`script:${at.file}:${at.line}`, { code: 'script-not-evaluated', message: `${call.raw} does not produce file patterns the engine can compute; it is skipped`, file: at.file, line: at.line })
        notes.note({ file: at.file, line: at.line, component: comp.displayName, type: 'Script', pattern: call.raw, kind: 'helper', affectsCapture: kind === 'include', why: 'the helper does not produce file patterns the engine can compute; it is skipped' })
      } else {
        notes.notEvaluatedObject(comp, at, 'Script', call.raw, kind)
      }
      return []
  }
}

/**
 * Approximation of MigDocs' document finder (documented coverage, usmt.md §11.1). Include mode:
 * system context — files in the root of each fixed drive, folders in the root except Windows, Program
 * Files, ProgramData, Users, system folders and folders that directly hold an .exe, and the Public
 * shell folders; user context — the user's shell folders, files in the profile root and folders in the
 * profile root except AppData and the legacy junctions. Exclude mode: Windows, Program Files,
 * ProgramData (system) and AppData plus the registry hive files (user). Hidden+system files are
 * excluded through the attribute map when one is known.
 */
function docPatterns(input: GeneratorInput, notes: CompileNotes, call: ScriptCall, ctx: EvalContext, vars: Map<string, string>, at: SourceRef): Generated[] {
  const a = (i: number): string => (call.args[i] ?? '').trim().toUpperCase()
  const include = a(1) !== 'FALSE'
  const systemOnly = a(2) === 'TRUE'
  if (a(0) === 'TRUE') {
    notes.warnOnce(`docpf:${at.file}:${at.line}`, { code: 'approximation', message: `${call.raw}: scanning Program Files for scattered documents is not reproduced; treated as FALSE`, file: at.file, line: at.line })
  }
  const pats: string[] = []
  const v = (k: string): string | undefined => vars.get(k)
  if (ctx.account === null) {
    if (include) {
      const sd = input.layout.systemDrive.toUpperCase()
      const drives = input.volumes.fixed().filter((d) => !systemOnly || d.letter === sd)
      for (const d of drives) {
        pats.push(`${d.letter}\\ [*]`)
        for (const e of listDir(input.volumes, `${d.letter}\\`)) {
          if (!e.dir || e.name.startsWith('$') || DOC_ROOT_SKIP.has(e.name.toLowerCase()) || looksLikeAppFolder(e.local)) continue
          pats.push(`${d.letter}\\${escapeLeafless(e.name)}\\* [*]`)
        }
      }
      for (const k of COMMON_DOC_FOLDERS) if (v(k)) pats.push(`${v(k)}\\* [*]`)
    } else {
      for (const k of ['WINDIR', 'PROGRAMFILES', 'PROGRAMFILES(X86)', 'PROGRAMDATA']) if (v(k)) pats.push(`${v(k)}\\* [*]`)
    }
  } else {
    const profile = ctx.profile as string
    if (include) {
      for (const k of USER_DOC_FOLDERS) if (v(k)) pats.push(`${v(k)}\\* [*]`)
      pats.push(`${profile}\\ [*]`)
      for (const e of listDir(input.volumes, profile)) {
        if (!e.dir || PROFILE_ROOT_SKIP.has(e.name.toLowerCase())) continue
        pats.push(`${profile}\\${escapeLeafless(e.name)}\\* [*]`)
      }
    } else {
      pats.push(`${profile}\\AppData\\* [*]`, `${profile}\\ [ntuser.dat*]`, `${profile}\\ [ntuser.ini]`, `${profile}\\ [ntuser.pol]`)
    }
  }
  return [...new Set(pats)].map((t) => ({ pattern: parsePattern(t, 'File') }))
}

function listDir(volumes: VolumeMap, winDir: string): Array<{ name: string; dir: boolean; local: string }> {
  const local = volumes.toLocal(winDir)
  if (!local) return []
  try {
    return readdirSync(local, { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory(), local: nodePath.join(local, d.name) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  } catch {
    return []
  }
}

/** A drive-root folder that directly holds an .exe is treated as an installed application (not a document folder). */
function looksLikeAppFolder(local: string): boolean {
  try {
    return readdirSync(local).some((n) => n.toLowerCase().endsWith('.exe'))
  } catch {
    return false
  }
}

function escapeLeafless(name: string): string {
  return name.replace(/[[\]^]/g, '^$&')
}
