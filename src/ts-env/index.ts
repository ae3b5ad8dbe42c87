import { existsSync } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { findBridgeHost } from '../windows/com-bridge.js'
import { ConfigMgrTsEnvironment } from './configmgr-env.js'
import { JsonTsEnvironment } from './json-env.js'
import { MDT_VARIABLES_DAT_LOCATIONS } from './mdt-locations.js'
import { ProcessTsEnvironment } from './process-env.js'
import type { TsEnvironment } from './types.js'

/** MDT's environment (and its XML reader) loads only when a step runs under MDT: start-up stays small elsewhere. */
async function openMdt(file: string): Promise<TsEnvironment> {
  const { MdtTsEnvironment } = await import('./mdt-env.js')
  return new MdtTsEnvironment(file)
}

export type { TsEnvironment, TsEnvKind } from './types.js'

export interface OpenOptions {
  /** Create a json: file that does not exist (on commit) instead of failing with USM0021. */
  createJson?: boolean
  env?: Record<string, string | undefined>
  platform?: NodeJS.Platform
  cwd?: string
}

/** Where MDT's VARIABLES.DAT would be on this machine (Windows only), first existing wins. */
export function findVariablesDat(opts: OpenOptions = {}): string | undefined {
  const platform = opts.platform ?? process.platform
  if (platform !== 'win32') return undefined
  const env = opts.env ?? process.env
  const systemDrive = env.SystemDrive ?? env.SYSTEMDRIVE ?? 'C:'
  return MDT_VARIABLES_DAT_LOCATIONS.map((p) => p.replace('%SystemDrive%', systemDrive)).find((p) => existsSync(p))
}

/**
 * Open the task-sequence environment named by `spec` (the --ts-env flag or USMT_STEPS_TS_ENV):
 * `configmgr`, `mdt`, `mdt:FILE`, `json:FILE`, `env`; or auto-detect when `spec` is empty:
 * the COM object answers → configmgr; a VARIABLES.DAT exists → mdt; otherwise env.
 */
export async function openTsEnvironment(spec: string | undefined, opts: OpenOptions = {}): Promise<TsEnvironment> {
  const env = opts.env ?? process.env
  const platform = opts.platform ?? process.platform
  const cwd = opts.cwd ?? process.cwd()
  const s = (spec ?? '').trim()
  const abs = (p: string): string => nodePath.resolve(cwd, p)
  if (s === '') {
    if (findBridgeHost({ platform, env })) {
      try {
        return await ConfigMgrTsEnvironment.open({ platform, env })
      } catch (err) {
        if (!(err instanceof UsmtStepsError && err.code === 'USM0011')) throw err
      }
    }
    const dat = findVariablesDat({ env, platform })
    if (dat) return openMdt(dat)
    return new ProcessTsEnvironment(env)
  }
  const [kind, ...rest] = s.split(':')
  const arg = rest.join(':')
  switch (kind.toLowerCase()) {
    case 'configmgr':
      return ConfigMgrTsEnvironment.open({ platform, env })
    case 'mdt': {
      const file = arg ? abs(arg) : findVariablesDat({ env, platform })
      if (!file) {
        throw new UsmtStepsError('USM0010', `no VARIABLES.DAT found at ${MDT_VARIABLES_DAT_LOCATIONS.join(' or ')}`, {
          actions: ['Name the file: --ts-env mdt:C:\\MININT\\SMSOSD\\OSDLOGS\\VARIABLES.DAT'],
        })
      }
      return openMdt(file)
    }
    case 'json':
      if (!arg) throw new UsmtStepsError('USM0010', 'json needs a file: --ts-env json:FILE')
      return new JsonTsEnvironment(abs(arg), { create: opts.createJson })
    case 'env':
      return new ProcessTsEnvironment(env)
    default:
      throw new UsmtStepsError('USM0010', `unknown task-sequence environment "${s}"`)
  }
}
