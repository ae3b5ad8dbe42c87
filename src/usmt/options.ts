/**
 * Typed USMT command lines (usmt.md §1). The same types serve both directions: `parse…Args` reads a
 * USMT command line for the portable tools, `build…Args` writes one to drive Microsoft's binaries.
 */

/** Options shared by ScanState and LoadState. */
export interface CommonUsmtOptions {
  /** The store directory (positional). */
  storePath?: string
  /** /i:FILE, in order. */
  include: string[]
  /** /config:FILE */
  config?: string
  /** /v:N (a sum of 0x1, 0x4, 0x8). */
  verbosity?: number
  /** /l:FILE */
  log?: string
  /** /progress:FILE */
  progress?: string
  /** /r:N */
  retry?: number
  /** /w:N */
  wait?: number
  /** /c */
  continueOnError: boolean
  /** /hardlink */
  hardlink: boolean
  /** /nocompress */
  noCompress: boolean
  /** /key:K — a secret: register it with the redactor when read; never log it. */
  key?: string
  /** /keyfile:FILE */
  keyFile?: string
  /** /all */
  all: boolean
  /** /ui:… in order */
  ui: string[]
  /** /ue:… in order */
  ue: string[]
  /** /uel:N|yyyy/mm/dd|0 */
  uel?: string
  /** /auto[:DIR]: true without a folder. */
  auto?: string | true
  /** /? or /help */
  help: boolean
}

export type EfsMode = 'abort' | 'skip' | 'decryptcopy' | 'copyraw' | 'hardlink'

export interface ScanStateOptions extends CommonUsmtOptions {
  /** /o */
  overwrite: boolean
  /** /encrypt[:ALG] */
  encrypt?: { algorithm?: string }
  /** /listfiles:FILE */
  listFiles?: string
  /** /p[:FILE] — `{}` is the legacy form without a path. */
  estimate?: { path?: string }
  /** /localonly */
  localOnly: boolean
  /** /efs:MODE (kept as written; validated by validateScanState). */
  efs?: string
  /** /genconfig:FILE */
  genConfig?: string
  /** /genmigxml:FILE */
  genMigXml?: string
  /** /vsc */
  vsc: boolean
  /** /offline:FILE */
  offline?: string
  /** /offlinewindir:DIR */
  offlineWinDir?: string
  /** /offlinewinold:DIR */
  offlineWinOld?: string
  /** /apps */
  apps: boolean
  /** /ppkg[:FILE] */
  ppkg?: string | true
  /** /targetwindows7, /targetwindows8 (legacy) */
  targetWindows7: boolean
  targetWindows8: boolean
}

export interface AccountMapping {
  from: string
  to: string
}

export interface LoadStateOptions extends CommonUsmtOptions {
  /** /decrypt[:ALG] */
  decrypt?: { algorithm?: string }
  /** /md:OLD:NEW in order (first matching rule wins). Raw text kept in `raw` for validation. */
  md: Array<AccountMapping & { raw: string }>
  /** /mu:OLD:NEW in order. */
  mu: Array<AccountMapping & { raw: string }>
  /** /lac[:password] — the password is a secret. */
  lac?: { password?: string }
  /** /lae */
  lae: boolean
  /** An offline switch (/offline, /offlinewindir, /offlinewinold) given to LoadState: invalid during apply (return code 36). */
  offlineSwitch?: string
}

export type VerifyReport = 'summary' | 'all' | 'failureonly' | 'catalog'

export type UsmtUtilsOptions =
  | { command: 'help' }
  | { command: 'ec' }
  | { command: 'rd'; storeDir: string; yes: boolean }
  | {
    command: 'verify'; file: string; report: VerifyReport; log?: string; verbosity?: number
    decrypt?: { algorithm?: string }; key?: string; keyFile?: string
  }
  | {
    command: 'extract'; file: string; destination: string; include: string[]; exclude: string[]; log?: string
    verbosity?: number; decrypt?: { algorithm?: string }; key?: string; keyFile?: string; overwrite: boolean
  }

export function emptyScanState(): ScanStateOptions {
  return {
    include: [], continueOnError: false, hardlink: false, noCompress: false, all: false, ui: [], ue: [], help: false,
    overwrite: false, localOnly: false, vsc: false, apps: false, targetWindows7: false, targetWindows8: false,
  }
}

export function emptyLoadState(): LoadStateOptions {
  return {
    include: [], continueOnError: false, hardlink: false, noCompress: false, all: false, ui: [], ue: [], help: false,
    md: [], mu: [], lae: false,
  }
}

/** Encryption algorithms USMT documents for /encrypt, /decrypt and UsmtUtils (usmt.md §1.1, [ENC]). */
export const USMT_ALGORITHMS = ['AES', 'AES_128', 'AES_192', 'AES_256', '3DES', '3DES_112'] as const
