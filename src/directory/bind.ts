import { UsmtStepsError } from '../runtime/errors.js'

/**
 * Which account `users` reads Active Directory as. A bind account the admin set always wins; otherwise, in the
 * full OS of a Windows with PowerShell, the step reads AD through ADSI as the account it runs as (under
 * ConfigMgr: SYSTEM, i.e. the computer account: no credentials exist or travel); in Windows PE (no computer
 * account) or off Windows, the network access account; with none of them, the caller's unavailable policy.
 */
export type BindSetting = 'auto' | 'computer' | 'credentials'

export type BindChoice =
  | { method: 'credentials'; user: string; password: string; why: string }
  | { method: 'computer'; why: string }
  | { method: 'naa'; user: string; password: string; names: string; why: string }

export interface BindInput {
  bind: BindSetting
  user?: string
  password?: string
  /** The network access account from _SMSTSReserved1/2, if the task sequence has one. */
  naa?: { user: string; password: string; names: string }
  /** powershell.exe is there (the full OS of Windows, or a test's double). */
  powershell: boolean
  inWinPE: boolean
}

export function chooseBind(i: BindInput): BindChoice {
  const computerPossible = i.powershell && !i.inWinPE
  if (i.bind === 'computer') {
    if (!computerPossible) {
      throw new UsmtStepsError('USM0514', i.inWinPE
        ? '--bind computer: Windows PE has no computer account to read the directory as'
        : '--bind computer: reading AD as the computer account needs Windows with PowerShell (powershell.exe was not found)')
    }
    return { method: 'computer', why: 'USMTStepsDirectoryBind=computer' }
  }
  if (i.user) {
    if (!i.password) throw new UsmtStepsError('USM0505', 'no directory password: set USMTStepsDirectoryPassword (or --bind-password-file)')
    return { method: 'credentials', user: i.user, password: i.password, why: 'a bind account is set' }
  }
  if (i.bind === 'auto' && computerPossible) return { method: 'computer', why: 'no bind account is set and this is the full OS (not Windows PE)' }
  if (i.naa) return { method: 'naa', ...i.naa, why: `no USMTStepsDirectoryUser or OSDJoinAccount is set${i.bind === 'auto' ? (i.inWinPE ? ' and Windows PE has no computer account' : ' and PowerShell is not available') : ''}` }
  throw new UsmtStepsError('USM0505', `no directory account: set USMTStepsDirectoryUser and USMTStepsDirectoryPassword, OSDJoinAccount and OSDJoinPassword, or run where the network access account is set${i.bind === 'auto' ? ' (in the full OS of a domain-joined PC, users reads AD as the computer account)' : ''}`)
}
