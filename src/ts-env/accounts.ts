/**
 * The accounts the task-sequence engine hands a task sequence, read from its variables (declared with their
 * secrecy in src/runtime/variables.ts, ENGINE_VARIABLES). The share stores and the directory step both use the
 * network access account; reading it here keeps them from importing each other.
 */
import { redactor } from '../runtime/redact.js'

export interface EngineAccount {
  user: string
  password: string
  /** The variables it came from (for the log: never the values). */
  names: string
}

/**
 * The ConfigMgr network access account. Current ConfigMgr versions can hold several accounts and set
 * `_SMSTSReserved1-000`/`_SMSTSReserved2-000`, `-001`, …; older ones set `_SMSTSReserved1`/`_SMSTSReserved2`.
 * The first complete pair wins; its password is registered with the redactor when it is found.
 */
export function networkAccessAccount(get: (name: string) => string | undefined): EngineAccount | undefined {
  for (const suffix of ['', ...Array.from({ length: 10 }, (_, i) => `-${String(i).padStart(3, '0')}`)]) {
    const user = get(`_SMSTSReserved1${suffix}`)
    const password = get(`_SMSTSReserved2${suffix}`)
    if (user && password !== undefined && password !== '') {
      redactor.add(password)
      return { user, password, names: `_SMSTSReserved1${suffix}/_SMSTSReserved2${suffix}` }
    }
  }
  return undefined
}

/**
 * The account of ConfigMgr's Connect To Network Folder step (SMS_TaskSequence_ConnectNetworkFolderAction: its
 * Username and Password are the variables SMSConnectNetworkFolderAccount/…Password), set on the step or as
 * collection variables. The password is registered with the redactor when it is found.
 */
export function connectNetworkFolderAccount(get: (name: string) => string | undefined): EngineAccount | undefined {
  const user = get('SMSConnectNetworkFolderAccount')
  const password = get('SMSConnectNetworkFolderPassword')
  if (!user || password === undefined || password === '') return undefined
  redactor.add(password)
  return { user, password, names: 'SMSConnectNetworkFolderAccount/SMSConnectNetworkFolderPassword' }
}
