import { defineCodes } from './types.js'

/** USM0300–USM0399: The capture and restore steps (driving USMT). */
export const STEPS_CODES = defineCodes({})
