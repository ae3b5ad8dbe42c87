import { defineCodes } from './types.js'

/** USM0500–USM0599: AD-aware profile selection (LDAP). */
export const DIRECTORY_CODES = defineCodes({})
