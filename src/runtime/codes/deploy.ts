import { defineCodes } from './types.js'

/** USM0600–USM0699: Templates, PowerShell module and packaging. */
export const DEPLOY_CODES = defineCodes({})
