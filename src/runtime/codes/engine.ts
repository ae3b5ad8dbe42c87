import { defineCodes } from './types.js'

/** USM0100–USM0199: Rule engine (migration XML, patterns, user selection). */
export const ENGINE_CODES = defineCodes({})
