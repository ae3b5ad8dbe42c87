import { defineCodes } from './types.js'

/** USM0200–USM0299: Stores and the portable scanstate/loadstate/usmtutils. */
export const PORTABLE_CODES = defineCodes({})
