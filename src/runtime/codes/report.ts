import { defineCodes } from './types.js'

/** USM0700–USM0799: The report step. */
export const REPORT_CODES = defineCodes({})
