/**
 * Microsoft Entra ID (Azure AD) profiles. Microsoft documents that USMT does not support migrating Entra
 * ID accounts: on a refresh their profiles would not come back as theirs, so `users` and `capture` flag them
 * as at risk, like orphaned profiles. They are recognised by the SID authority Entra ID uses for its users
 * (S-1-12-1-…) or by the AzureAD\ domain name Windows shows for them.
 */
export const ENTRA_REASON = 'Entra ID (Azure AD) account: USMT does not support migrating Microsoft Entra ID accounts'

const ENTRA_SID = /^S-1-12-1-\d+(-\d+)*$/i
const ENTRA_ACCOUNT = /^AzureAD\\/i

/** True for a profile owned by an Entra ID account (SID S-1-12-1-… or account AzureAD\…). */
export function isEntraProfile(p: { sid?: string | null; account?: string | null }): boolean {
  return (typeof p.sid === 'string' && ENTRA_SID.test(p.sid.trim())) || (typeof p.account === 'string' && ENTRA_ACCOUNT.test(p.account.trim()))
}

/** As USMT names a user in its progress log (DOMAIN\name, or a SID when it could not translate it). */
export function isEntraUserName(user: string): boolean {
  const name = user.trim()
  return ENTRA_ACCOUNT.test(name) || ENTRA_SID.test(name) || ENTRA_SID.test(name.split('\\').pop() ?? '')
}
