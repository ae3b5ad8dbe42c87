import { defineCodes } from './types.js'

/** USM0400–USM0499: Store planning and share-based state stores. */
export const STORES_CODES = defineCodes({})
