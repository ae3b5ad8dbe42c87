/**
 * Locates the USMT that a step drives: Microsoft's scanstate.exe/loadstate.exe/usmtutils.exe (from --usmt-dir,
 * the step's USMT package, MDT's Tools\<arch>\USMT5 or the Windows ADK) for the architecture of the running
 * OS/WinPE, or the portable tools of usmt-steps. Both are driven the same way: a program, an argv prefix and
 * the USMT arguments.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsmtStepsError } from '../runtime/errors.js'
import { isAbsolute as isWinAbsolute, isWindowsPath, join as winJoin } from '../windows/path.js'
import type { VolumeMap } from '../windows/volume-map.js'
import { readPeMachine, type UsmtArch } from './pe.js'

export type UsmtTool = 'scanstate' | 'loadstate' | 'usmtutils'
export type EngineChoice = 'auto' | 'microsoft' | 'portable'

export interface ToolCommand {
  /** Program to start. */
  file: string
  /** Arguments before the USMT arguments (the portable entry point, or the exe for an exe host). */
  prefix: string[]
  /** How the tool is named in logs: `scanstate.exe` or `usmt-steps scanstate`. */
  display: string
}

export interface UsmtLocation {
  engine: 'microsoft' | 'portable'
  arch: UsmtArch
  /** Folder holding the Microsoft binaries (local path), or undefined for the portable engine. */
  dir?: string
  /** Where it was found, for the log: `--usmt-dir`, `package ABC00012`, `ADK`, `portable`. */
  source: string
  /** Candidate folders that were looked at (for the error message and the log). */
  searched: string[]
  command(tool: UsmtTool): ToolCommand
}

export interface LocateInput {
  engine: EngineChoice
  arch: UsmtArch
  /** --usmt-dir / USMTStepsUsmtDir (Windows or local path). */
  usmtDir?: string
  /** The USMT package ID of the step (_OSDMigrateUsmtPackageID / _OSDMigrateUsmtRestorePackageID). */
  packageId?: string
  /** Task-sequence variable lookup (for _SMSTSMDataPath, DeployRoot). */
  variable: (name: string) => string | undefined
  env: Record<string, string | undefined>
  platform: NodeJS.Platform
  /** Maps Windows paths to local folders off Windows. */
  volumes?: VolumeMap
  cwd: string
}

const EXE: Record<UsmtTool, string> = { scanstate: 'scanstate.exe', loadstate: 'loadstate.exe', usmtutils: 'usmtutils.exe' }
const ARCHES: readonly UsmtArch[] = ['amd64', 'x86', 'arm64']

/** MDT's folder name per architecture (Tools\X64\USMT5). */
const MDT_ARCH: Record<UsmtArch, string> = { amd64: 'X64', x86: 'x86', arm64: 'ARM64' }

/** A file in `dir` whose name equals `name` case-insensitively (Windows semantics on any OS). */
function findCi(dir: string, name: string): string | undefined {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return undefined
  }
  const hit = names.find((n) => n.toLowerCase() === name.toLowerCase())
  return hit === undefined ? undefined : nodePath.join(dir, hit)
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** A Windows or local path as a local path on this machine, or undefined when it cannot be reached. */
export function toLocalPath(p: string, input: Pick<LocateInput, 'platform' | 'volumes' | 'cwd'>): string | undefined {
  if (input.platform === 'win32') return nodePath.resolve(input.cwd, p)
  if (isWinAbsolute(p) || isWindowsPath(p)) return input.volumes?.toLocal(p) ?? undefined
  return nodePath.resolve(input.cwd, p)
}

interface Candidate { path: string; source: string; archSpecific: boolean }

function candidates(input: LocateInput): Candidate[] {
  const out: Candidate[] = []
  const add = (winOrLocal: string | undefined, source: string, archSpecific = false): void => {
    if (!winOrLocal) return
    const local = toLocalPath(winOrLocal, input)
    if (local) out.push({ path: local, source, archSpecific })
  }
  if (input.usmtDir) {
    add(input.usmtDir, '--usmt-dir')
    return out
  }
  const dataPath = input.variable('_SMSTSMDataPath')
  if (input.packageId) {
    if (dataPath) add(winJoin(dataPath, 'Packages', input.packageId), `package ${input.packageId}`)
    add(input.variable(input.packageId), `package ${input.packageId}`)
  }
  const deployRoot = input.variable('DeployRoot')
  if (deployRoot) add(winJoin(deployRoot, 'Tools', MDT_ARCH[input.arch], 'USMT5'), 'MDT Tools', true)
  if (input.platform === 'win32') {
    const pf86 = input.env['ProgramFiles(x86)'] ?? input.env.ProgramFiles ?? 'C:\\Program Files (x86)'
    add(winJoin(pf86, 'Windows Kits', '10', 'Assessment and Deployment Kit', 'User State Migration Tool'), 'Windows ADK')
  }
  return out
}

interface Found { dir: string; source: string }

function findMicrosoft(input: LocateInput, searched: string[]): Found | undefined {
  for (const c of candidates(input)) {
    searched.push(c.path)
    if (!isDir(c.path)) continue
    const archDir = c.archSpecific ? c.path : findCi(c.path, input.arch)
    if (archDir && isDir(archDir) && findCi(archDir, EXE.scanstate)) {
      checkArch(findCi(archDir, EXE.scanstate) as string, input.arch)
      return { dir: archDir, source: c.source }
    }
    const flat = findCi(c.path, EXE.scanstate)
    if (flat) {
      checkArch(flat, input.arch)
      return { dir: c.path, source: c.source }
    }
    const other = ARCHES.filter((a) => a !== input.arch).map((a) => findCi(c.path, a)).find((d) => d && findCi(d, EXE.scanstate))
    if (other) {
      throw new UsmtStepsError('USM0301', `${c.path} (${c.source}) has USMT for ${nodePath.basename(other)} only, but this ${input.platform === 'win32' ? 'OS' : 'machine'} is ${input.arch}`, {
        data: { dir: c.path, need: input.arch, found: nodePath.basename(other) },
      })
    }
  }
  return undefined
}

function checkArch(exe: string, arch: UsmtArch): void {
  let machine: ReturnType<typeof readPeMachine>
  try {
    machine = readPeMachine(exe)
  } catch (err) {
    throw new UsmtStepsError('USM0300', `cannot read ${exe}: ${(err as Error).message}`, { cause: err })
  }
  if (machine === null) throw new UsmtStepsError('USM0301', `${exe} is not a Windows executable (no PE header)`, { data: { exe } })
  if (machine !== arch) {
    throw new UsmtStepsError('USM0301', `${exe} is built for ${machine}, but the running OS is ${arch}`, { data: { exe, need: arch, found: machine } })
  }
}

/** How this process can start the portable tools as a child: bin/run.js, the bundle, or the sources through tsx. */
export function portableCommand(): { file: string; prefix: string[] } {
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) {
    return { file: process.execPath, prefix: ['--import', import.meta.resolve('tsx'), nodePath.resolve(nodePath.dirname(here), '..', '..', 'scripts', 'dev-entry.ts')] }
  }
  const binRun = nodePath.resolve(nodePath.dirname(here), '..', '..', 'bin', 'run.js')
  if (existsSync(binRun)) return { file: process.execPath, prefix: [binRun] }
  // A single-file bundle: this very file is the CLI.
  return { file: process.execPath, prefix: [process.argv[1] ?? here] }
}

/**
 * Locate USMT for `input.engine`. auto = Microsoft's binaries where they are found and can run (Windows, or
 * an exe host such as Wine given in USMT_STEPS_EXE_HOST), else the portable tools.
 */
export function locateUsmt(input: LocateInput): UsmtLocation {
  const searched: string[] = []
  const portable = (source: string): UsmtLocation => {
    const pc = portableCommand()
    return {
      engine: 'portable', arch: input.arch, source, searched,
      command: (tool) => ({ file: pc.file, prefix: [...pc.prefix, tool], display: `usmt-steps ${tool}` }),
    }
  }
  if (input.engine === 'portable') return portable('--engine portable')
  const exeHost = input.env.USMT_STEPS_EXE_HOST
  const canRun = input.platform === 'win32' || Boolean(exeHost)
  const found = findMicrosoft(input, searched)
  if (!found) {
    if (input.engine === 'microsoft' || input.usmtDir) {
      throw new UsmtStepsError('USM0300', `no ${EXE.scanstate} for ${input.arch} in ${searched.length ? searched.join(', ') : 'any known location'}`, {
        data: { searched, arch: input.arch },
      })
    }
    return portable(input.platform === 'win32' ? 'portable (no Microsoft USMT found)' : 'portable (not Windows)')
  }
  if (!canRun) {
    if (input.engine === 'microsoft') {
      throw new UsmtStepsError('USM0313', `${nodePath.join(found.dir, EXE.scanstate)} cannot run on ${input.platform}`, { data: { dir: found.dir } })
    }
    return portable(`portable (Microsoft USMT at ${found.dir} cannot run on ${input.platform})`)
  }
  return {
    engine: 'microsoft', arch: input.arch, dir: found.dir, source: found.source, searched,
    command: (tool) => {
      const exe = findCi(found.dir, EXE[tool])
      if (!exe) throw new UsmtStepsError('USM0300', `${EXE[tool]} is missing from ${found.dir}`, { data: { dir: found.dir } })
      if (tool !== 'scanstate') checkArch(exe, input.arch)
      return exeHost ? { file: exeHost, prefix: [exe], display: EXE[tool] } : { file: exe, prefix: [], display: EXE[tool] }
    },
  }
}
